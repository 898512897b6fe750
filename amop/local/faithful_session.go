package local

// The channel session of the faithful mode (libchannelserver/ChannelSession.cpp
// and the SDK-facing handlers of ChannelRPCServer.cpp): rows 2, 4–9, 18, 20
// and 21 of real-nodes.md.

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// fsession is a session's faithful state.
type fsession struct {
	gen   uint64       // the node process it belongs to
	proto atomic.Int32 // channel protocol: 1 (ProtocolVersion::v1) until a handshake
	dead  atomic.Bool  // no longer actived

	mu      sync.Mutex
	pending map[wire.Seq]*pushEntry // m_responseCallbacks
	timers  map[*ftimer]bool        // push timeouts, including those whose entry was not stored

	topics map[string]bool // guarded by the node's mu
}

// pushEntry is a ResponseCallback: a push awaiting this session's answer.
type pushEntry struct {
	cb    func(resp []byte, err error)
	timer *ftimer
}

// fOpen attaches the faithful state to a new session; false when the node
// process is gone.
func (s *session) fOpen() bool {
	fn := s.node.f
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if !fn.up {
		return false
	}
	s.f = &fsession{gen: fn.gen, pending: map[wire.Seq]*pushEntry{}, timers: map[*ftimer]bool{}, topics: map[string]bool{}}
	s.f.proto.Store(1)
	return true
}

// fReceive is ChannelSession::onMessage, on the session's reader: a frame
// whose seq is a pending push's is that push's answer whatever its type
// (row 4) and goes to the response pool; any other frame is a request and
// goes to the request pool. Each pool has Options.Workers workers, so
// frames of one session may be handled out of order, as on a real node.
func (s *session) fReceive(raw []byte) {
	fn := s.node.f
	f, err := wire.Parse(raw)
	if err != nil { // cannot happen: the reader checked the length
		return
	}
	fn.mu.Lock()
	req, resp := fn.req, fn.resp
	alive := fn.up && fn.gen == s.f.gen
	fn.mu.Unlock()
	if !alive {
		return
	}
	fs := s.f
	fs.mu.Lock()
	e := fs.pending[f.Seq]
	if e != nil {
		// The C++ erases the entry after the callback ran on the pool; a
		// duplicate answer racing in before that is not modelled.
		delete(fs.pending, f.Seq)
		delete(fs.timers, e.timer)
		e.timer.stop()
	}
	fs.mu.Unlock()
	if e != nil {
		resp.submit(s.done, func() { e.cb(raw, nil) })
		return
	}
	req.submit(s.done, func() { s.fRequest(raw, &f) })
}

// pushWait is ChannelSession::asyncSendMessage with a callback and a 5 s
// timeout (Options.PushTimeout): the callback is stored under seq with
// std::map::insert, which keeps an entry already there; the timeout, when
// it fires, fails whatever entry holds seq then. On an inactive session the
// callback runs at once with "Session inactived".
func (s *session) pushWait(seq wire.Seq, frame []byte, cb func([]byte, error)) {
	n := s.net
	fs := s.f
	fs.mu.Lock()
	if fs.dead.Load() {
		fs.mu.Unlock()
		cb(nil, errInactive)
		return
	}
	var t *ftimer
	t = n.after(n.opts.PushTimeout, func() {
		fs.mu.Lock()
		delete(fs.timers, t)
		e := fs.pending[seq]
		delete(fs.pending, seq)
		fs.mu.Unlock()
		if e != nil {
			e.cb(nil, errPushTimeout) // ChannelSession::onTimeout
		}
	})
	if t == nil { // the network is closing
		fs.mu.Unlock()
		return
	}
	fs.timers[t] = true
	var e *pushEntry
	if _, taken := fs.pending[seq]; !taken {
		e = &pushEntry{cb: cb, timer: t}
		fs.pending[seq] = e
	}
	fs.mu.Unlock()
	// A real node's send queue is unbounded; here a push to a session
	// that is not keeping up fails at once (Network's push), as if its 5 s
	// had passed, so that no reader or worker ever waits on it.
	if s.push(frame, nil) {
		return
	}
	fs.mu.Lock()
	delete(fs.timers, t)
	if e != nil && fs.pending[seq] == e {
		delete(fs.pending, seq)
	} else {
		e = nil
	}
	fs.mu.Unlock()
	t.stop()
	if e != nil {
		e.cb(nil, errPushTimeout)
	}
}

