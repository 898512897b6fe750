package guard

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// Pushes toward go-sdk. go-sdk runs every push it reads on a goroutine of
// its own (gosdk-pitfalls.md A#7), so two pushes it holds at once reach
// the topic handler in any order. The guard keeps the order per topic in
// one of two ways:
//
//   - one push in flight per topic: the next is written only after go-sdk
//     answered the last one (0x31). It costs a round trip through go-sdk per
//     message, and it is the rule for unicast requests (their answer is
//     the handler's), for 0x37 and for go-sdk's internal "#!$" topics
//     (go-sdk's own handlers read their data);
//   - a window (Config.Window > 1) for multicast on the client's topics:
//     up to Window pushes in flight, written together, each carrying a push
//     id in front of its data ("marked"). The client's handler gives the
//     data to Take, which strips the id and holds the handler until every
//     push started before it on the topic has been handed on (Take's done)
//     or answered: the handlers hand their messages on in the order the
//     node sent them, while go-sdk decodes and answers them in parallel.

// markLen is the size of the push id in front of a marked push's data.
const markLen = 8

// push is a frame from the node for go-sdk (0x30, 0x35 or 0x37).
type push struct {
	raw     []byte   // as written to go-sdk (seq possibly remapped, marked)
	origSeq wire.Seq // the node's seq, restored on the reply
	downSeq wire.Seq // the seq go-sdk sees
	typ     wire.Type
	lane    *lane
	up      *upSession // where the node's reply goes
	recv    time.Time  // when the node's frame arrived
	sent    time.Time  // when it was written to go-sdk
	id      uint64     // its mark, on a marked lane
	handed  bool       // the handler handed it on, or it left the window
	turn    chan struct{}
}

// exclusive reports whether p must be alone in flight on its lane.
func (p *push) exclusive() bool { return p.typ != wire.TypeMulticast || !p.lane.marked }

// lane is the push queue of one topic, and the pushes in flight on it.
type lane struct {
	topic  string
	marked bool    // multicast pushes carry a push id and share a window
	flight []*push // written to go-sdk and not answered, in the order written
	queue  []*push
	head   int
	bytes  int // of the queued pushes: a lane is bounded in bytes too
}

func (l *lane) empty() bool { return l.head == len(l.queue) }

func (l *lane) pop() *push {
	p := l.queue[l.head]
	l.queue[l.head] = nil
	l.head++
	l.bytes -= len(p.raw)
	if l.head == len(l.queue) {
		l.queue, l.head = l.queue[:0], 0
	}
	return p
}

// verifyLane is the lane of 0x37 verification requests, which carry no topic
// body.
const verifyLane = "\x00verify"

// Marks reports whether multicast pushes on topic reach go-sdk's handler
// marked: the handler must then give their data to Take.
func (g *Guard) Marks(topic string) bool {
	return g.cfg.Window > 1 && topic != verifyLane && !strings.HasPrefix(topic, wire.InternalPrefix)
}

// InFlight describes a push go-sdk is handling, so that the adapter can
// learn what go-sdk does not tell its handler: whether it is a unicast
// request or a multicast push, and when it arrived.
type InFlight struct {
	Multicast bool
	Received  time.Time
	Seq       string // the node's seq of the frame, as its 32 hex digits
}

func (p *push) info() InFlight {
	return InFlight{Multicast: p.typ == wire.TypeMulticast, Received: p.recv, Seq: hexSeq(p.origSeq)}
}

// Current returns the push in flight on topic, for a topic that is not
// marked: there is at most one, and while go-sdk runs the topic handler it
// is the push the handler is called for.
func (g *Guard) Current(topic string) (InFlight, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.lanes[topic]
	if l == nil || len(l.flight) == 0 {
		return InFlight{}, false
	}
	return l.flight[0].info(), true
}

