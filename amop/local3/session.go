package local3

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amoptui/amoptui/amop/wire3"
)

// closeReason is why a session ended, as the WsError code a real node
// reports it with (the "reason" in its disconnect error text).
type closeReason int

const (
	closeRead      closeReason = wire3.CodeWsRead   // the peer closed, or a read failed
	closeWrite     closeReason = wire3.CodeWsWrite  // a write failed or timed out
	closePacket    closeReason = wire3.CodeWsPacket // a message under 10 bytes
	closeUser      closeReason = wire3.CodeWsUserDisconnect
	closeOversize  closeReason = wire3.CodeWsMessageOverflow
	closeIdle      closeReason = wire3.CodeWsTimeout
	closeStopped   closeReason = wire3.CodeWsSessionDisconnect
	closeSlow      closeReason = wire3.CodeWsWrite
	closeMalformed closeReason = wire3.CodeWsPacket
)

// logClose logs the end of s at the level the 2.x network uses for the
// same cause: what points at a broken or hostile client is a warning, an
// idle session is news, an ordinary disconnect is detail (--verbose).
// A slow subscriber is warned about where it is found (enqueue): its code
// is a write failure's.
func (n *Network) logClose(s *session, why closeReason) {
	args := []any{"node", s.node.idx, "session", s.id, "remote", s.endpoint, "code", int(why)}
	switch why {
	case closePacket:
		n.log.Warn("session closed", append(args, "reason", "malformed message")...)
	case closeOversize:
		n.log.Warn("session closed", append(args, "reason", "message over the size limit")...)
	case closeUser:
		n.log.Info("session closed", append(args, "reason", "handshake: no protocol version in common")...)
	case closeIdle:
		n.log.Info("session closed", append(args, "reason", "idle")...)
	case closeRead:
		n.log.Debug("session closed", append(args, "reason", "peer closed")...)
	case closeWrite:
		n.log.Debug("session closed", append(args, "reason", "write failed")...)
	case closeStopped:
		n.log.Debug("session closed", append(args, "reason", "node stopped")...)
	default:
		n.log.Debug("session closed", args...)
	}
}

// outMsg is one message queued for a session.
type outMsg struct {
	data []byte
	// answer marks an answer to something the session sent (handshake or
	// AMOP request): the hostile behaviours that disturb answers apply.
	answer bool
	// push marks an AMOP request or broadcast pushed to a subscriber.
	push bool
}

// session is one SDK connection: a WebSocket on the node's RPC port.
type session struct {
	id       uint64
	node     *node
	net      *Network
	conn     *websocket.Conn
	endpoint string // the remote address, the key nodes index sessions by
	out      chan outMsg
	done     chan struct{}
	once     sync.Once
	lastRead atomic.Int64
	pinged   atomic.Bool
	silent   atomic.Bool

	// Guarded by net.mu.
	subscribed map[string]bool // the topics of the session's latest list
	hostile    Behaviour

	pmu     sync.Mutex
	pending map[string]*push // pushes awaiting this subscriber's answer, by seq
	reason  closeReason      // set once done is closed
}

// push is an AMOP request pushed to a subscriber and awaiting its answer.
type push struct {
	stop func() bool
	done func(result)
}

// result is how a push ended: the subscriber's answer, or an error code and
// text as a node reports them.
type result struct {
	resp *wire3.Message
	code int
	text string
	by   *session // the subscriber pushed to; nil when none was reached
}

func (n *Network) newSession(nd *node, conn *websocket.Conn) {
	conn.SetReadLimit(int64(n.opts.MaxMessage))
	s := &session{node: nd, net: n, conn: conn, endpoint: conn.RemoteAddr().String(),
		out: make(chan outMsg, queueLen), done: make(chan struct{}), subscribed: map[string]bool{}, pending: map[string]*push{}}
	s.lastRead.Store(time.Now().UnixNano())
	touch := func(string) error {
		s.lastRead.Store(time.Now().UnixNano())
		s.pinged.Store(false)
		return nil
	}
	conn.SetPongHandler(touch)
	conn.SetPingHandler(func(data string) error {
		if s.isSilent() || nd.frozen() {
			return nil
		}
		_ = touch(data)
		// A failed pong shows up as a failed read or write soon enough.
		_ = conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		return nil
	})
	n.mu.Lock()
	if n.closed || !nd.running {
		n.mu.Unlock()
		conn.Close()
		return
	}
	n.nextID++
	s.id = n.nextID
	nd.sessions[s] = struct{}{}
	n.mu.Unlock()
	n.log.Debug("session opened", "node", nd.idx, "session", s.id, "remote", s.endpoint)
	n.spawn(s.writeLoop)
	n.spawn(s.readLoop)
}

func (s *session) isSilent() bool {
	if s.silent.Load() {
		return true
	}
	s.net.mu.Lock()
	defer s.net.mu.Unlock()
	return s.hostile.Kind == Silence
}

// close ends the session once: its connection, its queue, its pending
// pushes (answered with the disconnect error, as WsSession::drop does) and
// its place in the topic tables.
func (s *session) close(why closeReason) {
	s.once.Do(func() {
		s.pmu.Lock()
		s.reason = why
		pend := s.pending
		s.pending = nil
		s.pmu.Unlock()
		close(s.done)
		_ = s.conn.Close()
		n := s.net
		n.mu.Lock()
		nd := s.node
		delete(nd.sessions, s)
		removed := false
		for topic, set := range nd.topics {
			if _, ok := set[s]; ok {
				delete(set, s)
				if len(set) == 0 {
					delete(nd.topics, topic)
					removed = true
				}
			}
		}
		if removed {
			nd.topicSeq++
		}
		n.notifyLocked()
		n.mu.Unlock()
		n.logClose(s, why)
		text := wire3.TextDisconnectPrefix + strconv.Itoa(int(why))
		// Taking the map took ownership of every push in it (see answered).
		for _, p := range pend {
			p.stop()
			p.done(result{code: wire3.CodeWsSessionDisconnect, text: text, by: s})
		}
	})
}

