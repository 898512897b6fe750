package fisco3_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/fisco3"
	"github.com/amoptui/amoptui/amop/local3"
)

func TestConnectsAndDescribesTheNode(t *testing.T) {
	n := network(t, local3.Options{})
	c := client(t, n, nil, 0)
	st := c.Status()
	node := st.Node
	if st.State != amop.StateConnected || node.Line != amop.Line3 || node.Version != "3.16.4" || node.Chain != "chain0" ||
		node.Group != "group0" || !node.Ideal() || node.SM {
		t.Fatalf("status %+v", st)
	}
}

func TestUnicastAndMulticast(t *testing.T) {
	n := network(t, local3.Options{})
	sub := client(t, n, func(c *fisco3.Config) { c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyText, Text: "pong"} }, 1)
	if err := sub.Join("hello"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "hello", 1)
	pub := client(t, n, nil, 0)
	ctx, cancel := ctxFor(wait)
	defer cancel()
	reply, err := pub.Unicast(ctx, "hello", []byte("ping"))
	if err != nil || string(reply) != "pong" {
		t.Fatalf("unicast: %q, %v", reply, err)
	}
	m := nextMessage(t, sub, wait)
	if m.Topic != "hello" || string(m.Data) != "ping" || m.Mode != amop.Unicast || !m.Replied || string(m.Reply) != "pong" {
		t.Fatalf("message %+v", m)
	}
	if err := pub.Multicast(ctx, "hello", []byte("all")); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, sub, wait); m.Mode != amop.Multicast || string(m.Data) != "all" {
		t.Fatalf("multicast %+v", m)
	}
	if s := pub.Stats(); s.Sent != 2 || s.Failed != 0 {
		t.Fatalf("publisher stats %+v", s)
	}
	if s := sub.Stats(); s.Received != 2 || s.Replied != 1 {
		t.Fatalf("subscriber stats %+v", s)
	}
}

func TestErrors(t *testing.T) {
	n := network(t, local3.Options{})
	c := client(t, n, nil, 0)
	ctx, cancel := ctxFor(wait)
	defer cancel()
	_, err := c.Unicast(ctx, "nobody", []byte("x"))
	var ce *amop.CodeError
	if !errors.As(err, &ce) || ce.Code != amop.CodeNoPeer3 || !strings.Contains(err.Error(), "nobody is subscribed") {
		t.Fatalf("no subscriber: %v", err)
	}
	if amop.ShortError(err) != "no subscriber (AMOP 3001)" {
		t.Fatalf("short: %q", amop.ShortError(err))
	}
	var te *amop.TopicError
	if _, err := c.Unicast(ctx, "", nil); !errors.As(err, &te) {
		t.Fatalf("empty topic: %v", err)
	}
	if err := c.Join("a\x1bb"); !errors.As(err, &te) {
		t.Fatalf("control characters: %v", err)
	}
	if err := c.Multicast(ctx, "t", make([]byte, 33<<20)); !errors.Is(err, amop.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if err := c.JoinPrivate("p", nil); !errors.Is(err, amop.ErrNoPrivateTopics) {
		t.Fatalf("private: %v", err)
	}
	if _, err := c.UnicastPrivate(ctx, "p", nil); !errors.Is(err, amop.ErrNoPrivateTopics) {
		t.Fatalf("private unicast: %v", err)
	}
	if err := c.Leave("never"); err == nil {
		t.Fatal("left a topic never joined")
	}
}

// TestDeadlineAndLateReply: a subscriber slower than the send's deadline
// makes the send fail with a TimeoutError by its deadline; the answer, when
// it comes, arrives as a LateReplyEvent with the same ID.
func TestDeadlineAndLateReply(t *testing.T) {
	n := network(t, local3.Options{})
	sub := client(t, n, func(c *fisco3.Config) {
		c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyFunc, Responder: slow{700 * time.Millisecond}}
	}, 1)
	sub.Join("slow")
	waitSubs(t, n, "slow", 1)
	pub := client(t, n, nil, 0)
	ctx, cancel := ctxFor(200 * time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := pub.Unicast(ctx, "slow", []byte("x"))
	var te *amop.TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, amop.ErrTimeout) || te.ID == 0 {
		t.Fatalf("slow subscriber: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the deadline was 200 ms, the send took %s", d)
	}
	late := nextEvent(t, pub, wait, func(*amop.LateReplyEvent) bool { return true })
	if late.ID != te.ID || string(late.Reply) != "late" || late.After < 500*time.Millisecond {
		t.Fatalf("late %+v", late)
	}
}

type slow struct{ d time.Duration }

func (s slow) Respond(amop.Request) ([]byte, error) { time.Sleep(s.d); return []byte("late"), nil }
func (s slow) String() string                       { return "slow" }