// Take is the first step of a marked topic's handler: it reads the push id
// off data, waits for the push's turn (every push written before it on the
// topic handed on or answered) and returns the push, its payload and done,
// which the handler calls once it has handed the message on, to let the
// next push through. ok is false when data carries no known push (a push
// the guard gave up on, or that timed out meanwhile): the handler then has
// the payload and no order to keep.
func (g *Guard) Take(data []byte) (inf InFlight, payload []byte, done func(), ok bool) {
	if len(data) < markLen {
		return InFlight{}, data, func() {}, false
	}
	id := binary.BigEndian.Uint64(data)
	payload = data[markLen:]
	g.mu.Lock()
	p := g.marked[id]
	for p != nil && !p.handed && p.lane.firstUnhanded() != p {
		if p.turn == nil {
			p.turn = make(chan struct{})
		}
		turn := p.turn
		g.mu.Unlock()
		select {
		case <-turn:
		case <-g.ctx.Done():
			return InFlight{}, payload, func() {}, false
		}
		g.mu.Lock()
		p = g.marked[id]
	}
	if p == nil || p.handed {
		g.mu.Unlock()
		return InFlight{}, payload, func() {}, false
	}
	inf = p.info()
	g.mu.Unlock()
	return inf, payload, func() {
		g.mu.Lock()
		g.handLocked(p)
		g.mu.Unlock()
	}, true
}

// firstUnhanded is the push whose turn it is: the first in flight that has
// not been handed on.
func (l *lane) firstUnhanded() *push {
	for _, p := range l.flight {
		if !p.handed {
			return p
		}
	}
	return nil
}

// handLocked marks p handed on and wakes the next push's handler.
func (g *Guard) handLocked(p *push) {
	if p.handed {
		return
	}
	p.handed = true
	if next := p.lane.firstUnhanded(); next != nil && next.turn != nil {
		close(next.turn)
		next.turn = nil
	}
}

// hexSeq is seq as text when it is the hex digits nodes send, else "": it
// comes from the network and goes to a responder's environment.
func hexSeq(seq wire.Seq) string {
	for _, c := range seq {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return ""
		}
	}
	return string(seq[:])
}

// canStartLocked reports whether p, the next push of l, may be written now.
func (g *Guard) canStartLocked(l *lane, p *push) bool {
	switch {
	case len(l.flight) == 0:
		return true
	case p.exclusive() || l.flight[0].exclusive():
		return false
	}
	return len(l.flight) < g.cfg.Window
}

// startLocked puts p in flight and returns it for writing. Its seq toward
// go-sdk is remapped when it collides with one of go-sdk's own pending
// requests (a node that routes a client's own unicast back to it would
// otherwise satisfy go-sdk's wait with the push) or another push.
func (g *Guard) startLocked(l *lane, p *push) *push {
	p.downSeq = p.origSeq
	_, isReq := g.pending[p.downSeq]
	_, isPush := g.inflight[p.downSeq]
	for isReq || isPush {
		p.downSeq = wire.NewSeq()
		_, isReq = g.pending[p.downSeq]
		_, isPush = g.inflight[p.downSeq]
	}
	if p.downSeq != p.origSeq {
		wire.SetSeq(p.raw, &p.downSeq)
	}
	p.sent = time.Now()
	l.flight = append(l.flight, p)
	g.inflight[p.downSeq] = p
	g.busy[l] = struct{}{}
	return p
}

// retireLocked takes p out of flight (answered, timed out) and starts the
// lane's next pushes, which the caller writes, in order, after unlocking.
func (g *Guard) retireLocked(p *push, next []*push) []*push {
	l := p.lane
	delete(g.inflight, p.downSeq)
	if p.id != 0 {
		delete(g.marked, p.id)
	}
	g.handLocked(p) // answered or given up: its turn is over
	for i, q := range l.flight {
		if q == p {
			l.flight = append(l.flight[:i], l.flight[i+1:]...)
			break
		}
	}
	for !l.empty() && g.canStartLocked(l, l.queue[l.head]) {
		q := l.pop()
		g.laneBytes -= len(q.raw)
		next = append(next, g.startLocked(l, q))
	}
	if len(l.flight) == 0 {
		delete(g.busy, l)
		delete(g.lanes, l.topic)
	}
	return next
}

