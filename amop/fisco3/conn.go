package fisco3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/guard"
	"github.com/amoptui/amoptui/amop/wire3"
)

// session is one WebSocket to a node.
type session struct {
	conn     *websocket.Conn
	endpoint string
	wmu      sync.Mutex // gorilla allows one writer at a time
	lastRead atomic.Int64
	failOnce sync.Once
	failed   chan struct{}
	err      error
}

func newSession(conn *websocket.Conn, endpoint string) *session {
	s := &session{conn: conn, endpoint: endpoint, failed: make(chan struct{})}
	s.lastRead.Store(time.Now().UnixNano())
	return s
}

// send writes one message, by deadline at the latest.
func (s *session) send(m wire3.Message, deadline time.Time) error {
	b, err := m.Encode()
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	select {
	case <-s.failed:
		return s.err
	default:
	}
	_ = s.conn.SetWriteDeadline(deadline)
	if err := s.conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		return fmt.Errorf("write to node %s: %w", s.endpoint, err)
	}
	return nil
}

// fail ends the session with its first error.
func (s *session) fail(err error) {
	s.failOnce.Do(func() {
		s.err = err
		close(s.failed)
		_ = s.conn.Close()
	})
}

func (s *session) touch() { s.lastRead.Store(time.Now().UnixNano()) }

// newSeq is a random UUID without its dashes, as SDKs and nodes make seqs.
func newSeq() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// permanentError is a refusal that retrying the same endpoint will not fix
// by itself: a certificate, an SM-TLS node, a port that is not a 3.x node's.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// stableSession is how long a session must last to count as a success, so
// that a node that accepts and drops at once is failed over like one that
// refuses.
const stableSession = 10 * time.Second

// connectLoop keeps one session up, as amop/guard does for 2.x: endpoints in
// order, a lost session retried on the same endpoint first, every failure
// followed by a jittered backoff; Down only when every endpoint refused for
// good in a row.
func (c *Client) connectLoop() {
	defer c.wg.Done()
	eps := c.cfg.Endpoints
	g := c.cfg.Guard
	idx, attempt, refusals := 0, 0, 0
	for c.ctx.Err() == nil {
		ep := eps[idx]
		c.setState(func(st *amop.Status) {
			st.Endpoint, st.Attempt = ep, attempt
			if st.State == amop.StateConnected {
				st.State = amop.StateReconnecting
			}
		})
		s, info, err := c.connect(ep)
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			attempt++
			var perm *permanentError
			if errors.As(err, &perm) {
				refusals++
			} else {
				refusals = 0
			}
			c.setState(func(st *amop.Status) {
				c.lastErr = err
				st.LastErr, st.Attempt = err.Error(), attempt
				switch {
				case refusals >= len(eps):
					st.State = amop.StateDown
				case c.sessions == 0:
					st.State = amop.StateConnecting
				default:
					st.State = amop.StateReconnecting
				}
			})
			c.log.Info("node connection failed", "endpoint", ep, "attempt", attempt, "err", err)
			idx = (idx + 1) % len(eps)
			if !c.sleep(guard.Backoff(attempt, g.BackoffMin, g.BackoffMax)) {
				return
			}
			continue
		}
		refusals = 0
		c.install(s, info)
		began := time.Now()
		lost := c.serve(s)
		if c.ctx.Err() != nil {
			return
		}
		c.log.Info("node session lost", "endpoint", ep, "err", lost)
		if time.Since(began) < stableSession {
			attempt++
			idx = (idx + 1) % len(eps)
		} else {
			attempt = 0
		}
		c.setState(func(st *amop.Status) {
			c.lastErr = lost
			st.State, st.Attempt = amop.StateReconnecting, attempt
			if lost != nil {
				st.LastErr = lost.Error()
			}
		})
		if !c.sleep(guard.Backoff(attempt, g.BackoffMin, g.BackoffMax)) {
			return
		}
	}
}

// install makes s the current session, sends it the whole topic list and
// reports the state, with how many topics were sent again after a loss.
func (c *Client) install(s *session, info amop.NodeInfo) {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	c.mu.Lock()
	c.cur = s
	again := c.sessions > 0
	c.sessions++
	c.mu.Unlock()
	resub := 0
	if len(c.topics) > 0 {
		if err := s.send(wire3.Message{Type: wire3.TypeSubTopic, Seq: newSeq(), Payload: wire3.Topics{Topics: c.topics}.Encode()}, time.Now().Add(writeTimeout)); err != nil {
			s.fail(err)
		}
		if again {
			resub = len(c.topics)
		}
	}
	if again {
		c.c.reconnects.Add(1)
	}
	c.setState(func(st *amop.Status) {
		c.lastErr = nil
		st.State, st.Endpoint, st.Attempt, st.LastErr, st.Node, st.Resubscribed = amop.StateConnected, s.endpoint, 0, "", info, resub
	})
}

