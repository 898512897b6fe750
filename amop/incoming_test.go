package amop_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// TestIncomingPayloadsAreCapped is issue 11 F8 through the real adapter:
// pushes and answers over Config.MaxIncoming are dropped and counted as
// oversize (a unicast request is refused at once with 103, an answer to our
// send fails it), and what comes after still arrives. The guard used to take
// any frame up to 100 MiB and hand it to go-sdk.
func TestIncomingPayloadsAreCapped(t *testing.T) {
	const limit = 256 << 10
	n := local.RunT(t, local.Options{})
	sub := client(t, n, func(c *amop.Config) {
		c.MaxIncoming = limit
		c.AutoReply = amop.ParseReplyPolicy("echo")
	}, n.Addr(1))
	pub := client(t, n, func(c *amop.Config) { c.MaxIncoming = limit }, n.Addr(0))
	// A subscriber without the cap answers with more than pub accepts.
	big := client(t, n, func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy(string(bytes.Repeat([]byte("r"), limit+1))) }, n.Addr(1))
	for _, j := range []struct {
		a     *amop.SDK
		topic string
	}{{sub, "capped"}, {big, "big-answers"}} {
		if err := j.a.Join(j.topic); err != nil {
			t.Fatal(err)
		}
		waitSubs(t, n, j.topic, 1)
	}
	ctx, cancel := ctxFor(10 * time.Second)
	defer cancel()

	// A multicast over the limit is dropped; the next one arrives.
	if err := pub.Multicast(ctx, "capped", make([]byte, limit+1)); err != nil {
		t.Fatal(err)
	}
	if err := pub.Multicast(ctx, "capped", []byte("small")); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, sub, 10*time.Second); string(m.Data) != "small" {
		t.Fatalf("got %d bytes, want the small message", len(m.Data))
	}
	// Exactly the limit is fine.
	if err := pub.Multicast(ctx, "capped", make([]byte, limit)); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, sub, 10*time.Second); len(m.Data) != limit {
		t.Fatalf("got %d bytes, want %d", len(m.Data), limit)
	}
	// A unicast over the subscriber's limit is refused at once.
	start := time.Now()
	_, err := pub.Unicast(ctx, "capped", make([]byte, 2*limit))
	var ce *amop.CodeError
	if !errors.As(err, &ce) || ce.Code != 103 || time.Since(start) > 3*time.Second {
		t.Fatalf("oversize unicast: %v after %v, want AMOP 103 at once", err, time.Since(start))
	}
	// The sender cannot tell this 103 from a node's: the text names both.
	if !strings.Contains(err.Error(), "larger than the receiving client accepts (its max_incoming)") ||
		!strings.Contains(err.Error(), "bandwidth limit") {
		t.Fatalf("oversize unicast's text: %q", err)
	}
	// An answer over the publisher's limit fails the send.
	if _, err := pub.Unicast(ctx, "big-answers", []byte("q")); !errors.Is(err, amop.ErrReplyTooLarge) {
		t.Fatalf("oversize answer: %v, want ErrReplyTooLarge", err)
	}
	eventuallyStats(t, sub, 5*time.Second, "sub oversize", func(s amop.Stats) bool { return s.Oversize == 2 })
	eventuallyStats(t, pub, 5*time.Second, "pub oversize", func(s amop.Stats) bool { return s.Oversize == 1 })
	waitEvent(t, sub, 5*time.Second, "a CounterEvent with the oversize count", func(ev amop.Event) bool {
		c, ok := ev.(*amop.CounterEvent)
		return ok && c.Oversize == 2
	})
}

// TestPushesOnTopicsNeverJoinedAreCounted: a node that pushes on a topic
// this client never subscribed to is counted (NotJoined) and kept from
// go-sdk; a unicast push is refused at once. Such pushes used to be answered
// by go-sdk with an empty success and counted nowhere.
func TestPushesOnTopicsNeverJoinedAreCounted(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	a := client(t, n, nil, n.Addr(0))
	if err := a.Join("joined"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "joined", 1)
	frames := [][]byte{
		topicFrame(t, wire.TypeMulticast, "never", "m"),
		topicFrame(t, wire.TypeAMOPRequest, "never", "u"),
		topicFrame(t, wire.TypeMulticast, "joined", "ok"),
	}
	if _, err := n.Inject(0, "joined", frames); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, a, 10*time.Second); m.Topic != "joined" || string(m.Data) != "ok" {
		t.Fatalf("got %q on %q", m.Data, m.Topic)
	}
	eventuallyStats(t, a, 5*time.Second, "not-joined count", func(s amop.Stats) bool { return s.NotJoined == 2 })
	waitEvent(t, a, 5*time.Second, "a CounterEvent with the not-joined count", func(ev amop.Event) bool {
		c, ok := ev.(*amop.CounterEvent)
		return ok && c.NotJoined == 2
	})
}
