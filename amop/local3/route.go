package local3

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"

	"github.com/amoptui/amoptui/amop/netobs"
	"github.com/amoptui/amoptui/amop/wire3"
)

// dispatch handles one message from session s. Like WsSession::onMessage, a
// message whose seq answers a push to s is taken as that answer first — on a
// faithful node whatever its type, on an ideal one only an AMOP response.
func (n *Network) dispatch(s *session, m wire3.Message) {
	if (n.faithful || m.Type == wire3.TypeResponse) && s.answered(&m) {
		return
	}
	switch m.Type {
	case wire3.TypeHandshake:
		n.handshake(s, m)
	case wire3.TypeSubTopic:
		n.subTopic(s, m)
	case wire3.TypeRequest:
		n.unicast(s, m)
	case wire3.TypeBroadcast:
		n.broadcast(s, m)
	case wire3.TypeRPC:
		m.Payload = rpcError(m.Payload)
		s.send(m, true)
	case wire3.TypeResponse:
		// Late, duplicate or unknown: a node logs and drops it.
		n.stats.unmatched.Add(1)
	default:
		n.stats.unknown.Add(1)
	}
}

// newSeq is MessageFace::newSeq: a random UUID without its dashes.
func newSeq() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// handshake answers on the request's own message, its payload replaced
// (Rpc::onRecvHandshakeRequest). A body that does not parse is not answered;
// a version range the node cannot meet drops the session.
func (n *Network) handshake(s *session, m wire3.Message) {
	req, err := wire3.DecodeHandshakeRequest(m.Payload)
	if err != nil {
		n.stats.malformed.Add(1)
		return
	}
	if req.MinVersion > wire3.MaxProtocol {
		s.close(closeUser)
		return
	}
	resp := wire3.HandshakeResponse{
		ProtocolVersion:  int(min(req.MaxVersion, wire3.MaxProtocol)),
		GroupInfoList:    []wire3.GroupInfo{n.groupInfo()},
		GroupBlockNumber: []map[string]int{{n.opts.GroupID: 0}},
	}
	m.Payload = resp.Encode()
	n.stats.handshakes.Add(1)
	s.send(m, true)
}

// subTopic applies a session's topic list. A faithful node only ever adds
// (AMOPClient::updateTopicInfos): a topic leaves a node's table when its
// last session ends. An ideal node takes the list as the session's new set.
// Nodes answer nothing either way.
func (n *Network) subTopic(s *session, m wire3.Message) {
	list, err := wire3.DecodeTopics(m.Payload)
	if err != nil {
		n.stats.malformed.Add(1)
		return
	}
	n.stats.subTopics.Add(1)
	nd := s.node
	n.mu.Lock()
	defer n.mu.Unlock()
	want := map[string]bool{}
	for _, t := range list.Topics {
		want[t] = true
	}
	if !n.faithful {
		for t := range s.subscribed {
			if !want[t] {
				if set := nd.topics[t]; set != nil {
					delete(set, s)
					if len(set) == 0 {
						delete(nd.topics, t)
					}
				}
			}
		}
		s.subscribed = want
	}
	for t := range want {
		if n.faithful {
			s.subscribed[t] = true
		}
		set := nd.topics[t]
		if set == nil {
			set = map[*session]struct{}{}
			nd.topics[t] = set
		}
		set[s] = struct{}{}
	}
	if len(want) > 0 {
		nd.topicSeq++ // TopicManager::subTopic
	}
	n.notifyLocked()
}

// request decodes an AMOP request body. A faithful node reads a body under 2
// bytes as the empty topic (AMOPRequest::decode returns early) and loses a
// body it cannot decode otherwise (the decoder throws and the message is
// gone); ok is false then.
func (n *Network) request(body []byte) (wire3.Request, bool) {
	r, err := wire3.DecodeRequest(body)
	if err == nil {
		return r, true
	}
	if n.faithful && len(body) < 2 {
		return wire3.Request{}, true
	}
	n.stats.malformed.Add(1)
	return wire3.Request{}, false
}

