package amop_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// timed runs a send under a deadline of d and fails the test when it
// returns more than the slack after it: every call must come back, with an
// answer or a typed error, by its deadline.
func timed(t *testing.T, what string, d time.Duration, call func(context.Context) error) error {
	t.Helper()
	const slack = 750 * time.Millisecond // a loaded 2-core machine under -race
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	err := call(ctx)
	if took := time.Since(start); took > d+slack {
		t.Errorf("%s returned after %v, past its %v deadline", what, took.Round(time.Millisecond), d)
	}
	return err
}

// eventuallyStats polls a's counters until ok holds, for up to d.
func eventuallyStats(t *testing.T, a *amop.SDK, d time.Duration, what string, ok func(amop.Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok(a.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: stats %+v", what, a.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHostileNode aims each misbehaviour of a broken or malicious node at one
// adapter's session (the victim, on node 0) while a peer on node 1 sends to
// it and it sends to the peer. go-sdk must never see a malformed frame (it
// would crash the test process or allocate gigabytes), the guard's counters
// must show what it dropped, every send must return by its deadline, and
// the victim must work normally afterwards.
func TestHostileNode(t *testing.T) {
	if testing.Short() {
		t.Skip("one local network per misbehaviour")
	}
	type expect struct {
		intact    bool // the traffic passes unchanged (the twist is in framing or extra frames)
		malformed bool // the guard counts dropped frames
		reconnect bool // the stream cannot continue: the guard reconnects
		late      bool // answers after the deadline: counted as late, not as faults
	}
	cases := []struct {
		b local.Behaviour
		expect
	}{
		{local.Behaviour{Kind: local.BadTopicLength}, expect{malformed: true}},
		{local.Behaviour{Kind: local.ShortLength}, expect{malformed: true, reconnect: true}},
		{local.Behaviour{Kind: local.HugeLength}, expect{malformed: true, reconnect: true}},
		{local.Behaviour{Kind: local.OneByteRecords}, expect{intact: true}},
		{local.Behaviour{Kind: local.Coalesce}, expect{intact: true}},
		{local.Behaviour{Kind: local.UnknownType}, expect{intact: true, malformed: true}},
		{local.Behaviour{Kind: local.UnknownSeq}, expect{intact: true, malformed: true}},
		{local.Behaviour{Kind: local.DuplicateReplies}, expect{intact: true, malformed: true}},
		{local.Behaviour{Kind: local.LateReplies, Delay: 3500 * time.Millisecond}, expect{late: true}},
		{local.Behaviour{Kind: local.Silence}, expect{reconnect: true}},
	}
	for _, tc := range cases {
		t.Run(tc.b.Kind.String(), func(t *testing.T) {
			n := local.RunT(t, local.Options{PushTimeout: time.Second})
			// SendTimeout 1 s puts the guard's own deadline at 3 s, so a
			// LateReplies answer (3.5 s) comes after both.
			victim := client(t, n, func(c *amop.Config) {
				c.AutoReply = amop.ParseReplyPolicy("v-pong")
				c.SendTimeout = time.Second
			}, n.Addr(0))
			peer := client(t, n, func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy("p-pong") }, n.Addr(1))
			if err := victim.Join("v"); err != nil {
				t.Fatal(err)
			}
			if err := peer.Join("p"); err != nil {
				t.Fatal(err)
			}
			waitSubs(t, n, "v", 1)
			waitSubs(t, n, "p", 1)
			if got, err := n.Hostile(0, "v", tc.b); err != nil || got != 1 {
				t.Fatalf("Hostile = %d, %v", got, err)
			}

			// Traffic both ways, each call under its deadline.
			for i := 0; i < 3; i++ {
				msg := fmt.Sprintf("m%d", i)
				if err := timed(t, "peer multicast", 3*time.Second, func(ctx context.Context) error {
					return peer.Multicast(ctx, "v", []byte(msg))
				}); err != nil {
					t.Fatalf("peer multicast (the peer's node is honest): %v", err)
				}
			}
			var uniReply []byte
			uniErr := timed(t, "peer unicast", 3*time.Second, func(ctx context.Context) (err error) {
				uniReply, err = peer.Unicast(ctx, "v", []byte("u"))
				return err
			})
			multiErr := timed(t, "victim multicast", time.Second, func(ctx context.Context) error {
				return victim.Multicast(ctx, "p", []byte("from victim"))
			})
			var reply []byte
			replyErr := timed(t, "victim unicast", time.Second, func(ctx context.Context) (err error) {
				reply, err = victim.Unicast(ctx, "p", []byte("q"))
				return err
			})
			t.Logf("peer unicast: %q %v; victim multicast: %v; victim unicast: %q %v", uniReply, uniErr, multiErr, reply, replyErr)

			if tc.intact {
				if uniErr != nil || string(uniReply) != "v-pong" || multiErr != nil || replyErr != nil || string(reply) != "p-pong" {
					t.Fatal("traffic through an intact stream failed")
				}
				for _, want := range []string{"m0", "m1", "m2", "u"} {
					if m := nextMessage(t, victim, 5*time.Second); string(m.Data) != want {
						t.Fatalf("victim got %q, want %q", m.Data, want)
					}
				}
			}
			if tc.b.Kind == local.BadTopicLength && !errors.Is(multiErr, amop.ErrMalformedReply) {
				t.Errorf("a lying acknowledgement gave %v, want ErrMalformedReply", multiErr)
			}
			if tc.b.Kind == local.LateReplies && !errors.Is(multiErr, amop.ErrTimeout) {
				t.Errorf("a late acknowledgement gave %v, want ErrTimeout", multiErr)
			}
			if tc.malformed {
				eventuallyStats(t, victim, 8*time.Second, "malformed frames counted", func(s amop.Stats) bool { return s.Malformed > 0 })
			}
			if tc.reconnect {
				eventuallyStats(t, victim, 8*time.Second, "reconnected", func(s amop.Stats) bool { return s.Reconnects > 0 })
			}
			if tc.late {
				eventuallyStats(t, victim, 8*time.Second, "late answers counted", func(s amop.Stats) bool { return s.Late > 0 })
			}
			if !tc.malformed && !tc.reconnect {
				if s := victim.Stats(); s.Malformed != 0 || s.Reconnects != 0 {
					t.Errorf("an intact stream counted %+v", s)
				}
			}

			// Honest again (a reconnect already gets a fresh, honest
			// session): the victim receives and sends as before.
			if _, err := n.Hostile(0, "v", local.Behaviour{}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := ctxFor(10 * time.Second)
			defer cancel()
			if err := victim.WaitReady(ctx); err != nil {
				t.Fatal(err)
			}
			waitSubs(t, n, "v", 1)
			if err := timed(t, "probe multicast", 3*time.Second, func(ctx context.Context) error {
				return peer.Multicast(ctx, "v", []byte("probe"))
			}); err != nil {
				t.Fatal(err)
			}
			for m := nextMessage(t, victim, 5*time.Second); string(m.Data) != "probe"; m = nextMessage(t, victim, 5*time.Second) {
			}
			if err := timed(t, "probe unicast", 3*time.Second, func(ctx context.Context) error {
				r, err := victim.Unicast(ctx, "p", []byte("q"))
				if err == nil && string(r) != "p-pong" {
					err = fmt.Errorf("reply %q", r)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			t.Logf("victim stats %+v", victim.Stats())
		})
	}
}