// TestReconnectAcrossRestarts: the client follows its node through restarts,
// sends the topic list again each time, and keeps receiving.
func TestReconnectAcrossRestarts(t *testing.T) {
	n := network(t, local3.Options{})
	sub := client(t, n, func(c *fisco3.Config) { c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyEcho} }, 1)
	sub.Join("a")
	sub.Join("b")
	waitSubs(t, n, "b", 1)
	pub := client(t, n, nil, 0)
	for i := 0; i < 3; i++ {
		drain(sub)
		n.StopNode(1)
		nextEvent(t, sub, wait, func(e *amop.StateEvent) bool { return e.Status.State != amop.StateConnected })
		if err := n.StartNode(1); err != nil {
			t.Fatal(err)
		}
		st := nextEvent(t, sub, wait, func(e *amop.StateEvent) bool { return e.Status.State == amop.StateConnected })
		if st.Status.Resubscribed != 2 {
			t.Fatalf("resubscribed %d", st.Status.Resubscribed)
		}
		waitSubs(t, n, "b", 1)
		ctx, cancel := ctxFor(wait)
		msg := fmt.Sprintf("after restart %d", i)
		reply, err := pub.Unicast(ctx, "b", []byte(msg))
		cancel()
		if err != nil || string(reply) != msg {
			t.Fatalf("restart %d: %q %v", i, reply, err)
		}
	}
	if s := sub.Stats(); s.Reconnects != 3 {
		t.Fatalf("reconnects %d", s.Reconnects)
	}
}

// TestFailoverToTheNextEndpoint: a dead first endpoint is failed over, and
// its failure is worded as the 2.x guard words it — the system's reason
// alone, since the status names the endpoint. (Worded "connect to A: dial
// tcp A: …", the cause read as B's once the status moved on to B.)
func TestFailoverToTheNextEndpoint(t *testing.T) {
	n := network(t, local3.Options{Nodes: 2})
	n.StopNode(0)
	c := client(t, n, nil, 0, 1)
	if ep := c.Status().Endpoint; ep != n.Addr(1) {
		t.Fatalf("connected to %s", ep)
	}
	var causes []string
	for {
		select {
		case ev := <-c.Events():
			if st, ok := ev.(*amop.StateEvent); ok && st.Status.LastErr != "" {
				causes = append(causes, st.Status.LastErr)
			}
			continue
		default:
		}
		break
	}
	if len(causes) == 0 {
		t.Fatal("no failed attempt was reported")
	}
	// The system's reason alone: "connection refused" as a rule, but a
	// port freed a moment ago can answer "connection reset by peer" on a
	// loaded machine (seen once in CI). What must not be there is an
	// address, which the status names already.
	for _, c := range causes {
		if strings.Contains(c, n.Addr(0)) || strings.Contains(c, "connect to") || strings.Contains(c, "dial tcp") {
			t.Errorf("the dead endpoint's failure reads %q: want the system's reason alone", c)
		}
	}
}

// TestFrozenNode: a node that stops answering (pings included) is given up
// within HeartbeatTimeout and the next endpoint is used.
func TestFrozenNode(t *testing.T) {
	n := network(t, local3.Options{})
	c := client(t, n, nil, 0, 1)
	drain(c)
	n.Freeze(0)
	nextEvent(t, c, wait, func(e *amop.StateEvent) bool { return e.Status.State == amop.StateReconnecting })
	nextEvent(t, c, wait, func(e *amop.StateEvent) bool {
		return e.Status.State == amop.StateConnected && e.Status.Endpoint == n.Addr(1)
	})
	n.Thaw(0)
}

// TestUnicastInFlightWhenNodeDies: a send waiting for its answer when the
// session ends fails at once with ErrConnectionLost.
func TestUnicastInFlightWhenNodeDies(t *testing.T) {
	n := network(t, local3.Options{})
	sub := client(t, n, func(c *fisco3.Config) {
		c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyFunc, Responder: slow{2 * time.Second}}
	}, 1)
	sub.Join("t")
	waitSubs(t, n, "t", 1)
	pub := client(t, n, nil, 0)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := ctxFor(wait)
		defer cancel()
		_, err := pub.Unicast(ctx, "t", []byte("x"))
		done <- err
	}()
	waitFor(t, wait, "the push", func() bool { return n.Stats().Pushes == 1 })
	n.StopNode(0)
	select {
	case err := <-done:
		if !errors.Is(err, amop.ErrConnectionLost) {
			t.Fatalf("got %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the send outlived its session")
	}
}

