package amop

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// collect reads MessageEvents until want arrived or d passed; drops fail
// the test (nothing here overflows a queue).
func collect(t *testing.T, a *SDK, want int, d time.Duration) []*MessageEvent {
	t.Helper()
	var got []*MessageEvent
	deadline := time.After(d)
	for len(got) < want {
		select {
		case ev := <-a.Events():
			switch ev := ev.(type) {
			case *MessageEvent:
				got = append(got, ev)
			case *DropEvent:
				t.Fatalf("%d dropped after %d received; stats %+v", ev.Dropped, len(got), a.Stats())
			}
		case <-deadline:
			t.Fatalf("%d of %d messages within %s; guard %+v", len(got), want, d, a.g.Stats())
		}
	}
	return got
}

// TestWindowKeepsOrderAndBatches: a burst of pushes on one topic goes to
// go-sdk several at a time (guard.Config.Window), in few system calls, and
// the real go-sdk — which runs each push on a goroutine of its own — still
// hands them to the application in the node's order, each with its own
// kind (multicast or unicast request) and a unicast request answered.
func TestWindowKeepsOrderAndBatches(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	a := newSDK(t, n.CertDir(), n.Addr(0))
	ready(t, a, 10*time.Second)
	a.SetAutoReply("w", ReplyPolicy{Mode: ReplyEcho})
	if err := a.Join("w"); err != nil {
		t.Fatal(err)
	}
	waitSubscribers(t, n, "w")
	const total = 2000
	frames := make([][]byte, total)
	for i := range frames {
		typ := wire.TypeMulticast
		if i%100 == 99 {
			typ = wire.TypeAMOPRequest // a unicast request now and then
		}
		frames[i] = injectFrame(t, typ, "w", strconv.Itoa(i))
	}
	if _, err := n.Inject(0, "w", frames); err != nil {
		t.Fatal(err)
	}
	got := collect(t, a, total, 30*time.Second)
	for i, ev := range got {
		if string(ev.Data) != strconv.Itoa(i) {
			t.Fatalf("message %d is %q: out of order", i, ev.Data)
		}
		wantMode := Multicast
		if i%100 == 99 {
			wantMode = Unicast
		}
		if ev.Mode != wantMode || (wantMode == Unicast && !ev.Replied) {
			t.Fatalf("message %d: mode %v replied %v, want %v", i, ev.Mode, ev.Replied, wantMode)
		}
	}
	s := a.g.Stats()
	if s.ToSDKWrites >= s.ToSDK/2 {
		t.Fatalf("%d frames to go-sdk took %d writes: the burst was not batched", s.ToSDK, s.ToSDKWrites)
	}
	t.Logf("%d frames to go-sdk in %d system calls", s.ToSDK, s.ToSDKWrites)
}

// TestWindowSurvivesLeave: pushes in flight when the topic is left get no
// handler call from go-sdk (only its empty answer); they must not hold up
// the topic's later pushes once it is joined again.
func TestWindowSurvivesLeave(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	a := newSDK(t, n.CertDir(), n.Addr(0))
	ready(t, a, 10*time.Second)
	if err := a.Join("w"); err != nil {
		t.Fatal(err)
	}
	waitSubscribers(t, n, "w")
	burst := make([][]byte, 500)
	for i := range burst {
		burst[i] = injectFrame(t, wire.TypeMulticast, "w", fmt.Sprint("old ", i))
	}
	if _, err := n.Inject(0, "w", burst); err != nil {
		t.Fatal(err)
	}
	if err := a.Leave("w"); err != nil {
		t.Fatal(err)
	}
	if err := a.Join("w"); err != nil {
		t.Fatal(err)
	}
	waitSubscribers(t, n, "w")
	after := make([][]byte, 10)
	for i := range after {
		after[i] = injectFrame(t, wire.TypeMulticast, "w", fmt.Sprint("new ", i))
	}
	if _, err := n.Inject(0, "w", after); err != nil {
		t.Fatal(err)
	}
	last, next := -1, 0
	deadline := time.After(30 * time.Second)
	for next < len(after) {
		select {
		case ev := <-a.Events():
			m, ok := ev.(*MessageEvent)
			if !ok {
				continue
			}
			var i int
			if _, err := fmt.Sscanf(string(m.Data), "old %d", &i); err == nil {
				if i <= last {
					t.Fatalf("old message %d after %d", i, last)
				}
				last = i
				continue
			}
			if string(m.Data) != fmt.Sprint("new ", next) {
				t.Fatalf("got %q, want %q", m.Data, fmt.Sprint("new ", next))
			}
			next++
		case <-deadline:
			t.Fatalf("%d of the %d messages after the rejoin; guard %+v", next, len(after), a.g.Stats())
		}
	}
}
