package amop_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// TestEveryMessageDeliveredOrCounted floods one topic faster than go-sdk
// takes pushes, so that the guard's per-topic queue overflows, while Events
// is read promptly: every message sent must then be either received or
// counted as dropped, and the drops must reach the reader as DropEvents (the
// UI's status bar and transcript show nothing else).
func TestEveryMessageDeliveredOrCounted(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	a := client(t, n, func(c *amop.Config) { c.EventBuffer = 1 << 16 }, n.Addr(0))
	if err := a.Join("burst"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "burst", 1)
	const total = 12000
	batch := make([][]byte, total)
	for i := range batch {
		batch[i] = topicFrame(t, wire.TypeMulticast, "burst", fmt.Sprint(i))
	}
	if _, err := n.Inject(0, "burst", batch); err != nil {
		t.Fatal(err)
	}
	var received, reported, lastTotal, behind, lastBehind uint64
	last := -1
	deadline := time.After(30 * time.Second)
	quiet := time.NewTimer(time.Hour)
	defer quiet.Stop()
	for received+reported < total || lastTotal != a.Stats().Dropped {
		select {
		case ev := <-a.Events():
			switch ev := ev.(type) {
			case *amop.MessageEvent:
				var i int
				if _, err := fmt.Sscan(string(ev.Data), &i); err != nil || i <= last {
					t.Fatalf("message %q after %d: out of order", ev.Data, last)
				}
				last = i
				received++
			case *amop.DropEvent:
				reported += ev.Dropped
				lastTotal = ev.Total
				behind += ev.Behind
				lastBehind = ev.BehindTotal
			}
		case <-deadline:
			t.Fatalf("received %d, drops reported %d (last total %d) of %d; stats %+v", received, reported, lastTotal, total, a.Stats())
		}
	}
	s := a.Stats()
	if received+reported != total || s.Dropped != reported || s.Received != received {
		t.Fatalf("received %d + reported %d != %d sent; stats %+v", received, reported, total, s)
	}
	// Events had room for everything: every loss was the guard's, because
	// the client (go-sdk) fell behind the node, and is named so.
	if reported > 0 && (behind != reported || lastBehind != lastTotal || s.Behind != s.Dropped) {
		t.Fatalf("of %d drops, %d reported as the client falling behind (totals %d of %d); stats %+v", reported, behind, lastBehind, lastTotal, s)
	}
	t.Logf("%d received, %d dropped and reported; stats %+v", received, reported, s)
}
