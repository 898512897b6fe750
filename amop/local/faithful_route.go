package local

// AMOP routing of the faithful mode (rows 11–16, 21–23 of real-nodes.md):
// ChannelRPCServer::onClientChannelRequest at the sender's node,
// Service::getPeersByTopic / asyncSendMessageByTopic / asyncSendMessageByNodeID
// / onLocalAMOPMessage between nodes, ChannelRPCServer::onNodeChannelRequest /
// asyncPushChannelMessage / asyncBroadcastChannelMessage at the receiving
// node. P2P messages between the in-process nodes are function calls; what
// the C++ does with them (timeouts, failover, drops) is kept.

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/amoptui/amoptui/amop/netobs"
	"github.com/amoptui/amoptui/amop/wire"
)

// Results of the faithful mode (libchannelserver/ChannelException.h names).
const (
	codeRemotePeerUnavailable = CodeNoSubscriber // 100 REMOTE_PEER_UNAVAILABLE
	codeSendFailed            = CodePushFailed   // 104: "no session use topic", "all session failed"
)

var (
	errPushTimeout  = errors.New("response timeout")  // ChannelException(-2)
	errInactive     = errors.New("session inactived") // ChannelException(-3)
	errDisconnected = errors.New("disconnect")        // ChannelSession::disconnect
)

// topicOf reads an AMOP body's topic as onClientChannelRequest and
// onNodeChannelRequest do: no check but dataSize < 1 (ignored). A length
// byte of 0 makes std::string(data+1, size_t(-1)) throw std::length_error
// outside any try in a thread-pool worker, which ends the C++ process:
// crash reports it. A length byte past the body reads past the buffer
// (undefined behaviour): the topic is then garbage that matches no
// subscriber, modelled as a topic nobody has.
func topicOf(body []byte) (topic string, ok, crash bool) {
	if len(body) < 1 {
		return "", false, false
	}
	l := int(body[0])
	if l == 0 {
		return "", false, true
	}
	if l > len(body) {
		return "\x00<past the body>", true, false
	}
	return string(body[1:l]), true, false
}

// fChannelRequest is ChannelRPCServer::onClientChannelRequest for a 0x30,
// 0x31 or 0x35 from s (a 0x31 reaches it only when it answers nothing).
func (s *session) fChannelRequest(raw []byte, f *wire.Frame) {
	fn := s.node.f
	n := s.net
	topic, ok, crash := topicOf(f.Body)
	if crash {
		fn.crash("a " + f.Type.String() + " whose topic-length byte is 0 (std::length_error in onClientChannelRequest)")
		return
	}
	if !ok {
		n.f.stats.ignored.Add(1) // "invalid channel2 message too short"
		return
	}
	switch f.Type {
	case wire.TypeAMOPRequest:
		n.stats.unicast.Add(1)
		u := &fUnicast{node: fn, pub: s, req: raw, seq: f.Seq, topic: topic, start: time.Now()}
		u.left = fn.peersByTopic(topic)
		u.next()
	case wire.TypeMulticast:
		fn.multicast(s, raw, topic)
	default:
		// An SDK's 0x31 that answers nothing, such as go-sdk's answer to a
		// multicast push: "unknown message type", ignored.
		n.stats.unmatched.Add(1)
	}
}

// peersByTopic is Service::getPeersByTopic at fn (row 11): the linked peers
// whose copy of topic is VERIFY_SUCCESS, in a fixed order (the C++ walks an
// unordered_map of node ids; here, node order), then fn itself when any of
// its sessions subscribes the topic — the sender's own session included.
func (fn *fnode) peersByTopic(topic string) []int {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	var out []int
	for j, v := range fn.peers {
		if v == nil || !v.linked {
			continue
		}
		if st, ok := v.state[topic]; ok && st == VerifySuccess {
			out = append(out, j)
		}
	}
	if len(fn.subs[topic]) > 0 {
		out = append(out, fn.idx)
	}
	return out
}

// fUnicast is one SDK 0x30 at its node: the TopicStatus object of
// Service::asyncSendMessageByTopic (row 12). Its attempts run one after the
// other, each started by the failure of the one before.
type fUnicast struct {
	node   *fnode
	pub    *session
	req    []byte // the frame as received; shared, never written
	seq    wire.Seq
	topic  string
	left   []int     // m_nodeIDs: the candidate nodes not tried yet
	p2pSeq uint64    // the P2P message's seq: 0 until the first send to a peer
	start  time.Time // when the request arrived, for the observer
}

