package local

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/FISCO-BCOS/crypto/tls"

	"github.com/amoptui/amoptui/amop/internal/batchconn"
	"github.com/amoptui/amoptui/amop/wire"
)

// session is one SDK connection to a node. Its reader goroutine (the one
// that ran the handshake) parses and routes inbound frames; what the node
// sends it is queued (q) and written by the readers that queued it or by
// its writer goroutine (write.go), one TLS Write per element, so that
// go-sdk, which decodes at most one frame per read, never finds two frames
// in a record.
type session struct {
	net  *Network
	node *node
	id   uint64
	conn *tls.Conn
	bc   *batchconn.Conn // under conn: batches the records of queued frames
	// wmu is the TLS write path: held by the writer goroutine for a batch,
	// or by a reader writing queued frames without waiting (kick).
	wmu sync.Mutex
	// fl is the reader's (ideal mode): the sessions it queued frames for
	// and whose writing waits for the end of its batch (write.go).
	fl     *flushSet
	remote string
	q      *outQueue
	done   chan struct{}
	once   sync.Once
	last   atomic.Int64 // unix nanos of the last completed read or write
	// closing is set by the first closeAsync.
	closing atomic.Bool
	// dropped counts pushes this session could not take.
	dropped atomic.Uint64
	// hostile, when set, twists what the node writes (Network.Hostile).
	hostile atomic.Pointer[Behaviour]
	// f is the faithful mode's state (faithful_session.go); nil in ideal
	// mode.
	f *fsession

	// limitLog rate-limits the warnings about this session's limits.
	limitLog limitLog

	// guarded by Network.mu
	closed       bool
	unicasts     int // unicast requests from this session awaiting an answer (MaxPendingUnicast)
	unicastBytes int // their size
	topics       map[string]time.Time
	pending      map[wire.Seq]*unicastReq // unicast pushes awaiting this session's reply
	verify       map[string]*verifyState  // private wire topic → verification state (private.go)
}

func newSession(nd *node, c *tls.Conn, bc *batchconn.Conn) *session {
	s := &session{
		net:     nd.net,
		node:    nd,
		conn:    c,
		bc:      bc,
		remote:  c.RemoteAddr().String(),
		q:       newOutQueue(nd.net),
		done:    make(chan struct{}),
		topics:  map[string]time.Time{},
		pending: map[wire.Seq]*unicastReq{},
	}
	s.touch()
	return s
}

func (s *session) touch() { s.last.Store(time.Now().UnixNano()) }

// closeReason says why a session ended; malformed input and idleness are
// counted.
type closeReason struct {
	msg  string
	kind int
	err  error
}

const (
	reasonNormal = iota
	reasonMalformed
	reasonIdle
	reasonSlow
	reasonLimit // over one of the network's limits (Options.Max*)
	reasonProbe // an HTTP request: a 3.x client asking which line this port speaks
)

// httpGET is "GET " read as a 2.x frame's length field. amoptui's --fisco
// auto (like any 3.x client or a browser) opens with an HTTP request; it
// is told apart from a malformed frame so that the node's log does not
// read like an attack.
const httpGET = 0x47455420

// String is the reason as logged.
func (r closeReason) String() string {
	if r.err != nil {
		return r.msg + ": " + r.err.Error()
	}
	return r.msg
}

