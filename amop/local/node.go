package local

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/FISCO-BCOS/crypto/tls"

	"github.com/amoptui/amoptui/amop/internal/batchconn"
)

// node is one listener of the network. Its session and connection sets are
// guarded by Network.mu; its freeze state by fmu.
type node struct {
	net       *Network
	idx       int
	tlsConfig *tls.Config
	f         *fnode // the faithful node process; nil in ideal mode

	// guarded by Network.mu
	addr     string
	ln       net.Listener
	stopped  chan struct{} // closed when the current listener generation stops
	accepted chan struct{} // closed when its accept loop has returned
	sessions map[*session]struct{}
	conns    map[net.Conn]struct{} // accepted, TLS handshake not done

	fmu    sync.Mutex
	frozen atomic.Bool
	thaw   chan struct{} // closed while not frozen
}

func (nd *node) start() error {
	if nd.f == nil {
		return nd.listen()
	}
	// The faithful process starts (and links to its peers) before it
	// accepts sessions, and is gone again when it cannot listen.
	nd.f.start()
	err := nd.listen()
	if err != nil {
		nd.f.stop()
	}
	return err
}

// listen makes the node accept connections on its address.
func (nd *node) listen() error {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return ErrClosed
	}
	if nd.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", nd.addr)
	if err != nil {
		return fmt.Errorf("local: node %d: %w", nd.idx, err)
	}
	nd.addr = ln.Addr().String()
	nd.ln = ln
	nd.stopped = make(chan struct{})
	nd.accepted = make(chan struct{})
	n.wg.Add(1)
	go nd.acceptLoop(ln, nd.stopped, nd.accepted)
	n.log.Debug("node listening", "node", nd.idx, "addr", nd.addr)
	return nil
}

// stop closes the listener, the connections in handshake and every session,
// and waits for the accept loop to return so that start can bind again.
func (nd *node) stop() {
	if nd.f != nil {
		// The process goes first: its sessions then close without failing
		// anything over, as a killed node answers nothing.
		nd.f.stop()
	}
	n := nd.net
	n.mu.Lock()
	ln, accepted, addr := nd.ln, nd.accepted, nd.addr
	if ln != nil {
		close(nd.stopped)
		nd.ln = nil
	}
	conns := make([]net.Conn, 0, len(nd.conns))
	for c := range nd.conns {
		conns = append(conns, c)
	}
	sessions := make([]*session, 0, len(nd.sessions))
	for s := range nd.sessions {
		sessions = append(sessions, s)
	}
	n.mu.Unlock()
	if ln == nil && len(sessions) == 0 && len(conns) == 0 {
		return
	}
	if ln != nil {
		ln.Close()
	}
	for _, c := range conns {
		c.Close()
	}
	for _, s := range sessions {
		s.close(closeReason{msg: "node stopped"})
	}
	if accepted != nil {
		<-accepted
	}
	nd.unfreeze()
	n.log.Debug("node stopped", "node", nd.idx, "addr", addr)
}

func (nd *node) acceptLoop(ln net.Listener, stopped, done chan struct{}) {
	n := nd.net
	defer n.wg.Done()
	defer close(done)
	backoff := 5 * time.Millisecond
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-stopped:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors and the like: wait and retry, as
				// net/http does, rather than spin or give up.
				n.log.Warn("accept failed", "node", nd.idx, "err", err)
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-stopped:
					t.Stop()
					return
				}
				backoff = min(2*backoff, time.Second)
				continue
			}
			n.log.Error("accept failed; node stops listening", "node", nd.idx, "err", err)
			// Forget the dead listener so that StartNode can listen again.
			n.mu.Lock()
			if nd.ln == ln {
				close(nd.stopped)
				nd.ln = nil
			}
			n.mu.Unlock()
			ln.Close()
			return
		}
		backoff = 5 * time.Millisecond
		n.mu.Lock()
		select {
		case <-stopped:
			n.mu.Unlock()
			c.Close()
			return
		default:
		}
		nd.conns[c] = struct{}{}
		n.wg.Add(1)
		n.mu.Unlock()
		go nd.serve(c, stopped)
	}
}

func isTemporary(err error) bool {
	t, ok := err.(interface{ Temporary() bool })
	return ok && t.Temporary()
}

// serve runs one connection: the TLS handshake, then the session.
func (nd *node) serve(c net.Conn, stopped chan struct{}) {
	n := nd.net
	defer n.wg.Done()
	forget := func() {
		n.mu.Lock()
		delete(nd.conns, c)
		n.mu.Unlock()
	}
	// A frozen node does not even complete handshakes: the kernel accepts
	// the connection, the hung process never answers it.
	if !nd.waitThawed(stopped) {
		c.Close()
		forget()
		return
	}
	bc := batchconn.New(c, 0)
	bc.CountWrites(&n.stats.writeCalls)
	tc := tls.Server(bc, nd.tlsConfig)
	tc.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := tc.Handshake(); err != nil {
		c.Close()
		forget()
		select {
		case <-stopped: // closed by stop: not the client's failure
		default:
			n.logHandshakeFailure(c.RemoteAddr(), err)
		}
		return
	}
	tc.SetDeadline(time.Time{})

	s := newSession(nd, tc, bc)
	if nd.f != nil && !s.fOpen() {
		c.Close()
		forget()
		return
	}
	n.mu.Lock()
	delete(nd.conns, c)
	select {
	case <-stopped:
		n.mu.Unlock()
		c.Close()
		return
	default:
	}
	n.nextID++
	s.id = n.nextID
	nd.sessions[s] = struct{}{}
	n.wg.Add(1)
	n.mu.Unlock()
	n.log.Debug("session opened", "node", nd.idx, "session", s.id, "remote", s.remote)
	go s.writeLoop()
	reason := s.readLoop()
	s.close(reason)
}

func (nd *node) freeze() {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	nd.fmu.Lock()
	if !nd.frozen.Load() {
		nd.thaw = make(chan struct{})
		nd.frozen.Store(true)
	}
	nd.fmu.Unlock()
	// Interrupt reads in progress; the read loops see frozen and wait.
	past := time.Unix(1, 0)
	for s := range nd.sessions {
		s.conn.SetReadDeadline(past)
	}
	n.log.Info("node frozen", "node", nd.idx)
}

func (nd *node) unfreeze() {
	nd.fmu.Lock()
	if nd.frozen.Load() {
		nd.frozen.Store(false)
		close(nd.thaw)
		nd.net.log.Info("node thawed", "node", nd.idx)
	}
	nd.fmu.Unlock()
}

// waitThawed blocks while the node is frozen; it returns false when stop
// (closed by the caller's owner) fires first.
func (nd *node) waitThawed(stop <-chan struct{}) bool {
	if !nd.frozen.Load() {
		return true
	}
	nd.fmu.Lock()
	ch := nd.thaw
	nd.fmu.Unlock()
	select {
	case <-ch:
		return true
	case <-stop:
		return false
	}
}