// next tries the next node: picked among those left by the generator
// seeded with the current second; none left → 100 with an empty body.
func (u *fUnicast) next() {
	n := u.node.net
	if len(u.left) == 0 {
		// "Send topics message all failed" / "No topic to be sent": the
		// publisher's own frame, type 0x31, result 100, data cleared.
		n.stats.replies100.Add(1)
		n.obs.Record(netobs.Decision{Kind: netobs.NoSubscriber, Topic: u.topic, From: u.pub.ref()})
		u.pub.relay(reply(wire.TypeAMOPResponse, &u.seq, codeRemotePeerUnavailable, nil))
		return
	}
	i := timePick(n.f.clock().Unix(), len(u.left))
	cur := u.left[i]
	u.left = append(u.left[:i:i], u.left[i+1:]...)
	if cur == u.node.idx {
		n.obs.Record(netobs.Decision{Kind: netobs.OwnNodeDropped, Topic: u.topic, From: u.pub.ref()})
		u.node.localAMOP(u)
		return
	}
	u.node.sendToPeer(cur, u)
}

// localEntry is a request for the sender's own node waiting in
// m_localAMOPCallbacks.
type localEntry struct{ u *fUnicast }

// localAMOP is Service::asyncSendMessageByNodeID for the node itself, i.e.
// onLocalAMOPMessage (row 13, v2.8.0–2.11.x): the callback is stored under
// the P2P message's seq — 0 unless an earlier attempt went to a peer —
// with std::unordered_map::insert, which keeps an entry already there; the
// message goes to Service::onMessage with an empty P2PSession pointer, and
// onMessage returns at once: nobody receives it. After NodeTimeout the
// request's timer looks up its message's seq as it is then — the timer
// holds the message, and a later send to a peer gives a message of seq 0
// a fresh one — and fails whatever entry holds that seq (possibly another
// request's), which moves that request to its next node. So the first
// request waits 30 s; one made while another holds the seq is never
// answered, and its timer cuts short the wait of whichever request holds
// the seq when it fires (an earlier 100, or the next node sooner); a
// request that has moved on since fails nobody.
func (fn *fnode) localAMOP(u *fUnicast) {
	n := fn.net
	n.f.stats.ownNodeDropped.Add(1)
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if !fn.up {
		return
	}
	if _, taken := fn.local[u.p2pSeq]; !taken {
		fn.local[u.p2pSeq] = &localEntry{u: u}
	}
	gen := fn.gen
	var t *ftimer
	t = n.after(n.opts.NodeTimeout, func() {
		fn.mu.Lock()
		if fn.gen != gen {
			fn.mu.Unlock()
			return
		}
		delete(fn.timers, t)
		key := u.p2pSeq // message->seq() when the timer fires (sendToPeer sets it under fn.mu)
		e := fn.local[key]
		delete(fn.local, key)
		fn.mu.Unlock()
		if e != nil {
			e.u.next() // NetworkTimeout: TopicStatus::onResponse tries the next node
		}
	})
	if t != nil {
		fn.timers[t] = true
	}
}

// p2pCall is a P2P request fn sent to a peer and waits NodeTimeout for
// (libnetwork Session::asyncSendMessage with options.timeout).
type p2pCall struct {
	to    int
	timer *ftimer
	done  func(resp []byte) // nil resp: timeout or link lost
}

