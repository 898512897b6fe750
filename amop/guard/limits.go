package guard

// What the guard does not take from a node: frames over the incoming limit
// (read through without being kept, then dropped) and pushes on topics
// go-sdk never subscribed to (issue 11).

import "github.com/amoptui/amoptui/amop/wire"

// oversizeFrame handles a frame the reader discarded for being over
// MaxIncoming: it is counted, and a request is answered at once so that
// nobody waits for it — the node's push with 103 (what a node answers for a
// request over its limits), go-sdk's pending request with ResultOversize.
func (g *Guard) oversizeFrame(up *upSession, e *wire.OversizeError) {
	f := e.Frame()
	g.oversized(f.Type, e.Length)
	switch f.Type {
	case wire.TypeAMOPRequest:
		g.refusePush(up, f.Seq, 103)
	case wire.TypeAMOPResponse, wire.TypeRPC:
		g.mu.Lock()
		r := g.pending[f.Seq]
		if r != nil && r.up == up {
			delete(g.pending, f.Seq)
		} else {
			r = nil
		}
		down := g.down
		g.mu.Unlock()
		if r != nil && down != nil {
			down.write(r.errorFrame(ResultOversize))
		}
	}
}

// oversized counts and logs a frame or payload over MaxIncoming.
func (g *Guard) oversized(t wire.Type, size int) {
	g.stats.oversize.Add(1)
	g.cfg.Logger.Warn("dropped a frame from the node over the incoming limit", "type", t.String(), "bytes", size, "limit", g.cfg.MaxIncoming)
	g.countersChanged()
}

// refusePush answers the node's unicast push seq with code and an empty
// body, instead of letting the node wait its push timeout.
func (g *Guard) refusePush(up *upSession, seq wire.Seq, code int32) {
	fail := wire.Frame{Type: wire.TypeAMOPResponse, Seq: seq, Result: code}
	if err := up.write(fail.Encode()); err != nil {
		up.fail(err)
	}
}

// maxJoined bounds the set of topics ever joined; past it, every topic
// counts as joined (a client that joins that many is not the attack).
const maxJoined = 1 << 16

// everJoined reports whether go-sdk has ever had topic in its topic list.
// A topic left a moment ago still gets the pushes in flight, which go-sdk
// answers as always.
func (g *Guard) everJoined(topic []byte) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.joined) >= maxJoined {
		return true
	}
	_, ok := g.joined[string(topic)]
	return ok
}
