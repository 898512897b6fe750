package local

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// unicastReq is one 0x30 in flight. It is answered exactly once: by the
// first subscriber reply, or with CodePushFailed when every eligible
// subscriber has failed. Its fields are guarded by Network.mu.
type unicastReq struct {
	pub      *session
	raw      []byte // the request as received, forwarded unchanged
	seq      wire.Seq
	topic    string
	tried    map[*session]bool
	cur      *session    // the subscriber pushed to, while a push is pending
	timer    *time.Timer // its push timeout
	answered bool
	// verify, for a 0x37 pushed to a private topic's publishers (pub is
	// then the subscriber being checked): the answer ends the round
	// instead of being relayed (private.go).
	verify *verifyState
}

// subscribe replaces s's topic set (0x32 semantics). Topics s already had
// keep their visibility time; new ones become visible to the other nodes
// after TopicDelay.
func (n *Network) subscribe(s *session, topics []string) {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if s.closed {
		return
	}
	next := make(map[string]time.Time, len(topics))
	for _, t := range topics {
		if at, ok := s.topics[t]; ok {
			next[t] = at
		} else {
			next[t] = now.Add(n.opts.TopicDelay)
		}
	}
	for t := range s.topics {
		if _, ok := next[t]; !ok {
			n.unsubscribeLocked(s, t)
		}
	}
	s.topics = next
	for t, at := range next {
		m := n.subs[t]
		if m == nil {
			m = map[*session]time.Time{}
			n.subs[t] = m
		}
		m[s] = at
	}
	n.syncVerifyLocked(s)
	n.notifyLocked()
}

func (n *Network) unsubscribeLocked(s *session, topic string) {
	if m := n.subs[topic]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(n.subs, topic)
		}
	}
}