// broadcast delivers an AMOP broadcast: the sender's own node hands the
// sender's message itself to its subscribers (a faithful one to the sender
// too, when subscribed), every other node holding the topic pushes a new
// message with an empty seq. Nobody answers the sender.
func (n *Network) broadcast(from *session, m wire3.Message) {
	req, ok := n.request(m.Payload)
	if !ok {
		return
	}
	n.stats.broadcast.Add(1)
	raw, err := m.Encode()
	if err != nil {
		return
	}
	remote := wire3.Message{Type: wire3.TypeBroadcast, Payload: m.Payload}
	remoteRaw, _ := remote.Encode()
	type target struct {
		s    *session
		data []byte
	}
	var targets []target
	n.mu.Lock()
	for _, nd := range n.nodes {
		if nd == from.node {
			for s := range nd.topics[req.Topic] {
				if s != from || n.faithful {
					targets = append(targets, target{s, raw})
				}
			}
		} else if nd.visibleLocked(req.Topic) {
			for s := range nd.topics[req.Topic] {
				targets = append(targets, target{s, remoteRaw})
			}
		}
	}
	n.mu.Unlock()
	n.obs.Record(netobs.Decision{Kind: netobs.Multicast, Topic: req.Topic, From: from.ref(), Targets: len(targets)})
	for _, t := range targets {
		n.stats.bpushes.Add(1)
		t.s.enqueue(outMsg{data: t.data, push: true})
	}
}

// unicast routes an AMOP request and answers the sender on its seq.
func (n *Network) unicast(from *session, m wire3.Message) {
	start := time.Now() // for the observer's latency
	req, ok := n.request(m.Payload)
	if !ok {
		if !n.faithful {
			n.obs.Record(netobs.Decision{Kind: netobs.Refused, From: from.ref(), Code: wire3.CodeWsPacket})
			n.answerError(from, m.Seq, wire3.CodeWsPacket, "malformed AMOP request")
		}
		return
	}
	n.stats.unicast.Add(1)
	if n.faithful {
		n.unicastFaithful(from, m, req.Topic, start)
		return
	}
	// Ideal: one pick among every subscriber the sender's node can see,
	// never the sender itself; the answer comes back as an AMOP response.
	var eligible []*session
	n.mu.Lock()
	for _, nd := range n.nodes {
		if nd == from.node || nd.visibleLocked(req.Topic) {
			for s := range nd.topics[req.Topic] {
				if s != from {
					eligible = append(eligible, s)
				}
			}
		}
	}
	var pick *session
	if len(eligible) > 0 {
		pick = eligible[n.rng.IntN(len(eligible))]
	}
	n.mu.Unlock()
	if pick == nil {
		n.recordFailure(from, req.Topic, wire3.CodeNoPeer)
		n.answerError(from, m.Seq, wire3.CodeNoPeer, wire3.TextNoPeerPrefix+req.Topic)
		return
	}
	n.push(pick, m.Payload, func(r result) {
		if r.resp == nil {
			n.recordFailure(from, req.Topic, r.code)
			n.answerError(from, m.Seq, r.code, r.text)
			return
		}
		n.recordRouted(from, req.Topic, pick, start)
		n.stats.replies.Add(1)
		from.send(wire3.Message{Type: wire3.TypeResponse, Status: r.resp.Status, Seq: m.Seq, Payload: r.resp.Payload}, true)
	})
}

// push sends an AMOP request with a new seq to subscriber s and calls done
// with its answer, the 30 s timeout, or the subscriber's disconnect
// (AMOPClient::asyncNotifyAMOPMessage and sendMessageToClient).
func (n *Network) push(s *session, body []byte, done func(result)) {
	seq := newSeq()
	if !s.expect(seq, done) {
		done(result{code: wire3.CodeWsSessionDisconnect, text: wire3.TextDisconnectPrefix + "-4006", by: s})
		return
	}
	n.stats.pushes.Add(1)
	s.send(wire3.Message{Type: wire3.TypeRequest, Seq: seq, Payload: body}, false)
}

