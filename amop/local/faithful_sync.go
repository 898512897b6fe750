package local

// Row 10 (topic sync between nodes) and the node side of row 19 (private
// topics), as libp2p/P2PSession.cpp does them: every P2P link carries, every
// HEARTBEAT_INTERVEL (5000 ms, Options.SyncInterval) and once at once when
// the link comes up, the sender's topic seq; a receiver whose copy of the
// peer has another seq fetches the peer's topic list and replaces its copy
// (parseTopicList keeps the status of private topics it already had); with
// an unchanged seq it retries the verification of the peer's private topics
// that are still VERIFYING (requestCertTopic). A subscribe, an unsubscribe,
// a disconnect or a restart therefore reaches other nodes up to one period
// later.

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// peerView is what a node knows of one peer: its P2PSession's m_topicSeq
// and m_topics. Guarded by the owning node's mu; names and state are
// replaced, never changed in place, except state entries by a 0x38.
type peerView struct {
	linked bool   // in Service::m_sessions
	gen    uint64 // the link's incarnation
	seq    uint32
	names  []string               // the peer's topics, sorted (std::set<TopicItem> order)
	state  map[string]VerifyState // TopicItem::topicStatus by topic
}

// status is topic's status in the view, and whether the topic is in it.
func (v *peerView) status(topic string) (VerifyState, bool) {
	st, ok := v.state[topic]
	return st, ok
}

// topicSnapshot is a node's topic list as it answers RequestTopics: its
// seq and its topics in std::set order.
type topicSnapshot struct {
	seq   uint32
	names []string
}

// link brings up the P2P link between a and b, as a node that starts
// connects to every peer (Service::start → heartBeat → asyncConnect): each
// side gets an empty copy of the other and sends its topic seq at once,
// then every SyncInterval (P2PSession::start → heartBeat).
func (n *Network) link(a, b *fnode) {
	g := n.f.linkGen.Add(1)
	a.mu.Lock()
	if !a.up {
		a.mu.Unlock()
		return
	}
	a.peers[b.idx] = &peerView{linked: true, gen: g}
	a.mu.Unlock()
	b.mu.Lock()
	if !b.up {
		b.mu.Unlock()
		a.unlink(b.idx)
		return
	}
	b.peers[a.idx] = &peerView{linked: true, gen: g}
	b.mu.Unlock()
	n.armBeat(a, b, g, 0)
	n.armBeat(b, a, g, 0)
}

// unlink drops fn's link to peer: the copy of its topics goes (it stops
// being a candidate at once) and the requests in flight to it fail over
// (libnetwork Session::drop calls their callbacks with Disconnect).
func (fn *fnode) unlink(peer int) {
	fn.mu.Lock()
	fn.peers[peer] = nil
	if t := fn.beats[peer]; t != nil {
		t.stop()
		delete(fn.beats, peer)
	}
	var failed []*p2pCall
	for c := range fn.calls {
		if c.to == peer {
			failed = append(failed, c)
		}
	}
	fn.mu.Unlock()
	for _, c := range failed {
		fn.endCall(c, nil)
	}
}

// armBeat schedules from's next heartbeat to to on link g.
func (n *Network) armBeat(from, to *fnode, g uint64, wait time.Duration) {
	from.mu.Lock()
	defer from.mu.Unlock()
	if v := from.peers[to.idx]; !from.up || v == nil || v.gen != g {
		return
	}
	if old := from.beats[to.idx]; old != nil {
		old.stop()
	}
	from.beats[to.idx] = n.after(wait, func() { n.beat(from, to, g) })
}

// beat is P2PSession::heartBeat of from's link to to: send the topic seq,
// then re-arm. A frozen (hung) process sends nothing and reads nothing.
func (n *Network) beat(from, to *fnode, g uint64) {
	from.mu.Lock()
	v := from.peers[to.idx]
	if !from.up || v == nil || v.gen != g {
		from.mu.Unlock()
		return
	}
	seq := from.seq
	from.mu.Unlock()
	n.armBeat(from, to, g, n.opts.SyncInterval)
	if from.nd.frozen.Load() || to.nd.frozen.Load() {
		return
	}
	to.onTopicSeq(from, g, seq)
}

// onTopicSeq is P2PSession::onTopicMessage (SendTopicSeq) at fn for a
// heartbeat from peer carrying seq.
func (fn *fnode) onTopicSeq(peer *fnode, g uint64, seq uint32) {
	fn.mu.Lock()
	v := fn.peers[peer.idx]
	if !fn.up || v == nil || v.gen != g {
		fn.mu.Unlock()
		return
	}
	if v.seq == seq {
		// "for retry for amop verify"
		pushes := fn.certRequestsLocked(peer, v)
		fn.mu.Unlock()
		fn.pushVerify(pushes)
		return
	}
	fn.mu.Unlock()
	// RequestTopics, answered with the peer's current list (SendTopics).
	snap := peer.snapshot()
	if snap == nil {
		return
	}
	fn.net.f.stats.topicFetches.Add(1)
	state := make(map[string]VerifyState, len(snap.names))
	for _, t := range snap.names {
		state[t] = VerifySuccess
	}
	lo, hi := prefixRange(snap.names, NeedVerifyPrefix)
	fn.mu.Lock()
	old := fn.peers[peer.idx]
	if !fn.up || old == nil || old.gen != g {
		fn.mu.Unlock()
		return
	}
	// parseTopicList: a private topic keeps the status it had in the old
	// list, and starts VERIFYING when it is new.
	for _, t := range snap.names[lo:hi] {
		st, had := old.state[t]
		if !had {
			st = Verifying
		}
		state[t] = st
	}
	nv := &peerView{linked: true, gen: g, seq: snap.seq, names: snap.names, state: state}
	fn.peers[peer.idx] = nv
	pushes := fn.certRequestsLocked(peer, nv)
	fn.mu.Unlock()
	fn.net.notify()
	fn.pushVerify(pushes)
}