// fClose is ChannelSession::disconnect and ChannelRPCServer::onDisconnect
// (row 21): every pending push fails (on the response pool: the next
// session is tried), the session leaves the node, and the node's topic
// union is recomputed, which bumps its topic seq whatever changed (to be
// synced, row 10).
func (s *session) fClose() {
	fs := s.f
	if fs == nil {
		return
	}
	fs.mu.Lock()
	fs.dead.Store(true)
	entries := make([]*pushEntry, 0, len(fs.pending))
	for seq, e := range fs.pending {
		delete(fs.pending, seq)
		entries = append(entries, e)
	}
	for t := range fs.timers {
		t.stop()
		delete(fs.timers, t)
	}
	fs.mu.Unlock()
	fn := s.node.f
	fn.mu.Lock()
	resp := fn.resp
	alive := fn.up && fn.gen == fs.gen
	if alive {
		for t := range fs.topics {
			fn.unsubLocked(s, t)
		}
		for id, owner := range fn.filters {
			if owner == s {
				delete(fn.filters, id)
			}
		}
		fn.seq++
		fn.snap = nil
	}
	fs.topics = nil
	fn.mu.Unlock()
	if !alive {
		return // the process is gone, and its callbacks with it
	}
	for _, e := range entries {
		resp.submit(nil, func() { e.cb(nil, errDisconnected) })
	}
	s.net.notify()
}

func (fn *fnode) unsubLocked(s *session, topic string) {
	if m := fn.subs[topic]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(fn.subs, topic)
		}
	}
}

// fRequest is ChannelRPCServer::onClientRequest, on a request-pool worker.
func (s *session) fRequest(raw []byte, f *wire.Frame) {
	n := s.net
	if s.f.dead.Load() {
		return // "MessageHandler empty" after a disconnect
	}
	switch f.Type {
	case wire.TypeRPC:
		s.onRPC(f)
	case wire.TypeHeartbeat:
		s.fHeartbeat(raw, f)
	case wire.TypeHandshake:
		s.fHandshake(raw, f)
	case wire.TypeEventRegister, wire.TypeEventUnregister:
		s.fEvent(f)
	case wire.TypeAMOPRequest, wire.TypeAMOPResponse, wire.TypeMulticast:
		s.fChannelRequest(raw, f)
	case wire.TypeSubscribe:
		s.fTopics(f.Body)
	case wire.TypeTopicStatus:
		s.node.f.fTopicStatus(f.Body)
	default:
		// Row 5: "unknown client message", logged and ignored; the
		// session stays.
		n.f.stats.ignored.Add(1)
		n.log.Debug("unknown frame type ignored, as by a real node", "node", s.node.idx, "session", s.id, "type", f.Type.String())
	}
}

// answer writes the request's own frame back with a new body: the C++
// handlers call message->setData and send the same message, so the seq,
// the type and even the request's result field come back unchanged.
func answer(raw []byte, body []byte) []byte {
	out := make([]byte, wire.HeaderLen, wire.HeaderLen+len(body))
	copy(out, raw[:wire.HeaderLen])
	out = append(out, body...)
	binary.BigEndian.PutUint32(out, uint32(len(out)))
	return out
}

// fHandshake is onClientHandshake (row 6): bad JSON gets no answer;
// minimumSupport and maximumSupport default to 1; a range that misses the
// node's 1..3 disconnects; the protocol is min(3, client's maximum); the
// answer is {"nodeVersion":<supported version>,"protocol":N}\n on the
// request's own frame.
func (s *session) fHandshake(raw []byte, f *wire.Frame) {
	n := s.net
	root, ok := jsoncppParse(f.Body)
	minP, maxP := 1, 1
	if ok {
		switch v := root.(type) {
		case map[string]any:
			if x, has := v["minimumSupport"]; has {
				minP, ok = jsoncppInt(x)
			}
			if x, has := v["maximumSupport"]; has && ok {
				maxP, ok = jsoncppInt(x)
			}
			if c, has := v["clientType"]; has && ok {
				_, ok = jsoncppString(c)
			}
		case nil:
		default:
			ok = false // Json::Value::get on a non-object throws
		}
	}
	if !ok {
		n.f.stats.ignored.Add(1)
		return
	}
	if wire.MaxProtocol < minP || 1 > maxP {
		s.closeAsync(closeReason{msg: "handshake: the client's protocol range " + strconv.Itoa(minP) + ".." + strconv.Itoa(maxP) + " misses 1..3"})
		return
	}
	proto := min(wire.MaxProtocol, maxP)
	s.f.proto.Store(int32(proto))
	body := `{"nodeVersion":` + jsonString(n.opts.SupportedVersion) + `,"protocol":` + strconv.Itoa(proto) + "}\n"
	s.relay(answer(raw, []byte(body)))
}

// fHeartbeat is onClientHeartbeat (row 7): on protocol 1 only a body "0"
// is answered ("1"); on 2 and 3 always {"heartBeat":1}\n.
func (s *session) fHeartbeat(raw []byte, f *wire.Frame) {
	if s.f.proto.Load() <= 1 {
		if string(f.Body) == "0" {
			s.relay(answer(raw, []byte("1")))
		}
		return
	}
	s.relay(answer(raw, wire.HeartbeatReply))
}

