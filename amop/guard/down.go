package guard

import (
	"context"
	stdtls "crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/amoptui/amoptui/amop/internal/batchconn"
	"github.com/amoptui/amoptui/amop/wire"
)

// downWriteTimeout bounds a write toward go-sdk. go-sdk reads continuously,
// so hitting it means go-sdk is wedged; the frame is then dropped rather than
// blocking the node session.
const downWriteTimeout = 10 * time.Second

// admitTimeout bounds the TLS handshake of a new connection to the guard.
const admitTimeout = 5 * time.Second

// downSession is go-sdk's connection to the guard. The guard never closes
// it: a closed connection sends go-sdk down its reconnect path, which
// deadlocks and races (gosdk-pitfalls.md A#4). It is parked instead.
type downSession struct {
	g      *Guard
	conn   net.Conn
	bc     *batchconn.Conn // under conn's TLS
	wmu    sync.Mutex
	failed bool      // a write failed: the TLS stream is unusable; frames are counted as lost
	parked bool      // the guard is done with it (Close, or go-sdk redialled)
	holds  int       // open batches (hold)
	held   int       // frames written into the open batch, lost if its write fails
	armed  time.Time // when the write deadline was last set (deadlineRefresh)
}

// deadlineRefresh is how old a write deadline may be before a write sets
// it again. Every write must have most of its timeout ahead of it — inside
// a batch too, since a frame larger than the batch's room goes to the
// socket at once — but setting a deadline re-arms a runtime timer, and
// doing it for every frame cost 3-5 % of a round trip.
const deadlineRefresh = time.Second

// write sends one frame as one TLS record (go-sdk decodes at most one
// frame per read, so frames must never share a record); inside a batch
// (hold) the record waits for the batch's single system call.
//
// A frame that cannot be delivered (go-sdk wedged for downWriteTimeout) is
// counted with the overflows, which reach the UI as drops: nothing is lost
// silently. Only frames for a parked session (the guard is closing) go
// uncounted.
func (d *downSession) write(raw []byte) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	switch {
	case d.parked:
		return
	case d.failed:
		if isPush(raw) {
			d.lost(1) // a message go-sdk will never see; answers and heartbeats are not messages
		}
		return
	}
	// Inside a batch too: a frame larger than the batch's room goes to the
	// socket now, and a deadline left from the last write (maybe minutes
	// ago) would fail it at once.
	if now := time.Now(); now.Sub(d.armed) > deadlineRefresh {
		_ = d.conn.SetWriteDeadline(now.Add(downWriteTimeout))
		d.armed = now
	}
	if _, err := d.conn.Write(raw); err != nil {
		d.failLocked(err, 1+d.held)
		return
	}
	d.g.stats.toSDK.Add(1)
	if d.holds > 0 {
		d.held++
	}
}

// hold opens a batch: the frames written until the matching release go to
// go-sdk in one system call, each still a TLS record of its own.
func (d *downSession) hold() {
	d.wmu.Lock()
	d.holds++
	d.bc.Hold()
	d.wmu.Unlock()
}

// release ends a batch; the last one sends it.
func (d *downSession) release() {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.holds--
	if d.holds == 0 && !d.failed && !d.parked && d.bc.Buffered() > 0 {
		if now := time.Now(); now.Sub(d.armed) > deadlineRefresh {
			_ = d.conn.SetWriteDeadline(now.Add(downWriteTimeout))
			d.armed = now
		}
	}
	err := d.bc.Release()
	if d.holds > 0 {
		return
	}
	if err != nil && !d.failed && !d.parked {
		d.failLocked(err, d.held)
	}
	d.held = 0
}

// failLocked gives up on the connection after a failed write, counting
// lost frames as lost.
func (d *downSession) failLocked(err error, lost int) {
	// A TLS connection is unusable after a failed write; closing it
	// would break go-sdk for good, so it stays open and unused.
	d.failed = true
	d.g.cfg.Logger.Warn("go-sdk stopped reading; frames for it are dropped", "err", err)
	d.lost(lost)
	// Safe under wmu: no one takes wmu while holding g.mu.
	d.g.setState(func(s *Status) {
		s.State, s.Err = Down, errors.New("go-sdk stopped reading its connection for "+downWriteTimeout.String()+"; restart amoptui")
	})
}

// isPush reports whether raw is a frame that carries a message to go-sdk:
// a unicast request or a multicast push (the type follows the 4-byte
// length in the header).
func isPush(raw []byte) bool {
	if len(raw) < 6 {
		return false
	}
	t := wire.Type(binary.BigEndian.Uint16(raw[4:6]))
	return t == wire.TypeAMOPRequest || t == wire.TypeMulticast
}

func (d *downSession) lost(n int) {
	if n <= 0 {
		return
	}
	d.g.stats.overflow.Add(uint64(n))
	d.g.countersChanged()
}