func (c *Client) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// connect dials ep, upgrades to a WebSocket and runs the handshake, all
// within DialTimeout.
func (c *Client) connect(ep string) (*session, amop.NodeInfo, error) {
	var info amop.NodeInfo
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.Guard.DialTimeout)
	defer cancel()
	conn, err := c.dialWS(ctx, ep)
	if err != nil {
		return nil, info, err
	}
	conn.SetReadLimit(wire3.MaxMessage)
	s := newSession(conn, ep)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	deadline, _ := ctx.Deadline()
	_ = conn.SetReadDeadline(deadline)
	seq := newSeq()
	if err := s.send(wire3.Message{Type: wire3.TypeHandshake, Seq: seq, Payload: wire3.NewHandshakeRequest().Encode()}, deadline); err != nil {
		s.fail(err)
		return nil, info, fmt.Errorf("handshake with %s: %w", ep, err)
	}
	// The answer comes on our seq; a node may push notifications first.
	for i := 0; ; i++ {
		if i == 64 {
			s.fail(errors.New("no handshake answer"))
			return nil, info, &permanentError{fmt.Errorf("node %s sent 64 messages but no answer to the handshake", ep)}
		}
		_, b, err := conn.ReadMessage()
		if err != nil {
			s.fail(err)
			return nil, info, fmt.Errorf("handshake with %s: %w", ep, err)
		}
		m, err := wire3.Decode(b)
		if err != nil || m.Seq != seq {
			continue
		}
		h, err := wire3.DecodeHandshakeResponse(m.Payload)
		if err != nil {
			s.fail(err)
			return nil, info, &permanentError{fmt.Errorf("node %s answered the handshake with something that is not a FISCO BCOS 3.x answer: %w", ep, err)}
		}
		info = nodeInfo(h)
		break
	}
	_ = conn.SetReadDeadline(time.Time{})
	return s, info, nil
}

// nodeInfo is what the status line shows of a 3.x node.
func nodeInfo(h wire3.HandshakeResponse) amop.NodeInfo {
	sum := h.Summary()
	v := sum.Version
	if v == "" {
		v = "3.x"
	}
	return amop.NodeInfo{Version: v, SupportedVersion: "protocol " + strconv.Itoa(h.ProtocolVersion), BuildType: sum.Platform,
		SM: sum.SM, Line: amop.Line3, Chain: sum.Chain, Group: sum.Group}
}

// dialError says why a dial failed, in a sentence, and marks the refusals
// that retrying will not fix. transport says TCP (and TLS) were up.
func (c *Client) dialError(ep string, resp *http.Response, transport bool, err error) error {
	var nce *NodeCertError
	switch {
	case errors.As(err, &nce):
		nce.Hint = c.cfg.VerifyHint
		return &permanentError{nce}
	case isSMError(err):
		return &permanentError{smError(ep, err)}
	case errors.Is(err, websocket.ErrBadHandshake) && resp != nil:
		return &permanentError{fmt.Errorf("node %s answered HTTP %s but refused the WebSocket upgrade: not a FISCO BCOS 3.x RPC port", ep, resp.Status)}
	case isTLSRefusal(err):
		return &permanentError{fmt.Errorf("node %s refused the TLS handshake (is %s signed by the chain's CA?): %w", ep, c.certName(), err)}
	case strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		return &permanentError{fmt.Errorf("node %s answered without TLS: its RPC port has TLS off (rpc.enable_ssl=false); connect with plain ws:// (tls = false)", ep)}
	case transport && c.ctx.Err() == nil:
		// TCP and TLS worked; HTTP did not (EOF, garbage or silence).
		return &permanentError{fmt.Errorf("node %s: %w (%v)", ep, ErrNotWebSocket, err)}
	}
	// The status names the endpoint: the system's reason is enough, as
	// the 2.x guard says it (and one cause repeated for the next endpoint
	// tried is then told once, not as that endpoint's).
	return guard.DialError(err)
}

func (c *Client) certName() string {
	if c.cfg.CertFile != "" {
		return c.cfg.CertFile
	}
	return "the SDK certificate"
}

// serve runs the session until it fails: a reader goroutine dispatches
// messages, this goroutine pings and watches for silence (TCP alone takes
// minutes to notice a frozen node).
func (c *Client) serve(s *session) error {
	s.conn.SetPongHandler(func(string) error { s.touch(); return nil })
	s.conn.SetPingHandler(func(data string) error {
		s.touch()
		// A pong that cannot be written shows up as a failed read or write.
		_ = s.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeTimeout))
		return nil
	})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		c.readLoop(s)
	}()
	g := c.cfg.Guard
	t := time.NewTicker(g.HeartbeatInterval)
	defer t.Stop()
loop:
	for {
		select {
		case <-c.ctx.Done():
			s.fail(amop.ErrClosed)
			break loop
		case <-s.failed:
			break loop
		case now := <-t.C:
			if silent := now.Sub(time.Unix(0, s.lastRead.Load())); silent > g.HeartbeatTimeout {
				s.fail(fmt.Errorf("node %s stopped answering (silent for %s)", s.endpoint, silent.Round(time.Millisecond)))
				break loop
			}
			if err := s.conn.WriteControl(websocket.PingMessage, nil, now.Add(writeTimeout)); err != nil {
				s.fail(fmt.Errorf("ping node %s: %w", s.endpoint, err))
				break loop
			}
		}
	}
	<-readDone
	c.mu.Lock()
	if c.cur == s {
		c.cur = nil
	}
	var lost []*call
	for seq, cl := range c.pending {
		if cl.s == s {
			delete(c.pending, seq)
			lost = append(lost, cl)
		}
	}
	c.mu.Unlock()
	for _, cl := range lost {
		cl.done <- answer{err: fmt.Errorf("%w: %v", amop.ErrConnectionLost, s.err)}
	}
	return s.err
}

// setState applies f to the status under c.mu and queues the result for
// Events (only the latest state matters: older ones are overwritten).
func (c *Client) setState(f func(*amop.Status)) {
	c.mu.Lock()
	before := c.status.State
	f(&c.status)
	if c.status.State != before {
		c.status.Since = time.Now()
	}
	st := c.status
	c.mu.Unlock()
	c.pendingState.Store(&st)
	c.flushState()
}
