package local

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop/netobs"
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
	start    time.Time   // when the request arrived, for the observer
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
// after TopicDelay. The new set is compared with the old one before the
// lock is taken, so that under it only the changes are applied: a client's
// long list never holds up the others (the list's size is bounded by
// checkTopics first).
func (n *Network) subscribe(s *session, topics []string) {
	now := time.Now()
	// Only s's reader (this goroutine) ever replaces s.topics, so reading it
	// without the lock is safe.
	next := make(map[string]time.Time, len(topics))
	var added []string
	for _, t := range topics {
		if _, dup := next[t]; dup {
			continue
		}
		if at, ok := s.topics[t]; ok {
			next[t] = at
		} else {
			next[t] = now.Add(n.opts.TopicDelay)
			added = append(added, t)
		}
	}
	var removed []string
	for t := range s.topics {
		if _, ok := next[t]; !ok {
			removed = append(removed, t)
		}
	}
	priv := privateTopicsOf(next)
	n.mu.Lock()
	defer n.mu.Unlock()
	if s.closed {
		return
	}
	for _, t := range removed {
		n.unsubscribeLocked(s, t)
	}
	s.topics = next
	for _, t := range added {
		m := n.subs[t]
		if m == nil {
			m = map[*session]time.Time{}
			n.subs[t] = m
		}
		m[s] = next[t]
	}
	n.syncVerifyLocked(s, priv)
	n.notifyLocked()
}

// checkTopics decodes a 0x32 body within the per-session limits. A body
// that does not parse is an error (the session is closed as malformed); a
// list over a limit is refused with the reason, and the session keeps its
// topics. The size is checked before anything is decoded.
func (n *Network) checkTopics(body []byte) (topics []string, refused string, err error) {
	if refused = n.topicBytesOver(len(body)); refused != "" {
		return nil, refused, nil
	}
	topics, err = wire.DecodeTopics(body)
	if err != nil {
		return nil, "", err
	}
	private := 0
	for _, t := range topics {
		if strings.HasPrefix(t, wire.InternalPrefix) {
			private++
		}
	}
	return topics, n.topicCountOver(len(topics), private), nil
}

// topicBytesOver says why a 0x32 body of size bytes is refused, "" when
// it is not.
func (n *Network) topicBytesOver(size int) string {
	if size > n.opts.MaxTopicBytes {
		return fmt.Sprintf("topic list of %d bytes is over the limit of %d", size, n.opts.MaxTopicBytes)
	}
	return ""
}

// topicCountOver says why a list of count topics, private of them
// private-topic names, is refused, "" when it is not.
func (n *Network) topicCountOver(count, private int) string {
	o := &n.opts
	if count > o.MaxTopics {
		return fmt.Sprintf("%d topics are over the limit of %d", count, o.MaxTopics)
	}
	if private > o.MaxPrivateTopics {
		return fmt.Sprintf("%d private-topic names are over the limit of %d", private, o.MaxPrivateTopics)
	}
	return ""
}

// refuseTopics counts and logs (at most once per limitLogInterval per
// session) a topic list refused for a limit.
func (s *session) refuseTopics(why string) {
	s.net.stats.refusedLimit.Add(1)
	s.limitLog.warn(s.net.log, s, "topic list refused; the session keeps its topics", "why", why)
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
		n.obs.Record(netobs.Decision{Kind: netobs.Refused, Topic: string(topic), From: pub.ref()})
		pub.enqueue(reply(wire.TypeAMOPResponse, &f.Seq, CodeRefused, nil))
		return nil
	}
	req := &unicastReq{pub: pub, raw: raw, seq: f.Seq, topic: string(topic), tried: map[*session]bool{}, start: time.Now()}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	if pub.unicasts > 0 && (pub.unicasts >= n.opts.MaxPendingUnicast || pub.unicastBytes+len(raw) > n.opts.MaxPendingUnicastBytes) {
		n.mu.Unlock()
		n.stats.refusedLimit.Add(1)
		pub.limitLog.warn(n.log, pub, "unicast refused: too many requests awaiting an answer",
			"limit", n.opts.MaxPendingUnicast, "limit_bytes", n.opts.MaxPendingUnicastBytes)
		pub.enqueue(reply(wire.TypeAMOPResponse, &f.Seq, CodeRefused, nil))
		return nil
	}
	cand := n.pickLocked(req)
	if cand == nil {
		req.answered = true
		n.mu.Unlock()
		n.stats.replies100.Add(1)
		n.obs.Record(netobs.Decision{Kind: netobs.NoSubscriber, Topic: req.topic, From: pub.ref()})
		pub.enqueue(reply(wire.TypeAMOPResponse, &f.Seq, CodeNoSubscriber, nil))
		return nil
	}
	pub.unicasts++
	pub.unicastBytes += len(raw)
	n.mu.Unlock()
	n.stats.unicast.Add(1)
	n.deliver(req, cand, pub.fl)
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