// answerError answers the sender of an AMOP request with an error: on a
// faithful node a message of type 0 carrying the code as status and the
// error text as payload, on an ideal one an AMOP response doing the same.
func (n *Network) answerError(to *session, seq string, code int, text string) {
	n.stats.errors.Add(1)
	typ := wire3.TypeResponse
	if n.faithful {
		typ = wire3.TypeNone
	}
	to.send(wire3.Message{Type: typ, Status: int16(code), Seq: seq, Payload: []byte(text)}, true)
}

// unicastFaithful is the path of a request through v3.16.4 (fisco3-amop.md):
//
//   - AMOPImpl::asyncSendMessageByTopic: the other reachable nodes that hold
//     the topic, tried one at a time (RetrySender); when there are none, the
//     sender's own node's clients (trySendTopicMessageToLocalClient); when it
//     has none either, 3001.
//   - the node reached picks one of its sessions (randomChooseSession) and
//     pushes a new request; no session is 3002; the subscriber's answer, a
//     30 s timeout (-4008) or its disconnect (-4006) comes back.
//   - AMOPClient::onRecvAMOPRequest: an answer goes to the sender verbatim,
//     with the sender's seq; an error first tries the sender's own node once
//     more (trySendAMOPRequestToLocalNode, with the sender's own message),
//     and only when that node has no session is the error sent, as a
//     message of type 0.
func (n *Network) unicastFaithful(from *session, m wire3.Message, topic string, start time.Time) {
	forward := func(resp *wire3.Message) {
		out := *resp
		out.Seq = m.Seq
		b, err := out.Encode()
		if err != nil {
			return
		}
		n.stats.replies.Add(1)
		from.enqueue(outMsg{data: b, answer: true})
	}
	onResult := func(r result) {
		if r.resp != nil {
			n.recordRouted(from, topic, r.by, start)
			forward(r.resp)
			return
		}
		n.fallback(from, m, topic, r, start)
	}
	n.mu.Lock()
	var remote []*node
	for _, nd := range n.nodes {
		if nd != from.node && nd.visibleLocked(topic) {
			remote = append(remote, nd)
		}
	}
	local := len(from.node.topics[topic]) > 0
	n.mu.Unlock()
	switch {
	case len(remote) > 0:
		n.retrySend(from, remote, m.Payload, topic, onResult)
	case local:
		n.deliver(from.node, m.Payload, topic, onResult)
	default:
		n.fallback(from, m, topic, result{code: wire3.CodeNoPeer, text: wire3.TextNoPeerPrefix + topic}, start)
	}
}

// retrySend is AMOPImpl's RetrySender: a random node of the list; when it
// cannot be reached, again — and, as in v3.16.4, the list loses its first
// entry each time rather than the node just tried. Each unreachable node
// followed by another try is a Retried decision (of from's request).
func (n *Network) retrySend(from *session, nodes []*node, body []byte, topic string, done func(result)) {
	for len(nodes) > 0 {
		n.mu.Lock()
		nd := nodes[faithfulPick(len(nodes))]
		reachable := nd.running
		n.mu.Unlock()
		nodes = nodes[1:]
		if reachable {
			n.deliver(nd, body, topic, done)
			return
		}
		if len(nodes) > 0 {
			n.obs.Record(netobs.Decision{Kind: netobs.Retried, Topic: topic, From: from.ref(), To: netobs.SessionRef{Node: nd.idx}})
		}
	}
	done(result{code: wire3.CodeSendFailed, text: wire3.TextSendFailed})
}

// deliver hands a request to one of nd's sessions subscribed to topic.
func (n *Network) deliver(nd *node, body []byte, topic string, done func(result)) {
	s := n.chooseSession(nd, topic)
	if s == nil {
		done(result{code: wire3.CodeNoClient, text: wire3.TextNoClient})
		return
	}
	n.push(s, body, done)
}

