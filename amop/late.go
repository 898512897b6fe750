package amop

import (
	"sync"
	"time"

	"github.com/amoptui/amoptui/amop/guard"
)

// Late answers: a send that gave up (a *TimeoutError) may still be answered
// by the node — on a real chain a node waits up to 30 s for each candidate
// node (real-nodes.md rows 12 and 13), longer than the default send
// timeout. Such an answer is not discarded: it arrives as a LateReplyEvent
// whose ID is the failed send's TimeoutError.ID, so a UI can show it on the
// send's own line.
//
// It can come two ways. Either go-sdk's call returns after the caller's
// deadline but before the guard gave up (the adapter's goroutine still
// waits for it), or the guard gave up first: it answered go-sdk with a
// deadline ticket, which the adapter reads from go-sdk's error, and reports
// the node's answer with the same ticket later (guard/late.go). The ticket
// and the answer can arrive in either order; whichever comes second emits
// the event.

// LateReplyEvent is the node's answer to a send that had already failed
// with a *TimeoutError carrying the same ID: a unicast reply, a multicast
// acknowledgement, or the node's own failure (Err, e.g. AMOP 100 after
// every candidate node failed).
type LateReplyEvent struct {
	ID      uint64
	Topic   string
	Mode    Mode
	Private bool
	Reply   []byte
	Err     error         // a *CodeError when the node answered with a failure
	After   time.Duration // from the start of the send to the answer
}

func (*LateReplyEvent) isEvent() {}

// lateKeep bounds how long the adapter remembers a send that may still be
// answered: the guard forgets its ticket a minute after its deadline.
const lateKeep = 2 * time.Minute

// maxLate bounds the sends remembered (a node that never answers must not
// grow memory without bound); past it the oldest are forgotten.
const maxLate = 4096

// lateSend is a send that gave up and may still be answered.
type lateSend struct {
	id      uint64
	topic   string
	mode    Mode
	private bool
	start   time.Time
}

// lateBook matches tickets with late answers, in either order.
type lateBook struct {
	mu      sync.Mutex
	nextID  uint64
	sends   map[uint64]lateSend   // ticket → the send it answered with a deadline
	answers map[uint64]guard.Late // ticket → an answer that came before its ticket was read
}

// newID numbers a send that timed out.
func (b *lateBook) newID() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	return b.nextID
}

// expect records that ticket belongs to s; it returns the answer when it
// already came.
func (b *lateBook) expect(ticket uint64, s lateSend) (guard.Late, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.answers[ticket]; ok {
		delete(b.answers, ticket)
		return l, true
	}
	if b.sends == nil {
		b.sends = make(map[uint64]lateSend)
	}
	if len(b.sends) >= maxLate {
		b.pruneLocked(time.Now(), true)
	}
	b.sends[ticket] = s
	return guard.Late{}, false
}

// answer records l; it returns the send when its ticket was already read.
func (b *lateBook) answer(l guard.Late) (lateSend, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.sends[l.Ticket]; ok {
		delete(b.sends, l.Ticket)
		return s, true
	}
	if b.answers == nil {
		b.answers = make(map[uint64]guard.Late)
	}
	if len(b.answers) >= maxLate {
		b.pruneLocked(time.Now(), true)
	}
	b.answers[l.Ticket] = l
	return lateSend{}, false
}

// prune forgets what can no longer be matched.
func (b *lateBook) prune(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pruneLocked(now, false)
}

// pruneLocked drops entries older than lateKeep; full also drops the older
// half, to make room.
func (b *lateBook) pruneLocked(now time.Time, full bool) {
	keep := lateKeep
	if full {
		keep = lateKeep / 2
	}
	for t, s := range b.sends {
		if now.Sub(s.start) > keep {
			delete(b.sends, t)
		}
	}
	for t, l := range b.answers {
		// An answer waits only for go-sdk's error that carries its
		// ticket, which follows within moments.
		if now.Sub(l.Received) > keep/4 {
			delete(b.answers, t)
		}
	}
}

// onLate takes the guard's report of a late answer.
func (a *SDK) onLate(l guard.Late) {
	if s, ok := a.late.answer(l); ok {
		a.emitLate(s, l)
	}
}

// expectLate ties the guard's ticket to the send that gave up.
func (a *SDK) expectLate(ticket uint64, s lateSend) {
	if l, ok := a.late.expect(ticket, s); ok {
		a.emitLate(s, l)
	}
}

func (a *SDK) emitLate(s lateSend, l guard.Late) {
	ev := &LateReplyEvent{ID: s.id, Topic: s.topic, Mode: s.mode, Private: s.private, After: l.Received.Sub(s.start)}
	if l.Result != 0 {
		ev.Err = &CodeError{Code: int(l.Result), Topic: s.topic, Private: s.private}
	} else if s.mode == Unicast {
		ev.Reply = l.Data
	}
	a.emitEvent(ev)
}

// emitEvent delivers ev without blocking; a full channel loses it (a late
// answer is news, not data: the send's line already says it failed).
func (a *SDK) emitEvent(ev Event) {
	a.evMu.RLock()
	defer a.evMu.RUnlock()
	if a.closed {
		return
	}
	select {
	case a.events <- ev:
	default:
	}
}