// readLoop reads and handles frames until the session must end, and says why.
//
// In ideal mode the frames that arrived together are one batch: the
// frames they make the node queue for sessions (this one's answers, pushes
// and relays to others) are written when the batch ends, when the reader
// would have to wait for more (write.go). A reader peeks (batchconn) to
// learn that without a system call.
func (s *session) readLoop() closeReason {
	n := s.net
	r := wire.NewReader(s.conn, n.opts.MaxFrame)
	r.SetBudget(&n.reading)
	defer r.Release()
	if s.f == nil {
		s.fl = &flushSet{own: s}
		defer s.fl.flush()
	}
	peeking := false
	for {
		if !peeking && !s.armRead() {
			return closeReason{msg: "closed"}
		}
		raw, err := r.Next()
		if peeking && batchconn.IsWouldWait(err) {
			s.bc.Peek(false)
			peeking = false
			s.fl.flush()
			continue
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if idle := n.opts.IdleTimeout; idle > 0 && !s.node.frozen.Load() &&
					time.Since(time.Unix(0, s.last.Load())) >= idle {
					return closeReason{msg: "idle for " + idle.String(), kind: reasonIdle}
				}
				continue
			}
			var we *wire.Error
			if errors.As(err, &we) {
				if s.f != nil && we.Kind == wire.KindTooShort {
					return s.fStall() // row 2
				}
				if we.Kind == wire.KindTooLong && we.Length == httpGET {
					return closeReason{msg: "an HTTP request, not a 2.x frame (a FISCO BCOS 3.x client, or --fisco auto, asking which line this port speaks)", kind: reasonProbe}
				}
				return closeReason{msg: "malformed frame", kind: reasonMalformed, err: err}
			}
			if errors.Is(err, wire.ErrBudget) {
				return closeReason{msg: "frame refused: the network already holds " +
					strconv.Itoa(n.opts.MaxReading>>20) + " MiB of frames being read", kind: reasonLimit}
			}
			if errors.Is(err, io.EOF) {
				return closeReason{msg: "closed by the client"}
			}
			return closeReason{msg: "read failed", err: err}
		}
		s.touch()
		n.stats.framesIn.Add(1)
		if err := s.handle(raw); err != nil {
			return closeReason{msg: "malformed input", kind: reasonMalformed, err: err}
		}
		if s.fl != nil {
			// Go on with what the TLS connection holds, unless frozen.
			peeking = !s.node.frozen.Load()
			s.bc.Peek(peeking)
			if !peeking {
				s.fl.flush()
			}
		}
	}
}

// armRead waits while the node is frozen, then sets the read deadline (the
// idle limit). It returns false once the session is done.
func (s *session) armRead() bool {
	for {
		if s.node.frozen.Load() {
			if !s.node.waitThawed(s.done) {
				return false
			}
			s.touch() // the idle clock does not run while frozen
		}
		select {
		case <-s.done:
			return false
		default:
		}
		var dl time.Time
		if idle := s.net.opts.IdleTimeout; idle > 0 {
			dl = time.Unix(0, s.last.Load()).Add(idle)
		}
		s.conn.SetReadDeadline(dl)
		// freeze sets the frozen flag before it interrupts the reads: seeing
		// it clear here means a later freeze's past deadline overrides ours.
		if !s.node.frozen.Load() {
			return true
		}
	}
}

// enqueue queues an answer to one of the session's own requests; only its
// own reader calls it. A full queue makes that reader wait, up to
// WriteTimeout, after which the session is closed as a slow consumer: a
// client that does not read its answers holds back only its own stream. It
// reports whether f was queued.
func (s *session) enqueue(f []byte) bool {
	if !s.q.tryPut(f) {
		// About to wait for room: nothing this reader queued for other
		// sessions may wait with it.
		s.fl.flush()
		if !s.q.put(f, s.net.opts.WriteTimeout, s.done) {
			select {
			case <-s.done:
			default:
				s.closeAsync(closeReason{msg: "send queue full for " + s.net.opts.WriteTimeout.String(), kind: reasonSlow})
			}
			return false
		}
	}
	s.wake(s.fl)
	return true
}

// answerOwn queues an answer to one of the session's own requests from
// code both modes share: the ideal mode answers on the session's reader,
// which may wait (enqueue); the faithful mode answers on a node's shared
// worker, which must not (relay).
func (s *session) answerOwn(f []byte) {
	if s.f != nil {
		s.relay(f)
		return
	}
	s.enqueue(f)
}

// push offers the session a frame from elsewhere (a multicast or unicast
// push, a 0x37) without ever waiting: a session that is not keeping up
// loses its own pushes, never delays the sender's reader or the other
// subscribers. A refused push is counted here; a session that has refused
// pushes for WriteTimeout is closed. sh is a multicast frame's shared
// record (see queued), nil otherwise. It reports whether f was queued.
func (s *session) push(f []byte, sh *shared) bool { return s.pushVia(f, sh, nil) }

// pushVia is push from a reader that wakes the writers of the sessions it
// queued for when its batch ends (fl; nil wakes at once).
func (s *session) pushVia(f []byte, sh *shared, fl *flushSet) bool {
	ok, stale := s.q.push(f, sh)
	if ok {
		s.wake(fl)
		return true
	}
	n := s.net
	select {
	case <-s.done:
		return false
	default:
	}
	if s.node.frozen.Load() {
		n.stats.droppedFrozen.Add(1)
		return false
	}
	n.stats.droppedSlow.Add(1)
	if s.dropped.Add(1) == 1 {
		n.log.Warn("session is not keeping up: pushes to it are dropped", "node", s.node.idx, "session", s.id, "remote", s.remote)
	}
	if stale {
		s.closeAsync(closeReason{msg: "could not take its messages for " + n.opts.WriteTimeout.String(), kind: reasonSlow})
	}
	return false
}

