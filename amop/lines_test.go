package amop_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/fisco3"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
)

// The adapter suite, run against both lines: the go-sdk adapter on a local
// 2.x network and the pure-Go 3.x client on a local 3.x network. Each case
// is written once against amop.Client; only the harness (lineCase) knows
// which line it is on.

// lineNet is what both local networks offer a test.
type lineNet interface {
	Addr(i int) string
	CertDir() string
	StopNode(i int) error
	StartNode(i int) error
	Freeze(i int) error
	Thaw(i int) error
	WaitSubscribers(ctx context.Context, topic string, want int) error
}

// lineClient is an amop.Client that can wait for its first session.
type lineClient interface {
	amop.Client
	WaitReady(ctx context.Context) error
}

type lineCase struct {
	name string
	// start runs a network of nodes nodes.
	start func(t *testing.T, nodes int) lineNet
	// dial makes a client of the network's nodes.
	dial func(n lineNet, mod func(*amop.Config), nodes ...int) (lineClient, error)
	// noSubscriber is the code a unicast to a topic nobody joined gets.
	noSubscriber int
	// hostile makes node misbehave toward the sessions on topic; kind is
	// one of the names both networks share.
	hostile func(n lineNet, node int, topic, kind string, delay time.Duration) error
}

var lines = []lineCase{
	{
		name:  "2.x",
		start: func(t *testing.T, nodes int) lineNet { return local.RunT(t, local.Options{Nodes: nodes}) },
		dial: func(n lineNet, mod func(*amop.Config), nodes ...int) (lineClient, error) {
			cfg := lineConfig(n, nodes)
			if mod != nil {
				mod(&cfg)
			}
			return amop.New(cfg)
		},
		noSubscriber: amop.CodeNoSubscriber,
		hostile: func(n lineNet, node int, topic, kind string, delay time.Duration) error {
			kinds := map[string]local.HostileKind{"honest": local.Honest, "unknown-type": local.UnknownType,
				"duplicate-replies": local.DuplicateReplies, "late-replies": local.LateReplies, "silence": local.Silence}
			_, err := n.(*local.Network).Hostile(node, topic, local.Behaviour{Kind: kinds[kind], Delay: delay})
			return err
		},
	},
	{
		name: "3.x",
		start: func(t *testing.T, nodes int) lineNet {
			return local3.RunT(t, local3.Options{Nodes: nodes, CertDir: certs3(t)})
		},
		dial: func(n lineNet, mod func(*amop.Config), nodes ...int) (lineClient, error) {
			cfg := lineConfig(n, nodes)
			if mod != nil {
				mod(&cfg)
			}
			return fisco3.New(fisco3.Config{Config: cfg})
		},
		noSubscriber: amop.CodeNoPeer3,
		hostile: func(n lineNet, node int, topic, kind string, delay time.Duration) error {
			kinds := map[string]local3.HostileKind{"honest": local3.Honest, "unknown-type": local3.UnknownType,
				"duplicate-replies": local3.DuplicateReplies, "late-replies": local3.LateReplies, "silence": local3.Silence}
			_, err := n.(*local3.Network).Hostile(node, topic, local3.Behaviour{Kind: kinds[kind], Delay: delay})
			return err
		},
	},
}

// certs3 is a fresh 3.x certificate directory for the test; the network
// generates its RSA keys there.
func certs3(t *testing.T) string { return t.TempDir() }

func lineConfig(n lineNet, nodes []int) amop.Config {
	var eps []string
	for _, i := range nodes {
		eps = append(eps, n.Addr(i))
	}
	return certConfig(n.CertDir(), eps...)
}

// forLines runs f once per line.
func forLines(t *testing.T, f func(t *testing.T, l lineCase)) {
	for _, l := range lines {
		t.Run(l.name, func(t *testing.T) { f(t, l) })
	}
}

func (l lineCase) client(t *testing.T, n lineNet, mod func(*amop.Config), nodes ...int) lineClient {
	t.Helper()
	c, err := l.dial(n, mod, nodes...)
	if err != nil {
		t.Fatalf("%s client: %v", l.name, err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := ctxFor(10 * time.Second)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return c
}

func waitLineSubs(t *testing.T, n lineNet, topic string, want int) {
	t.Helper()
	ctx, cancel := ctxFor(10 * time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, topic, want); err != nil {
		t.Fatal(err)
	}
}

func nextLineMessage(t *testing.T, c amop.Client, d time.Duration) *amop.MessageEvent {
	t.Helper()
	return nextOf(t, c, d, func(*amop.MessageEvent) bool { return true })
}

// nextOf returns the next event of type T that match accepts.
func nextOf[T amop.Event](t *testing.T, c amop.Client, d time.Duration, match func(T) bool) T {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if e, ok := ev.(T); ok && match(e) {
				return e
			}
		case <-timer.C:
			var zero T
			t.Fatalf("no %T within %s", zero, d)
		}
	}
}