// enqueue queues m for writing; when the queue is full it waits up to
// WriteTimeout and then closes the session as a slow consumer, so that one
// stuck subscriber cannot stall its publishers for ever.
func (s *session) enqueue(m outMsg) {
	select {
	case s.out <- m:
		return
	case <-s.done:
		return
	default:
	}
	t := time.NewTimer(s.net.opts.WriteTimeout)
	defer t.Stop()
	select {
	case s.out <- m:
	case <-s.done:
	case <-t.C:
		s.net.log.Warn("session is not keeping up: closed", "node", s.node.idx, "session", s.id, "remote", s.endpoint)
		s.net.stats.closedSlow.Add(1)
		s.close(closeSlow)
	}
}

// writeLoop writes the queue. A faithful node writes what queued up behind a
// write in arbitrary order (WsSession's write queue is a priority_queue of
// pointers), so it picks at random among what is waiting.
func (s *session) writeLoop() {
	n := s.net
	var backlog []outMsg
	for {
		if len(backlog) == 0 {
			select {
			case m := <-s.out:
				backlog = append(backlog, m)
			case <-s.done:
				return
			}
		}
		if n.faithful {
		drain:
			for len(backlog) < queueLen {
				select {
				case m := <-s.out:
					backlog = append(backlog, m)
				default:
					break drain
				}
			}
		}
		i := 0
		if len(backlog) > 1 {
			n.mu.Lock()
			i = n.rng.IntN(len(backlog))
			n.mu.Unlock()
		}
		m := backlog[i]
		backlog = append(backlog[:i], backlog[i+1:]...)
		if !s.node.waitThaw(s.done) {
			return
		}
		if err := s.write(m); err != nil {
			s.close(closeWrite)
			return
		}
	}
}

// write sends one queued message, bent by the session's hostile behaviour.
func (s *session) write(m outMsg) error {
	s.net.mu.Lock()
	b := s.hostile
	s.net.mu.Unlock()
	writes, delay := b.apply(s, m)
	if delay > 0 {
		data := m.data
		s.net.after(delay, func() {
			select {
			case s.out <- outMsg{data: data}:
			case <-s.done:
			}
		})
		return nil
	}
	for _, w := range writes {
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.net.opts.WriteTimeout))
		if err := s.conn.WriteMessage(w.kind, w.data); err != nil {
			return err
		}
		s.net.stats.out.Add(1)
	}
	return nil
}

// readLoop reads and dispatches the session's messages until it ends.
func (s *session) readLoop() {
	n := s.net
	var carry []byte
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			why := closeRead
			if errors.Is(err, websocket.ErrReadLimit) {
				n.stats.closedOversize.Add(1)
				why = closeOversize
			}
			s.close(why)
			return
		}
		// A frozen node holds what it read (a read already under way when
		// it froze) until it thaws.
		if !s.node.waitThaw(s.done) {
			return
		}
		s.lastRead.Store(time.Now().UnixNano())
		s.pinged.Store(false)
		n.stats.in.Add(1)
		if len(carry) > 0 {
			data = append(carry, data...)
			carry = nil
		}
		m, err := wire3.Decode(data)
		switch {
		case errors.Is(err, wire3.ErrTooShort):
			// WsSession::onReadPacket drops a session whose message does
			// not even hold a header.
			n.stats.closedMalformed.Add(1)
			s.close(closePacket)
			return
		case err != nil && n.faithful:
			// The C++ decoder throws, the read buffer is not consumed, and
			// the next message is appended to these bytes.
			if len(data) > n.opts.MaxMessage {
				n.stats.closedMalformed.Add(1)
				s.close(closeMalformed)
				return
			}
			n.stats.malformed.Add(1)
			carry = data
			continue
		case err != nil:
			n.stats.malformed.Add(1)
			continue
		}
		if s.silent.Load() {
			continue
		}
		n.dispatch(s, m)
	}
}

// expect registers a push awaiting this subscriber's answer on seq; done
// runs once with the answer, a timeout, or the session's end. It returns
// false (and does not call done) when the session has already ended.
func (s *session) expect(seq string, done func(result)) bool {
	n := s.net
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if s.pending == nil {
		return false
	}
	p := &push{done: done}
	p.stop = n.after(n.opts.ReplyTimeout, func() {
		s.pmu.Lock()
		if s.pending[seq] != p {
			s.pmu.Unlock()
			return
		}
		delete(s.pending, seq)
		s.pmu.Unlock()
		done(result{code: wire3.CodeWsTimeout, text: wire3.TextWsTimeout, by: s})
	})
	s.pending[seq] = p
	return true
}

// answered resolves the push awaiting seq with m; false when none awaits it.
// Whoever removes a push from pending (this, its timer, or close) owns it
// and is the one that calls done.
func (s *session) answered(m *wire3.Message) bool {
	s.pmu.Lock()
	p := s.pending[m.Seq]
	if p != nil {
		delete(s.pending, m.Seq)
	}
	s.pmu.Unlock()
	if p == nil {
		return false
	}
	p.stop()
	p.done(result{resp: m, by: s})
	return true
}

// send encodes m and queues it.
func (s *session) send(m wire3.Message, answer bool) {
	b, err := m.Encode()
	if err != nil {
		return
	}
	s.enqueue(outMsg{data: b, answer: answer, push: m.Type == wire3.TypeRequest || m.Type == wire3.TypeBroadcast})
}
