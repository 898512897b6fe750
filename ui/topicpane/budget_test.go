package topicpane

import (
	"bytes"
	"errors"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
)

// recount is the pane's cost recomputed from its lines.
func recount(p *Model) int64 {
	var n int64
	for seq := p.ring.first; seq < p.ring.next; seq++ {
		n += cost(p.ring.at(seq))
	}
	return n
}

func budgetPane(bytes int64) *Model {
	p := New("hello", Options{Cap: 10000, Bytes: bytes}, Styles{})
	p.SetSize(100, 20)
	return p
}

func payload(n int, fill byte) []byte { return bytes.Repeat([]byte{fill}, n) }

// TestBudgetBoundsLargePayloads (C2): 100 payloads of 8 MiB leave the pane
// under its budget, every line still listed with its real size, each
// keeping the head the pane shows.
func TestBudgetBoundsLargePayloads(t *testing.T) {
	p := budgetPane(DefaultBytes)
	big := payload(8<<20, 'a') // one array: the pane must copy what it keeps
	for i := 0; i < 100; i++ {
		big[0] = 'a' + byte(i%26)
		p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: big, Mode: amop.Multicast, At: t0})
		if p.Bytes() > DefaultBytes || p.Bytes() != recount(p) {
			t.Fatalf("after %d: %d bytes (recount %d), budget %d", i+1, p.Bytes(), recount(p), DefaultBytes)
		}
	}
	if p.Len() != 100 || p.Dropped() != 0 {
		t.Fatalf("%d lines, %d dropped", p.Len(), p.Dropped())
	}
	es := p.Entries()
	if len(es[0].Data) != KeepHead || es[0].Size != 8<<20 || es[99].Data[0] != 'a'+99%26 {
		t.Fatalf("kept %d of %d bytes", len(es[0].Data), es[0].Size)
	}
	if v := view(p); !strings.Contains(v, "8.0 MiB") {
		t.Fatalf("the size is not the payload's:\n%s", v)
	}
	p.Clear()
	if p.Bytes() != 0 || p.Len() != 0 {
		t.Fatalf("after /clear: %d bytes, %d lines", p.Bytes(), p.Len())
	}
}

// TestBudgetCutsOlderPayloadsBeforeDroppingLines: payloads a quarter of
// the budget or less arrive whole; when the pane is full the older ones
// keep their heads, the newest stays whole, and lines are dropped (and
// counted) only when heads and small lines fill the budget.
func TestBudgetCutsOlderPayloadsBeforeDroppingLines(t *testing.T) {
	p := budgetPane(MinBytes)
	p.AddNote(t0, "a quiet line", false)
	for i := 0; i < 10; i++ {
		p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: payload(200<<10, 'x'), Mode: amop.Unicast, At: t0})
	}
	es := p.Entries()
	if p.Len() != 11 || p.Dropped() != 0 || es[0].Kind != KindSystem {
		t.Fatalf("%d lines, %d dropped: the quiet line went first", p.Len(), p.Dropped())
	}
	if last := es[10]; len(last.Data) != 200<<10 || last.Size != 200<<10 {
		t.Fatalf("the newest payload was not kept whole: %d of %d", len(last.Data), last.Size)
	}
	if first := es[1]; len(first.Data) != KeepHead || first.Size != 200<<10 {
		t.Fatalf("the oldest payload kept %d of %d", len(first.Data), first.Size)
	}
	if p.Bytes() > MinBytes {
		t.Fatalf("%d bytes", p.Bytes())
	}
	// Heads alone fill the budget: then the oldest lines go.
	for i := 0; i < 40; i++ {
		p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: payload(200<<10, 'y'), Mode: amop.Unicast, At: t0})
	}
	if p.Dropped() == 0 || p.Bytes() > MinBytes || p.Bytes() != recount(p) {
		t.Fatalf("%d dropped, %d bytes (recount %d)", p.Dropped(), p.Bytes(), recount(p))
	}
	if v := view(p); !strings.Contains(v, "older dropped") {
		t.Fatalf("no marker of the dropped lines:\n%s", v)
	}
}

// TestBudgetCountsReplies: a large reply is kept like a payload, and one
// that arrives for a line already cut keeps only its head.
func TestBudgetCountsReplies(t *testing.T) {
	p := budgetPane(MinBytes)
	seq := p.AddSent(t0, amop.Line2, amop.Unicast, []byte("request"))
	p.Resolve(seq, payload(4<<20, 'r'), nil, time.Millisecond)
	es := p.Entries()
	if len(es[0].Reply) != KeepHead || es[0].ReplySize != 4<<20 || p.Bytes() > MinBytes {
		t.Fatalf("reply kept %d of %d; %d bytes", len(es[0].Reply), es[0].ReplySize, p.Bytes())
	}
	old := p.AddSent(t0, amop.Line2, amop.Unicast, []byte("slow request"))
	for i := 0; i < 8; i++ {
		p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: payload(200<<10, 'z'), Mode: amop.Unicast, At: t0})
	}
	p.Resolve(old, payload(200<<10, 'l'), nil, time.Second)
	for _, e := range p.Entries() {
		if string(e.Data) == "slow request" && len(e.Reply) > KeepHead {
			t.Fatalf("the late reply of a cut line was kept whole (%d bytes)", len(e.Reply))
		}
	}
	if p.Bytes() > MinBytes || p.Bytes() != recount(p) {
		t.Fatalf("%d bytes (recount %d)", p.Bytes(), recount(p))
	}
}

