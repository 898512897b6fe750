package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ftls "github.com/FISCO-BCOS/crypto/tls"

	"github.com/amoptui/amoptui/amop/internal/batchconn"
	"github.com/amoptui/amoptui/amop/wire"
)

// upWriteTimeout bounds a write to the node; a node that does not drain its
// socket for this long is treated as dead.
const upWriteTimeout = 5 * time.Second

// upSession is the TLS session to one node.
type upSession struct {
	conn     *ftls.Conn
	bc       *batchconn.Conn // under conn's TLS
	endpoint string
	g        *Guard
	wmu      sync.Mutex
	holds    int          // open batches (hold)
	armed    time.Time    // when the write deadline was last set (deadlineRefresh)
	lastRead atomic.Int64 // unix nanos of the last byte read
	failOnce sync.Once
	failed   chan struct{}
	err      error
	reader   *wire.Reader // created during connect, continued by serve
}

func newUpSession(g *Guard, conn *ftls.Conn, bc *batchconn.Conn, endpoint string) *upSession {
	u := &upSession{conn: conn, bc: bc, endpoint: endpoint, g: g, failed: make(chan struct{})}
	u.lastRead.Store(time.Now().UnixNano())
	return u
}

// write sends one frame in one TLS write; inside a batch (hold) it waits
// for the batch's single system call.
func (u *upSession) write(raw []byte) error {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	select {
	case <-u.failed:
		return u.err
	default:
	}
	// Inside a batch too: a frame larger than the batch's room goes to the
	// socket now, and a deadline left from the last write would fail it.
	if now := time.Now(); now.Sub(u.armed) > deadlineRefresh {
		_ = u.conn.SetWriteDeadline(now.Add(upWriteTimeout))
		u.armed = now
	}
	if _, err := u.conn.Write(raw); err != nil {
		return fmt.Errorf("write to node %s: %w", u.endpoint, err)
	}
	u.g.stats.toNode.Add(1)
	return nil
}

// hold opens a batch: the frames written until the matching release go to
// the node in one system call.
func (u *upSession) hold() {
	u.wmu.Lock()
	u.holds++
	u.bc.Hold()
	u.wmu.Unlock()
}

// buffered says whether frames wait in an open batch.
func (u *upSession) buffered() bool {
	if !u.wmu.TryLock() {
		return true // being written: Close must not wait behind a slow socket here
	}
	defer u.wmu.Unlock()
	return u.bc.Buffered() > 0
}

// release ends a batch; the last one sends it, and a failure ends the
// session as a failed write does.
func (u *upSession) release() {
	u.wmu.Lock()
	u.holds--
	if u.holds == 0 && u.bc.Buffered() > 0 {
		if now := time.Now(); now.Sub(u.armed) > deadlineRefresh {
			_ = u.conn.SetWriteDeadline(now.Add(upWriteTimeout))
			u.armed = now
		}
	}
	err := u.bc.Release()
	u.wmu.Unlock()
	if err != nil {
		u.fail(fmt.Errorf("write to node %s: %w", u.endpoint, err))
	}
}

// fail marks the session dead with its first error; serve notices and
// reconnects.
func (u *upSession) fail(err error) {
	u.failOnce.Do(func() {
		u.err = err
		close(u.failed)
		_ = u.conn.Close()
	})
}

func (u *upSession) close() { u.fail(errors.New("closed")) }

// Read records activity for the liveness check on every byte, so that a
// large frame arriving slowly does not look like silence.
func (u *upSession) Read(p []byte) (int, error) {
	n, err := u.conn.Read(p)
	if n > 0 {
		u.lastRead.Store(time.Now().UnixNano())
	}
	return n, err
}

// permanentError marks a failure that retrying the same endpoint will not
// fix by itself (certificate or chain mismatch).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// stableSession is how long a session must last to count as a success: a
// node that completes the handshake and then drops the session at once
// must be treated like one that refuses, or the guard would flap on it for
// ever and never fail over to the next endpoint.
const stableSession = 10 * time.Second