// sendToPeer sends u's request to peer node to. A peer not linked any more
// is "Node inactived": Service::asyncSendMessageByNodeID logs it and never
// calls the callback, so the SDK never gets an answer (row 22).
func (fn *fnode) sendToPeer(to int, u *fUnicast) {
	n := fn.net
	fn.mu.Lock()
	v := fn.peers[to]
	if !fn.up || v == nil || !v.linked {
		fn.mu.Unlock()
		n.f.stats.unanswered.Add(1)
		n.log.Warn("unicast to a node that is gone: never answered, as by a real node", "node", fn.idx, "peer", to, "topic", u.topic)
		return
	}
	if u.p2pSeq == 0 {
		fn.p2pSeq++
		u.p2pSeq = fn.p2pSeq
	}
	c := &p2pCall{to: to}
	c.done = func(resp []byte) {
		if resp == nil {
			n.obs.Record(netobs.Decision{Kind: netobs.Retried, Topic: u.topic, From: u.pub.ref(), To: netobs.SessionRef{Node: to}})
			u.next()
			return
		}
		// TopicStatus::onResponse → message->decode(response): the
		// answer, success or 104, is relayed as the peer built it (row 14).
		if resultOf(resp) == codeSendFailed {
			n.stats.replies104.Add(1)
			n.obs.Record(netobs.Decision{Kind: netobs.PushFailed, Topic: u.topic, From: u.pub.ref()})
		} else {
			n.stats.unicastReplies.Add(1)
			n.obs.Record(netobs.Decision{Kind: netobs.Routed, Topic: u.topic, From: u.pub.ref(), To: netobs.SessionRef{Node: to}, Latency: time.Since(u.start)})
		}
		u.pub.relay(resp)
	}
	fn.calls[c] = true
	c.timer = n.after(n.opts.NodeTimeout, func() { fn.endCall(c, nil) })
	fn.mu.Unlock()
	peer := n.f.nodes[to]
	peer.onNodeRequest(fn, v.gen, u.req, func(resp []byte) { fn.endCall(c, resp) })
}

// endCall ends c once: with the peer's answer, or nil on timeout or loss.
func (fn *fnode) endCall(c *p2pCall, resp []byte) {
	fn.mu.Lock()
	if !fn.calls[c] {
		fn.mu.Unlock()
		return
	}
	delete(fn.calls, c)
	c.timer.stop()
	fn.mu.Unlock()
	c.done(resp)
}

func resultOf(raw []byte) int32 { return int32(binary.BigEndian.Uint32(raw[38:42])) }

// onNodeRequest is ChannelRPCServer::onNodeChannelRequest for a 0x30 from
// peer: push it to a local session; answer with the session's reply, or
// with the request itself turned into a 0x31 carrying the failure's code
// (104) and the original body. A hung process answers nothing.
func (fn *fnode) onNodeRequest(from *fnode, g uint64, req []byte, answer func([]byte)) {
	if fn.nd.frozen.Load() {
		return
	}
	fn.mu.Lock()
	v := fn.peers[from.idx]
	ok := fn.up && v != nil && v.gen == g
	gen := fn.gen
	fn.mu.Unlock()
	if !ok {
		return
	}
	answer = fn.whileAlive(gen, answer)
	topic, ok, crash := topicOf(req[wire.HeaderLen:])
	if crash {
		fn.crash("a relayed 0x30 whose topic-length byte is 0")
		return
	}
	if !ok {
		return // "invalid channel message too short": no answer; the sender waits 30 s
	}
	var seq wire.Seq
	copy(seq[:], req[6:38])
	p := &fPush{node: fn, topic: topic, frame: req, seq: seq, done: func(resp []byte, code int32) {
		if code == 0 {
			answer(resp)
			return
		}
		failed := append([]byte(nil), req...)
		wire.SetType(failed, wire.TypeAMOPResponse)
		wire.SetResult(failed, code)
		answer(failed)
	}}
	p.start()
}

// whileAlive wraps an answer to a peer so that a process that has ended
// since (gen) sends nothing.
func (fn *fnode) whileAlive(gen uint64, answer func([]byte)) func([]byte) {
	return func(resp []byte) {
		fn.mu.Lock()
		alive := fn.up && fn.gen == gen
		fn.mu.Unlock()
		if alive {
			answer(resp)
		}
	}
}

// fPush is the Callback of ChannelRPCServer::asyncPushChannelMessage: push
// a frame to one of fn's sessions subscribed to topic, picked by the
// seeded generator; after a failure (5 s without an answer, the session
// gone) exclude it and pick again; none left → 104.
type fPush struct {
	node    *fnode
	topic   string
	frame   []byte
	seq     wire.Seq
	verify  bool // a 0x37: its answer is only logged
	exclude map[*session]bool
	cur     *session
	done    func(resp []byte, code int32)
}

func (p *fPush) start() {
	p.exclude = map[*session]bool{}
	p.send(false)
}