// relay queues an answer owed to this session (a subscriber's reply to its
// unicast, a 104) from another goroutine, never blocking it: were the
// publisher slow to read, the subscriber's reader would stall behind it and
// its replies to everyone else would time out into 104s. Owed answers are
// few (a session has at most MaxPendingUnicast requests in flight), so they
// are never dropped; a session that lets them pile past the hard limits is
// closed as a slow consumer. No goroutine is ever started for a relay.
func (s *session) relay(f []byte) { s.relayVia(f, nil) }

// relayVia is relay from a reader that wakes the writers of the sessions it
// queued for when its batch ends (fl; nil wakes at once).
func (s *session) relayVia(f []byte, fl *flushSet) {
	if s.q.owe(f) {
		s.wake(fl)
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	if s.node.frozen.Load() {
		s.net.stats.droppedFrozen.Add(1)
		return
	}
	s.closeAsync(closeReason{msg: "its answers piled up unread", kind: reasonSlow})
}

// closeAsync closes the session on a goroutine of its own: close takes the
// network's lock and sends a close_notify (up to 250 ms on a peer that does
// not read), which must not hold up the reader that noticed.
func (s *session) closeAsync(why closeReason) {
	if s.closing.Swap(true) {
		return
	}
	s.spawnAlways(func() { s.close(why) })
}

// spawn runs f on a goroutine the network's Close waits for, unless the
// network or the session is already closed.
func (s *session) spawn(f func()) {
	n := s.net
	n.mu.Lock()
	if n.closed || s.closed {
		n.mu.Unlock()
		return
	}
	n.wg.Add(1)
	n.mu.Unlock()
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// spawnAlways is spawn even for a closed network or session (the session's
// own close must still run); Close waits for it.
func (s *session) spawnAlways(f func()) {
	n := s.net
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// close ends the session once: it leaves the routing tables, hands its
// pending unicast pushes to their next subscriber, and closes the
// connection.
func (s *session) close(why closeReason) {
	s.once.Do(func() {
		n := s.net
		n.mu.Lock()
		s.closed = true
		delete(s.node.sessions, s)
		if len(s.topics) > 0 {
			for t := range s.topics {
				n.unsubscribeLocked(s, t)
			}
			n.notifyLocked()
		}
		reqs := make([]*unicastReq, 0, len(s.pending))
		for seq, req := range s.pending {
			delete(s.pending, seq)
			n.stopTimerLocked(req)
			reqs = append(reqs, req)
		}
		n.mu.Unlock()
		// Counted before the connection closes, so that a client that sees
		// the close also sees the count.
		switch why.kind {
		case reasonMalformed:
			n.stats.closedMalformed.Add(1)
			n.log.Warn("session closed", "node", s.node.idx, "session", s.id, "remote", s.remote, "reason", why.String())
		case reasonProbe:
			n.log.Info("session closed", "node", s.node.idx, "session", s.id, "remote", s.remote, "reason", why.String())
		case reasonIdle:
			n.stats.closedIdle.Add(1)
			n.log.Info("session closed", "node", s.node.idx, "session", s.id, "remote", s.remote, "reason", why.String())
		case reasonSlow:
			n.stats.closedSlow.Add(1)
			n.log.Warn("session closed", "node", s.node.idx, "session", s.id, "remote", s.remote, "reason", why.String(),
				"pushes_dropped", s.dropped.Load())
		case reasonLimit:
			n.stats.closedLimit.Add(1)
			n.log.Warn("session closed", "node", s.node.idx, "session", s.id, "remote", s.remote, "reason", why.String())
		default:
			n.log.Debug("session closed", "node", s.node.idx, "session", s.id, "remote", s.remote, "reason", why.String())
		}
		close(s.done)
		s.q.close()
		s.fClose()
		// A bounded close_notify: the fork's Close has no deadline of its
		// own and would block on a peer that stopped reading.
		s.conn.SetWriteDeadline(time.Now().Add(250 * time.Millisecond))
		s.conn.Close()
		for _, req := range reqs {
			n.advance(req)
		}
	})
}
