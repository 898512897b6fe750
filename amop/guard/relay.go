package guard

import (
	stdtls "crypto/tls"
	"net"
	"sync"
	"time"

	ftls "github.com/FISCO-BCOS/crypto/tls"
)

// Relay is the floor of the guard's design, for benchmarks only: go-sdk
// talks to an in-process TLS endpoint on 127.0.0.1 that holds the node
// session, exactly as with a Guard — the same ephemeral certificates, the
// same ciphers on both sockets — but every TLS record is copied across
// as it comes, and nothing else is done: no validation, no order, no
// deadlines, no reconnect. What go-sdk through a Relay costs over go-sdk
// straight to the node is what the two extra TLS sockets cost by
// themselves; whatever the Guard costs beyond that is its own work.
type Relay struct {
	ln       net.Listener
	eph      *ephemeral
	upstream string
	creds    *Credentials
	mu       sync.Mutex
	closed   bool
	conns    []net.Conn
	wg       sync.WaitGroup
}

// StartRelay listens on 127.0.0.1 and relays each connection go-sdk makes
// to endpoint with creds.
func StartRelay(endpoint string, creds *Credentials) (*Relay, error) {
	eph, err := newEphemeral()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{ln: ln, eph: eph, upstream: endpoint, creds: creds}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr is where go-sdk dials.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// ClientTLS is the configuration go-sdk must dial with.
func (r *Relay) ClientTLS() *ftls.Config { return r.eph.client.Clone() }

// Close stops accepting, closes every relayed connection and waits for the
// copying goroutines.
func (r *Relay) Close() error {
	err := r.ln.Close()
	r.mu.Lock()
	r.closed = true
	for _, c := range r.conns {
		_ = c.Close()
	}
	r.conns = nil
	r.mu.Unlock()
	r.wg.Wait()
	return err
}

// keep tracks c for Close, or closes it when Close has already run.
func (r *Relay) keep(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		_ = c.Close()
		return false
	}
	r.conns = append(r.conns, c)
	return true
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		if !r.keep(c) {
			return
		}
		r.wg.Add(1)
		go r.relay(c)
	}
}

// relay joins one go-sdk connection to a fresh node session: a goroutine
// per direction, one TLS record read, one written.
func (r *Relay) relay(raw net.Conn) {
	defer r.wg.Done()
	down := stdtls.Server(raw, &r.eph.server)
	_ = down.SetDeadline(time.Now().Add(admitTimeout))
	if err := down.Handshake(); err != nil {
		_ = raw.Close()
		return
	}
	_ = down.SetDeadline(time.Time{})
	d := net.Dialer{Timeout: 5 * time.Second}
	tcp, err := d.Dial("tcp", r.upstream)
	if err != nil {
		_ = raw.Close()
		return
	}
	if !r.keep(tcp) {
		_ = raw.Close()
		return
	}
	up := ftls.Client(tcp, r.creds.upstreamTLS(r.upstream, false))
	if err := up.Handshake(); err != nil {
		_ = raw.Close()
		_ = tcp.Close()
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		copyRecords(down, up)
		_ = raw.Close()
	}()
	copyRecords(up, down)
	_ = tcp.Close()
}

// copyRecords writes what each Read returned (one TLS record's data) as one
// write, until either side fails.
func copyRecords(dst, src net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
