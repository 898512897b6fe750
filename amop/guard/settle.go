package guard

import (
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// Topic lists that settle. A real FISCO BCOS 2.x node hands every request
// from a session, topic lists (0x32) included, to a pool of 8 threads, and
// a 0x32 replaces the session's whole topic set (real-nodes.md rows 4 and
// 9): two lists sent moments apart — the replay after a connect and a
// join, or several joins at start — can be applied in either order, and
// the node may keep the older one. A 0x32 has no answer, so the guard
// cannot tell; instead, after a burst (a list within topicSettle of the
// previous one on the same session) it sends the latest list once more
// when the burst has been quiet for topicSettle, alone, so it is the last
// one applied.

// topicSettle is how long a burst of topic lists must be quiet before the
// latest is sent again: far longer than a node's pool takes to run a 0x32,
// and short next to the 5 s in which other nodes learn of it anyway.
const topicSettle = 300 * time.Millisecond

// settleState is the burst detector; guarded by Guard.subMu.
type settleState struct {
	up    *upSession // the session the last list went to
	last  time.Time  // when it went
	burst bool       // a list followed another within topicSettle
	timer *time.Timer
}

// topicsSent records a 0x32 written to u (subMu held) and arranges the
// trailing copy after a burst.
func (g *Guard) topicsSent(u *upSession) {
	s := &g.settle
	now := time.Now()
	if s.up == u && now.Sub(s.last) < topicSettle {
		s.burst = true
	}
	s.up, s.last = u, now
	if !s.burst {
		return
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer = time.AfterFunc(topicSettle, func() { g.settleTopics(u) })
}

// settleTopics sends the latest list to u once more if the burst on it is
// over and u is still the session.
func (g *Guard) settleTopics(u *upSession) {
	g.subMu.Lock()
	defer g.subMu.Unlock()
	s := &g.settle
	if !s.burst || s.up != u || time.Since(s.last) < topicSettle {
		return // another list came meanwhile: its own timer follows
	}
	s.burst = false
	g.mu.Lock()
	up, topics, closed := g.up, g.topics, g.closed
	g.mu.Unlock()
	if up != u || closed || topics == nil {
		return
	}
	f := wire.Frame{Type: wire.TypeSubscribe, Seq: wire.NewSeq(), Body: topics}
	if err := u.write(f.Encode()); err != nil {
		u.fail(err)
		return
	}
	s.last = time.Now()
}

// stopSettle stops a pending trailing copy (on Close).
func (g *Guard) stopSettle() {
	g.subMu.Lock()
	defer g.subMu.Unlock()
	if g.settle.timer != nil {
		g.settle.timer.Stop()
	}
	g.settle.burst = false
}
