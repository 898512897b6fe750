package amop_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

func genKey(t testing.TB) *amop.PrivateKey {
	t.Helper()
	k, err := amop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// waitEvent returns the first event within d that match accepts, dropping
// the others.
func waitEvent(t testing.TB, a *amop.SDK, d time.Duration, what string, match func(amop.Event) bool) amop.Event {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-a.Events():
			if !ok {
				t.Fatalf("events closed waiting for %s", what)
			}
			if match(ev) {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no %s within %s", what, d)
			return nil
		}
	}
}

// waitPrivate waits for topic's role to reach state.
func waitPrivate(t testing.TB, a *amop.SDK, topic string, role amop.PrivateRole, state amop.PrivateState) *amop.PrivateEvent {
	t.Helper()
	ev := waitEvent(t, a, 10*time.Second, role.String()+" "+state.String(), func(ev amop.Event) bool {
		p, ok := ev.(*amop.PrivateEvent)
		return ok && p.Topic == topic && p.Role == role && p.State == state
	})
	return ev.(*amop.PrivateEvent)
}

// drain discards the events a has queued.
func drain(a *amop.SDK) {
	for {
		select {
		case <-a.Events():
		default:
			return
		}
	}
}

// noMessage fails if a gets a MessageEvent within d.
func noMessage(t testing.TB, a *amop.SDK, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev := <-a.Events():
			if m, ok := ev.(*amop.MessageEvent); ok {
				t.Fatalf("unexpected message %+v", m)
			}
		case <-timer.C:
			return
		}
	}
}

// TestPrivateTopicThroughTheAdapter: the subscriber with an allowed key
// goes Waiting → Challenged → Verified and receives unicast and multicast;
// the one with another key stays Challenged and receives nothing; the
// publisher reports one subscriber accepted and one rejected; a send with
// no verified subscriber explains itself.
func TestPrivateTopicThroughTheAdapter(t *testing.T) {
	n := local.RunT(t, local.Options{})
	good, bad := genKey(t), genKey(t)
	const topic = "orders"
	reply := func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy("ack") }
	goodSub := client(t, n, reply, n.Addr(1))
	badSub := client(t, n, reply, n.Addr(1))
	pub := client(t, n, nil, n.Addr(0))

	if err := goodSub.JoinPrivate(topic, good); err != nil {
		t.Fatal(err)
	}
	waitPrivate(t, goodSub, topic, amop.PrivateSubscriber, amop.PrivateWaiting)
	if err := badSub.JoinPrivate(topic, bad); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, amop.NeedVerifyPrefix+topic, 2)
	ctx, cancel := ctxFor(5 * time.Second)
	defer cancel()
	_, err := pub.UnicastPrivate(ctx, topic, []byte("too early"))
	var ce *amop.CodeError
	if !errors.As(err, &ce) || ce.Code != amop.CodeNoSubscriber || !strings.Contains(err.Error(), "no verified subscriber") {
		t.Fatalf("unicast before verification: %v", err)
	}

	if err := pub.PublishPrivate(topic, []*amop.PublicKey{good.Public()}); err != nil {
		t.Fatal(err)
	}
	waitPrivate(t, goodSub, topic, amop.PrivateSubscriber, amop.PrivateChallenged)
	waitPrivate(t, badSub, topic, amop.PrivateSubscriber, amop.PrivateChallenged)
	ev := waitEvent(t, pub, 10*time.Second, "one accepted and one rejected", func(ev amop.Event) bool {
		p, ok := ev.(*amop.PrivateEvent)
		return ok && p.Role == amop.PrivatePublisher && p.Accepted == 1 && p.Rejected == 1
	}).(*amop.PrivateEvent)
	if ev.State != amop.PrivateVerified || ev.Topic != topic {
		t.Fatalf("publisher event %+v", ev)
	}
	// The guard reports the verdict as it forwards it to the node.
	if err := n.WaitPrivate(ctx, topic, func(c local.PrivateCounts) bool { return c == local.PrivateCounts{Verified: 1, Failed: 1} }); err != nil {
		t.Fatal(err)
	}

	r, err := pub.UnicastPrivate(ctx, topic, []byte("u1"))
	if err != nil || string(r) != "ack" {
		t.Fatalf("UnicastPrivate = %q, %v", r, err)
	}
	// The message proves the verification: the state changes with it.
	var m *amop.MessageEvent
	verified := false
	waitEvent(t, goodSub, 5*time.Second, "the message and the verified state", func(ev amop.Event) bool {
		switch ev := ev.(type) {
		case *amop.MessageEvent:
			m = ev
		case *amop.PrivateEvent:
			verified = verified || ev.State == amop.PrivateVerified
		}
		return m != nil && verified
	})
	if m.Topic != topic || !m.Private || m.Mode != amop.Unicast || string(m.Data) != "u1" || string(m.Reply) != "ack" {
		t.Fatalf("verified subscriber saw %+v", m)
	}
	if err := pub.MulticastPrivate(ctx, topic, []byte("m1")); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, goodSub, 5*time.Second); m.Mode != amop.Multicast || string(m.Data) != "m1" || !m.Private {
		t.Fatalf("multicast seen as %+v", m)
	}
	noMessage(t, badSub, 300*time.Millisecond)
	// An ordinary topic of the same name is another topic.
	if _, err := pub.Unicast(ctx, topic, []byte("plain")); !errors.As(err, &ce) || ce.Code != amop.CodeNoSubscriber || ce.Private {
		t.Fatalf("plain unicast: %v", err)
	}
}