// snapshot is fn's answer to a peer's RequestTopics: its topic
// seq and its topics (Service::topics, the union over its sessions), built
// once per change and shared by every peer that asks.
// The names are copied under the node's lock and sorted outside it, so
// that a node with many topics does not hold up its sessions.
func (fn *fnode) snapshot() *topicSnapshot {
	fn.mu.Lock()
	if !fn.up {
		fn.mu.Unlock()
		return nil
	}
	if fn.snap != nil {
		defer fn.mu.Unlock()
		return fn.snap
	}
	seq, gen := fn.seq, fn.gen
	names := make([]string, 0, len(fn.subs))
	for t := range fn.subs {
		names = append(names, t)
	}
	fn.mu.Unlock()
	sort.Strings(names)
	snap := &topicSnapshot{seq: seq, names: names}
	fn.mu.Lock()
	if fn.up && fn.gen == gen && fn.seq == seq && fn.snap == nil {
		fn.snap = snap
	}
	fn.mu.Unlock()
	return snap
}

// prefixRange is the range of sorted names that start with prefix.
func prefixRange(sorted []string, prefix string) (lo, hi int) {
	lo = sort.SearchStrings(sorted, prefix)
	hi = lo
	for hi < len(sorted) && strings.HasPrefix(sorted[hi], prefix) {
		hi++
	}
	return lo, hi
}

// verifyPush is one 0x37 fn will push to a local publisher session.
type verifyPush struct {
	topic string // the publisher's topic: PushChannelPrefix + private topic
	body  []byte
}

// certRequestsLocked is P2PSession::requestCertTopic over fn's copy v of
// peer: for each private topic still VERIFYING, the first topic of the
// peer's list (in order) that starts with VerifyChannelPrefix + topic is
// the challenge (getTopicForCertRoute: a prefix match, so a topic "t" can
// take the challenge topic of "t2"); the 0x37 names the peer's node id.
func (fn *fnode) certRequestsLocked(peer *fnode, v *peerView) []verifyPush {
	lo, hi := prefixRange(v.names, NeedVerifyPrefix)
	var out []verifyPush
	for _, t := range v.names[lo:hi] {
		if v.state[t] != Verifying {
			continue
		}
		prefix := VerifyChannelPrefix + t
		i := sort.SearchStrings(v.names, prefix)
		if i == len(v.names) || !strings.HasPrefix(v.names[i], prefix) {
			continue
		}
		// Json::FastWriter: keys sorted, a newline at the end.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(wire.VerifyRequest{NodeID: peer.id, Topic: t, TopicForCert: v.names[i]}) // strings always encode
		out = append(out, verifyPush{topic: PushChannelPrefix + t, body: b.Bytes()})
	}
	return out
}

// pushVerify is ChannelRPCServer::asyncPushChannelMessageHandler for each
// request: nothing when no local session subscribes the publisher's topic,
// else a 0x37 with a fresh dev::newSeq() pushed to one of them (the usual
// pick, 5 s each, the next on failure).
func (fn *fnode) pushVerify(pushes []verifyPush) {
	for _, p := range pushes {
		seq := fn.net.f.nextSeq37()
		frame := reply(wire.TypeVerifyRequest, &seq, 0, p.body)
		push := &fPush{node: fn, topic: p.topic, frame: frame, seq: seq, verify: true, done: func([]byte, int32) {}}
		push.start()
	}
}

// fTopicStatus is ChannelRPCServer::onClientUpdateTopicStatusRequest: a 0x38
// from any session of fn. checkResult must be an int, nodeId and topic
// strings; the named peer's copy of topic changes only while VERIFYING
// (P2PSession::updateTopicStatus). Anything else is logged and ignored.
func (fn *fnode) fTopicStatus(body []byte) {
	n := fn.net
	root, ok := jsoncppParse(body)
	obj, isObj := root.(map[string]any)
	if !ok || !isObj {
		n.f.stats.ignored.Add(1)
		return
	}
	check, okC := jsoncppInt(obj["checkResult"])
	nodeID, okN := obj["nodeId"].(string)
	topic, okT := obj["topic"].(string)
	if !okC || !okN || !okT {
		n.f.stats.ignored.Add(1)
		return
	}
	id, err := parseNodeID(nodeID)
	if err != nil {
		n.f.stats.ignored.Add(1)
		return
	}
	state := VerifyFailed
	if check == 0 {
		state = VerifySuccess
	}
	applied := false
	fn.mu.Lock()
	for j, v := range fn.peers {
		if v == nil || !v.linked || n.f.nodes[j].idb != id {
			continue
		}
		if st, known := v.state[topic]; known && st == Verifying {
			v.state[topic] = state
			applied = true
		}
	}
	fn.mu.Unlock()
	if applied {
		n.f.stats.statusApplied.Add(1)
		n.log.Info("private topic of a peer node checked", "node", fn.idx, "topic", strings.TrimPrefix(topic, NeedVerifyPrefix),
			"peer", nodeID[:min(16, len(nodeID))], "state", state.String())
		n.notify()
	}
}
