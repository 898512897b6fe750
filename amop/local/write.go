package local

import (
	"errors"
	"net"
	"time"
)

// Writing to sessions. Every frame is one TLS record (one tls.Conn.Write:
// go-sdk decodes one frame per record), and the records of the frames
// queued together go out in one system call (batchconn). Frames get
// written one of two ways:
//
//   - by the session's writer goroutine, which may wait: for room in the
//     socket, up to WriteTimeout, after which the session is closed as a
//     slow consumer;
//   - by the reader that queued them, at the end of its batch (the frames
//     its TLS connection held at once), without ever waiting: when the
//     session's writer is idle, the queued frames are written in one
//     attempt that takes what the socket has room for (kick). Whatever is
//     left is the writer's. This spares the hand-off to the writer
//     goroutine on every hop of a message — waking it costs more than the
//     write on a busy machine (a futex and a thread switch) — while a
//     session that does not read still never holds up the reader of
//     another.

// maxBatch bounds the frames of one batch, so that the write deadline and
// the idle clock are renewed at least that often.
const maxBatch = 256

// kickMax bounds what a reader writes for another session: larger frames,
// and batches, are left to the writer.
const kickMax = 16 << 10

// flushSet is what a reader queued frames for during its batch: their
// sessions, to be written or woken when the batch ends. Only the reader
// that owns it uses it.
type flushSet struct {
	own      *session // the reader's session
	answers  bool     // frames were queued for own
	sessions []*session
}

func (fs *flushSet) add(s *session) {
	if s == fs.own {
		fs.answers = true
		return
	}
	for _, x := range fs.sessions {
		if x == s {
			return
		}
	}
	fs.sessions = append(fs.sessions, s)
}

// flush gets everything the batch queued written (kick): the reader's own
// answers first — a publisher waits for its multicast's acknowledgement,
// nobody for the order of writes to different sockets — then the other
// sessions' frames. A nil set has nothing to flush.
func (fs *flushSet) flush() {
	if fs == nil {
		return
	}
	if fs.answers {
		fs.answers = false
		fs.own.kick()
	}
	for i, s := range fs.sessions {
		s.kick()
		fs.sessions[i] = nil
	}
	fs.sessions = fs.sessions[:0]
}

// wake makes sure frames just queued for s get written: at the end of the
// batch of the reader owning fl, or at once by the writer (fl nil).
func (s *session) wake(fl *flushSet) {
	if fl != nil {
		fl.add(s)
		return
	}
	signal(s.q.ready)
}

// kick writes what is queued for s without waiting when its writer is idle
// and the socket takes it, and wakes the writer for anything left.
func (s *session) kick() {
	if s.hostile.Load() == nil && !s.node.frozen.Load() && s.wmu.TryLock() {
		done := s.writeNowLocked()
		s.wmu.Unlock()
		if done {
			return
		}
	}
	signal(s.q.ready)
}

// writeNowLocked writes the queued frames (small ones, up to kickMax in
// all) in one attempt that never waits; what the socket does not take stays
// held in the batchconn for the writer. It reports whether everything was
// written.
func (s *session) writeNowLocked() bool {
	n := s.net
	s.conn.SetWriteDeadline(time.Now().Add(n.opts.WriteTimeout))
	s.bc.Hold()
	var err error
	for count := 0; count < maxBatch; count++ {
		size, ok := s.q.headLen()
		if !ok || s.bc.Buffered()+size > kickMax {
			break
		}
		f, _ := s.q.tryPop()
		_, err = s.conn.Write(f.b)
		s.q.release(f)
		if err != nil {
			break
		}
		n.stats.framesOut.Add(1)
	}
	left, ferr := s.bc.TryRelease()
	if err != nil || ferr != nil {
		return false // the writer meets the error and closes the session
	}
	if left > 0 {
		return false
	}
	s.touch()
	return s.q.empty()
}

// writeLoop writes what kicks could not: it drains the queue whenever it
// is woken, and stops when the session is done.
func (s *session) writeLoop() {
	n := s.net
	defer n.wg.Done()
	for {
		select {
		case <-s.q.ready:
		case <-s.done:
			return
		}
		for {
			if s.node.frozen.Load() {
				if !s.node.waitThawed(s.done) {
					return
				}
				s.touch()
			}
			more, err := s.writeBatch()
			if err != nil {
				kind := reasonNormal
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					kind = reasonSlow
				}
				s.close(closeReason{msg: "write failed", kind: kind, err: err})
				return
			}
			if !more {
				break
			}
		}
	}
}

// writeBatch writes up to maxBatch queued frames, after whatever a kick
// left held, in one system call, waiting up to WriteTimeout; a hostile
// session's frames one at a time, as its behaviour says. It reports whether
// frames remain.
func (s *session) writeBatch() (more bool, err error) {
	n := s.net
	s.wmu.Lock()
	defer s.wmu.Unlock()
	f, ok := s.q.tryPop()
	if !ok && s.bc.Buffered() == 0 {
		return false, nil
	}
	s.conn.SetWriteDeadline(time.Now().Add(n.opts.WriteTimeout))
	batch := s.hostile.Load() == nil
	if batch {
		s.bc.Hold()
	}
	for count := 1; ok; count++ {
		err = s.write(f.b)
		s.q.release(f)
		if err != nil {
			break
		}
		n.stats.framesOut.Add(1)
		if !batch || count == maxBatch || s.node.frozen.Load() {
			break
		}
		f, ok = s.q.tryPop()
	}
	if batch {
		if ferr := s.bc.Release(); err == nil {
			err = ferr
		}
	} else if err == nil && s.bc.Buffered() > 0 {
		err = s.bc.Flush()
	}
	if err != nil {
		return false, err
	}
	s.touch()
	return !s.q.empty(), nil
}