// chooseSession is AMOPClient::randomChooseSession: the sessions in endpoint
// order, one picked by a generator seeded with the current millisecond — so
// every pick within one millisecond is the same.
func (n *Network) chooseSession(nd *node, topic string) *session {
	n.mu.Lock()
	defer n.mu.Unlock()
	set := nd.topics[topic]
	if len(set) == 0 {
		return nil
	}
	ss := make([]*session, 0, len(set))
	for s := range set {
		ss = append(ss, s)
	}
	slices.SortFunc(ss, func(a, b *session) int {
		if a.endpoint < b.endpoint {
			return -1
		}
		if a.endpoint > b.endpoint {
			return 1
		}
		return 0
	})
	return ss[faithfulPick(len(ss))]
}

// faithfulPick stands in for srand(ms); rand() % n: a fixed mix of the
// current millisecond.
func faithfulPick(k int) int {
	x := uint64(time.Now().UnixMilli())
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return int(x % uint64(k))
}

// fallback is AMOPClient::trySendAMOPRequestToLocalNode after a failed first
// path: the sender's own message, seq and all, to one of its own node's
// sessions (the sender included), whose answer goes back as it is; when
// that fails too the sender gets an empty message it cannot match. With no
// session to try, the first error is the answer.
func (n *Network) fallback(from *session, m wire3.Message, topic string, first result, start time.Time) {
	s := n.chooseSession(from.node, topic)
	if s == nil {
		n.recordFailure(from, topic, first.code)
		n.answerError(from, m.Seq, first.code, first.text)
		return
	}
	if first.by != nil {
		n.obs.Record(netobs.Decision{Kind: netobs.Retried, Topic: topic, From: from.ref(), To: first.by.ref()})
	}
	n.stats.fallbacks.Add(1)
	raw, err := m.Encode()
	if err != nil {
		return
	}
	ok := s.expect(m.Seq, func(r result) {
		if r.resp == nil {
			n.recordFailure(from, topic, r.code)
			empty, _ := (&wire3.Message{}).Encode()
			from.enqueue(outMsg{data: empty, answer: true})
			return
		}
		n.recordRouted(from, topic, s, start)
		b, err := r.resp.Encode()
		if err != nil {
			return
		}
		n.stats.replies.Add(1)
		from.enqueue(outMsg{data: b, answer: true})
	})
	if !ok {
		n.recordFailure(from, topic, first.code)
		n.answerError(from, m.Seq, first.code, first.text)
		return
	}
	n.stats.pushes.Add(1)
	s.enqueue(outMsg{data: raw, push: true})
}

// groupInfo is the group a node describes in its handshake answer: the
// chain, the group and every node of the network.
func (n *Network) groupInfo() wire3.GroupInfo {
	o := n.opts
	g := wire3.GroupInfo{ChainID: o.ChainID, GroupID: o.GroupID,
		GenesisConfig: `{"consensusType":"pbft","blockTxCountLimit":1000,"txGasLimit":3000000000,"consensusLeaderPeriod":1}` + "\n"}
	for i := range n.nodes {
		ini := wire3.NodeIni{ChainID: o.ChainID, GroupID: o.GroupID, SMCryptoType: o.SM, NodeName: nodeName(i), NodeID: n.certs.ids[i]}
		ini.BinaryInfo.Version = o.NodeVersion
		ini.BinaryInfo.Platform = BuildType(o.Like)
		typ := 0
		if o.SM {
			typ = 1
		}
		g.NodeList = append(g.NodeList, wire3.NodeInfo{Name: nodeName(i), NodeID: n.certs.ids[i], Type: typ,
			IniConfig: string(iniJSON(ini)), Protocol: &wire3.NodeProtocol{MaxSupportedVersion: 2}})
	}
	return g
}