// connectLoop keeps one node session up: endpoints are tried in order, a
// lost session is retried on the same endpoint first, and every failure
// waits a jittered backoff (BackoffMin doubling to BackoffMax), so a
// refusing node never sees a storm of connections. The state is Down only
// when every endpoint refused for good in a row (certificate, chain id):
// one misconfigured node of several is just skipped.
func (g *Guard) connectLoop() {
	defer g.wg.Done()
	eps := g.cfg.Endpoints
	idx, attempt, sessions, refusals := 0, 0, 0, 0
	for g.ctx.Err() == nil {
		ep := eps[idx]
		g.setState(func(s *Status) {
			s.Endpoint = ep
			s.Attempt = attempt
			s.Retry = 0 // trying now
			if s.State == Connected {
				s.State = Reconnecting
			}
		})
		u, ver, err := g.connect(ep)
		if err != nil {
			if g.ctx.Err() != nil {
				return
			}
			attempt++
			var perm *permanentError
			if errors.As(err, &perm) {
				refusals++
			} else {
				refusals = 0
			}
			wait := Backoff(attempt, g.cfg.BackoffMin, g.cfg.BackoffMax)
			g.setState(func(s *Status) {
				s.Err = err
				s.Attempt = attempt
				s.Retry = wait
				switch {
				case refusals >= len(eps):
					s.State = Down
				case sessions == 0:
					s.State = Connecting
				default:
					s.State = Reconnecting
				}
			})
			g.cfg.Logger.Info("node connection failed", "endpoint", ep, "attempt", attempt, "err", err)
			idx = (idx + 1) % len(eps)
			if !g.sleep(wait) {
				return
			}
			continue
		}
		resub := g.install(u)
		if sessions > 0 {
			g.stats.reconnects.Add(1)
		} else {
			resub = 0
		}
		sessions++
		refusals = 0
		g.setState(func(s *Status) {
			s.State, s.Endpoint, s.Attempt, s.Err, s.Version, s.Resubscribed, s.Retry = Connected, ep, 0, nil, ver, resub, 0
		})
		began := time.Now()
		lost := g.serve(u)
		if g.ctx.Err() != nil {
			return
		}
		g.cfg.Logger.Info("node session lost", "endpoint", ep, "err", lost)
		if time.Since(began) < stableSession {
			// Short-lived: count it as a failed attempt, so that the
			// backoff grows and the next endpoint gets its turn.
			attempt++
			idx = (idx + 1) % len(eps)
		} else {
			attempt = 0
		}
		wait := Backoff(attempt, g.cfg.BackoffMin, g.cfg.BackoffMax)
		g.setState(func(s *Status) { s.State, s.Err, s.Attempt, s.Retry = Reconnecting, lost, attempt, wait })
		// A pause even before the first retry: a node that accepts and
		// drops at once must not be hammered.
		if !g.sleep(wait) {
			return
		}
	}
}

// install makes u the current session and replays go-sdk's topic list.
func (g *Guard) install(u *upSession) int {
	g.subMu.Lock()
	defer g.subMu.Unlock()
	g.mu.Lock()
	g.up = u
	topics, n := g.topics, g.nTopics
	g.mu.Unlock()
	if topics != nil {
		f := wire.Frame{Type: wire.TypeSubscribe, Seq: wire.NewSeq(), Body: topics}
		if err := u.write(f.Encode()); err != nil {
			u.fail(err)
		} else {
			g.topicsSent(u)
		}
	}
	return n
}

func (g *Guard) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-g.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Backoff is the pause before reconnect attempt number attempt: lo·2^attempt
// capped at hi, with ±20 % jitter so that many clients of one restarted node
// do not reconnect in lockstep. The 3.x client (amop/fisco3) keeps the same
// schedule.
func Backoff(attempt int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	j := time.Duration(rand.Int64N(int64(d)/5 + 1))
	if rand.IntN(2) == 0 {
		return d - j
	}
	return d + j
}

