package amop_test

import (
	"errors"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// nextLate returns the next LateReplyEvent within d, skipping other events.
func nextLate(t *testing.T, a *amop.SDK, d time.Duration) *amop.LateReplyEvent {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-a.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if l, ok := ev.(*amop.LateReplyEvent); ok {
				return l
			}
		case <-timer.C:
			t.Fatalf("no late reply within %s", d)
			return nil
		}
	}
}

// TestLateRepliesReachTheirSend: an answer that comes after the send gave
// up is not discarded. It arrives as a LateReplyEvent carrying the ID of
// the send's TimeoutError, whether it came before the guard's own deadline
// (go-sdk's call still waiting) or after it (the guard's ticket), for a
// unicast reply and for a multicast acknowledgement.
func TestLateRepliesReachTheirSend(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
		mode  amop.Mode
	}{
		// SendTimeout 1 s puts the guard's deadline at 3 s.
		{"before the guard's deadline", 2 * time.Second, amop.Unicast},
		{"after the guard's deadline", 4 * time.Second, amop.Unicast},
		{"multicast acknowledgement", 4 * time.Second, amop.Multicast},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := local.RunT(t, local.Options{PushTimeout: 10 * time.Second})
			sub := client(t, n, func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy("pong") }, n.Addr(1))
			pub := client(t, n, func(c *amop.Config) { c.SendTimeout = time.Second }, n.Addr(0))
			if err := sub.Join("svc"); err != nil {
				t.Fatal(err)
			}
			// A topic of the publisher's own marks its session for Hostile.
			if err := pub.Join("mark"); err != nil {
				t.Fatal(err)
			}
			waitSubs(t, n, "svc", 1)
			waitSubs(t, n, "mark", 1)
			if got, err := n.Hostile(0, "mark", local.Behaviour{Kind: local.LateReplies, Delay: tc.delay}); err != nil || got != 1 {
				t.Fatalf("Hostile = %d, %v", got, err)
			}
			ctx, cancel := ctxFor(time.Second)
			defer cancel()
			start := time.Now()
			var err error
			if tc.mode == amop.Unicast {
				_, err = pub.Unicast(ctx, "svc", []byte("ping"))
			} else {
				err = pub.Multicast(ctx, "svc", []byte("all"))
			}
			var te *amop.TimeoutError
			if !errors.As(err, &te) || te.ID == 0 || !errors.Is(err, amop.ErrTimeout) || te.Topic != "svc" {
				t.Fatalf("send = %v, want a *TimeoutError with an ID", err)
			}
			if waited := time.Since(start); waited > 2500*time.Millisecond {
				t.Fatalf("the send took %s: it must give up at its own deadline (1 s)", waited)
			}
			l := nextLate(t, pub, 15*time.Second)
			if l.ID != te.ID || l.Topic != "svc" || l.Mode != tc.mode || l.Err != nil {
				t.Fatalf("late event %+v for send %d", l, te.ID)
			}
			if tc.mode == amop.Unicast && string(l.Reply) != "pong" {
				t.Fatalf("late reply %q, want pong", l.Reply)
			}
			if l.After < tc.delay-500*time.Millisecond || l.After > tc.delay+10*time.Second {
				t.Fatalf("late by %s, the node held the answer %s", l.After, tc.delay)
			}
		})
	}
}

// TestNodeInfoSaysWhatKindOfNode: the ideal local network says so in its
// Build Type; every other node is a real chain, and 2.8–2.11 drop AMOP for
// a session on the sender's own node.
func TestNodeInfoSaysWhatKindOfNode(t *testing.T) {
	n := local.RunT(t, local.Options{})
	a := client(t, n, nil, n.Addr(0))
	if st := a.Status(); !st.Node.Ideal() || st.Node.LocalMode() != "ideal" || st.Node.DropsOwnNode() {
		t.Fatalf("the ideal local network reads as %+v (ideal %v, mode %q)", st.Node, st.Node.Ideal(), st.Node.LocalMode())
	}
	for _, tc := range []struct {
		info  amop.NodeInfo
		ideal bool
		mode  string
		drops bool
	}{
		{amop.NodeInfo{Version: "2.9.0", BuildType: "amoptui local network · ideal"}, true, "ideal", false},
		{amop.NodeInfo{Version: "2.9.1", BuildType: "amoptui local network · like 2.9.1"}, false, "like 2.9", true},
		{amop.NodeInfo{Version: "2.9.1", BuildType: "Linux/clang/Release"}, false, "", true},
		{amop.NodeInfo{Version: "2.11.0 gm", BuildType: "Linux/g++/RelWithDebInfo"}, false, "", true},
		{amop.NodeInfo{Version: "2.8.0"}, false, "", true},
		{amop.NodeInfo{Version: "2.7.2"}, false, "", false},
		{amop.NodeInfo{Version: "2.12.0"}, false, "", false},
		{amop.NodeInfo{Version: "3.6.0"}, false, "", false},
		{amop.NodeInfo{Version: "junk"}, false, "", false},
	} {
		if got := tc.info.Ideal(); got != tc.ideal {
			t.Errorf("%+v: Ideal %v", tc.info, got)
		}
		if got := tc.info.LocalMode(); got != tc.mode {
			t.Errorf("%+v: LocalMode %q, want %q", tc.info, got, tc.mode)
		}
		if got := tc.info.DropsOwnNode(); got != tc.drops {
			t.Errorf("%+v: DropsOwnNode %v", tc.info, got)
		}
	}
}
