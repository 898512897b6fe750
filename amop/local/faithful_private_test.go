package local_test

// Faithful mode, row 19 of real-nodes.md: private topics as FISCO BCOS
// 2.9.1 nodes verify them — per (remote node, topic), asked of a local
// publisher session with a 0x37 on every heartbeat while VERIFYING
// (P2PSession::requestCertTopic, ChannelRPCServer::asyncPushChannelMessageHandler),
// settled by a 0x38 from any session (onClientUpdateTopicStatusRequest,
// P2PSession::updateTopicStatus).

import (
	"crypto/ecdsa"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// TestFaithfulRow19PrivateTopicsPerNode: with unmodified go-sdk clients on
// three nodes. The publisher's node accepts the subscriber's node once one
// session's signature checks out; from then on every session of that node
// that joins the topic receives, verified or not. A subscriber on the
// publisher's own node never receives (row 13), and a sender on a node
// without a publisher reaches nobody: that node never verifies anyone.
func TestFaithfulRow19PrivateTopicsPerNode(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{Nodes: 3})
	good, bad := newKey(t), newKey(t)
	const topic = "secret"
	wireTopic := local.NeedVerifyPrefix + topic

	var goodGot, badGot, ownGot atomic.Int32
	count := func(c *atomic.Int32, reply string) func([]byte, *[]byte) {
		return func(_ []byte, resp *[]byte) { c.Add(1); *resp = []byte(reply) }
	}
	pub := dialSDK(t, n, 0)
	if err := pub.PublishPrivateTopic(topic, []*ecdsa.PublicKey{&good.PublicKey}); err != nil {
		t.Fatal(err)
	}
	goodSub := dialSDK(t, n, 1)
	if err := goodSub.SubscribePrivateTopic(topic, good, count(&goodGot, "good")); err != nil {
		t.Fatal(err)
	}
	waitPrivate(t, n, topic, "node 1 accepted", func(c local.PrivateCounts) bool { return c.Verified == 1 })

	// Joins after its node was accepted, with a key nobody accepts: node 0
	// keeps node 1's verdict, and this session receives as well.
	badSub := dialSDK(t, n, 1)
	if err := badSub.SubscribePrivateTopic(topic, bad, count(&badGot, "bad")); err != nil {
		t.Fatal(err)
	}
	ownSub := dialSDK(t, n, 0)
	if err := ownSub.SubscribePrivateTopic(topic, good, count(&ownGot, "own")); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, wireTopic, 3)

	// Node 0's candidates are [node 1, node 0]: in a second that picks node
	// 1, every unicast reaches one of node 1's sessions.
	fixedClock(t, n, secondPicking(t, 0, 2))
	for i := range 6 {
		r, err := within(t, wait, "SendAMOPPrivateMsg", func() ([]byte, error) { return pub.SendAMOPPrivateMsg(topic, []byte("u")) })
		if err != nil || (string(r) != "good" && string(r) != "bad") {
			t.Fatalf("unicast %d: %q, %v", i, r, err)
		}
	}
	if _, err := within(t, wait, "BroadcastAMOPPrivateMsg", func() (struct{}, error) {
		return struct{}{}, pub.BroadcastAMOPPrivateMsg(topic, []byte("m"))
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "the multicast at both of node 1's sessions", func() bool {
		return goodGot.Load()+badGot.Load() == 8 && badGot.Load() >= 1
	})
	if c := n.Private(topic); c.Verified != 2 || c.Verifying != 1 {
		t.Fatalf("counts %+v; want node 1's two sessions verified, node 0's verifying", c)
	}

	// Node 2 has no publisher: it never verifies node 1 (or node 0).
	far := dialSDK(t, n, 2)
	if _, err := within(t, wait, "SendAMOPPrivateMsg", func() ([]byte, error) { return far.SendAMOPPrivateMsg(topic, []byte("far")) }); !isCode(err, local.CodeNoSubscriber) {
		t.Fatalf("sender on a node without a publisher: %v; want error code 100", err)
	}
	if ownGot.Load() != 0 {
		t.Fatalf("the subscriber on the publisher's node received %d messages", ownGot.Load())
	}
}