// fTopics is onClientTopicRequest (row 9): bad JSON is ignored; otherwise
// the session's topic set is replaced and the node's union recomputed,
// which bumps the node's topic seq on every call. No answer.
func (s *session) fTopics(body []byte) {
	fn := s.node.f
	// A real node has no limit but the frame's; the network's per-session
	// limits (Options.MaxTopics and the rest) hold in this mode too.
	if why := s.net.topicBytesOver(len(body)); why != "" {
		s.refuseTopics(why)
		return
	}
	topics, ok := jsoncppTopics(body)
	if !ok {
		s.net.f.stats.ignored.Add(1)
		return
	}
	private := 0
	for t := range topics {
		if strings.HasPrefix(t, wire.InternalPrefix) {
			private++
		}
	}
	if why := s.net.topicCountOver(len(topics), private); why != "" {
		s.refuseTopics(why)
		return
	}
	fn.mu.Lock()
	if !fn.up || fn.gen != s.f.gen || s.f.dead.Load() {
		fn.mu.Unlock()
		return
	}
	for t := range s.f.topics {
		if !topics[t] {
			fn.unsubLocked(s, t)
		}
	}
	for t := range topics {
		m := fn.subs[t]
		if m == nil {
			m = map[*session]bool{}
			fn.subs[t] = m
		}
		m[s] = true
	}
	s.f.topics = topics
	fn.seq++
	fn.snap = nil
	fn.mu.Unlock()
	s.net.notify()
}

// Event-log answers (libeventfilter/Common.h ResponseCode).
const (
	eventInvalidRequest = -41001
	eventGroupNotExist  = -41002
	eventBadRange       = -41003
	eventNonexistent    = -41007
	maxBlockNumber      = math.MaxInt64
)

// fEvent is onClientRegisterEventLogRequest and
// onClientUnregisterEventLogRequest (row 18): the body skips its topic
// field, the JSON filter is checked as EventLogFilterParams does, and the
// answer is the request type with {"result":N}\n in a topic body of topic
// "". A registered filter never pushes logs: this chain has no
// transactions. An empty body is undefined behaviour in the C++ (it reads
// the length byte of an empty buffer); here it is ignored.
func (s *session) fEvent(f *wire.Frame) {
	n := s.net
	fn := s.node.f
	if len(f.Body) == 0 || int(f.Body[0]) > len(f.Body) {
		n.f.stats.ignored.Add(1) // the C++ throws inside its try: no answer
		return
	}
	data := f.Body[f.Body[0]:]
	result := eventInvalidRequest
	root, ok := jsoncppParse(data)
	obj, isObj := root.(map[string]any)
	if ok && isObj {
		id, _ := jsoncppString(obj["filterID"])
		gs, _ := jsoncppString(obj["groupID"])
		g, gerr := strconv.Atoi(gs)
		switch {
		case id == "" || gerr != nil || g < 1 || g > 32767:
		case g != n.opts.GroupID:
			result = eventGroupNotExist
		case f.Type == wire.TypeEventUnregister:
			fn.mu.Lock()
			if _, had := fn.filters[id]; had {
				delete(fn.filters, id)
				result = 0
			} else {
				result = eventNonexistent
			}
			fn.mu.Unlock()
		default:
			from, to := blockField(obj, "fromBlock", n.f.block.Load()), blockField(obj, "toBlock", maxBlockNumber)
			if to < from {
				result = eventBadRange
				break
			}
			fn.mu.Lock()
			fn.filters[id] = s
			fn.mu.Unlock()
			result = 0
		}
	}
	body, _ := wire.AppendTopicBody(nil, "", []byte(`{"result":`+strconv.Itoa(result)+"}\n"))
	s.relay(reply(f.Type, &f.Seq, 0, body))
}

// fStall is row 2: a frame whose length field is under 42 makes the C++
// decoder throw inside ChannelSession::onRead, which catches it and never
// reads again; the session stays until the 60 s idle timer (which writes
// still reset) closes it. It returns when the session must end.
func (s *session) fStall() closeReason {
	idle := s.net.opts.IdleTimeout
	if idle <= 0 {
		<-s.done
		return closeReason{msg: "closed"}
	}
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		left := time.Until(time.Unix(0, s.last.Load()).Add(idle))
		if left <= 0 {
			return closeReason{msg: "idle for " + idle.String() + " after a frame shorter than its header", kind: reasonIdle}
		}
		t.Reset(left)
		select {
		case <-s.done:
			return closeReason{msg: "closed"}
		case <-t.C:
		}
	}
}