// park ends the guard's use of go-sdk's connection without closing it. A
// closed connection would send go-sdk down its reconnect path, which writes
// its connection field while handler goroutines may still read it (a data
// race the race detector reports, and a 5 s redial loop forever). Left open,
// go-sdk just sees read timeouts every 10 s and stays idle; the socket goes
// away with the process. The guard's reader is woken by a past deadline.
func (d *downSession) park() {
	d.wmu.Lock()
	d.parked = true
	d.wmu.Unlock()
	d.bc.Peek(false)
	_ = d.conn.SetReadDeadline(time.Unix(1, 0))
}

func (g *Guard) acceptLoop() {
	defer g.wg.Done()
	for {
		c, err := g.ln.Accept()
		if err != nil {
			if g.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			g.cfg.Logger.Warn("guard accept", "err", err)
			select {
			case <-g.ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		g.wg.Add(1)
		go g.admit(c)
	}
}

// admit completes a new connection's TLS handshake before it becomes
// go-sdk's: only a client holding the guard's ephemeral certificate gets
// past it, so a port scan or a stray local connection to the loopback port
// can never displace go-sdk's session.
func (g *Guard) admit(c net.Conn) {
	defer g.wg.Done()
	bc := batchconn.New(c, 0)
	bc.CountWrites(&g.stats.toSDKWrites)
	tc := stdtls.Server(bc, &g.eph.server)
	ctx, cancel := context.WithTimeout(g.ctx, admitTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		g.cfg.Logger.Warn("refused a connection to the guard", "remote", c.RemoteAddr().String(), "err", err)
		_ = c.Close()
		return
	}
	d := &downSession{g: g, conn: tc, bc: bc}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		_ = c.Close()
		return
	}
	old := g.down
	g.down = d
	g.mu.Unlock()
	if old != nil {
		// Only go-sdk holds the certificate, so this is go-sdk redialling;
		// the new connection is authoritative, the old one is parked.
		old.park()
	}
	g.serveDown(d)
}

// serveDown reads go-sdk's frames. It answers handshake and heartbeat
// itself (the node session has its own), and forwards the rest. The frames
// that arrived together are handled as one batch: what they make the guard
// write to the node and to go-sdk goes out in one system call each, when
// the batch ends.
func (g *Guard) serveDown(d *downSession) {
	r := wire.NewReader(d.conn, g.cfg.MaxFrame)
	var b batch
	defer b.end()
	for {
		raw, err := r.Next()
		if batchconn.IsWouldWait(err) {
			d.bc.Peek(false) // nothing more buffered: send, then wait
			b.end()
			continue
		}
		if err != nil {
			if g.ctx.Err() == nil {
				g.cfg.Logger.Debug("go-sdk connection ended", "err", err)
			}
			return
		}
		b.begin(g, d)
		d.bc.Peek(true)
		f, err := wire.Parse(raw)
		if err != nil {
			continue
		}
		switch f.Type {
		case wire.TypeHandshake:
			g.handshakeDown(d, f)
		case wire.TypeHeartbeat:
			ans := wire.Frame{Type: wire.TypeHeartbeat, Seq: f.Seq, Body: wire.HeartbeatReply}
			d.write(ans.Encode())
		case wire.TypeSubscribe:
			g.subscribe(f.Body)
		case wire.TypeAMOPResponse:
			g.replyFromSDK(f, raw)
		case wire.TypeAMOPRequest, wire.TypeMulticast, wire.TypeRPC, wire.TypeEventRegister, wire.TypeEventUnregister:
			g.forward(d, f, raw)
		case wire.TypeTopicStatus:
			g.noteStatus(f.Body)
			g.mu.Lock()
			up := g.up
			g.mu.Unlock()
			if up != nil {
				if err := up.write(raw); err != nil {
					up.fail(err)
				}
			}
		default:
			g.cfg.Logger.Debug("go-sdk sent an unexpected frame", "type", f.Type)
		}
	}
}

// handshakeDown answers go-sdk's 0x14 on the node's behalf: go-sdk's Dial
// waits forever for it, and the guard must come up before any node does.
func (g *Guard) handshakeDown(d *downSession, f wire.Frame) {
	proto := wire.MaxProtocol
	if h, err := wire.DecodeHandshakeRequest(f.Body); err == nil && h.MaximumSupport < proto {
		proto = h.MaximumSupport
	}
	g.mu.Lock()
	ver := g.status.Version.SupportedVersion
	g.mu.Unlock()
	if ver == "" {
		ver = "2.9.0"
	}
	ans := wire.Frame{Type: wire.TypeHandshake, Seq: f.Seq,
		Body: wire.EncodeHandshakeResponse(wire.HandshakeResponse{NodeVersion: ver, Protocol: proto})}
	d.write(ans.Encode())
}
