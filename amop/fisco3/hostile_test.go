package fisco3_test

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/fisco3"
	"github.com/amoptui/amoptui/amop/local3"
)

// TestHostileNode: a node that misbehaves toward one session — toward the
// publisher (its answers) or the subscriber (its pushes). Whatever it does,
// every send returns by its deadline, the damage is counted, nothing
// malformed reaches Events, and the client works again once the node is
// honest (or, when the session had to go, after a reconnect).
func TestHostileNode(t *testing.T) {
	cases := []struct {
		kind local3.HostileKind
		// toSubscriber: the subscriber's session misbehaves, else the
		// publisher's.
		toSubscriber bool
		// works: a unicast still succeeds while the node misbehaves.
		works bool
		// reconnects: the session ends and comes back.
		reconnects bool
		counted    func(fisco3.Counters) bool
	}{
		{local3.BadSeqLength, false, false, false, func(c fisco3.Counters) bool { return c.Malformed > 0 }},
		{local3.BadSeqLength, true, false, false, func(c fisco3.Counters) bool { return c.Malformed > 0 }},
		{local3.ShortMessages, false, true, false, func(c fisco3.Counters) bool { return c.Malformed > 0 }},
		{local3.UnknownType, true, true, false, func(c fisco3.Counters) bool { return c.UnknownTypes > 0 }},
		{local3.TextFrames, false, false, false, func(c fisco3.Counters) bool { return c.Malformed > 0 }},
		{local3.UnknownSeq, false, true, false, func(c fisco3.Counters) bool { return c.Unmatched > 0 }},
		{local3.DuplicateReplies, false, true, false, func(c fisco3.Counters) bool { return c.Unmatched > 0 }},
		{local3.Notifies, false, true, false, func(c fisco3.Counters) bool { return c.Notifications > 0 && c.Malformed == 0 }},
		{local3.BadRequestBody, true, false, false, func(c fisco3.Counters) bool { return c.Malformed > 0 }},
		{local3.Silence, false, false, true, func(fisco3.Counters) bool { return true }},
		{local3.Oversize, false, false, true, func(c fisco3.Counters) bool { return c.Oversize == 1 }},
	}
	for _, tc := range cases {
		name := tc.kind.String()
		if tc.toSubscriber {
			name += "/to-subscriber"
		}
		t.Run(name, func(t *testing.T) {
			n := network(t, local3.Options{})
			sub := client(t, n, func(c *fisco3.Config) { c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyEcho} }, 1)
			sub.Join("t")
			pub := client(t, n, nil, 0)
			pub.Join("victim-pub")
			sub.Join("victim-sub")
			waitSubs(t, n, "t", 1)
			waitSubs(t, n, "victim-pub", 1)
			waitSubs(t, n, "victim-sub", 1)
			victim, node, topic := pub, 0, "victim-pub"
			if tc.toSubscriber {
				victim, node, topic = sub, 1, "victim-sub"
			}
			if k, err := n.Hostile(node, topic, local3.Behaviour{Kind: tc.kind}); err != nil || k != 1 {
				t.Fatalf("hostile: %d sessions, %v", k, err)
			}
			drain(victim)
			start := time.Now()
			ctx, cancel := ctxFor(800 * time.Millisecond)
			reply, err := pub.Unicast(ctx, "t", []byte("hello"))
			cancel()
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("the send took %s past an 800 ms deadline", d)
			}
			if tc.works && (err != nil || string(reply) != "hello") {
				t.Fatalf("unicast: %q %v", reply, err)
			}
			if !tc.works && err == nil {
				t.Fatalf("unicast succeeded: %q", reply)
			}
			waitFor(t, wait, "the damage to be counted", func() bool { return tc.counted(victim.Counters()) })
			if s := sub.Stats(); tc.toSubscriber && tc.kind != local3.UnknownType && s.Received != 0 {
				t.Fatalf("a broken push reached Events: %+v", s)
			}
			if tc.reconnects {
				nextEvent(t, victim, wait, func(e *amop.StateEvent) bool { return e.Status.State == amop.StateConnected })
			} else {
				n.Hostile(node, topic, local3.Behaviour{Kind: local3.Honest})
			}
			waitSubs(t, n, "t", 1)
			ctx, cancel = ctxFor(wait)
			defer cancel()
			if reply, err := pub.Unicast(ctx, "t", []byte("again")); err != nil || string(reply) != "again" {
				t.Fatalf("after: %q %v", reply, err)
			}
		})
	}
}

// TestLateRepliesBecomeEvents: answers held back past the deadline arrive
// as LateReplyEvents naming the failed send.
func TestLateRepliesBecomeEvents(t *testing.T) {
	n := network(t, local3.Options{})
	sub := client(t, n, func(c *fisco3.Config) { c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyEcho} }, 1)
	sub.Join("t")
	pub := client(t, n, nil, 0)
	pub.Join("victim")
	waitSubs(t, n, "victim", 1)
	waitSubs(t, n, "t", 1)
	n.Hostile(0, "victim", local3.Behaviour{Kind: local3.LateReplies, Delay: 600 * time.Millisecond})
	ctx, cancel := ctxFor(200 * time.Millisecond)
	defer cancel()
	_, err := pub.Unicast(ctx, "t", []byte("slowly"))
	var te *amop.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("got %v", err)
	}
	late := nextEvent(t, pub, wait, func(*amop.LateReplyEvent) bool { return true })
	if late.ID != te.ID || string(late.Reply) != "slowly" {
		t.Fatalf("late %+v", late)
	}
	if pub.Stats().Late != 1 {
		t.Fatalf("stats %+v", pub.Stats())
	}
}

// TestFloodIsBounded: a multicast flood into a client whose Events nobody
// reads: every message is received or counted as dropped, and memory and
// goroutines stay bounded.
func TestFloodIsBounded(t *testing.T) {
	n := network(t, local3.Options{})
	sub := client(t, n, func(c *fisco3.Config) { c.EventBuffer = 64 }, 1)
	sub.Join("flood")
	waitSubs(t, n, "flood", 1)
	pub := client(t, n, nil, 0)
	goroutines := runtime.NumGoroutine()
	payload := make([]byte, 1024)
	const total = 5000
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	for i := 0; i < total; i++ {
		if err := pub.Multicast(ctx, "flood", payload); err != nil {
			t.Fatalf("multicast %d: %v", i, err)
		}
	}
	waitFor(t, 30*time.Second, "every message to be received or dropped", func() bool {
		s := sub.Stats()
		return s.Received+s.Dropped == total
	})
	if g := runtime.NumGoroutine(); g > goroutines+10 {
		t.Fatalf("goroutines grew from %d to %d", goroutines, g)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > 256<<20 {
		t.Fatalf("heap in use %d MiB", ms.HeapInuse>>20)
	}
	if s := sub.Stats(); s.Received > 64 || s.Dropped < total-64 {
		t.Fatalf("stats %+v", s)
	}
	nextEvent(t, sub, wait, func(e *amop.DropEvent) bool { return e.Total > 0 })
}
