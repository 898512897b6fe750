package fisco3

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/wire3"
)

// counters are the client's running totals.
type counters struct {
	received, dropped, behind, replied, sent, failed, reconnects atomic.Uint64
	// What the node sent that was dropped: messages that did not decode
	// (text frames included), of unknown types, and answers to nothing.
	malformed, unknown, unmatched atomic.Uint64
	// oversize are messages over MaxIncoming, dropped unread; notJoined
	// are pushes for topics this client does not (or no longer) subscribe;
	// notifies are block and group notifications, ignored; late are
	// answers to sends that had timed out.
	oversize, notJoined, notifies, late atomic.Uint64
}

// Counters is a detailed snapshot of what the client dropped or ignored,
// beyond amop.Stats.
type Counters struct {
	Malformed, UnknownTypes, Unmatched, Oversize, NotJoined, Notifications, Late uint64
}

// Counters returns the detailed counters.
func (c *Client) Counters() Counters {
	k := &c.c
	return Counters{Malformed: k.malformed.Load(), UnknownTypes: k.unknown.Load(), Unmatched: k.unmatched.Load(),
		Oversize: k.oversize.Load(), NotJoined: k.notJoined.Load(), Notifications: k.notifies.Load(), Late: k.late.Load()}
}

// Stats implements amop.Client. Malformed sums what the node sent that was
// wrong: undecodable messages, unknown types and answers to nothing.
func (c *Client) Stats() amop.Stats {
	k := &c.c
	return amop.Stats{
		Received: k.received.Load(), Dropped: k.dropped.Load(), Behind: k.behind.Load(), Replied: k.replied.Load(),
		Sent: k.sent.Load(), Failed: k.failed.Load(),
		Malformed: k.malformed.Load() + k.unknown.Load() + k.unmatched.Load(),
		Late:      k.late.Load(), Oversize: k.oversize.Load(), NotJoined: k.notJoined.Load(), Reconnects: k.reconnects.Load(),
	}
}

// readLoop reads the session's messages until it fails. A message over
// MaxIncoming is read through without being kept (only its header is
// looked at), dropped and counted; one over the protocol's 32 MiB ends the
// session, as it would on a node.
func (c *Client) readLoop(s *session) {
	for {
		kind, r, err := s.conn.NextReader()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.bad(&c.c.oversize)
				err = fmt.Errorf("node %s sent a message over the %d MiB limit: %w", s.endpoint, wire3.MaxMessage>>20, err)
			} else {
				err = fmt.Errorf("read from node %s: %w", s.endpoint, err)
			}
			s.fail(err)
			return
		}
		b, over, err := readLimited(r, c.maxIncoming)
		if err != nil {
			// The next NextReader reports why the stream broke.
			continue
		}
		s.touch()
		if kind != websocket.BinaryMessage {
			// Nodes write binary messages only.
			c.bad(&c.c.malformed)
			continue
		}
		m, err := wire3.Decode(b)
		if err != nil {
			c.bad(&c.c.malformed)
			c.log.Debug("malformed message from the node", "endpoint", s.endpoint, "err", err)
			continue
		}
		if over {
			c.oversized(s, m)
			continue
		}
		c.dispatch(s, m)
	}
}

// readLimited reads a message of at most limit bytes; a longer one is read
// through to its end, and only its first limit bytes are returned.
func readLimited(r io.Reader, limit int) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, false, err
	}
	if len(b) <= limit {
		return b, false, nil
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, false, err
	}
	return b[:limit], true, nil
}

// oversized handles a message over MaxIncoming from its header alone: a
// request is refused at once (its sender is not left waiting), an answer
// fails its send with ErrReplyTooLarge.
func (c *Client) oversized(s *session, m wire3.Message) {
	c.bad(&c.c.oversize)
	c.log.Debug("message over max_incoming dropped", "endpoint", s.endpoint, "type", m.Type)
	switch m.Type {
	case wire3.TypeRequest:
		c.reply(s, m.Seq, wire3.CodeWsMessageOverflow, []byte("amoptui: the request is larger than this client accepts (max_incoming)"))
		return
	case wire3.TypeBroadcast:
		return
	}
	c.mu.Lock()
	cl := c.pending[m.Seq]
	delete(c.pending, m.Seq)
	c.mu.Unlock()
	if cl != nil {
		cl.done <- answer{err: amop.ErrReplyTooLarge}
	}
}

func (c *Client) bad(n *atomic.Uint64) {
	n.Add(1)
	c.dirty.Store(true)
}

// dispatch routes one message: an answer to a pending send (matched by seq
// whatever its type, as nodes answer with the subscriber's own message or a
// type-0 error — except pushes, which a faithful node may send on our own
// seq), a push, or something to ignore or count.
func (c *Client) dispatch(s *session, m wire3.Message) {
	switch m.Type {
	case wire3.TypeRequest:
		c.onPush(s, m, amop.Unicast)
		return
	case wire3.TypeBroadcast:
		c.onPush(s, m, amop.Multicast)
		return
	case wire3.TypeBlockNotify, wire3.TypeGroupNotify, wire3.TypeEventPush:
		c.c.notifies.Add(1)
		return
	}
	if m.Seq != "" && c.answered(m) {
		return
	}
	switch m.Type {
	case wire3.TypeResponse, wire3.TypeNone, wire3.TypeHandshake, wire3.TypeRPC:
		c.bad(&c.c.unmatched)
	default:
		c.bad(&c.c.unknown)
	}
}

