package topicpane

import (
	"bytes"
	"unicode/utf8"
	"unsafe"

	"github.com/amoptui/amoptui/reclaim"
)

// Memory. A pane's lines are bounded in number (the scrollback cap) and in
// bytes: the entries and the payloads and replies they keep may take at
// most the pane's budget (Options.Bytes, 8 MiB by default), and the root
// model keeps the sum of every pane under a budget of its own by asking the
// largest panes to shed (Shed). Without it, a publisher of large messages
// grows the TUI by their size times the scrollback: 100 multicasts of
// 8 MiB held a gigabyte.
//
// What gives first:
//  1. a payload (or reply) larger than a quarter of the budget is kept as
//     its head at once: the first KeepHead bytes, which is all the
//     expanded view lays out anyway;
//  2. when the pane is over its budget, the oldest payloads larger than
//     KeepHead are cut to their heads, oldest first, the newest line never;
//  3. when only heads and small payloads are left, the oldest lines are
//     dropped, counted like the scrollback cap's ("N older dropped").
//
// So the newest large payloads stay whole (for y and /save) while there is
// room, older ones keep what the pane shows of them, and the lines of a
// quiet conversation outlive a burst of large messages. The expanded view,
// y and /save say when a payload was not kept whole; --transcript records
// every byte as it arrives, whatever the pane keeps.

const (
	// DefaultBytes is the budget when Options.Bytes is not set: room for
	// the default 10,000 lines of ~800-byte messages.
	DefaultBytes = 8 << 20
	// MinBytes is the smallest budget a pane takes: a quarter of it must
	// hold more than a head.
	MinBytes = 1 << 20
	// KeepHead is how much of a payload a pane keeps when it does not keep
	// it whole: what the expanded view lays out (detailMax).
	KeepHead = detailMax
)

// entryCost is what a retained line costs besides its payloads.
const entryCost = int64(unsafe.Sizeof(entry{}))

// cost is what e holds: the entry and the arrays of its payloads.
func cost(e *entry) int64 { return entryCost + int64(cap(e.data)) + int64(cap(e.aux)) }

// keep is what the pane keeps of a payload: b itself, a right-sized copy
// when b is a small slice of a larger array (which it would keep alive),
// or its head when it is larger than whole bytes; size is b's length when
// only the head is kept, else 0.
func keep(b []byte, whole int64) (kept []byte, size int32) {
	switch {
	case int64(len(b)) > whole && len(b) > KeepHead:
		return headCopy(b), int32(min(len(b), 1<<31-1))
	case cap(b)-len(b) > len(b)/4+512:
		return bytes.Clone(b), 0
	}
	return b, 0
}

// headCopy copies the first KeepHead bytes of b, ending on a UTF-8 boundary
// when b is text, so that the cut does not show as a broken character.
func headCopy(b []byte) []byte {
	n := KeepHead
	for i := 0; i < utf8.UTFMax && n > 0 && n < len(b) && !utf8.RuneStart(b[n]); i++ {
		n--
	}
	return bytes.Clone(b[:n])
}

// whole is the largest payload the pane keeps whole on arrival.
func (m *Model) whole() int64 { return m.budget / 4 }

// Bytes is what the pane's lines hold: the measure of its budget.
func (m *Model) Bytes() int64 { return m.ring.bytes }

// Shed gives up at least n bytes if it can, as being over its budget would
// (older payloads cut to their heads, then the oldest lines dropped; the
// newest line stays), and returns how many it freed.
func (m *Model) Shed(n int64) int64 { return m.shrink(m.ring.bytes - n) }

// shrink brings the pane's bytes to target or below, as far as it can.
func (m *Model) shrink(target int64) int64 {
	start := m.ring.bytes
	for m.ring.bytes > target {
		if m.cutTo < m.ring.first {
			m.cutTo = m.ring.first
		}
		if m.cutTo+1 < m.ring.next {
			m.cut(m.cutTo)
			m.cutTo++
			continue
		}
		if m.ring.len() <= 1 {
			break
		}
		m.ring.drop()
		m.forgetDropped()
	}
	freed := start - m.ring.bytes
	if freed >= reclaim.Big {
		reclaim.Soon()
	}
	return freed
}

// cut keeps only the heads of the payload and reply of line seq.
func (m *Model) cut(seq uint64) {
	e := m.ring.at(seq)
	if e == nil || e.kind == KindSystem || e.kind == KindError {
		return
	}
	before := cost(e)
	if len(e.data) > KeepHead && e.size == 0 {
		e.size, e.data = int32(len(e.data)), headCopy(e.data)
	}
	if len(e.aux) > KeepHead && e.asize == 0 {
		e.asize, e.aux = int32(len(e.aux)), headCopy(e.aux)
	}
	if c := cost(e); c != before {
		m.ring.bytes += c - before
		delete(m.cache, seq)
		if m.expanded && m.detailSeq == seq {
			m.detail = nil
		}
	}
}

// setAux records the reply of line seq, kept as any payload is: line seq
// is one whose payloads were already cut gets only the reply's head.
func (m *Model) setAux(seq uint64, e *entry, reply []byte) {
	before := cost(e)
	e.aux, e.asize = keep(reply, m.whole())
	m.ring.bytes += cost(e) - before
	if seq < m.cutTo {
		m.cut(seq)
	}
}