// eligibleLocked lists the sessions a message from pub on topic may go to:
// subscribed, not pub itself (see the package documentation), visible from
// pub's node, not excluded, not already waiting on this seq, and verified
// when the topic is private. The list is sorted so that a seeded pick is
// reproducible.
func (n *Network) eligibleLocked(pub *session, topic string, exclude map[*session]bool, seq *wire.Seq) []*session {
	now := time.Now()
	private := strings.HasPrefix(topic, NeedVerifyPrefix)
	var out []*session
	for s, at := range n.subs[topic] {
		if s == pub || s.closed || exclude[s] {
			continue
		}
		if private && !s.verifiedLocked(topic) {
			continue
		}
		if s.node != pub.node && at.After(now) {
			continue
		}
		if seq != nil {
			if _, busy := s.pending[*seq]; busy {
				continue
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *session) int { return cmp.Compare(a.id, b.id) })
	return out
}

func reserved(topic []byte) bool {
	return strings.HasPrefix(string(topic), ReservedTopicPrefix)
}

// unicast routes a 0x30 from pub.
func (n *Network) unicast(pub *session, raw []byte, f *wire.Frame) error {
	topic, _, err := wire.DecodeTopic(f.Body)
	if err != nil {
		return err
	}
	if reserved(topic) {
		n.stats.refused.Add(1)
		pub.enqueue(reply(wire.TypeAMOPResponse, &f.Seq, CodeRefused, nil))
		return nil
	}
	req := &unicastReq{pub: pub, raw: raw, seq: f.Seq, topic: string(topic), tried: map[*session]bool{}}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	cand := n.pickLocked(req)
	if cand == nil {
		req.answered = true
		n.mu.Unlock()
		n.stats.replies100.Add(1)
		pub.enqueue(reply(wire.TypeAMOPResponse, &f.Seq, CodeNoSubscriber, nil))
		return nil
	}
	n.mu.Unlock()
	n.stats.unicast.Add(1)
	cand.enqueue(raw)
	return nil
}

// pickLocked draws the next subscriber uniformly, registers the push as
// pending on it and arms its timeout; nil when nobody is left.
func (n *Network) pickLocked(req *unicastReq) *session {
	cands := n.eligibleLocked(req.pub, req.topic, req.tried, &req.seq)
	if len(cands) == 0 {
		return nil
	}
	s := cands[n.rng.IntN(len(cands))]
	req.tried[s] = true
	req.cur = s
	s.pending[req.seq] = req
	n.wg.Add(1) // released by the callback, or by stopTimerLocked
	req.timer = time.AfterFunc(n.opts.PushTimeout, func() { n.pushTimedOut(req, s) })
	return s
}

// stopTimerLocked cancels req's push timeout, if it has not fired.
func (n *Network) stopTimerLocked(req *unicastReq) {
	if req.timer != nil && req.timer.Stop() {
		n.wg.Done()
	}
	req.timer = nil
	req.cur = nil
}

func (n *Network) pushTimedOut(req *unicastReq, s *session) {
	defer n.wg.Done()
	n.mu.Lock()
	if s.pending[req.seq] != req {
		n.mu.Unlock() // answered, or s closed and handed req on
		return
	}
	delete(s.pending, req.seq)
	req.timer, req.cur = nil, nil
	n.mu.Unlock()
	n.advance(req)
}

// advance moves req, whose push just failed, to the next subscriber, or
// answers CodePushFailed with the original body when none is left.
func (n *Network) advance(req *unicastReq) {
	n.mu.Lock()
	settled := req.verify != nil && req.verify.state != Verifying // no further publisher needed
	if n.closed || req.answered || req.pub.closed || settled {
		if req.verify != nil && !req.answered {
			req.verifyDoneLocked()
		}
		req.answered = true
		n.mu.Unlock()
		return
	}
	cand := n.pickLocked(req)
	if cand == nil && req.verify != nil {
		req.verifyDoneLocked() // no publisher left: the next round retries
		n.mu.Unlock()
		return
	}
	if cand == nil {
		req.answered = true
		n.mu.Unlock()
		n.stats.replies104.Add(1)
		failed := append([]byte(nil), req.raw...) // raw is shared with queued pushes
		wire.SetType(failed, wire.TypeAMOPResponse)
		wire.SetResult(failed, CodePushFailed)
		req.pub.enqueue(failed)
		return
	}
	n.mu.Unlock()
	n.stats.unicastRetries.Add(1)
	cand.enqueue(req.raw)
}

// reply handles a frame from s whose seq may be pending on s. It reports
// whether it was a reply; a malformed reply closes s (the error) and its
// request moves on to the next subscriber.
func (n *Network) reply(s *session, raw []byte, f *wire.Frame) (bool, error) {
	n.mu.Lock()
	req := s.pending[f.Seq]
	if req == nil {
		n.mu.Unlock()
		return false, nil
	}
	// go-sdk decodes a successful reply's body as a topic body and panics
	// when its length byte lies, so such a reply is never relayed.
	if f.Result == 0 && req.verify == nil {
		if _, _, err := wire.DecodeTopic(f.Body); err != nil {
			n.mu.Unlock()
			return true, err // s.close hands req on
		}
	}
	delete(s.pending, f.Seq)
	n.stopTimerLocked(req)
	if req.answered {
		n.mu.Unlock()
		return true, nil
	}
	if req.verify != nil {
		req.verifyDoneLocked() // acknowledged; the verdict comes in a 0x38
		n.mu.Unlock()
		return true, nil
	}
	req.answered = true
	pub := req.pub
	n.mu.Unlock()
	n.stats.unicastReplies.Add(1)
	pub.relay(raw) // verbatim, as a real node relays it
	return true, nil
}

// multicast pushes a 0x35 from pub to every eligible session, then
// acknowledges it with result 0 and the original body, even with no
// subscriber, as a real node.
func (n *Network) multicast(pub *session, raw []byte, f *wire.Frame) error {
	topic, _, err := wire.DecodeTopic(f.Body)
	if err != nil {
		return err
	}
	if reserved(topic) {
		n.stats.refused.Add(1)
		pub.enqueue(reply(wire.TypeAMOPResponse, &f.Seq, CodeRefused, nil))
		return nil
	}
	n.mu.Lock()
	targets := n.eligibleLocked(pub, string(topic), nil, nil)
	n.mu.Unlock()
	// In the publisher's reader, one push at a time: a full queue holds
	// the publisher back, so its stream arrives complete and in order.
	for _, s := range targets {
		if s.enqueue(raw) {
			n.stats.multicastPushes.Add(1)
		}
	}
	n.stats.multicast.Add(1)
	ack := append([]byte(nil), raw...)
	wire.SetType(ack, wire.TypeAMOPResponse)
	wire.SetResult(ack, 0)
	pub.enqueue(ack)
	return nil
}