// TestShedKeepsTheNewestLine: Shed frees what it can, oldest first, and
// never the newest line.
func TestShedKeepsTheNewestLine(t *testing.T) {
	p := budgetPane(DefaultBytes)
	for i := 0; i < 20; i++ {
		p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: payload(100<<10, 'q'), Mode: amop.Multicast, At: t0})
	}
	before := p.Bytes()
	if freed := p.Shed(before); freed <= 0 || p.Len() != 1 || p.Bytes() != recount(p) {
		t.Fatalf("freed %d of %d, %d lines left", freed, before, p.Len())
	}
	if p.Shed(1<<30) != 0 && p.Len() != 1 {
		t.Fatal("shed the last line")
	}
}

// TestBudgetHoldsUnderRandomTraffic: whatever arrives, the pane's count of
// its bytes is exact and under its budget (or it holds a single line).
func TestBudgetHoldsUnderRandomTraffic(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	p := budgetPane(2 << 20)
	var pending []uint64
	for i := 0; i < 3000; i++ {
		size := rng.Intn(1 << 10)
		if rng.Intn(20) == 0 {
			size = rng.Intn(3 << 20)
		}
		switch rng.Intn(10) {
		case 0, 1:
			pending = append(pending, p.AddSent(t0, amop.Line2, amop.Unicast, payload(size, 's')))
		case 2:
			if len(pending) > 0 {
				j := rng.Intn(len(pending))
				var err error
				if rng.Intn(4) == 0 {
					err = errors.New("timeout")
				}
				p.Resolve(pending[j], payload(rng.Intn(1<<10)+rng.Intn(2)*rng.Intn(1<<20), 'r'), err, time.Millisecond)
				pending = append(pending[:j], pending[j+1:]...)
			}
		case 3:
			p.AddNote(t0, "note", rng.Intn(2) == 0)
		case 4:
			if rng.Intn(50) == 0 {
				p.Clear()
			}
		default:
			ev := &amop.MessageEvent{Topic: "hello", Data: payload(size, 'm'), Mode: amop.Multicast, At: t0}
			if rng.Intn(3) == 0 {
				ev.Replied, ev.Reply = true, payload(rng.Intn(1<<10)+rng.Intn(2)*rng.Intn(600<<10), 'a')
			}
			p.AddReceived(ev)
		}
		if p.Bytes() != recount(p) || (p.Bytes() > 2<<20 && p.Len() > 1) {
			t.Fatalf("step %d: %d bytes, recount %d, %d lines", i, p.Bytes(), recount(p), p.Len())
		}
	}
}

// TestDetailHeaderSaysWhatWasKept: a sent payload and the replies the pane
// kept only in part say so where their size is shown; whole ones do not.
func TestDetailHeaderSaysWhatWasKept(t *testing.T) {
	p := budgetPane(MinBytes) // keeps whole up to 256 KiB
	p.Focus()
	big := payload(4<<20, 'b')
	sent := p.AddSent(t0, amop.Line2, amop.Unicast, big)
	p.Resolve(sent, big, nil, time.Millisecond)
	p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: big, Mode: amop.Unicast, Replied: true, Reply: big, At: t0})
	small := p.AddSent(t0, amop.Line2, amop.Unicast, []byte("hi"))
	p.Resolve(small, []byte("ho"), nil, time.Millisecond)
	for seq, want := range map[uint64][]string{
		sent:  {"→ sent unicast · 4.0 MiB (the first 64.0 KiB kept) ", "✓ reply (4.0 MiB, the first 64.0 KiB kept) · round trip 1.0 ms: bbb"},
		1:     {"← received unicast request · 4.0 MiB (the first 64.0 KiB kept) ", "auto-reply sent (4.0 MiB, the first 64.0 KiB kept): bbb"},
		small: {"→ sent unicast · 2 B ", "✓ reply (2 B) · round trip 1.0 ms: ho "},
	} {
		if !p.SelectSeq(seq) {
			t.Fatalf("line %d is gone", seq)
		}
		p.Expand()
		v := view(p)
		for i, w := range want {
			if !strings.Contains(p.detail[i], w) {
				t.Fatalf("line %d of %d: %q, want %q\n%s", i, seq, p.detail[i], w, v)
			}
		}
		if seq == small && strings.Contains(v, "kept") {
			t.Fatalf("a whole payload says kept:\n%s", v)
		}
		p.Expand() // closes
	}
}