func drainEvents(c amop.Client) {
	for {
		select {
		case <-c.Events():
		default:
			return
		}
	}
}

func TestLinesJoinLeave(t *testing.T) {
	forLines(t, func(t *testing.T, l lineCase) {
		n := l.start(t, 2)
		sub := l.client(t, n, func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy("here") }, 1)
		pub := l.client(t, n, nil, 0)
		sub.Join("a")
		sub.Join("b")
		sub.Join("a")
		if got := sub.Topics(); !slices.Equal(got, []string{"a", "b"}) {
			t.Fatalf("topics %q", got)
		}
		waitLineSubs(t, n, "a", 1)
		ctx, cancel := ctxFor(10 * time.Second)
		defer cancel()
		if r, err := pub.Unicast(ctx, "a", []byte("x")); err != nil || string(r) != "here" {
			t.Fatalf("joined: %q %v", r, err)
		}
		if err := sub.Leave("a"); err != nil {
			t.Fatal(err)
		}
		if got := sub.Topics(); !slices.Equal(got, []string{"b"}) {
			t.Fatalf("topics after leave %q", got)
		}
		// The ideal networks apply a leave at once.
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err := pub.Unicast(ctx, "a", []byte("x"))
			var ce *amop.CodeError
			if errors.As(err, &ce) && ce.Code == l.noSubscriber {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after leave: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestLinesUnicastWithReply(t *testing.T) {
	forLines(t, func(t *testing.T, l lineCase) {
		n := l.start(t, 2)
		sub := l.client(t, n, func(c *amop.Config) { c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyEcho} }, 1)
		pub := l.client(t, n, nil, 0)
		sub.Join("echo")
		waitLineSubs(t, n, "echo", 1)
		ctx, cancel := ctxFor(10 * time.Second)
		defer cancel()
		for i := 0; i < 20; i++ {
			msg := fmt.Sprintf("hello %d", i)
			r, err := pub.Unicast(ctx, "echo", []byte(msg))
			if err != nil || string(r) != msg {
				t.Fatalf("%d: %q %v", i, r, err)
			}
			m := nextLineMessage(t, sub, 5*time.Second)
			if m.Topic != "echo" || string(m.Data) != msg || m.Mode != amop.Unicast || string(m.Reply) != msg || m.At.IsZero() {
				t.Fatalf("message %+v", m)
			}
		}
	})
}

func TestLinesMulticastToSubscribersOnDifferentNodes(t *testing.T) {
	forLines(t, func(t *testing.T, l lineCase) {
		n := l.start(t, 3)
		subs := []lineClient{l.client(t, n, nil, 1), l.client(t, n, nil, 2), l.client(t, n, nil, 2)}
		for _, s := range subs {
			s.Join("all")
		}
		waitLineSubs(t, n, "all", len(subs))
		pub := l.client(t, n, nil, 0)
		ctx, cancel := ctxFor(10 * time.Second)
		defer cancel()
		const count = 50
		for i := 0; i < count; i++ {
			if err := pub.Multicast(ctx, "all", []byte(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		for k, s := range subs {
			for i := 0; i < count; i++ {
				m := nextLineMessage(t, s, 10*time.Second)
				if m.Mode != amop.Multicast || string(m.Data) != fmt.Sprint(i) {
					t.Fatalf("subscriber %d, message %d: %+v", k, i, m)
				}
			}
		}
	})
}

func TestLinesErrors(t *testing.T) {
	forLines(t, func(t *testing.T, l lineCase) {
		n := l.start(t, 1)
		c := l.client(t, n, nil, 0)
		ctx, cancel := ctxFor(10 * time.Second)
		defer cancel()
		_, err := c.Unicast(ctx, "nobody", []byte("x"))
		var ce *amop.CodeError
		if !errors.As(err, &ce) || ce.Code != l.noSubscriber {
			t.Fatalf("no subscriber: %v", err)
		}
		var te *amop.TopicError
		if err := c.Multicast(ctx, "_block_notify_1", nil); !errors.As(err, &te) {
			t.Fatalf("reserved topic: %v", err)
		}
		c.Close()
		if _, err := c.Unicast(ctx, "t", nil); !errors.Is(err, amop.ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
		if c.Status().State != amop.StateDown {
			t.Fatalf("state after Close: %s", c.Status().State)
		}
	})
}

// TestLinesDeadline: a subscriber whose node hangs costs the sender its own
// deadline, not the node's.
func TestLinesDeadline(t *testing.T) {
	forLines(t, func(t *testing.T, l lineCase) {
		n := l.start(t, 2)
		sub := l.client(t, n, nil, 1)
		sub.Join("hang")
		waitLineSubs(t, n, "hang", 1)
		pub := l.client(t, n, nil, 0)
		n.Freeze(1)
		defer n.Thaw(1)
		ctx, cancel := ctxFor(500 * time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := pub.Unicast(ctx, "hang", []byte("x"))
		if !errors.Is(err, amop.ErrTimeout) {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("a 500 ms send took %s", d)
		}
	})
}

func TestLinesReconnectAcrossNodeRestarts(t *testing.T) {
	forLines(t, func(t *testing.T, l lineCase) {
		n := l.start(t, 2)
		sub := l.client(t, n, func(c *amop.Config) { c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyEcho} }, 1)
		sub.Join("r")
		pub := l.client(t, n, nil, 0)
		for i := 0; i < 2; i++ {
			drainEvents(sub)
			n.StopNode(1)
			nextOf(t, sub, 10*time.Second, func(e *amop.StateEvent) bool { return e.Status.State != amop.StateConnected })
			if err := n.StartNode(1); err != nil {
				t.Fatal(err)
			}
			st := nextOf(t, sub, 10*time.Second, func(e *amop.StateEvent) bool { return e.Status.State == amop.StateConnected })
			if st.Status.Resubscribed != 1 {
				t.Fatalf("resubscribed %d", st.Status.Resubscribed)
			}
			waitLineSubs(t, n, "r", 1)
			ctx, cancel := ctxFor(10 * time.Second)
			r, err := pub.Unicast(ctx, "r", []byte("back"))
			cancel()
			if err != nil || string(r) != "back" {
				t.Fatalf("restart %d: %q %v", i, r, err)
			}
		}
	})
}

func TestLinesFloodIsCounted(t *testing.T) {
	forLines(t, func(t *testing.T, l lineCase) {
		n := l.start(t, 2)
		sub := l.client(t, n, func(c *amop.Config) { c.EventBuffer = 32 }, 1)
		sub.Join("flood")
		waitLineSubs(t, n, "flood", 1)
		pub := l.client(t, n, nil, 0)
		ctx, cancel := ctxFor(30 * time.Second)
		defer cancel()
		const total = 2000
		for i := 0; i < total; i++ {
			if err := pub.Multicast(ctx, "flood", []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			s := sub.Stats()
			if s.Received+s.Dropped == total {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("stats %+v", s)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestLinesHostileNode: a node that adds unknown messages and duplicates
// its answers, or holds them back, or goes silent, toward the publisher.
func TestLinesHostileNode(t *testing.T) {
	forLines(t, func(t *testing.T, l lineCase) {
		n := l.start(t, 2)
		sub := l.client(t, n, func(c *amop.Config) { c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyEcho} }, 1)
		sub.Join("t")
		pub := l.client(t, n, nil, 0)
		pub.Join("victim")
		waitLineSubs(t, n, "t", 1)
		waitLineSubs(t, n, "victim", 1)
		send := func(d time.Duration) ([]byte, error) {
			ctx, cancel := ctxFor(d)
			defer cancel()
			return pub.Unicast(ctx, "t", []byte("x"))
		}
		for _, kind := range []string{"unknown-type", "duplicate-replies"} {
			if err := l.hostile(n, 0, "victim", kind, 0); err != nil {
				t.Fatal(err)
			}
			before := pub.Stats().Malformed
			if r, err := send(5 * time.Second); err != nil || string(r) != "x" {
				t.Fatalf("%s: %q %v", kind, r, err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for pub.Stats().Malformed == before {
				if time.Now().After(deadline) {
					t.Fatalf("%s: nothing counted", kind)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		l.hostile(n, 0, "victim", "late-replies", time.Second)
		drainEvents(pub)
		_, err := send(300 * time.Millisecond)
		var te *amop.TimeoutError
		if !errors.As(err, &te) {
			t.Fatalf("late: %v", err)
		}
		late := nextOf(t, pub, 10*time.Second, func(e *amop.LateReplyEvent) bool { return e.ID == te.ID })
		if string(late.Reply) != "x" {
			t.Fatalf("late reply %+v", late)
		}
		l.hostile(n, 0, "victim", "silence", 0)
		nextOf(t, pub, 15*time.Second, func(e *amop.StateEvent) bool { return e.Status.State == amop.StateReconnecting })
		nextOf(t, pub, 15*time.Second, func(e *amop.StateEvent) bool { return e.Status.State == amop.StateConnected })
		if r, err := send(10 * time.Second); err != nil || string(r) != "x" {
			t.Fatalf("after silence: %q %v", r, err)
		}
	})
}