// connect dials ep and runs the node handshake and version check with one
// deadline for the whole sequence.
func (g *Guard) connect(ep string) (*upSession, wire.ClientVersion, error) {
	var ver wire.ClientVersion
	raw, err := (&net.Dialer{Timeout: g.cfg.DialTimeout}).DialContext(g.ctx, "tcp", ep)
	if err != nil {
		return nil, ver, DialError(err)
	}
	// The whole set-up (TLS, handshake, version) ends when the guard does:
	// Close must not wait out DialTimeout on a node that never answers.
	stop := context.AfterFunc(g.ctx, func() { _ = raw.Close() })
	defer stop()
	_ = raw.SetDeadline(time.Now().Add(g.cfg.DialTimeout))
	bc := batchconn.New(raw, 0)
	conn := ftls.Client(bc, g.cfg.Credentials.upstreamTLS(ep, !g.cfg.SkipNodeVerify))
	if err := conn.Handshake(); err != nil {
		_ = raw.Close()
		var nce *NodeCertError
		if errors.As(err, &nce) {
			nce.Hint = g.cfg.VerifyHint
			return nil, ver, &permanentError{nce}
		}
		if isTLSRefusal(err) {
			return nil, ver, &permanentError{fmt.Errorf("node %s refused the TLS handshake (is %s signed by the chain's CA?): %w", ep, g.cfg.Credentials.src.CertName, err)}
		}
		return nil, ver, fmt.Errorf("TLS handshake with %s: %w", ep, err)
	}
	u := newUpSession(g, conn, bc, ep)
	fail := func(err error) (*upSession, wire.ClientVersion, error) {
		u.close()
		return nil, ver, err
	}
	r := wire.NewReader(u, g.cfg.MaxFrame)
	// A frame over the incoming limit is read through and dropped: memory
	// never follows what a node declares or sends beyond the limit.
	r.DiscardOver(wire.HeaderLen + 1 + wire.MaxTopicLen + g.cfg.MaxIncoming)
	hs, _ := json.Marshal(wire.HandshakeRequest{MinimumSupport: 1, MaximumSupport: wire.MaxProtocol, ClientType: "Go-SDK"})
	body, err := g.call(u, r, wire.TypeHandshake, hs)
	if err != nil {
		return fail(fmt.Errorf("handshake with %s: %w", ep, err))
	}
	if _, err := wire.DecodeHandshakeResponse(body); err != nil {
		return fail(fmt.Errorf("handshake with %s: %w", ep, err))
	}
	body, err = g.call(u, r, wire.TypeRPC, []byte(`{"jsonrpc":"2.0","id":1,"method":"getClientVersion"}`))
	if err != nil {
		return fail(fmt.Errorf("getClientVersion on %s: %w", ep, err))
	}
	var resp struct {
		Result *wire.ClientVersion `json:"result"`
		Error  *wire.RPCError      `json:"error"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || (resp.Result == nil && resp.Error == nil) {
		return fail(fmt.Errorf("getClientVersion on %s: malformed answer", ep))
	}
	if resp.Error != nil {
		return fail(fmt.Errorf("getClientVersion on %s: %s", ep, resp.Error.Message))
	}
	ver = *resp.Result
	if g.cfg.Check != nil {
		if err := g.cfg.Check(ver); err != nil {
			return fail(&permanentError{fmt.Errorf("node %s: %w", ep, err)})
		}
	}
	_ = conn.SetDeadline(time.Time{})
	// Keep what the reader buffered: serve continues with the same reader.
	u.reader = r
	return u, ver, nil
}

// DialError is a failed dial in the fewest words: the system's reason
// ("connection refused") when there is one, since the status that carries
// it names the endpoint already; the whole error stays wrapped. The 3.x
// client words its dial failures the same way.
func DialError(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return &plainError{se.Err.Error(), err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &plainError{"no answer (dial timeout)", err}
	}
	return fmt.Errorf("dial: %w", err)
}

// plainError shows text and unwraps to the error it stands for.
type plainError struct {
	text string
	err  error
}

func (e *plainError) Error() string { return e.text }
func (e *plainError) Unwrap() error { return e.err }

// isTLSRefusal reports the node rejecting our certificate during the
// handshake (TLS 1.2 alerts surface as "remote error: tls: ...").
func isTLSRefusal(err error) bool {
	s := err.Error()
	for _, alert := range []string{"bad certificate", "unknown certificate", "certificate required",
		"unknown certificate authority", "expired certificate", "handshake failure"} {
		if strings.Contains(s, "remote error: tls: "+alert) {
			return true
		}
	}
	return false
}

// call sends a request during connection set-up and waits for its answer,
// skipping anything else the node sends meanwhile.
func (g *Guard) call(u *upSession, r *wire.Reader, typ wire.Type, body []byte) ([]byte, error) {
	f := wire.Frame{Type: typ, Seq: wire.NewSeq(), Body: body}
	if err := u.write(f.Encode()); err != nil {
		return nil, err
	}
	for i := 0; i < 64; i++ {
		raw, err := r.Next()
		if err != nil {
			return nil, err
		}
		ans, err := wire.Parse(raw)
		if err != nil {
			return nil, err
		}
		if ans.Seq == f.Seq {
			if ans.Result != 0 {
				return nil, fmt.Errorf("node answered with result %d", ans.Result)
			}
			return ans.Body, nil
		}
	}
	return nil, errors.New("no answer among the node's first frames")
}

// serve runs the session until it fails: a reader goroutine routes frames,
// this goroutine probes liveness. A node that sends nothing for
// HeartbeatTimeout, although probed every HeartbeatInterval, is dead — that
// is how a frozen or half-open node is found (TCP alone takes minutes).
func (g *Guard) serve(u *upSession) error {
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		// The frames that arrived together are one batch: what they make
		// the guard write to go-sdk goes out in one system call.
		var b batch
		defer b.end()
		for {
			raw, err := u.reader.Next()
			if batchconn.IsWouldWait(err) {
				u.bc.Peek(false) // nothing more buffered: send, then wait
				b.end()
				continue
			}
			var oe *wire.OversizeError
			if errors.As(err, &oe) {
				g.oversizeFrame(u, oe)
				continue
			}
			if err != nil {
				var we *wire.Error
				if errors.As(err, &we) {
					g.malformed("bad frame length; the stream cannot continue", err)
				}
				u.fail(fmt.Errorf("read from node %s: %w", u.endpoint, err))
				return
			}
			b.begin(g, nil)
			u.bc.Peek(true)
			g.fromNode(u, raw)
		}
	}()
	t := time.NewTicker(g.cfg.HeartbeatInterval)
	defer t.Stop()
	var err error
loop:
	for {
		select {
		case <-g.ctx.Done():
			u.close()
			break loop
		case <-u.failed:
			break loop
		case now := <-t.C:
			if silent := now.Sub(time.Unix(0, u.lastRead.Load())); silent > g.cfg.HeartbeatTimeout {
				u.fail(fmt.Errorf("node %s stopped answering (silent for %s)", u.endpoint, silent.Round(time.Millisecond)))
				break loop
			}
			hb := wire.Frame{Type: wire.TypeHeartbeat, Seq: wire.NewSeq()}
			if werr := u.write(hb.Encode()); werr != nil {
				u.fail(werr)
				break loop
			}
		}
	}
	<-readDone
	err = u.err
	g.mu.Lock()
	if g.up == u {
		g.up = nil
	}
	answers := g.failPendingLocked(u, ResultLost)
	down := g.down
	g.mu.Unlock()
	if down != nil {
		for _, a := range answers {
			down.write(a)
		}
	}
	return err
}
