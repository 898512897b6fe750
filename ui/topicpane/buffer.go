package topicpane

import (
	"sort"
	"time"

	"github.com/amoptui/amoptui/amop"
)

// Kind says where a line of a pane came from.
type Kind uint8

// The kinds of pane lines.
const (
	KindReceived Kind = iota // a message received on the topic
	KindSent                 // a message this TUI sent
	KindSystem               // a note from the TUI itself (joined, reconnected…)
	KindError                // a note about a failure
)

// Status is the state of a sent message.
type Status uint8

// States of a sent message.
const (
	StatusNone    Status = iota // not a sent message
	StatusPending               // waiting for the node's answer
	StatusOK                    // accepted (multicast) or replied (unicast)
	StatusFailed                // refused, timed out or not sent
	StatusLate                  // timed out, then answered late: a reply, an acknowledgement or the node's error
)

// entry flags.
const (
	flagBinary  uint8 = 1 << iota // payload is shown as hex
	flagReplied                   // a received request was auto-replied
	flagLine3                     // sent to a 3.x node, which acknowledges no multicast
)

// entry is one retained line, kept compact: the ring holds up to the
// scrollback cap of them per topic (10,000 by default), and a pane's bytes
// (the entries and the payloads they keep) are bounded too: see budget.go.
// The rendered text is not kept here; only the visible window is rendered
// (see render.go).
type entry struct {
	at    int64  // UnixNano of the event
	data  []byte // payload (or only its head: see size), or the text of a system line
	aux   []byte // received: the auto-reply sent; sent: the reply received (or its head)
	err   error  // sent: why it failed
	rtt   time.Duration
	size  int32 // the payload's length when data holds only its head, else 0
	asize int32 // likewise for aux
	kind  Kind
	mode  amop.Mode
	st    Status
	flags uint8
	// wrapH is the number of lines a note wraps to at the inner width
	// wrapW (a memo: a note's text never changes).
	wrapW, wrapH uint16
}

// line is the FISCO BCOS line a sent message went to, whose words its
// outcome takes (amop.Line.MulticastOK).
func (e *entry) line() amop.Line {
	if e.flags&flagLine3 != 0 {
		return amop.Line3
	}
	return amop.Line2
}

// dataSize is the payload's length, whether kept whole or not.
func (e *entry) dataSize() int {
	if e.size > 0 {
		return int(e.size)
	}
	return len(e.data)
}

// auxSize is the reply's length, whether kept whole or not.
func (e *entry) auxSize() int {
	if e.asize > 0 {
		return int(e.asize)
	}
	return len(e.aux)
}

// ring is the capped scrollback: a circular buffer addressed by sequence
// numbers that keep growing, so that a position remembered elsewhere (a
// pending send, the scroll anchor, the selection) stays valid or is known to
// be gone after older lines were dropped. Lines leave from the oldest end:
// past the cap, or when the pane's bytes are over its budget.
type ring struct {
	buf   []entry // circular; grows by doubling up to max
	head  int     // index in buf of the oldest entry
	max   int     // the cap
	first uint64  // seq of the oldest retained entry
	next  uint64  // seq the next entry will get
	bytes int64   // cost of the retained entries (budget.go)
}

func newRing(max int) ring {
	if max < 1 {
		max = 1
	}
	return ring{max: max}
}

// len is the number of retained entries.
func (r *ring) len() int { return int(r.next - r.first) }

// push appends e and reports whether the oldest entry was dropped to make
// room. The buffer grows by doubling until the cap, so a pane that sees
// few messages costs little.
func (r *ring) push(e entry) (seq uint64, dropped bool) {
	if r.len() == r.max {
		r.drop()
		dropped = true
	}
	n := r.len()
	if n == len(r.buf) {
		nb := make([]entry, min(r.max, max(16, 2*n)))
		for i := 0; i < n; i++ {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+n)%len(r.buf)] = e
	r.bytes += cost(&e)
	seq = r.next
	r.next++
	return seq, dropped
}

// drop forgets the oldest entry, releasing its payload, and returns what it
// cost.
func (r *ring) drop() int64 {
	if r.len() == 0 {
		return 0
	}
	c := cost(&r.buf[r.head])
	r.buf[r.head] = entry{}
	r.head = (r.head + 1) % len(r.buf)
	r.first++
	r.bytes -= c
	return c
}

// at returns the entry with sequence seq, or nil when it was dropped or
// never existed.
func (r *ring) at(seq uint64) *entry {
	if seq < r.first || seq >= r.next {
		return nil
	}
	return &r.buf[(r.head+int(seq-r.first))%len(r.buf)]
}

// reset forgets every entry but keeps the sequence numbers growing, so that
// answers to sends made before a /clear find nothing instead of a stranger.
func (r *ring) reset() {
	r.buf = nil
	r.head = 0
	r.first = r.next
	r.bytes = 0
}

// rows is the list the pane shows: every retained entry, or only those that
// match the filter. Positions (0 = oldest shown) index it.
type rows struct {
	r       *ring
	on      bool     // a filter is in force
	matches []uint64 // seqs of matching entries, ascending, when on
}

// count is the number of rows.
func (v *rows) count() int {
	if v.on {
		v.trim()
		return len(v.matches)
	}
	return v.r.len()
}

// seqAt is the sequence number of the row at pos, which must be valid.
func (v *rows) seqAt(pos int) uint64 {
	if v.on {
		return v.matches[pos]
	}
	return v.r.first + uint64(pos)
}

// posOf is the position of seq, or of the first row after it when seq is
// not shown (dropped or filtered out).
func (v *rows) posOf(seq uint64) int {
	if v.on {
		v.trim()
		return sort.Search(len(v.matches), func(i int) bool { return v.matches[i] >= seq })
	}
	if seq < v.r.first {
		return 0
	}
	return int(seq - v.r.first)
}

// trim forgets matches whose entries the ring has dropped.
func (v *rows) trim() {
	i := 0
	for i < len(v.matches) && v.matches[i] < v.r.first {
		i++
	}
	if i > 0 {
		v.matches = v.matches[i:]
	}
}
