package local

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// limitLogInterval is how often one session's refusals are logged: a client
// that retries an over-limit request in a loop gets one line per interval,
// with the count of the ones left out.
const limitLogInterval = 10 * time.Second

// limitLog rate-limits one session's "over a limit" warnings.
type limitLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// warn logs msg for s unless a refusal was logged within limitLogInterval.
func (l *limitLog) warn(log *slog.Logger, s *session, msg string, args ...any) {
	now := time.Now()
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < limitLogInterval {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	args = append([]any{"node", s.node.idx, "session", s.id, "remote", s.remote}, args...)
	if suppressed > 0 {
		args = append(args, "refusals_not_logged", suppressed)
	}
	log.Warn(msg, args...)
}

// readBudget is the wire.Budget of the frames being read, all sessions
// together.
type readBudget struct {
	used  atomic.Int64
	limit int64
}

// Grow implements wire.Budget.
func (b *readBudget) Grow(n int) bool {
	if b.used.Add(int64(n)) > b.limit {
		b.used.Add(-int64(n))
		return false
	}
	return true
}

// Release implements wire.Budget.
func (b *readBudget) Release(n int) { b.used.Add(-int64(n)) }