// deliver pushes req to s, picked by pickLocked. A session whose queue is
// full fails at once, and the next subscriber is tried: a push never waits
// for a slow subscriber.
func (n *Network) deliver(req *unicastReq, s *session, fl *flushSet) {
	for !s.pushVia(req.raw, nil, fl) {
		n.mu.Lock()
		if s.pending[req.seq] != req {
			n.mu.Unlock() // answered or handed on meanwhile
			return
		}
		delete(s.pending, req.seq)
		n.stopTimerLocked(req)
		n.mu.Unlock()
		if req.verify == nil {
			n.obs.Record(netobs.Decision{Kind: netobs.Retried, Topic: req.topic, From: req.pub.ref(), To: s.ref()})
		}
		if s = n.next(req); s == nil {
			return
		}
	}
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
	if req.verify == nil {
		n.obs.Record(netobs.Decision{Kind: netobs.Retried, Topic: req.topic, From: req.pub.ref(), To: s.ref()})
	}
	n.advance(req)
}

// advance moves req, whose push just failed, to the next subscriber, or
// answers CodePushFailed with the original body when none is left.
func (n *Network) advance(req *unicastReq) {
	if s := n.next(req); s != nil {
		n.deliver(req, s, nil)
	}
}

// next picks the subscriber after a failed push of req and returns it for
// the caller to deliver to; with nobody left it settles req (the 104, or
// the end of a verification round) and returns nil.
func (n *Network) next(req *unicastReq) *session {
	n.mu.Lock()
	settled := req.verify != nil && req.verify.state != Verifying // no further publisher needed
	if n.closed || req.answered || req.pub.closed || settled {
		if req.verify != nil && !req.answered {
			req.verifyDoneLocked()
		}
		req.settleLocked()
		n.mu.Unlock()
		return nil
	}
	cand := n.pickLocked(req)
	if cand == nil && req.verify != nil {
		req.verifyDoneLocked() // no publisher left: the next round retries
		n.mu.Unlock()
		return nil
	}
	if cand == nil {
		req.settleLocked()
		n.mu.Unlock()
		n.stats.replies104.Add(1)
		n.obs.Record(netobs.Decision{Kind: netobs.PushFailed, Topic: req.topic, From: req.pub.ref()})
		failed := append([]byte(nil), req.raw...) // raw is shared with queued pushes
		wire.SetType(failed, wire.TypeAMOPResponse)
		wire.SetResult(failed, CodePushFailed)
		req.pub.relay(failed)
		return nil
	}
	n.mu.Unlock()
	n.stats.unicastRetries.Add(1)
	return cand
}

// settleLocked marks req answered, and no longer pending for its
// publisher's MaxPendingUnicast.
func (req *unicastReq) settleLocked() {
	if req.answered {
		return
	}
	req.answered = true
	if req.verify == nil {
		req.pub.unicasts--
		req.pub.unicastBytes -= len(req.raw)
	}
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
	req.settleLocked()
	pub := req.pub
	n.mu.Unlock()
	n.stats.unicastReplies.Add(1)
	n.obs.Record(netobs.Decision{Kind: netobs.Routed, Topic: req.topic, From: pub.ref(), To: s.ref(), Latency: time.Since(req.start)})
	pub.relayVia(raw, s.fl) // verbatim, as a real node relays it
	return true, nil
}

// multicast pushes a 0x35 from pub to every eligible session, then
// acknowledges it with result 0, even with no subscriber, as a real node.
// The pushes never wait: a subscriber that is not keeping up loses this
// message (counted), and the publisher's reader goes on at once.
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
	n.obs.Record(netobs.Decision{Kind: netobs.Multicast, Topic: string(topic), From: pub.ref(), Targets: len(targets)})
	n.fanOut(raw, targets, pub.fl)
	n.stats.multicast.Add(1)
	pub.enqueue(multicastAck(&f.Seq, topic))
	return nil
}

// fanOut pushes a multicast frame to every target without ever waiting: a
// subscriber that is not keeping up loses this message (counted, see
// session.push). The targets share one copy, counted once against
// MaxQueued and given back by the last writer.
func (n *Network) fanOut(raw []byte, targets []*session, fl *flushSet) {
	if len(targets) == 0 {
		return
	}
	sh := &shared{size: len(raw)}
	sh.refs.Store(1) // held while fanning out
	if n.queued.Add(int64(len(raw))) > int64(n.opts.MaxQueued) {
		n.stats.droppedSlow.Add(uint64(len(targets)))
	} else {
		for _, s := range targets {
			if s.pushVia(raw, sh, fl) {
				n.stats.multicastPushes.Add(1)
			}
		}
	}
	if sh.refs.Add(-1) == 0 {
		n.queued.Add(-int64(len(raw)))
	}
}

// multicastAck is the 0x31 that acknowledges a multicast. A real node
// echoes the whole body; go-sdk reads only its result and its topic
// (broadcastAMOPMsg decodes the topic body and throws it away), so the
// payload is left out: echoing a 16 MiB multicast that nobody reads back
// to a publisher that does not read either would hold 16 MiB per ack.
func multicastAck(seq *wire.Seq, topic []byte) []byte {
	ack, _ := wire.EncodeTopicFrame(wire.TypeAMOPResponse, seq, 0, string(topic), nil) // topic came from a valid body: ≤ 254 bytes
	return ack
}
