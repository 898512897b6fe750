package guard

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// reservedPrefix is the topic prefix of block notifications: go-sdk
// registers a nil handler for it and crashes on an AMOP message to it.
var reservedPrefix = []byte(wire.BlockNotifyPrefix)

// request is a go-sdk request forwarded to the node.
type request struct {
	seq      wire.Seq
	typ      wire.Type
	rpcID    json.RawMessage // for 0x12, to build a JSON-RPC error
	deadline time.Time
	up       *upSession
}

// errorFrame is the answer go-sdk gets when the node cannot answer r. Every
// go-sdk request is answered exactly once, so its caller always returns.
func (r *request) errorFrame(code int32) []byte {
	if r.typ == wire.TypeRPC {
		// go-sdk turns a non-zero result of a 0x12 into a garbled rune
		// (gosdk-pitfalls.md B#12), so RPC errors travel in the body.
		id := r.rpcID
		if len(id) == 0 {
			id = json.RawMessage("null")
		}
		body, _ := json.Marshal(wire.RPCResponse{ID: id, JSONRPC: "2.0",
			Error: &wire.RPCError{Code: -32000 - int(code%1000), Message: resultText(code)}})
		f := wire.Frame{Type: wire.TypeRPC, Seq: r.seq, Body: body}
		return f.Encode()
	}
	typ := r.typ
	if typ == wire.TypeAMOPRequest || typ == wire.TypeMulticast {
		typ = wire.TypeAMOPResponse
	}
	f := wire.Frame{Type: typ, Seq: r.seq, Result: code}
	return f.Encode()
}

func resultText(code int32) string {
	switch code {
	case ResultNotConnected:
		return "not connected to a node"
	case ResultDeadline:
		return "the node did not answer in time"
	case ResultLost:
		return "the node connection was lost"
	case ResultMalformed:
		return "the node's answer was malformed"
	case ResultReserved:
		return "the topic is reserved"
	case ResultClosed:
		return "the client is closing"
	case ResultOversize:
		return "the node's answer was over the incoming limit"
	}
	return "error"
}

// failPendingLocked answers the requests waiting on up (all when up is nil)
// with code and returns the frames to write to go-sdk.
func (g *Guard) failPendingLocked(up *upSession, code int32) [][]byte {
	var out [][]byte
	for seq, r := range g.pending {
		if up == nil || r.up == up {
			delete(g.pending, seq)
			out = append(out, r.errorFrame(code))
		}
	}
	return out
}

// fromNode routes one validated-length frame read from the node.
func (g *Guard) fromNode(up *upSession, raw []byte) {
	g.stats.fromNode.Add(1)
	f, err := wire.Parse(raw)
	if err != nil {
		g.malformed("unparsable frame", err)
		return
	}
	switch f.Type {
	case wire.TypeAMOPRequest, wire.TypeMulticast:
		g.pushFromNode(up, f, raw)
		return
	case wire.TypeVerifyRequest:
		v, err := wire.DecodeVerifyRequest(f.Body)
		if err != nil {
			g.malformed("bad 0x37 body", err)
			return
		}
		g.notePrivate(PrivateNote{Kind: NoteVerifyRequest, Topic: v.Topic, NodeID: v.NodeID})
		g.enqueue(up, verifyLane, f, raw)
		return
	case wire.TypeHeartbeat, wire.TypeBlockNotify, wire.TypeTxNotify, wire.TypeEventPush:
		return // liveness is tracked on every read; notifications are not AMOP
	}
	g.mu.Lock()
	r := g.pending[f.Seq]
	if r != nil && r.up == up {
		delete(g.pending, f.Seq)
	} else {
		r = nil
	}
	exp, late := g.expired[f.Seq]
	if late {
		delete(g.expired, f.Seq)
	}
	down := g.down
	g.mu.Unlock()
	if r == nil {
		switch {
		case late:
			// An answer after our deadline: normal for a slow chain (a
			// node may take 30 s per candidate), not a fault of the node.
			g.stats.late.Add(1)
			if exp.amop {
				g.reportLate(exp, f)
			}
		case f.Type.Known():
			g.stats.unmatched.Add(1)
			g.countersChanged()
		default:
			g.stats.malformed.Add(1)
			g.countersChanged()
		}
		return
	}
	// go-sdk decodes the topic body of a successful AMOP answer and panics
	// when its length byte lies; an empty body is safe for it.
	if (r.typ == wire.TypeAMOPRequest || r.typ == wire.TypeMulticast) && f.Result == 0 && len(f.Body) > 0 {
		topic, data, err := wire.DecodeTopic(f.Body)
		switch {
		case err != nil:
			g.malformed("bad topic body in an AMOP answer", err)
			raw = r.errorFrame(ResultMalformed)
		case len(data) > g.cfg.MaxIncoming:
			g.oversized(f.Type, len(data))
			raw = r.errorFrame(ResultOversize)
		case r.typ == wire.TypeMulticast && len(data) > 0:
			// A node acknowledges a multicast by echoing the whole body;
			// go-sdk decodes it byte by byte through reflection only to
			// discard it (~40 ms per MiB). The topic is all it needs.
			if ack, err := wire.EncodeTopicFrame(f.Type, &f.Seq, 0, string(topic), nil); err == nil {
				raw = ack
			}
		}
	}
	if down != nil {
		down.write(raw)
	}
}