// answered hands m to the send waiting on its seq, or reports it as the late
// answer of one that timed out; false when it answers nothing.
func (c *Client) answered(m wire3.Message) bool {
	c.mu.Lock()
	cl := c.pending[m.Seq]
	if cl != nil {
		delete(c.pending, m.Seq)
		c.mu.Unlock()
		cl.done <- answer{m: m}
		return true
	}
	l, late := c.expired[m.Seq]
	if late {
		delete(c.expired, m.Seq)
	}
	c.mu.Unlock()
	if !late {
		return false
	}
	c.c.late.Add(1)
	ev := &amop.LateReplyEvent{ID: l.id, Topic: l.topic, Mode: amop.Unicast, After: time.Since(l.start)}
	if m.Status != 0 {
		ev.Err = &amop.CodeError{Code: int(m.Status), Topic: l.topic}
	} else {
		ev.Reply = m.Payload
	}
	c.emit(ev)
	return true
}

// push is a pushed message waiting in its topic's lane.
type push struct {
	s    *session
	seq  string
	data []byte
	mode amop.Mode
	at   time.Time
}

// onPush takes an AMOP request or broadcast. A request for a topic this
// client does not subscribe (a v3.16.4 node keeps a topic until the session
// ends) is answered at once with status 3002 and why, so that its sender is
// not left waiting for the node's 30 s.
func (c *Client) onPush(s *session, m wire3.Message, mode amop.Mode) {
	req, err := wire3.DecodeRequest(m.Payload)
	if err != nil {
		c.bad(&c.c.malformed)
		if mode == amop.Unicast {
			c.reply(s, m.Seq, wire3.CodeWsPacket, []byte("amoptui: the AMOP request did not decode"))
		}
		return
	}
	if !c.joined(req.Topic) {
		c.bad(&c.c.notJoined)
		if mode == amop.Unicast {
			c.reply(s, m.Seq, wire3.CodeNoClient, []byte("amoptui: this client does not subscribe this topic (any more): FISCO BCOS 3.x nodes forget a topic only when the session ends"))
		}
		return
	}
	c.enqueue(req.Topic, push{s: s, seq: m.Seq, data: req.Data, mode: mode, at: time.Now()})
}

// reply answers a pushed request on its seq.
func (c *Client) reply(s *session, seq string, status int, data []byte) {
	m := wire3.Message{Type: wire3.TypeResponse, Status: int16(status), Seq: seq, Payload: data}
	if err := s.send(m, time.Now().Add(writeTimeout)); err != nil {
		s.fail(err)
	}
}

// lane is one topic's queue of pushes: one goroutine per busy topic handles
// them in order (the auto-reply may run a command), and a full lane drops
// and counts, so a slow responder never stalls the session's reader.
type lane struct {
	ch    chan push
	bytes atomic.Int64
}

// laneIdle is how long a lane's goroutine waits for more before it ends.
const laneIdle = time.Second

func (c *Client) enqueue(topic string, p push) {
	c.laneMu.Lock()
	defer c.laneMu.Unlock()
	l := c.lanes[topic]
	if l == nil {
		l = &lane{ch: make(chan push, laneLimit)}
		c.lanes[topic] = l
		c.wg.Add(1)
		go c.runLane(topic, l)
	}
	if l.bytes.Load()+int64(len(p.data)) > laneBytes {
		c.dropBehind()
		return
	}
	select {
	case l.ch <- p:
		l.bytes.Add(int64(len(p.data)))
	default:
		c.dropBehind()
	}
}

func (c *Client) runLane(topic string, l *lane) {
	defer c.wg.Done()
	idle := time.NewTimer(laneIdle)
	defer idle.Stop()
	for {
		select {
		case p := <-l.ch:
			l.bytes.Add(-int64(len(p.data)))
			c.handle(topic, p)
			idle.Reset(laneIdle)
		case <-idle.C:
			c.laneMu.Lock()
			if len(l.ch) == 0 {
				delete(c.lanes, topic)
				c.laneMu.Unlock()
				return
			}
			c.laneMu.Unlock()
			idle.Reset(laneIdle)
		case <-c.ctx.Done():
			return
		}
	}
}

// handle answers a request under the topic's auto-reply policy (an empty
// answer when it is off, as the 2.x path does) and reports the message.
func (c *Client) handle(topic string, p push) {
	ev := &amop.MessageEvent{Topic: topic, Data: p.data, Mode: p.mode, At: p.at}
	if p.mode == amop.Unicast {
		r, err := c.AutoReply(topic).Answer(amop.Request{Topic: topic, Data: p.data, Seq: p.seq})
		if err != nil {
			ev.ReplyErr = err.Error()
			r = nil
		}
		c.reply(p.s, p.seq, 0, r)
		if r != nil {
			c.c.replied.Add(1)
			ev.Reply, ev.Replied = r, true
		}
	}
	c.emitMessage(ev)
}
