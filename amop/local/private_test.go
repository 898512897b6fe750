package local_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func waitPrivate(t testing.TB, n *local.Network, topic string, what string, cond func(local.PrivateCounts) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := n.WaitPrivate(ctx, topic, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// inbox records what a go-sdk handler receives.
type inbox struct {
	mu  sync.Mutex
	got []string
}

func (b *inbox) handler(reply string) func([]byte, *[]byte) {
	return func(data []byte, resp *[]byte) {
		b.mu.Lock()
		b.got = append(b.got, string(data))
		b.mu.Unlock()
		*resp = []byte(reply)
	}
}

func (b *inbox) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

// TestPrivateTopicOnlyVerifiedSubscribersReceive runs the whole flow with
// unmodified go-sdk clients across two nodes: the subscriber holding an
// allowed key is verified and receives unicast and multicast; the one
// holding another key is rejected and receives nothing; a unicast with no
// verified subscriber is answered AMOP 100.
func TestPrivateTopicOnlyVerifiedSubscribersReceive(t *testing.T) {
	n := local.RunT(t, local.Options{})
	good, bad := newKey(t), newKey(t)
	const topic = "secret"

	var goodBox, badBox inbox
	goodSub := dialSDK(t, n, 1)
	if err := goodSub.SubscribePrivateTopic(topic, good, goodBox.handler("from good")); err != nil {
		t.Fatal(err)
	}
	badSub := dialSDK(t, n, 0) // same node as the publisher: verified all the same
	if err := badSub.SubscribePrivateTopic(topic, bad, badBox.handler("from bad")); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, local.NeedVerifyPrefix+topic, 2)
	if c := n.Private(topic); c != (local.PrivateCounts{Verifying: 2}) {
		t.Fatalf("before any publisher: %+v", c)
	}
	// A sender needs no publisher role; with nobody verified it gets 100.
	sender := dialSDK(t, n, 0)
	if _, err := within(t, wait, "SendAMOPPrivateMsg", func() ([]byte, error) { return sender.SendAMOPPrivateMsg(topic, []byte("early")) }); !isCode(err, 100) {
		t.Fatalf("unicast before verification: %v, want error code 100", err)
	}

	pub := dialSDK(t, n, 0)
	if err := pub.PublishPrivateTopic(topic, []*ecdsa.PublicKey{&good.PublicKey}); err != nil {
		t.Fatal(err)
	}
	waitPrivate(t, n, topic, "one verified, one failed", func(c local.PrivateCounts) bool {
		return c == local.PrivateCounts{Verified: 1, Failed: 1}
	})

	for i := range 10 {
		msg := fmt.Sprint("unicast ", i)
		r, err := within(t, wait, "SendAMOPPrivateMsg", func() ([]byte, error) { return pub.SendAMOPPrivateMsg(topic, []byte(msg)) })
		if err != nil || string(r) != "from good" {
			t.Fatalf("unicast %d: %q, %v", i, r, err)
		}
	}
	if _, err := within(t, wait, "BroadcastAMOPPrivateMsg", func() (struct{}, error) {
		return struct{}{}, sender.BroadcastAMOPPrivateMsg(topic, []byte("multicast"))
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "the multicast at the verified subscriber", func() bool {
		l := goodBox.list()
		return len(l) == 11 && l[len(l)-1] == "multicast"
	})
	time.Sleep(100 * time.Millisecond)
	if got := badBox.list(); len(got) != 0 {
		t.Fatalf("the rejected subscriber received %q", got)
	}
	st := n.Stats()
	if st.StatusApplied != 2 || st.VerifyRequests < 2 {
		t.Fatalf("stats %+v", st)
	}
}

// privateRaw subscribes a raw client as a private subscriber of topic and
// returns its challenge topic.
func privateRaw(t *testing.T, c *rawClient, topic, uuid string) string {
	t.Helper()
	cert := local.VerifyChannelPrefix + local.NeedVerifyPrefix + topic + "_" + uuid
	c.handshake()
	c.subscribe(local.NeedVerifyPrefix+topic, cert)
	return cert
}

// nextVerify returns the next 0x37 the raw publisher receives.
func nextVerify(t *testing.T, c *rawClient, d time.Duration) (wire.Frame, wire.VerifyRequest) {
	t.Helper()
	for {
		f := c.next(d)
		if f.Type != wire.TypeVerifyRequest {
			continue
		}
		v, err := wire.DecodeVerifyRequest(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		return f, v
	}
}

func topicStatus(t *testing.T, c *rawClient, result int, nodeID, topic string) {
	t.Helper()
	b, _ := json.Marshal(wire.TopicStatus{CheckResult: result, NodeID: nodeID, Topic: topic})
	c.send(wire.TypeTopicStatus, wire.NewSeq(), b)
}

// TestPrivateTopicStates drives the node side with raw clients: the 0x37
// body, its retry on every VerifyInterval while the subscriber is VERIFYING
// (answered or not), 0x38 from a session that does not publish the topic
// ignored, the verdict applied once, and no 0x37 after it.
func TestPrivateTopicStates(t *testing.T) {
	const interval = 200 * time.Millisecond
	n := local.RunT(t, local.Options{VerifyInterval: interval, PushTimeout: 100 * time.Millisecond})
	const topic = "t"
	wireTopic := local.NeedVerifyPrefix + topic

	sub := dialRaw(t, n, 1)
	cert := privateRaw(t, sub, topic, strings.Repeat("ab", 16))
	waitSubs(t, n, wireTopic, 1)
	pub := dialRaw(t, n, 0)
	pub.handshake()
	pub.subscribe(local.PushChannelPrefix + wireTopic)

	f1, v := nextVerify(t, pub, wait)
	if v.Topic != wireTopic || v.TopicForCert != cert || len(v.NodeID) != 128 {
		t.Fatalf("0x37 body %+v", v)
	}
	// Unanswered: the push times out, and the next round comes after the
	// interval, with a new seq.
	start := time.Now()
	f2, _ := nextVerify(t, pub, wait)
	if f2.Seq == f1.Seq || time.Since(start) < interval/4 {
		t.Fatalf("second 0x37 seq %s after %v", f2.Seq, time.Since(start))
	}
	// Answered, but no verdict: still VERIFYING, so it comes again.
	pub.sendTopic(wire.TypeAMOPResponse, f2.Seq, 0, local.VerifyChannelPrefix+cert, nil)
	nextVerify(t, pub, wait)
	if c := n.Private(topic); c != (local.PrivateCounts{Verifying: 1}) {
		t.Fatalf("after an answer without verdict: %+v", c)
	}

	// A session that does not publish the topic cannot settle it.
	other := dialRaw(t, n, 0)
	other.handshake()
	topicStatus(t, other, 0, v.NodeID, wireTopic)
	eventually(t, wait, "the stray 0x38 counted", func() bool { return n.Stats().StatusIgnored == 1 })
	if c := n.Private(topic); c != (local.PrivateCounts{Verifying: 1}) {
		t.Fatalf("after a stray 0x38: %+v", c)
	}

	// The publisher's verdict applies once; a later one is ignored.
	topicStatus(t, pub, 1, v.NodeID, wireTopic)
	waitPrivate(t, n, topic, "failed", func(c local.PrivateCounts) bool { return c.Failed == 1 })
	topicStatus(t, pub, 0, v.NodeID, wireTopic)
	eventually(t, wait, "the late 0x38 counted", func() bool { return n.Stats().StatusIgnored == 2 })
	if c := n.Private(topic); c != (local.PrivateCounts{Failed: 1}) {
		t.Fatalf("after a late 0x38: %+v", c)
	}
	// No more rounds for a settled subscriber (one begun before the
	// verdict may still be on its way: count pushes, not frames).
	time.Sleep(interval / 4)
	before := n.Stats().VerifyRequests
	time.Sleep(3 * interval)
	if after := n.Stats().VerifyRequests; after != before {
		t.Fatalf("%d 0x37 after the verdict", after-before)
	}
	// Nothing reaches a failed subscriber: a unicast gets 100.
	seq := wire.NewSeq()
	other.sendTopic(wire.TypeAMOPRequest, seq, 0, wireTopic, []byte("x"))
	if f := other.next(wait); f.Type != wire.TypeAMOPResponse || f.Seq != seq || f.Result != local.CodeNoSubscriber {
		t.Fatalf("unicast to a failed subscriber: %s result %d", f.Type, f.Result)
	}
}

// TestPrivateTopicSuccessRoutes checks that a VERIFY_SUCCESS subscriber gets
// unicast and multicast on the private topic, that resubscribing starts it
// over as VERIFYING, and that a subscriber without a challenge topic is
// never offered to a publisher.
func TestPrivateTopicSuccessRoutes(t *testing.T) {
	n := local.RunT(t, local.Options{VerifyInterval: time.Hour})
	const topic = "ok"
	wireTopic := local.NeedVerifyPrefix + topic

	plain := dialRaw(t, n, 1) // a NeedVerify topic without a challenge topic
	plain.handshake()
	plain.subscribe(wireTopic)
	sub := dialRaw(t, n, 1)
	privateRaw(t, sub, topic, strings.Repeat("0f", 16))
	waitSubs(t, n, wireTopic, 2)
	pub := dialRaw(t, n, 0)
	pub.handshake()
	pub.subscribe(local.PushChannelPrefix + wireTopic)
	f, v := nextVerify(t, pub, wait)
	pub.sendTopic(wire.TypeAMOPResponse, f.Seq, 0, local.VerifyChannelPrefix+v.TopicForCert, nil)
	topicStatus(t, pub, 0, v.NodeID, wireTopic)
	waitPrivate(t, n, topic, "verified", func(c local.PrivateCounts) bool { return c.Verified == 1 })
	if c := n.Private(topic); c.Verifying != 1 {
		t.Fatalf("the subscriber without a challenge topic: %+v", c)
	}
	if _, ok := pub.tryNext(200 * time.Millisecond); ok {
		t.Fatal("a 0x37 for the subscriber without a challenge topic")
	}

	seq := wire.NewSeq()
	pub.sendTopic(wire.TypeAMOPRequest, seq, 0, wireTopic, []byte("u"))
	if got := sub.next(wait); got.Type != wire.TypeAMOPRequest || got.Seq != seq {
		t.Fatalf("verified subscriber got %s", got.Type)
	}
	sub.sendTopic(wire.TypeAMOPResponse, seq, 0, wireTopic, []byte("r"))
	if got := pub.next(wait); got.Type != wire.TypeAMOPResponse || got.Result != 0 {
		t.Fatalf("publisher got %s result %d", got.Type, got.Result)
	}
	pub.sendTopic(wire.TypeMulticast, wire.NewSeq(), 0, wireTopic, []byte("m"))
	if got := sub.next(wait); got.Type != wire.TypeMulticast {
		t.Fatalf("verified subscriber got %s", got.Type)
	}
	if got, ok := plain.tryNext(200 * time.Millisecond); ok {
		t.Fatalf("the unverified subscriber got %s", got.Type)
	}

	// Leaving and joining again starts over.
	sub.subscribe()
	sub.subscribe(wireTopic, local.VerifyChannelPrefix+wireTopic+"_"+strings.Repeat("1", 32))
	waitPrivate(t, n, topic, "verifying again", func(c local.PrivateCounts) bool { return c == local.PrivateCounts{Verifying: 2} })
	if _, v2 := nextVerify(t, pub, wait); v2.NodeID != v.NodeID || !strings.HasSuffix(v2.TopicForCert, strings.Repeat("1", 32)) {
		t.Fatalf("second round %+v", v2)
	}
}