func (g *Guard) malformed(what string, err error) {
	g.stats.malformed.Add(1)
	g.cfg.Logger.Warn("dropped a frame from the node", "why", what, "err", err)
	g.countersChanged()
}

// pushFromNode validates an AMOP push and queues it on its topic's lane.
func (g *Guard) pushFromNode(up *upSession, f wire.Frame, raw []byte) {
	topic, data, err := wire.DecodeTopic(f.Body)
	if err != nil {
		g.malformed("bad topic body in an AMOP push", err)
		return
	}
	if len(data) > g.cfg.MaxIncoming {
		g.oversized(f.Type, len(data))
		if f.Type == wire.TypeAMOPRequest {
			g.refusePush(up, f.Seq, 103)
		}
		return
	}
	if bytes.HasPrefix(topic, reservedPrefix) {
		g.stats.reserved.Add(1)
		g.countersChanged()
		if f.Type == wire.TypeAMOPRequest {
			// Answer as go-sdk answers a topic it has no handler for
			// (empty success), so the node does not wait 5 s.
			if ans, err := wire.EncodeTopicFrame(wire.TypeAMOPResponse, &f.Seq, 0, string(topic), nil); err == nil {
				_ = up.write(ans)
			}
		}
		return
	}
	if !g.everJoined(topic) {
		// A node pushes only what a client subscribed to: this one is
		// the node's fault (or an attack). go-sdk would run no handler
		// for it, so it is dropped here, counted, and a unicast is told
		// at once, as for a queue that overflows.
		g.stats.notJoined.Add(1)
		g.cfg.Logger.Debug("dropped a push on a topic never joined", "type", f.Type.String())
		g.countersChanged()
		if f.Type == wire.TypeAMOPRequest {
			g.refusePush(up, f.Seq, 104)
		}
		return
	}
	g.noteChallenge(topic)
	g.enqueue(up, string(topic), f, raw)
}

// forward sends a go-sdk request to the node, or answers it at once when
// there is no node.
func (g *Guard) forward(down *downSession, f wire.Frame, raw []byte) {
	r := &request{seq: f.Seq, typ: f.Type, deadline: time.Now().Add(g.cfg.RequestTimeout)}
	if f.Type == wire.TypeRPC {
		if req, err := wire.DecodeRPCRequest(f.Body); err == nil {
			r.rpcID = req.ID
		}
	}
	if f.Type == wire.TypeAMOPRequest || f.Type == wire.TypeMulticast {
		if topic, _, err := wire.DecodeTopic(f.Body); err != nil || bytes.HasPrefix(topic, reservedPrefix) {
			down.write(r.errorFrame(ResultReserved))
			return
		}
	}
	g.mu.Lock()
	up, closed := g.up, g.closed
	if up == nil || closed {
		g.mu.Unlock()
		code := ResultNotConnected
		if closed {
			code = ResultClosed
		}
		down.write(r.errorFrame(code))
		return
	}
	r.up = up
	g.pending[f.Seq] = r
	g.mu.Unlock()
	if err := up.write(raw); err != nil {
		g.mu.Lock()
		_, still := g.pending[f.Seq]
		delete(g.pending, f.Seq)
		g.mu.Unlock()
		if still {
			down.write(r.errorFrame(ResultLost))
		}
		up.fail(err)
	}
}

// subscribe records go-sdk's topic list and sends it to the node. The list
// is stored and sent under subMu so that a reconnect's replay and a new list
// reach the node in the order they were stored.
func (g *Guard) subscribe(body []byte) {
	topics, err := wire.DecodeTopics(body)
	if err != nil {
		g.cfg.Logger.Warn("go-sdk sent a topic list that does not parse", "err", err)
		return
	}
	g.subMu.Lock()
	defer g.subMu.Unlock()
	g.mu.Lock()
	g.topics = append([]byte(nil), body...)
	g.nTopics = countUserTopics(topics)
	for _, t := range topics {
		if len(g.joined) < maxJoined {
			g.joined[t] = struct{}{}
		}
	}
	up := g.up
	g.mu.Unlock()
	if up != nil {
		seq := wire.NewSeq()
		f := wire.Frame{Type: wire.TypeSubscribe, Seq: seq, Body: body}
		if err := up.write(f.Encode()); err != nil {
			up.fail(err)
			return
		}
		g.topicsSent(up)
	}
}

// countUserTopics counts the topics a person joined: go-sdk adds its block
// notification topic and private-topic helpers to the list.
func countUserTopics(topics []string) int {
	n := 0
	for _, t := range topics {
		if !strings.HasPrefix(t, wire.BlockNotifyPrefix) && !strings.HasPrefix(t, wire.VerifyChannelPrefix) &&
			!strings.HasPrefix(t, wire.PushChannelPrefix) {
			n++
		}
	}
	return n
}
