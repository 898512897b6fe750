package local_test

// Faithful mode, rows 10–16 and 21–23 of real-nodes.md: AMOP routing of
// FISCO BCOS 2.9.1 nodes, through unmodified go-sdk clients over real TLS
// where a client's view is the point, and raw clients where the bytes are.

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/FISCO-BCOS/go-sdk/client"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// answering subscribes c to topic with a handler that answers name and
// counts the requests.
func answering(t *testing.T, c *client.Client, topic, name string) *atomic.Int32 {
	t.Helper()
	var got atomic.Int32
	subscribe(t, c, topic, func(_ []byte, resp *[]byte) {
		got.Add(1)
		*resp = []byte(name)
	})
	return &got
}

// timedSend is one unicast with its outcome and duration.
type timedSend struct {
	reply string
	err   error
	took  time.Duration
}

func sendTimed(t *testing.T, c *client.Client, topic, data string, within time.Duration) timedSend {
	t.Helper()
	start := time.Now()
	r, err := withinD(t, within, func() ([]byte, error) { return c.SendAMOPMsg(topic, []byte(data)) })
	return timedSend{string(r), err, time.Since(start)}
}

func withinD[T any](t *testing.T, d time.Duration, f func() (T, error)) (T, error) {
	t.Helper()
	return within(t, d, "a go-sdk call", f)
}