func TestPrivateTopicLengthLimits(t *testing.T) {
	if amop.MaxPrivateSubscriberTopic != 185 || amop.MaxPrivatePublisherTopic != 168 {
		t.Fatalf("limits %d/%d, want 185/168 (amop-protocol.md §3)", amop.MaxPrivateSubscriberTopic, amop.MaxPrivatePublisherTopic)
	}
	cases := []struct {
		n    int
		role amop.PrivateRole
		ok   bool
	}{
		{185, amop.PrivateSubscriber, true}, {186, amop.PrivateSubscriber, false},
		{168, amop.PrivatePublisher, true}, {169, amop.PrivatePublisher, false},
	}
	for _, c := range cases {
		err := amop.ValidatePrivateTopic(strings.Repeat("t", c.n), c.role)
		var te *amop.TopicError
		if c.ok != (err == nil) || (err != nil && (!errors.As(err, &te) || !strings.Contains(te.Reason, "at most"))) {
			t.Errorf("%d bytes as %s: %v", c.n, c.role, err)
		}
	}
	if err := amop.ValidatePrivateTopic("#!$x", amop.PrivateSubscriber); err == nil {
		t.Error("a reserved prefix accepted")
	}

	// At the limits, the whole flow works; one byte over, the calls refuse
	// before go-sdk sees anything.
	n := local.RunT(t, local.Options{})
	key := genKey(t)
	sub := client(t, n, nil, n.Addr(1))
	pub := client(t, n, nil, n.Addr(0))
	long := strings.Repeat("p", amop.MaxPrivatePublisherTopic)
	if err := sub.JoinPrivate(long, key); err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishPrivate(long, []*amop.PublicKey{key.Public()}); err != nil {
		t.Fatal(err)
	}
	waitPrivate(t, pub, long, amop.PrivatePublisher, amop.PrivateVerified)
	ctx, cancel := ctxFor(5 * time.Second)
	defer cancel()
	if _, err := pub.UnicastPrivate(ctx, long, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishPrivate(long+"p", []*amop.PublicKey{key.Public()}); err == nil {
		t.Fatal("a 169-byte private topic published")
	}
	if err := sub.JoinPrivate(strings.Repeat("s", 186), key); err == nil {
		t.Fatal("a 186-byte private topic joined")
	}
	if _, err := pub.UnicastPrivate(ctx, strings.Repeat("s", 186), nil); err == nil {
		t.Fatal("a send to a 186-byte private topic")
	}
}

// TestLeavePrivateKeepsLongerNames: go-sdk finds a private subscription's
// challenge topic by substring, so leaving "a" could break "ab"; the
// adapter keeps "ab" working (verified afresh).
func TestLeavePrivateKeepsLongerNames(t *testing.T) {
	n := local.RunT(t, local.Options{})
	key := genKey(t)
	sub := client(t, n, nil, n.Addr(1))
	pub := client(t, n, nil, n.Addr(0))
	for _, topic := range []string{"a", "ab", "abc"} {
		if err := sub.JoinPrivate(topic, key); err != nil {
			t.Fatal(err)
		}
		if err := pub.PublishPrivate(topic, []*amop.PublicKey{key.Public()}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := ctxFor(10 * time.Second)
	defer cancel()
	for _, topic := range []string{"a", "ab", "abc"} {
		if err := n.WaitPrivate(ctx, topic, func(c local.PrivateCounts) bool { return c.Verified == 1 }); err != nil {
			t.Fatal(err)
		}
	}
	drain(sub)
	if err := sub.LeavePrivate("a"); err != nil {
		t.Fatal(err)
	}
	// Joined again, so challenged again.
	challenged := map[string]bool{}
	waitEvent(t, sub, 10*time.Second, "ab and abc challenged again", func(ev amop.Event) bool {
		if p, ok := ev.(*amop.PrivateEvent); ok && p.State == amop.PrivateChallenged {
			challenged[p.Topic] = true
		}
		return challenged["ab"] && challenged["abc"]
	})
	for _, topic := range []string{"ab", "abc"} {
		if err := n.WaitPrivate(ctx, topic, func(c local.PrivateCounts) bool { return c == local.PrivateCounts{Verified: 1} }); err != nil {
			t.Fatal(err)
		}
		if _, err := pub.UnicastPrivate(ctx, topic, []byte(topic)); err != nil {
			t.Fatalf("%s after leaving a: %v", topic, err)
		}
	}
	if _, err := pub.UnicastPrivate(ctx, "a", nil); err == nil {
		t.Fatal("a still subscribed")
	}
	if err := sub.LeavePrivate("a"); err == nil {
		t.Fatal("leaving twice")
	}
}

// TestPublishAndJoinOneClient: one client publishes a private topic it has
// already joined (go-sdk refuses that order; the adapter rejoins) and
// verifies another subscriber; it is never verified by itself.
func TestPublishAndJoinOneClient(t *testing.T) {
	n := local.RunT(t, local.Options{})
	mine, theirs := genKey(t), genKey(t)
	both := client(t, n, nil, n.Addr(0))
	other := client(t, n, nil, n.Addr(1))
	const topic = "both"
	if err := both.JoinPrivate(topic, mine); err != nil {
		t.Fatal(err)
	}
	if err := both.PublishPrivate(topic, []*amop.PublicKey{mine.Public(), theirs.Public()}); err != nil {
		t.Fatal(err)
	}
	if err := other.JoinPrivate(topic, theirs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := ctxFor(10 * time.Second)
	defer cancel()
	if err := n.WaitPrivate(ctx, topic, func(c local.PrivateCounts) bool { return c.Verified == 1 }); err != nil {
		t.Fatal(err)
	}
	if c := n.Private(topic); c != (local.PrivateCounts{Verified: 1, Verifying: 1}) {
		t.Fatalf("counts %+v: the publisher's own subscription is never verified by itself", c)
	}
	if err := both.LeavePrivate(topic); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, amop.PushChannelPrefix+amop.NeedVerifyPrefix+topic, 0)
}

// TestPrivateSubscriberAfterReconnect: a new node session is verified
// afresh, and the state says so.
func TestPrivateSubscriberAfterReconnect(t *testing.T) {
	n := local.RunT(t, local.Options{})
	key := genKey(t)
	sub := client(t, n, nil, n.Addr(1))
	pub := client(t, n, nil, n.Addr(0))
	const topic = "again"
	if err := sub.JoinPrivate(topic, key); err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishPrivate(topic, []*amop.PublicKey{key.Public()}); err != nil {
		t.Fatal(err)
	}
	waitPrivate(t, sub, topic, amop.PrivateSubscriber, amop.PrivateChallenged)
	if err := n.StopNode(1); err != nil {
		t.Fatal(err)
	}
	if err := n.StartNode(1); err != nil {
		t.Fatal(err)
	}
	waitPrivate(t, sub, topic, amop.PrivateSubscriber, amop.PrivateWaiting)
	waitPrivate(t, sub, topic, amop.PrivateSubscriber, amop.PrivateChallenged)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitPrivate(ctx, topic, func(c local.PrivateCounts) bool { return c.Verified == 1 }); err != nil {
		t.Fatal(err)
	}
	if err := pub.MulticastPrivate(ctx, topic, []byte("back")); err != nil {
		t.Fatal(err)
	}
	waitPrivate(t, sub, topic, amop.PrivateSubscriber, amop.PrivateVerified)
}

// TestPrivateVerdictsPerNodeOnARealChain: a real node decides per (node,
// topic) (real-nodes.md row 19). Once a subscriber on node 1 was accepted,
// a session on node 1 whose key nobody accepted receives too, without any
// challenge — and the adapter never calls either of them verified, since a
// message proves only that the node was accepted.
func TestPrivateVerdictsPerNodeOnARealChain(t *testing.T) {
	n := local.RunT(t, local.Options{Like: "2.9"})
	good, bad := genKey(t), genKey(t)
	const topic = "orders"
	pub := client(t, n, nil, n.Addr(0))
	goodSub := client(t, n, nil, n.Addr(1))
	badSub := client(t, n, nil, n.Addr(1))
	if st := pub.Status(); st.Node.Ideal() || st.Node.LocalMode() != "like 2.9" || !st.Node.DropsOwnNode() {
		t.Fatalf("the faithful network reads as %+v", st.Node)
	}
	if err := pub.PublishPrivate(topic, []*amop.PublicKey{good.Public()}); err != nil {
		t.Fatal(err)
	}
	if err := goodSub.JoinPrivate(topic, good); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, pub, 60*time.Second, "node 1 accepted", func(ev amop.Event) bool {
		p, ok := ev.(*amop.PrivateEvent)
		return ok && p.Role == amop.PrivatePublisher && p.Accepted == 1
	})
	if err := badSub.JoinPrivate(topic, bad); err != nil {
		t.Fatal(err)
	}
	// Multicast until the unaccepted session receives (its node learns of
	// its subscription within the 5 s topic sync).
	var states []amop.PrivateState
	got := false
	deadline := time.Now().Add(30 * time.Second)
	for !got && time.Now().Before(deadline) {
		ctx, cancel := ctxFor(5 * time.Second)
		err := pub.MulticastPrivate(ctx, topic, []byte("m"))
		cancel()
		if err != nil {
			t.Fatalf("MulticastPrivate: %v", err)
		}
		wait := time.NewTimer(500 * time.Millisecond)
	drain:
		for {
			select {
			case ev := <-badSub.Events():
				switch ev := ev.(type) {
				case *amop.MessageEvent:
					got = got || (ev.Private && ev.Topic == topic)
				case *amop.PrivateEvent:
					states = append(states, ev.State)
				}
			case <-wait.C:
				break drain
			}
		}
	}
	if !got {
		t.Fatalf("the unaccepted session on the accepted node received nothing in 30 s (states %v)", states)
	}
	// Its state arrives with or right after the message.
	if !slices.Contains(states, amop.PrivateReceiving) {
		waitPrivate(t, badSub, topic, amop.PrivateSubscriber, amop.PrivateReceiving)
	}
	for _, s := range states {
		if s == amop.PrivateVerified || s == amop.PrivateChallenged {
			t.Fatalf("the unaccepted session went through %v", states)
		}
	}
	waitPrivate(t, goodSub, topic, amop.PrivateSubscriber, amop.PrivateReceiving)
}
