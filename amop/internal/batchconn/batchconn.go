// Package batchconn is a net.Conn that sends the TLS records written during
// a batch in one system call, and that tells a reader whether the records
// it has are all it has.
//
// go-sdk decodes at most one frame per TLS Read, so every frame toward it
// must be a TLS record of its own (one tls.Conn.Write per frame), but
// nothing forbids several records in one segment: go-sdk's TLS reads one
// record per Read whatever the segment held. Under a tls.Conn, a Conn
// holds the records of a batch and writes them together when the batch
// ends, which turns n frames' n writes into one (loopback writes cost
// 5–20 µs of kernel time each on the machines this runs on). Outside a
// batch it writes through, so the TLS handshake and one-off frames are not
// delayed.
//
// The read side answers "is there more?" without a system call: in peek
// mode a Read that would have to reach the socket fails at once with a
// timeout, which tls.Conn and wire.Reader treat as temporary. A reader
// that handles frames as long as its TLS connection has some buffered, and
// flushes what it wrote when it has to wait, batches exactly the frames
// that arrived together.
//
// It is written here because bufio.Writer has no write-through mode (a
// handshake written into it would never be sent) and no way to be shared
// by several writers with one flush by the last of them.
package batchconn

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// DefaultLimit is the most a batch holds before it is written out: several
// full TLS records, so that a large frame still goes out in few writes.
const DefaultLimit = 64 << 10

// Conn wraps a net.Conn; see the package documentation. Its methods are
// safe for concurrent use.
type Conn struct {
	net.Conn
	limit int

	mu    sync.Mutex
	holds int
	buf   []byte
	err   error // sticky: after a failed write the stream is broken

	peek   atomic.Bool
	writes *atomic.Uint64  // CountWrites
	raw    syscall.RawConn // the socket under Conn, for TryRelease; nil without one
}

// New wraps c; a batch is written out whenever it would exceed limit bytes
// (DefaultLimit when limit <= 0).
func New(c net.Conn, limit int) *Conn {
	if limit <= 0 {
		limit = DefaultLimit
	}
	bc := &Conn{Conn: c, limit: limit}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			bc.raw = raw
		}
	}
	return bc
}

// Write buffers p while a batch is open and writes it through otherwise.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if c.holds == 0 {
		// Outside a batch: after what a TryRelease left, in order.
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		return c.writeLocked(p)
	}
	if len(c.buf)+len(p) > c.limit {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > c.limit {
			return c.writeLocked(p)
		}
	}
	if c.buf == nil {
		c.buf = make([]byte, 0, c.limit)
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// CountWrites makes c add one to n for every write it makes to the
// connection under it, so that its owner can report how well frames were
// batched. Call it before c is used.
func (c *Conn) CountWrites(n *atomic.Uint64) { c.writes = n }

func (c *Conn) writeLocked(p []byte) (int, error) {
	if c.writes != nil {
		c.writes.Add(1)
	}
	n, err := c.Conn.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

func (c *Conn) flushLocked() error {
	if len(c.buf) == 0 {
		return c.err
	}
	_, err := c.writeLocked(c.buf)
	c.buf = c.buf[:0]
	return err
}

// Hold opens a batch (or joins the one open): writes are buffered until
// every Hold has been matched by a Release.
func (c *Conn) Hold() {
	c.mu.Lock()
	c.holds++
	c.mu.Unlock()
}

// Release ends one Hold; the last one writes the batch out, and its error
// is returned (also to every later Write: the stream is broken).
func (c *Conn) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holds > 0 {
		c.holds--
	}
	if c.holds > 0 {
		return c.err
	}
	return c.flushLocked()
}

// TryRelease ends one Hold like Release, but the last one makes a single
// attempt to write the batch that never waits: what the socket does not
// take stays held, for the next Release, Flush or write outside a batch
// (which wait). It returns the bytes still held. Without a socket under
// it (no syscall.Conn), it writes and waits as Release does.
func (c *Conn) TryRelease() (held int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holds > 0 {
		c.holds--
	}
	if c.holds > 0 || len(c.buf) == 0 || c.err != nil {
		return len(c.buf), c.err
	}
	if c.raw == nil {
		err := c.flushLocked()
		return len(c.buf), err
	}
	if c.writes != nil {
		c.writes.Add(1)
	}
	var n int
	var werr error
	rerr := c.raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), c.buf)
			if werr != syscall.EINTR {
				break
			}
		}
		return true // one attempt: never wait for room
	})
	switch {
	case errors.Is(rerr, os.ErrDeadlineExceeded):
		return len(c.buf), nil // a stale deadline: the waiting write renews it
	case rerr != nil:
		c.err = rerr
		return len(c.buf), rerr
	case werr == syscall.EAGAIN:
		return len(c.buf), nil
	case werr != nil:
		c.err = &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("write", werr)}
		return len(c.buf), c.err
	}
	c.buf = c.buf[:copy(c.buf, c.buf[n:])]
	return len(c.buf), nil
}

// Flush writes out what the open batch holds so far; the batch stays open.
func (c *Conn) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flushLocked()
}

// Buffered is the number of bytes held for the next write.
func (c *Conn) Buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.buf)
}

// Read reads from the connection; in peek mode it fails at once with
// os.ErrDeadlineExceeded (a timeout) instead of reaching the socket.
func (c *Conn) Read(p []byte) (int, error) {
	if c.peek.Load() {
		return 0, errWouldWait
	}
	return c.Conn.Read(p)
}

// Peek turns peek mode on or off (see Read).
func (c *Conn) Peek(on bool) { c.peek.Store(on) }

// errWouldWait is what a Read in peek mode fails with: a net.Error whose
// Timeout and Temporary are true, as a passed deadline's, so that tls.Conn
// keeps the connection usable and wire.Reader keeps its partial frame.
var errWouldWait error = &net.OpError{Op: "read", Net: "batch", Err: os.ErrDeadlineExceeded}

// IsWouldWait reports whether err is a peek-mode Read's refusal.
func IsWouldWait(err error) bool {
	oe, ok := err.(*net.OpError)
	return ok && oe == errWouldWait
}