// TestFaithfulRow10TopicSync: P2PSession::heartBeat sends the topic seq
// every 5000 ms and a peer that sees it change fetches the list, so a
// subscribe, an unsubscribe, a disconnect and a node restart reach other
// nodes up to 5 s later: AMOP 100 (not known yet) or 104 (stale) until
// then. The real 5 s; each step starts right after a sync, so that its
// window is a whole period.
func TestFaithfulRow10TopicSync(t *testing.T) {
	t.Parallel()
	// SyncInterval: the real 5 s. Raw subscribers on node 1: it restarts,
	// and go-sdk's reconnect path races with itself.
	n := local.RunT(t, local.Options{Like: "2.9", BlockInterval: -1, Workers: 1})
	sub := rawReady(t, n, 1, "warm")
	sub.respond("pong")
	gone := rawReady(t, n, 1, "gone") // disconnects later
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "gone", 1)
	waitSubs(t, n, "warm", 1) // a sync just happened

	// Subscribe: node 0 learns of it at the next heartbeat.
	subscribed := time.Now()
	sub.subscribe("warm", "sync")
	if r := sendTimed(t, pub, "sync", "early", wait); !isCode(r.err, local.CodeNoSubscriber) {
		t.Fatalf("right after the subscribe: %q, %v; want error code 100", r.reply, r.err)
	}
	var known time.Duration
	for {
		r := sendTimed(t, pub, "sync", "poll", wait)
		if r.err == nil {
			known = time.Since(subscribed)
			break
		}
		if !isCode(r.err, local.CodeNoSubscriber) || time.Since(subscribed) > 8*time.Second {
			t.Fatalf("%v after the subscribe: %v", time.Since(subscribed), r.err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if known < 3*time.Second || known > 6500*time.Millisecond {
		t.Fatalf("node 0 knew the subscription after %v; want about one 5 s heartbeat", known)
	}
	t.Logf("subscribe known after %v", known)

	// Unsubscribe and disconnect, together: node 0 keeps sending to node 1,
	// which has no session left for the topics (104), until the next sync.
	left := time.Now()
	sub.subscribe("warm") // unsubscribes sync
	gone.conn.Close()
	eventually(t, wait, "node 1 to drop the subscriptions", func() bool { return n.Subscribers("sync")+n.Subscribers("gone") == 0 })
	for _, topic := range []string{"sync", "gone"} {
		if r := sendTimed(t, pub, topic, "stale", wait); !isCode(r.err, local.CodePushFailed) {
			t.Fatalf("%s right after it left: %v; want error code 104 (node 0's copy is stale)", topic, r.err)
		}
	}
	for _, topic := range []string{"sync", "gone"} {
		for {
			r := sendTimed(t, pub, topic, "poll", wait)
			if isCode(r.err, local.CodeNoSubscriber) {
				break
			}
			if !isCode(r.err, local.CodePushFailed) || time.Since(left) > 8*time.Second {
				t.Fatalf("%s %v after it left: %v", topic, time.Since(left), r.err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if el := time.Since(left); el < 3*time.Second || el > 6500*time.Millisecond {
		t.Fatalf("node 0 forgot the topics after %v; want about one 5 s heartbeat", el)
	}

	// Restart: node 1's new process links at once and starts its
	// heartbeats then; a subscription made just after reaches node 0 at
	// its first heartbeat with a changed seq, up to 5 s later.
	if err := n.StopNode(1); err != nil {
		t.Fatal(err)
	}
	if err := n.StartNode(1); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	back := rawReady(t, n, 1, "back")
	back.respond("hi")
	for {
		r := sendTimed(t, pub, "back", "poll", wait)
		if r.err == nil {
			break
		}
		if !isCode(r.err, local.CodeNoSubscriber) || time.Since(restarted) > 8*time.Second {
			t.Fatalf("%v after the restart: %v", time.Since(restarted), r.err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if el := time.Since(restarted); el > 6500*time.Millisecond {
		t.Fatalf("a subscription after the restart was known after %v", el)
	}
}

// TestFaithfulRow11OwnSubscriptionMakesACandidate: Service::getPeersByTopic
// lists the peers that have the topic, then the node itself when any of its
// sessions has it — the sender's own subscription included. When the pick
// lands on the own node the message is dropped (row 13) and the send waits
// NodeTimeout before the next node; in the other seconds it goes straight
// to the peer.
func TestFaithfulRow11OwnSubscriptionMakesACandidate(t *testing.T) {
	t.Parallel()
	const nodeTimeout = time.Second
	n := runFaithful(t, local.Options{NodeTimeout: nodeTimeout})
	sub := dialSDK(t, n, 1)
	got := answering(t, sub, "both", "peer")
	pub := dialSDK(t, n, 0)
	own := answering(t, pub, "both", "self") // the sender joins the topic it sends to
	waitSubs(t, n, "both", 2)

	fixedClock(t, n, secondPicking(t, 0, 2)) // candidates [node 1, node 0]: the peer
	if r := sendTimed(t, pub, "both", "x", wait); r.err != nil || r.reply != "peer" || r.took > nodeTimeout/2 {
		t.Fatalf("peer picked: %+v", r)
	}
	fixedClock(t, n, secondPicking(t, 1, 2)) // the own node: dropped, then the peer
	if r := sendTimed(t, pub, "both", "y", wait); r.err != nil || r.reply != "peer" || r.took < nodeTimeout {
		t.Fatalf("own node picked: %+v; want the peer's reply after %v", r, nodeTimeout)
	}
	if got.Load() != 2 || own.Load() != 0 {
		t.Fatalf("peer got %d, the sender's own handler %d; want 2 and 0", got.Load(), own.Load())
	}
	if d := n.FaithfulStats().OwnNodeDropped; d != 1 {
		t.Fatalf("own-node drops %d; want 1", d)
	}
}

// TestFaithfulRow12Pick: Service::asyncSendMessageByTopic picks the node
// with a generator seeded from the wall-clock second (every pick in one
// second lands on the same node), gives it NodeTimeout (30 s), then tries
// the next; none left → 100 with an empty body.
// ChannelRPCServer::asyncPushChannelMessage picks the session the same way,
// PushTimeout (5 s) each; none left → 104 with the request's own body.
func TestFaithfulRow12Pick(t *testing.T) {
	t.Parallel()
	const nodeTimeout, pushTimeout = time.Second, 400 * time.Millisecond
	n := runFaithful(t, local.Options{Nodes: 4, NodeTimeout: nodeTimeout, PushTimeout: pushTimeout})
	a, b := dialSDK(t, n, 1), dialSDK(t, n, 2)
	answering(t, a, "pick", "node 1")
	answering(t, b, "pick", "node 2")
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "pick", 2)

	// With the wall clock: every send made within one second is answered
	// by the node that second picks.
	bySecond := map[int64]map[string]bool{}
	for range 30 {
		before := time.Now().Unix()
		r := sendTimed(t, pub, "pick", "x", wait)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if after := time.Now().Unix(); after == before {
			if bySecond[before] == nil {
				bySecond[before] = map[string]bool{}
			}
			bySecond[before][r.reply] = true
		}
	}
	if len(bySecond) == 0 {
		t.Fatal("no send began and ended within one second")
	}
	for sec, names := range bySecond {
		want := []string{"node 1", "node 2"}[local.TimePick(sec, 2)]
		if len(names) != 1 || !names[want] {
			t.Fatalf("second %d: answered by %v; want only %s", sec, names, want)
		}
	}

	// Candidates [1, 2]: the second decides, for every send in it.
	for want, name := range []string{"node 1", "node 2"} {
		fixedClock(t, n, secondPicking(t, want, 2))
		for i := range 10 {
			if r := sendTimed(t, pub, "pick", "x", wait); r.err != nil || r.reply != name {
				t.Fatalf("second picking %s, send %d: %+v", name, i, r)
			}
		}
	}

	// A node that does not answer (a hung process) costs NodeTimeout, then
	// the next node answers; with both hung, 100 after two timeouts.
	fixedClock(t, n, secondPicking(t, 0, 2))
	if err := n.Freeze(1); err != nil {
		t.Fatal(err)
	}
	if r := sendTimed(t, pub, "pick", "x", wait); r.err != nil || r.reply != "node 2" || r.took < nodeTimeout {
		t.Fatalf("node 1 hung: %+v; want node 2 after %v", r, nodeTimeout)
	}
	raw := rawReady(t, n, 0)
	if err := n.Freeze(2); err != nil {
		t.Fatal(err)
	}
	seq := wire.NewSeq()
	start := time.Now()
	raw.sendTopic(wire.TypeAMOPRequest, seq, 0, "pick", []byte("anyone"))
	f := raw.nextOf(wire.TypeAMOPResponse, 2*nodeTimeout+wait)
	if el := time.Since(start); f.Seq != seq || f.Result != local.CodeNoSubscriber || len(f.Body) != 0 || el < 2*nodeTimeout {
		t.Fatalf("both hung: after %v seq %s result %d body %q; want 100 with an empty body after %v", el, f.Seq, f.Result, f.Body, 2*nodeTimeout)
	}
	n.Thaw(1)
	n.Thaw(2)

	// Two sessions on node 3, silent: PushTimeout each, then 104 with the
	// original body. Two answering sessions: the second picks one for all.
	s1, s2 := rawReady(t, n, 3, "sessions"), rawReady(t, n, 3, "sessions")
	waitSubs(t, n, "sessions", 2)
	seq = wire.NewSeq()
	start = time.Now()
	raw.sendTopic(wire.TypeAMOPRequest, seq, 0, "sessions", []byte("body"))
	first, second := s1.nextOf(wire.TypeAMOPRequest, wait), s2.nextOf(wire.TypeAMOPRequest, wait)
	f = raw.nextOf(wire.TypeAMOPResponse, wait)
	topic, data := topicData(t, f)
	if el := time.Since(start); f.Seq != seq || f.Result != local.CodePushFailed || topic != "sessions" || data != "body" || el < 2*pushTimeout {
		t.Fatalf("after %v: seq %s result %d %q %q; want 104 with the original body after %v", el, f.Seq, f.Result, topic, data, 2*pushTimeout)
	}
	if first.Seq != seq || second.Seq != seq {
		t.Fatal("the pushes do not carry the publisher's seq")
	}
	s1.respond("s1")
	s2.respond("s2")
	for want, name := range []string{"s1", "s2"} {
		fixedClock(t, n, secondPicking(t, want, 2))
		for i := range 5 {
			seq := wire.NewSeq()
			raw.sendTopic(wire.TypeAMOPRequest, seq, 0, "sessions", []byte("q"))
			f := raw.nextOf(wire.TypeAMOPResponse, wait)
			if _, data := topicData(t, f); f.Seq != seq || data != name {
				t.Fatalf("second picking %s, send %d: %q", name, i, data)
			}
		}
	}
}

// TestFaithfulRow13OwnNodeDropped: v2.8.0–2.11.x, Service::onLocalAMOPMessage
// hands the message to onMessage with an empty P2PSession and onMessage
// returns: a session on the sender's own node never receives. The callback
// waits in m_localAMOPCallbacks under the P2P seq 0 (insert does not replace):
// the first request is answered after NodeTimeout (100, nobody else is a
// candidate); one sent while the seq is taken is never answered, and its
// timer fails whichever request holds the seq when it fires. Multicast
// skips the own node.
func TestFaithfulRow13OwnNodeDropped(t *testing.T) {
	t.Parallel()
	const nodeTimeout = 3 * time.Second
	n := runFaithful(t, local.Options{NodeTimeout: nodeTimeout})
	var ownGot, peerGot atomic.Int32
	sub := dialSDK(t, n, 0)
	subscribe(t, sub, "own", func(_ []byte, resp *[]byte) { ownGot.Add(1); *resp = []byte("own") })
	peer := dialSDK(t, n, 1)
	subscribe(t, peer, "multi", func([]byte, *[]byte) { peerGot.Add(1) })
	subscribe(t, sub, "multi", func([]byte, *[]byte) { ownGot.Add(1) })
	waitSubs(t, n, "own", 1)
	waitSubs(t, n, "multi", 2)
	pub := rawReady(t, n, 0)

	r1, r2, r3 := wire.NewSeq(), wire.NewSeq(), wire.NewSeq()
	start := time.Now()
	pub.sendTopic(wire.TypeAMOPRequest, r1, 0, "own", []byte("1"))
	time.Sleep(time.Second)
	pub.sendTopic(wire.TypeAMOPRequest, r2, 0, "own", []byte("2")) // seq 0 taken by r1
	f := pub.nextOf(wire.TypeAMOPResponse, nodeTimeout+wait)
	if el := time.Since(start); f.Seq != r1 || f.Result != local.CodeNoSubscriber || len(f.Body) != 0 || el < nodeTimeout {
		t.Fatalf("first request: after %v seq %s result %d body %q; want r1's 100 after %v", el, f.Seq, f.Result, f.Body, nodeTimeout)
	}
	// r3 takes the free seq; r2's timer, due 1 s after r1's, fails it.
	sent3 := time.Now()
	pub.sendTopic(wire.TypeAMOPRequest, r3, 0, "own", []byte("3"))
	f = pub.nextOf(wire.TypeAMOPResponse, nodeTimeout+wait)
	if el := time.Since(sent3); f.Seq != r3 || f.Result != local.CodeNoSubscriber || el >= nodeTimeout*2/3 {
		t.Fatalf("third request: after %v seq %s result %d; want r3's 100 when r2's timer fires, well before %v", el, f.Seq, f.Result, nodeTimeout)
	}
	if g, ok := pub.tryNext(nodeTimeout + time.Second); ok && g.Type == wire.TypeAMOPResponse {
		t.Fatalf("the request made while seq 0 was taken was answered: seq %s result %d (r2 %s)", g.Seq, g.Result, r2)
	}

	// Multicast from node 0: node 1's subscriber receives, node 0's not.
	pub.sendTopic(wire.TypeMulticast, wire.NewSeq(), 0, "multi", []byte("m"))
	pub.nextOf(wire.TypeAMOPResponse, wait)
	eventually(t, wait, "the peer's multicast", func() bool { return peerGot.Load() == 1 })
	time.Sleep(200 * time.Millisecond) // the own node's copy would have come with the peer's
	if ownGot.Load() != 0 {
		t.Fatalf("a session on the sender's node received %d messages", ownGot.Load())
	}
	if d := n.FaithfulStats().OwnNodeDropped; d != 4 {
		t.Fatalf("own-node drops %d; want 4 (3 unicasts, 1 multicast)", d)
	}
}

// TestFaithfulRow14ReplyRelayed: onClientChannelRequest relays the
// subscriber's answer to the publisher unchanged (message->decode of the
// peer's P2P response): its type, the publisher's seq, its result, its body.
func TestFaithfulRow14ReplyRelayed(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{})
	sub := rawReady(t, n, 1, "relay")
	pub := rawReady(t, n, 0)
	waitSubs(t, n, "relay", 1)
	seq := wire.NewSeq()
	pub.sendTopic(wire.TypeAMOPRequest, seq, 0, "relay", []byte("q"))
	push := sub.nextOf(wire.TypeAMOPRequest, wait)
	if push.Seq != seq {
		t.Fatalf("push seq %s; want the publisher's %s", push.Seq, seq)
	}
	want, _ := wire.EncodeTopicFrame(wire.TypeAMOPResponse, &seq, 5, "other topic", []byte("odd answer"))
	sub.write(want)
	got := pub.nextOf(wire.TypeAMOPResponse, wait)
	if !bytes.Equal(got.Encode(), want) {
		t.Fatalf("relayed %x\nwant %x", got.Encode(), want)
	}
	// go-sdk's ordinary reply.
	s := dialSDK(t, n, 1)
	answering(t, s, "relay2", "pong")
	p := dialSDK(t, n, 0)
	waitSubs(t, n, "relay2", 1)
	if r := sendTimed(t, p, "relay2", "ping", wait); r.err != nil || r.reply != "pong" {
		t.Fatalf("go-sdk: %+v", r)
	}
}

// TestFaithfulRow15MulticastAck: the sender of a 0x35 gets its own frame
// back as a 0x31 with result 0, its seq and its body, whether anybody
// listens or not (asyncMulticastMessageByTopic, then the ack in
// onClientChannelRequest).
func TestFaithfulRow15MulticastAck(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{})
	pub := rawReady(t, n, 0)
	seq := wire.NewSeq()
	req, _ := wire.EncodeTopicFrame(wire.TypeMulticast, &seq, 0, "nobody", []byte("into the void"))
	pub.write(req)
	f := pub.nextOf(wire.TypeAMOPResponse, wait)
	topic, data := topicData(t, f)
	if f.Seq != seq || f.Result != 0 || topic != "nobody" || data != "into the void" {
		t.Fatalf("ack: seq %s result %d %q %q", f.Seq, f.Result, topic, data)
	}
	c := dialSDK(t, n, 1)
	if err := broadcast(t, c, "nobody", []byte("x")); err != nil {
		t.Fatalf("go-sdk multicast to nobody: %v", err)
	}
	if st := n.Stats(); st.Multicast != 2 || st.MulticastPushes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestFaithfulRow16BlockNotifyTopicRouted: AMOP on _block_notify_<g> is
// routed like any topic (no check in onClientChannelRequest), so every
// go-sdk session, which subscribes it at Dial, is a target. Ideal nodes
// refuse it (103) because go-sdk crashes on it; the guard drops such frames
// before go-sdk (amop's tests).
func TestFaithfulRow16BlockNotifyTopicRouted(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{})
	sub := rawReady(t, n, 1, "_block_notify_1")
	pub := rawReady(t, n, 0)
	waitSubs(t, n, "_block_notify_1", 1)
	seq := wire.NewSeq()
	pub.sendTopic(wire.TypeMulticast, seq, 0, "_block_notify_1", []byte("m"))
	if f := sub.nextOf(wire.TypeMulticast, wait); f.Seq != seq {
		t.Fatalf("multicast push seq %s", f.Seq)
	}
	if f := pub.nextOf(wire.TypeAMOPResponse, wait); f.Result != 0 {
		t.Fatalf("multicast ack result %d", f.Result)
	}
	seq = wire.NewSeq()
	pub.sendTopic(wire.TypeAMOPRequest, seq, 0, "_block_notify_1", []byte("u"))
	if f := sub.nextOf(wire.TypeAMOPRequest, wait); f.Seq != seq {
		t.Fatalf("unicast push seq %s", f.Seq)
	}
	ideal := local.RunT(t, local.Options{})
	ip := rawReady(t, ideal, 0)
	ip.sendTopic(wire.TypeMulticast, wire.NewSeq(), 0, "_block_notify_1", []byte("m"))
	if f := ip.nextOf(wire.TypeAMOPResponse, wait); f.Result != local.CodeRefused {
		t.Fatalf("ideal: result %d; want %d", f.Result, local.CodeRefused)
	}
}

// TestFaithfulRow21SessionLost: ChannelSession::disconnect fails the
// session's pending pushes at once, so the next session is tried without
// waiting for the 5 s; the node's topic union is then recomputed (and
// synced, row 10: once it is, the topic is gone).
func TestFaithfulRow21SessionLost(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{PushTimeout: 10 * time.Second})
	first := rawReady(t, n, 1, "lost")
	second := rawReady(t, n, 1, "lost")
	waitSubs(t, n, "lost", 2)
	pub := rawReady(t, n, 0)
	fixedClock(t, n, secondPicking(t, 0, 2)) // the first session, by id
	seq := wire.NewSeq()
	start := time.Now()
	pub.sendTopic(wire.TypeAMOPRequest, seq, 0, "lost", []byte("q"))
	first.nextOf(wire.TypeAMOPRequest, wait)
	first.conn.Close()
	f := second.nextOf(wire.TypeAMOPRequest, wait)
	second.sendTopic(wire.TypeAMOPResponse, f.Seq, 0, "lost", []byte("second"))
	got := pub.nextOf(wire.TypeAMOPResponse, wait)
	if _, data := topicData(t, got); got.Seq != seq || data != "second" || time.Since(start) > 5*time.Second {
		t.Fatalf("after %v: %q; want the second session's answer at once", time.Since(start), data)
	}
	second.conn.Close()
	eventually(t, wait, "the topic forgotten by node 0", func() bool {
		s := wire.NewSeq()
		pub.sendTopic(wire.TypeAMOPRequest, s, 0, "lost", nil)
		f := pub.nextOf(wire.TypeAMOPResponse, wait)
		return f.Result == local.CodeNoSubscriber
	})
}

// TestFaithfulRow22PeerLost: libnetwork Session::drop fails a node's P2P
// requests to a peer that goes away, so a unicast moves to the next node at
// once, and the peer's topics go with it; a peer already gone when its
// turn comes ("Node inactived" in asyncSendMessageByNodeID) never calls
// back: that send is never answered.
func TestFaithfulRow22PeerLost(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{Nodes: 3, NodeTimeout: 20 * time.Second, PushTimeout: 20 * time.Second})
	silent := rawReady(t, n, 1, "peer")
	s2 := rawReady(t, n, 2, "peer") // raw: node 2 stops later, and go-sdk's reconnect races with itself
	s2.respond("node 2")
	pub := rawReady(t, n, 0)
	waitSubs(t, n, "peer", 2)
	fixedClock(t, n, secondPicking(t, 0, 2)) // node 1 first
	seq := wire.NewSeq()
	start := time.Now()
	pub.sendTopic(wire.TypeAMOPRequest, seq, 0, "peer", []byte("q"))
	silent.nextOf(wire.TypeAMOPRequest, wait)
	if err := n.StopNode(1); err != nil {
		t.Fatal(err)
	}
	f := pub.nextOf(wire.TypeAMOPResponse, wait)
	if _, data := topicData(t, f); f.Seq != seq || data != "node 2" || time.Since(start) > 5*time.Second {
		t.Fatalf("after %v: %q; want node 2's answer as soon as node 1 went", time.Since(start), data)
	}

	// Node 1 back with a silent subscriber; the send waits there; node 2
	// goes meanwhile; then node 1 goes, which fails the call to it: node 2
	// is next, and gone. Nothing ever answers.
	if err := n.StartNode(1); err != nil {
		t.Fatal(err)
	}
	back := rawReady(t, n, 1, "peer")
	waitSubs(t, n, "peer", 2)
	pub.sendTopic(wire.TypeAMOPRequest, wire.NewSeq(), 0, "peer", []byte("lost"))
	back.nextOf(wire.TypeAMOPRequest, wait)
	if err := n.StopNode(2); err != nil {
		t.Fatal(err)
	}
	if err := n.StopNode(1); err != nil {
		t.Fatal(err)
	}
	pub.quiet(wire.TypeAMOPResponse, 2*time.Second, "a send whose next node was gone")
	if u := n.FaithfulStats().Unanswered; u != 1 {
		t.Fatalf("unanswered %d; want 1", u)
	}
}

// TestFaithfulRow23ErrorCodes: what an SDK can see: 100 when no node is a
// candidate (or every node failed), 104 when every session of the picked
// node failed; a multicast is 0 (103 only from a bandwidth limiter, which
// these nodes do not have); 101 and 102 never.
func TestFaithfulRow23ErrorCodes(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{PushTimeout: 300 * time.Millisecond})
	rawReady(t, n, 1, "silent") // never answers
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "silent", 1)
	if r := sendTimed(t, pub, "nobody", "x", wait); !isCode(r.err, 100) {
		t.Fatalf("no candidate: %v", r.err)
	}
	if r := sendTimed(t, pub, "silent", "x", wait); !isCode(r.err, 104) {
		t.Fatalf("silent subscriber: %v", r.err)
	}
	if err := broadcast(t, pub, "nobody", []byte("x")); err != nil {
		t.Fatalf("multicast: %v", err)
	}
	st := n.Stats()
	if st.Replies100 != 1 || st.Replies104 != 1 {
		t.Fatalf("stats %+v", st)
	}
}
