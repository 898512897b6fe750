package local

import (
	"sync"
	"sync/atomic"
	"time"
)

// A session's send queue. Three kinds of frames enter it, and each kind has
// its own rule, so that one session's slowness costs only that session:
//
//   - pushes (multicast and unicast pushes, 0x37) come from other sessions'
//     readers and must never wait: over the soft limits, or over the
//     network's queued-bytes budget, they are refused and the caller drops
//     them (counted) or tries another subscriber;
//   - answers owed to the session (a subscriber's reply relayed to its
//     publisher, a 104) also come from other goroutines and must not wait
//     either, but are never dropped: they are accepted up to the hard
//     limits (twice the soft ones), past which the session, which is not
//     reading its own answers, is closed;
//   - answers to the session's own requests (acks, heartbeats, handshake,
//     RPC) come from its own reader, which may wait for room: a client that
//     does not read slows only its own stream.
//
// The queue is a mutex and a slice rather than a channel because a channel
// can be bounded in frames but not in bytes.

// queued is one frame in a send queue. A multicast frame is shared by every
// subscriber's queue: its bytes are counted once against the network's
// budget, and given back by the last writer.
type queued struct {
	b     []byte
	share *shared // nil: the frame is this queue's alone
}

type shared struct {
	refs atomic.Int32
	size int
}

// outQueue is a session's send queue.
type outQueue struct {
	net    *Network
	mu     sync.Mutex
	frames []queued
	head   int
	bytes  int
	closed bool
	// behind is when pushes to this session began to be refused, zero
	// while it keeps up; a session behind for WriteTimeout is closed.
	behind time.Time
	ready  chan struct{} // signalled when a frame is added
	space  chan struct{} // signalled when a frame is taken
}

func newOutQueue(n *Network) *outQueue {
	return &outQueue{net: n, ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// fitsLocked reports whether a frame of size bytes fits under limits
// (frames, bytes); an empty queue takes any one frame.
func (q *outQueue) fitsLocked(size, frames, bytes int) bool {
	n := len(q.frames) - q.head
	return n == 0 || n < frames && q.bytes+size <= bytes
}

// addLocked queues f. It does not wake the writer: the session does
// (session.wake), at once or when its reader's batch ends.
func (q *outQueue) addLocked(f queued) {
	q.frames = append(q.frames, f)
	q.bytes += len(f.b)
	if f.share == nil {
		q.net.queued.Add(int64(len(f.b)))
	}
}

// push offers a push; it never waits. It reports whether f was queued
// and, when it was not, whether the session has been refusing pushes for
// longer than WriteTimeout. sh, when not nil, is the frame's shared record:
// its bytes are already counted in the network's budget.
func (q *outQueue) push(f []byte, sh *shared) (ok, stale bool) {
	o := &q.net.opts
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false, false
	}
	over := sh == nil && q.net.queued.Load()+int64(len(f)) > int64(o.MaxQueued)
	if over || !q.fitsLocked(len(f), o.SessionQueue, o.SessionQueueBytes) {
		now := time.Now()
		if q.behind.IsZero() {
			q.behind = now
		}
		return false, now.Sub(q.behind) >= o.WriteTimeout
	}
	if sh != nil {
		sh.refs.Add(1)
	}
	q.addLocked(queued{b: f, share: sh})
	return true, false
}

// owe queues an answer owed to the session; it never waits and never
// drops under the hard limits. It reports false when the queue is closed
// or over the hard limits.
func (q *outQueue) owe(f []byte) bool {
	o := &q.net.opts
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || !q.fitsLocked(len(f), 2*o.SessionQueue, 2*o.SessionQueueBytes) {
		return false
	}
	q.addLocked(queued{b: f})
	return true
}

// tryPut queues an answer to the session's own request if there is room
// under the soft limits, without waiting.
func (q *outQueue) tryPut(f []byte) bool {
	o := &q.net.opts
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || !q.fitsLocked(len(f), o.SessionQueue, o.SessionQueueBytes) {
		return false
	}
	q.addLocked(queued{b: f})
	return true
}

// put queues an answer to the session's own request, waiting up to wait
// for room under the soft limits. It reports false when the queue closed
// or the wait ran out.
func (q *outQueue) put(f []byte, wait time.Duration, done <-chan struct{}) bool {
	o := &q.net.opts
	var t *time.Timer
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return false
		}
		if q.fitsLocked(len(f), o.SessionQueue, o.SessionQueueBytes) {
			q.addLocked(queued{b: f})
			q.mu.Unlock()
			return true
		}
		q.mu.Unlock()
		signal(q.ready) // room comes only from the writer
		if t == nil {
			t = time.NewTimer(wait)
			defer t.Stop()
		}
		select {
		case <-q.space:
		case <-done:
			return false
		case <-t.C:
			return false
		}
	}
}

// pop takes the next frame, waiting for one until done is closed or, when
// wait > 0, for at most wait. The caller calls release after writing it.
func (q *outQueue) pop(done <-chan struct{}, wait time.Duration) (queued, bool) {
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	for {
		if f, ok := q.tryPop(); ok {
			return f, true
		}
		select {
		case <-q.ready:
		case <-done:
			return queued{}, false
		case <-timeout:
			return queued{}, false
		}
	}
}

// empty reports whether nothing is queued.
func (q *outQueue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.head == len(q.frames)
}

// headLen is the size of the next frame, if there is one.
func (q *outQueue) headLen() (int, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.frames) {
		return 0, false
	}
	return len(q.frames[q.head].b), true
}

// tryPop takes the next frame if there is one, without waiting; the caller
// calls release after writing it.
func (q *outQueue) tryPop() (queued, bool) {
	q.mu.Lock()
	if q.head == len(q.frames) {
		q.mu.Unlock()
		return queued{}, false
	}
	f := q.frames[q.head]
	q.frames[q.head] = queued{}
	q.head++
	q.bytes -= len(f.b)
	if q.head == len(q.frames) {
		q.frames, q.head = q.frames[:0], 0
		q.behind = time.Time{}
	} else if q.head >= 1024 && 2*q.head >= len(q.frames) {
		q.frames = append(q.frames[:0], q.frames[q.head:]...)
		q.head = 0
	}
	q.mu.Unlock()
	signal(q.space)
	return f, true
}

// release gives a written (or discarded) frame's bytes back to the
// network's budget.
func (q *outQueue) release(f queued) {
	switch {
	case f.share == nil:
		q.net.queued.Add(-int64(len(f.b)))
	case f.share.refs.Add(-1) == 0:
		q.net.queued.Add(-int64(f.share.size))
	}
}

// close refuses further frames and releases the queued ones.
func (q *outQueue) close() {
	q.mu.Lock()
	q.closed = true
	rest := q.frames[q.head:]
	q.frames, q.head, q.bytes = nil, 0, 0
	q.mu.Unlock()
	for _, f := range rest {
		q.release(f)
	}
}