// TestFaithfulRow19VerifyRequests: the 0x37 goes to a local session of the
// publisher's topic, with the subscriber node's id, the private topic and
// the first topic of that node's list that starts with "#!$VerifyChannel_"
// + topic — a prefix match, so topic "y" takes topic "y2"'s challenge; it
// comes again every heartbeat while the topic is VERIFYING; a 0x38 from any
// session of the node, publisher or not, settles it, once.
func TestFaithfulRow19VerifyRequests(t *testing.T) {
	t.Parallel()
	const sync = 300 * time.Millisecond
	n := runFaithful(t, local.Options{SyncInterval: sync})
	const x = local.NeedVerifyPrefix + "x"
	const challenge = local.VerifyChannelPrefix + x + "_0123456789abcdef0123456789abcdef"
	const y = local.NeedVerifyPrefix + "y"
	const y2challenge = local.VerifyChannelPrefix + y + "2_00000000000000000000000000000000"
	publisher := rawReady(t, n, 0, local.PushChannelPrefix+x, local.PushChannelPrefix+y)
	rawReady(t, n, 1, x, challenge, y, y2challenge) // the subscriber node's topics
	other := rawReady(t, n, 0)
	waitSubs(t, n, x, 1)

	type req struct {
		wire.VerifyRequest
		seq wire.Seq
	}
	next := func() req {
		t.Helper()
		f := publisher.nextOf(wire.TypeVerifyRequest, wait)
		var v wire.VerifyRequest
		if err := json.Unmarshal(f.Body, &v); err != nil || !strings.HasSuffix(string(f.Body), "}\n") {
			t.Fatalf("0x37 body %q: %v", f.Body, err)
		}
		return req{v, f.Seq}
	}
	seen := map[string]int{}
	var last wire.Seq
	start := time.Now()
	for seen[x] < 2 || seen[y] < 2 {
		r := next()
		if r.NodeID != n.NodeID(1) {
			t.Fatalf("0x37 names node %q; want node 1's id %q", r.NodeID, n.NodeID(1))
		}
		switch r.Topic {
		case x:
			if r.TopicForCert != challenge {
				t.Fatalf("topicForCert %q", r.TopicForCert)
			}
		case y:
			if r.TopicForCert != y2challenge {
				t.Fatalf("topicForCert of y %q; want y2's challenge (the C++ prefix match)", r.TopicForCert)
			}
		default:
			t.Fatalf("0x37 for %q", r.Topic)
		}
		if strings.Trim(string(r.seq[:]), "0123456789") != "" || string(r.seq[:]) <= string(last[:]) {
			t.Fatalf("0x37 seq %s after %s; want dev::newSeq()'s increasing decimal", r.seq, last)
		}
		last = r.seq
		seen[r.Topic]++
		publisher.sendTopic(wire.TypeAMOPResponse, r.seq, 0, "", nil) // answered, no verdict: asked again
	}
	if el := time.Since(start); el > 5*sync {
		t.Fatalf("two rounds took %v; want one per %v heartbeat", el, sync)
	}

	// A 0x38 from a session that publishes nothing settles x for node 1.
	status := func(check int, topic string) {
		b, _ := json.Marshal(map[string]any{"checkResult": check, "nodeId": n.NodeID(1), "topic": topic})
		other.send(wire.TypeTopicStatus, wire.NewSeq(), b)
	}
	status(0, x)
	waitPrivate(t, n, "x", "node 1 accepted for x", func(c local.PrivateCounts) bool { return c.Verified == 1 })
	status(1, x) // settled: not VERIFYING any more, ignored
	time.Sleep(2 * sync)
	if c := n.Private("x"); c.Verified != 1 {
		t.Fatalf("a second 0x38 changed a settled topic: %+v", c)
	}
	status(1, y)
	waitPrivate(t, n, "y", "node 1 rejected for y", func(c local.PrivateCounts) bool { return c.Failed == 1 })
	// Nothing is VERIFYING any more: no 0x37 after the answers in flight.
	deadline := time.Now().Add(3 * sync)
	for time.Now().Before(deadline) {
		f, ok := publisher.tryNext(time.Until(deadline))
		if ok && f.Type == wire.TypeVerifyRequest && time.Until(deadline) < 2*sync {
			t.Fatalf("0x37 for a settled topic: %q", f.Body)
		}
	}
	if st := n.FaithfulStats(); st.StatusApplied != 2 || st.VerifyRequests < 4 {
		t.Fatalf("stats %+v", st)
	}
}