// TestLeftTopicOnFaithfulNode: a v3.16.4 node keeps a topic the client left;
// its requests are answered with 3002 and why, at once, and never reach
// Events.
func TestLeftTopicOnFaithfulNode(t *testing.T) {
	n := network(t, local3.Options{Like: local3.Like3164, TopicSync: 50 * time.Millisecond})
	sub := client(t, n, nil, 1)
	sub.Join("t")
	waitSubs(t, n, "t", 1)
	sub.Leave("t")
	pub := client(t, n, nil, 0)
	ctx, cancel := ctxFor(wait)
	defer cancel()
	_, err := pub.Unicast(ctx, "t", []byte("x"))
	var ce *amop.CodeError
	if !errors.As(err, &ce) || ce.Code != amop.CodeNoClient3 {
		t.Fatalf("left topic: %v", err)
	}
	if sub.Counters().NotJoined != 1 || sub.Stats().Received != 0 {
		t.Fatalf("subscriber %+v %+v", sub.Counters(), sub.Stats())
	}
}

// TestFaithfulFallbackToSelf: a v3.16.4 node whose remote subscriber
// times out hands the sender's own message, on the sender's own seq, to a
// session of its own node — here the sender itself. The client takes it as
// the request it is, answers it, and its answer comes back as the reply.
func TestFaithfulFallbackToSelf(t *testing.T) {
	n := network(t, local3.Options{Like: local3.Like3164, ReplyTimeout: 300 * time.Millisecond, TopicSync: 50 * time.Millisecond})
	silent := client(t, n, func(c *fisco3.Config) {
		c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyFunc, Responder: slow{time.Second}}
	}, 1)
	silent.Join("t")
	self := client(t, n, func(c *fisco3.Config) { c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyText, Text: "me"} }, 0)
	self.Join("t")
	waitSubs(t, n, "t", 2)
	ctx, cancel := ctxFor(wait)
	defer cancel()
	reply, err := self.Unicast(ctx, "t", []byte("x"))
	if err != nil || string(reply) != "me" || n.Stats().Fallbacks != 1 {
		t.Fatalf("reply %q, %v, fallbacks %d", reply, err, n.Stats().Fallbacks)
	}
	if m := nextMessage(t, self, wait); string(m.Data) != "x" || string(m.Reply) != "me" {
		t.Fatalf("own request %+v", m)
	}
}

func TestMalformedNeverReachesEvents(t *testing.T) {
	n := network(t, local3.Options{})
	c := client(t, n, nil, 0)
	c.Join("t")
	waitSubs(t, n, "t", 1)
	n.Inject(0, "t", [][]byte{{1, 2, 3}, {0, 0, 1, 0x11, 0, 0, 0, 40, 'x', 'y'}, bytes.Repeat([]byte{0xff}, 64)})
	waitFor(t, wait, "the malformed messages to be counted", func() bool { return c.Counters().Malformed == 3 })
	if s := c.Stats(); s.Received != 0 || s.Malformed != 3 {
		t.Fatalf("stats %+v", s)
	}
	nextEvent(t, c, wait, func(e *amop.CounterEvent) bool { return e.Malformed == 3 })
	if c.Status().State != amop.StateConnected {
		t.Fatal("a malformed message ended the session")
	}
}

// TestMaxIncoming: a message over the client's incoming limit is read
// through unkept: a request is refused at once, a reply fails its send.
func TestMaxIncoming(t *testing.T) {
	n := network(t, local3.Options{})
	sub := client(t, n, func(c *fisco3.Config) {
		c.MaxIncoming = 64 << 10
		c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyEcho}
	}, 1)
	sub.Join("big")
	waitSubs(t, n, "big", 1)
	pub := client(t, n, func(c *fisco3.Config) { c.MaxIncoming = 64 << 10 }, 0)
	ctx, cancel := ctxFor(wait)
	defer cancel()
	_, err := pub.Unicast(ctx, "big", make([]byte, 1<<20))
	var ce *amop.CodeError
	if !errors.As(err, &ce) || ce.Code != amop.CodeTooLarge3 {
		t.Fatalf("big request: %v", err)
	}
	if s := sub.Stats(); s.Oversize != 1 || s.Received != 0 || sub.Status().State != amop.StateConnected {
		t.Fatalf("subscriber %+v", s)
	}
	// A request under the subscriber's limit whose echo is over the
	// publisher's.
	big := client(t, n, func(c *fisco3.Config) {
		c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyText, Text: strings.Repeat("x", 128<<10)}
	}, 1)
	sub.Leave("big")
	big.Join("echo")
	waitSubs(t, n, "echo", 1)
	if _, err := pub.Unicast(ctx, "echo", []byte("small")); !errors.Is(err, amop.ErrReplyTooLarge) {
		t.Fatalf("big reply: %v", err)
	}
	if pub.Stats().Oversize != 1 {
		t.Fatalf("publisher %+v", pub.Stats())
	}
}