// send is Callback::sendMessage.
func (p *fPush) send(retry bool) {
	fn := p.node
	n := fn.net
	fn.mu.Lock()
	list := fn.subscribedLocked(p.topic)
	fn.mu.Unlock()
	if len(list) == 0 {
		p.fail() // "no session use topic"
		return
	}
	cands := list[:0:0]
	for _, s := range list {
		if !p.exclude[s] {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		p.fail() // "all session try failed"
		return
	}
	s := cands[timePick(n.f.clock().Unix(), len(cands))]
	p.cur = s
	if retry {
		n.stats.unicastRetries.Add(1)
	}
	if p.verify {
		n.f.stats.verifyRequests.Add(1)
	}
	s.pushWait(p.seq, p.frame, p.onResponse)
}

// onResponse is Callback::onResponse.
func (p *fPush) onResponse(resp []byte, err error) {
	if err != nil {
		p.exclude[p.cur] = true
		p.send(true)
		return
	}
	p.done(resp, 0)
}

func (p *fPush) fail() {
	if !p.verify {
		p.done(nil, codeSendFailed)
	}
}

// multicast is the 0x35 branch of onClientChannelRequest (row 15):
// Service::asyncMulticastMessageByTopic sends to every candidate node
// without a callback — the own node's copy is dropped like a unicast's
// (row 13), a peer gone is skipped — and each peer pushes the frame to every
// local session of the topic (asyncBroadcastChannelMessage); the sender then
// gets its own frame back as a 0x31 with result 0, even when nobody
// listens. (103 comes only from the bandwidth limiter, off by default.)
func (fn *fnode) multicast(pub *session, raw []byte, topic string) {
	n := fn.net
	targets := 0
	for _, j := range fn.peersByTopic(topic) {
		if j == fn.idx {
			n.f.stats.ownNodeDropped.Add(1)
			n.obs.Record(netobs.Decision{Kind: netobs.OwnNodeDropped, Topic: topic, From: pub.ref()})
			continue
		}
		fn.mu.Lock()
		v := fn.peers[j]
		linked := fn.up && v != nil && v.linked
		fn.mu.Unlock()
		if linked {
			targets += n.f.nodes[j].onNodeMulticast(raw, topic)
		}
	}
	n.obs.Record(netobs.Decision{Kind: netobs.Multicast, Topic: topic, From: pub.ref(), Targets: targets})
	n.stats.multicast.Add(1)
	ack := append([]byte(nil), raw...)
	wire.SetType(ack, wire.TypeAMOPResponse)
	wire.SetResult(ack, 0)
	pub.relay(ack)
}

// onNodeMulticast is asyncBroadcastChannelMessage at fn; it returns the
// number of sessions pushed to (for the observer).
func (fn *fnode) onNodeMulticast(raw []byte, topic string) int {
	if fn.nd.frozen.Load() {
		return 0
	}
	fn.mu.Lock()
	list := fn.subscribedLocked(topic)
	up := fn.up
	fn.mu.Unlock()
	if !up {
		return 0
	}
	// A real node queues without bound; here the pushes never wait and a
	// subscriber that is not keeping up loses its own (Network.fanOut).
	fn.net.fanOut(raw, list, nil)
	return len(list)
}

// blockLoop announces a block every BlockInterval (row 17).
func (n *Network) blockLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.opts.BlockInterval)
	defer t.Stop()
	for {
		select {
		case <-n.closing:
			return
		case <-t.C:
		}
		num := n.f.block.Add(1)
		n.f.stats.blocks.Add(1)
		for _, fn := range n.f.nodes {
			fn.blockNotify(num)
		}
	}
}

// blockNotify is ChannelRPCServer::blockNotify: to every session of fn
// subscribed to _block_notify_<group>, a 0x1001 with a seq of 32 '0' and,
// in topic body, "<group>,<number>" on protocol 1 or
// {"blockNumber":n,"groupID":g}\n on 2 and 3.
func (fn *fnode) blockNotify(num int64) {
	if fn.nd.frozen.Load() {
		return
	}
	n := fn.net
	g := n.opts.GroupID
	topic := wire.BlockNotifyPrefix + itoa(int64(g))
	fn.mu.Lock()
	list := fn.subscribedLocked(topic)
	fn.mu.Unlock()
	seq := wire.ZeroSeq
	for _, s := range list {
		var data string
		if s.f.proto.Load() <= 1 {
			data = itoa(int64(g)) + "," + itoa(num)
		} else {
			data = `{"blockNumber":` + itoa(num) + `,"groupID":` + itoa(int64(g)) + "}\n"
		}
		frame, err := wire.EncodeTopicFrame(wire.TypeBlockNotify, &seq, 0, topic, []byte(data))
		if err == nil {
			s.push(frame, nil) // a push: lost by a session that is not keeping up
		}
	}
}