// expireLocked gives up on the pushes go-sdk has not answered within
// PushTimeout and returns the pushes started in their place.
func (g *Guard) expireLocked(now time.Time) (next []*push) {
	for l := range g.busy {
		for i := 0; i < len(l.flight); {
			p := l.flight[i]
			if now.Sub(p.sent) <= g.cfg.PushTimeout {
				i++
				continue
			}
			g.stats.pushTimeouts.Add(1)
			next = g.retireLocked(p, next) // removes p from l.flight
		}
	}
	return next
}

// mark returns raw, a validated AMOP push, with id in front of its data.
func mark(raw []byte, id uint64) []byte {
	at := wire.HeaderLen + int(raw[wire.HeaderLen]) // after [L][topic]
	out := make([]byte, len(raw)+markLen)
	copy(out, raw[:at])
	binary.BigEndian.PutUint64(out[at:], id)
	copy(out[at+markLen:], raw[at:])
	binary.BigEndian.PutUint32(out, uint32(len(out)))
	return out
}

// enqueue queues a push on topic's lane and writes it at once when the lane
// lets it start.
func (g *Guard) enqueue(up *upSession, topic string, f wire.Frame, raw []byte) {
	p := &push{raw: raw, origSeq: f.Seq, typ: f.Type, up: up, recv: time.Now()}
	g.mu.Lock()
	l := g.lanes[topic]
	if l == nil {
		l = &lane{topic: topic, marked: g.Marks(topic)}
		g.lanes[topic] = l
	}
	p.lane = l
	if l.marked && (f.Type == wire.TypeMulticast || f.Type == wire.TypeAMOPRequest) {
		g.nextMark++
		p.id = g.nextMark
		p.raw = mark(raw, p.id)
	}
	if !l.empty() || !g.canStartLocked(l, p) {
		if len(l.queue)-l.head >= g.cfg.LaneLimit || l.bytes+len(p.raw) > g.cfg.LaneBytes || g.laneBytes+len(p.raw) > g.cfg.LaneBytes {
			g.mu.Unlock()
			g.stats.overflow.Add(1)
			g.countersChanged()
			if f.Type == wire.TypeAMOPRequest {
				// Tell the node now rather than let it wait its push
				// timeout: the publisher hears "no subscriber answered".
				fail := append([]byte(nil), raw[:wire.HeaderLen]...)
				wire.SetType(fail, wire.TypeAMOPResponse)
				wire.SetResult(fail, 104)
				binary.BigEndian.PutUint32(fail, wire.HeaderLen)
				if err := up.write(fail); err != nil {
					up.fail(err)
				}
			}
			return
		}
		l.queue = append(l.queue, p)
		l.bytes += len(p.raw)
		g.laneBytes += len(p.raw)
		if p.id != 0 {
			g.marked[p.id] = p
		}
		g.mu.Unlock()
		return
	}
	if p.id != 0 {
		g.marked[p.id] = p
	}
	g.startLocked(l, p)
	down := g.down
	g.mu.Unlock()
	if down != nil {
		down.write(p.raw)
	}
}

// replyFromSDK handles go-sdk's 0x31 to a push: relayed to the node for a
// unicast or verification request, swallowed for a multicast (the node has
// nothing pending for it); then the topic's next pushes go out.
func (g *Guard) replyFromSDK(f wire.Frame, raw []byte) {
	g.mu.Lock()
	p := g.inflight[f.Seq]
	if p == nil {
		g.mu.Unlock()
		return // late: the push timed out
	}
	next := g.retireLocked(p, nil)
	up, down := g.up, g.down
	relay := p.typ != wire.TypeMulticast && up == p.up && up != nil
	if relay {
		g.relaying.Add(1) // under mu, so Close sees it once the push is retired (answersOwed)
	}
	g.mu.Unlock()
	if relay {
		if p.downSeq != p.origSeq {
			wire.SetSeq(raw, &p.origSeq)
		}
		if err := up.write(raw); err != nil {
			up.fail(err)
		}
		g.relaying.Add(-1)
	}
	if down != nil {
		for _, n := range next {
			down.write(n.raw)
		}
	}
}
