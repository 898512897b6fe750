package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/transcript"
)

// totalBytes is what the panes of m hold together.
func totalBytes(m Model) int64 {
	var n int64
	for _, p := range m.panes {
		n += p.Bytes()
	}
	return n
}

// TestMemoryBudgetAcrossPanes (C2): twenty topics flooded with large
// payloads stay under the overall budget, each pane under its own; a quiet
// topic's lines outlive the flood on the others; /clear gives a pane's
// bytes back.
func TestMemoryBudgetAcrossPanes(t *testing.T) {
	topics := []string{"quiet"}
	for i := 0; i < 20; i++ {
		topics = append(topics, "busy"+string(rune('a'+i)))
	}
	opts := testOptions(topics...)
	opts.PaneBytes, opts.TotalBytes = 2<<20, 8<<20
	m := newModel(t, newFake(), opts, 120, 40)
	for i := 0; i < 10; i++ {
		m = update(m, events(msgEvent("quiet", "a quiet line", amop.Multicast, time.Second)))
	}
	big := bytes.Repeat([]byte("p"), 400<<10) // whole in a pane of 2 MiB
	for round := 0; round < 10; round++ {
		var evs []amop.Event
		for _, tp := range topics[1:] {
			evs = append(evs, &amop.MessageEvent{Topic: tp, Data: big, Mode: amop.Multicast, At: t0})
		}
		m = update(m, events(evs...))
		if tot := totalBytes(m); tot > opts.TotalBytes {
			t.Fatalf("round %d: %d bytes in all, budget %d", round, tot, opts.TotalBytes)
		}
		for tp, p := range m.panes {
			if p.Bytes() > opts.PaneBytes {
				t.Fatalf("round %d: %s holds %d bytes", round, tp, p.Bytes())
			}
		}
	}
	if n := m.Pane("quiet").Len(); n < 10 {
		t.Fatalf("the quiet topic kept %d of its lines", n)
	}
	m = do(m, "/clear")
	if b := m.Pane("quiet").Bytes(); b != 0 {
		t.Fatalf("after /clear the active pane holds %d bytes", b)
	}
}

// TestTranscriptQueueIsBoundedInBytes: records wait for a slow transcript
// up to 64 MiB of payloads; past that they are counted as lost, never
// kept: 20 records of 16 MiB held 320 MiB.
func TestTranscriptQueueIsBoundedInBytes(t *testing.T) {
	w := &slowTranscript{release: make(chan struct{})}
	opts := testOptions("hello")
	opts.Transcript = w
	m := newModel(t, newFake(), opts, 100, 30)
	big := make([]byte, 16<<20)
	for i := 0; i < 20; i++ {
		m = update(m, events(&amop.MessageEvent{Topic: "hello", Data: big, Mode: amop.Multicast, At: t0}))
	}
	if q := m.rec.queued.Load(); q > recordQueueBytes {
		t.Fatalf("%d bytes queued for the transcript", q)
	}
	close(w.release)
	err := m.Close()
	if err == nil || !strings.Contains(err.Error(), "records lost") {
		t.Fatalf("Close: %v", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	received := 0
	for _, r := range w.recs {
		if r.Kind == transcript.KindReceived {
			received++
			if len(r.Data) != 16<<20 {
				t.Fatalf("a record of %d bytes: the transcript records payloads whole", len(r.Data))
			}
		}
	}
	if received == 0 || received > 5 {
		t.Fatalf("%d of 20 records written", received)
	}
}

// slowTranscript blocks every write until release is closed.
type slowTranscript struct {
	memTranscript
	release chan struct{}
}

func (w *slowTranscript) Write(r transcript.Record) error {
	<-w.release
	return w.memTranscript.Write(r)
}
