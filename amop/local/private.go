package local

// The node side of private (authenticated) topics, amop-protocol.md §4.5.
//
// A go-sdk subscriber of private topic t subscribes "#!$TopicNeedVerify_t"
// and its own challenge topic "#!$VerifyChannel_#!$TopicNeedVerify_t_<uuid>";
// a publisher subscribes "#!$PushChannel_#!$TopicNeedVerify_t". Every
// subscriber session starts VERIFYING on each of its private topics. While
// it is, the verifier pushes a 0x37 {"nodeId","topic","topicForCert"} to a
// random publisher session (the next one after a 5 s push timeout), again
// every VerifyInterval. The publisher answers the 0x37 with a 0x31, unicasts
// a random number to topicForCert (ordinary routing), checks the signature
// against its public keys and reports a 0x38 {"checkResult","nodeId","topic"}
// that moves the state to VERIFY_SUCCESS (0) or VERIFY_FAILED (1), once.
// AMOP on "#!$TopicNeedVerify_t" reaches only VERIFY_SUCCESS sessions.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// The private-topic prefixes go-sdk v1.1.1 builds its helper topics with.
const (
	NeedVerifyPrefix    = wire.NeedVerifyPrefix    // the topic messages travel on
	VerifyChannelPrefix = wire.VerifyChannelPrefix // a subscriber's challenge topic, + NeedVerify topic + "_" + 32 hex
	PushChannelPrefix   = wire.PushChannelPrefix   // a publisher's topic, + NeedVerify topic
)

// VerifyState is a subscriber session's verification state on one private
// topic.
type VerifyState uint8

// The states of amop-protocol.md §4.5.
const (
	Verifying     VerifyState = iota // waiting for a publisher's verdict; re-checked every VerifyInterval
	VerifySuccess                    // a publisher accepted the subscriber's signature: messages are routed to it
	VerifyFailed                     // a publisher rejected it; never re-checked
)

// String names the state as real nodes log it.
func (v VerifyState) String() string {
	switch v {
	case VerifySuccess:
		return "VERIFY_SUCCESS"
	case VerifyFailed:
		return "VERIFY_FAILED"
	}
	return "VERIFYING"
}

// verifyState is the node's view of one subscriber session's private topic.
// Guarded by Network.mu.
type verifyState struct {
	state    VerifyState
	inflight bool      // a 0x37 is pushed to a publisher and not yet answered
	lastPush time.Time // when the current or last 0x37 round began
	cert     string    // the subscriber's challenge topic ("" when it has none)
}

// PrivateCounts counts the subscriber sessions of a private topic, on all
// nodes, by verification state.
type PrivateCounts struct {
	Verifying, Verified, Failed int
}

// Private returns the verification counts of private topic (the name
// go-sdk's SubscribePrivateTopic takes, without any prefix).
func (n *Network) Private(topic string) PrivateCounts {
	if n.f != nil {
		return n.fPrivateCounts(NeedVerifyPrefix + topic)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.privateCountsLocked(NeedVerifyPrefix + topic)
}

func (n *Network) privateCountsLocked(wireTopic string) PrivateCounts {
	var c PrivateCounts
	for s := range n.subs[wireTopic] {
		v := s.verify[wireTopic]
		switch {
		case v == nil:
		case v.state == VerifySuccess:
			c.Verified++
		case v.state == VerifyFailed:
			c.Failed++
		default:
			c.Verifying++
		}
	}
	return c
}

// WaitPrivate waits until cond holds for the verification counts of private
// topic (see Private). Tests call it instead of sleeping while the
// publisher's check runs. Without a deadline in ctx it gives up after 30 s.
func (n *Network) WaitPrivate(ctx context.Context, topic string, cond func(PrivateCounts) bool) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	for {
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			return ErrClosed
		}
		changed := n.changed
		var c PrivateCounts
		if n.f == nil {
			c = n.privateCountsLocked(NeedVerifyPrefix + topic)
		}
		n.mu.Unlock()
		if n.f != nil { // node locks are never taken under Network.mu
			c = n.fPrivateCounts(NeedVerifyPrefix + topic)
		}
		if cond(c) {
			return nil
		}
		if err := n.waitChange(ctx, changed, time.Time{}); err != nil {
			return fmt.Errorf("local: private topic %q at %+v: %w", topic, c, err)
		}
	}
}

// privateTopics is what a session's topic list says about private topics,
// worked out before the network's lock is taken (subscribe): the private
// wire topics it subscribes, each with its challenge topic, and whether it
// publishes any.
type privateTopics struct {
	subs      map[string]string // NeedVerify wire topic → challenge topic ("" when it has none)
	publishes bool
}

// privateTopicsOf scans a topic set once. A subscriber's challenge topic is
// VerifyChannelPrefix + wire topic + "_" + 32 hex digits; with several, the
// least one is taken, so the choice does not depend on map order.
func privateTopicsOf(topics map[string]time.Time) privateTopics {
	var p privateTopics
	challenges := map[string]string{}
	for t := range topics {
		switch {
		case strings.HasPrefix(t, NeedVerifyPrefix):
			if p.subs == nil {
				p.subs = map[string]string{}
			}
			if _, ok := p.subs[t]; !ok {
				p.subs[t] = ""
			}
		case strings.HasPrefix(t, PushChannelPrefix):
			p.publishes = true
		case strings.HasPrefix(t, VerifyChannelPrefix):
			rest := t[len(VerifyChannelPrefix):]
			if len(rest) < 33 || rest[len(rest)-33] != '_' || !isHex32(rest[len(rest)-32:]) {
				continue
			}
			wt := rest[:len(rest)-33]
			if best, ok := challenges[wt]; !ok || t < best {
				challenges[wt] = t
			}
		}
	}
	for wt := range p.subs {
		p.subs[wt] = challenges[wt]
	}
	return p
}

// syncVerifyLocked gives each new private topic of s the state VERIFYING,
// records each one's challenge topic and forgets the ones s left, after a
// change of s's topic set (p is privateTopicsOf the new set). It wakes the
// verifier when s takes part in any private topic, so that a subscriber is
// checked as soon as it or a publisher appears instead of at the next tick
// (real nodes wait for the next 5 s heartbeat).
func (n *Network) syncVerifyLocked(s *session, p privateTopics) {
	for t, cert := range p.subs {
		v := s.verify[t]
		if v == nil {
			if s.verify == nil {
				s.verify = map[string]*verifyState{}
			}
			v = &verifyState{}
			s.verify[t] = v
		}
		v.cert = cert
	}
	for t := range s.verify {
		if _, ok := p.subs[t]; !ok {
			delete(s.verify, t)
		}
	}
	if len(p.subs) > 0 || p.publishes {
		select {
		case n.verifyKick <- struct{}{}:
		default:
		}
	}
}

// verifiedLocked reports whether s may receive AMOP on the private wire
// topic: only VERIFY_SUCCESS sessions do.
func (s *session) verifiedLocked(wireTopic string) bool {
	v := s.verify[wireTopic]
	return v != nil && v.state == VerifySuccess
}

// verifyLoop runs the verifier until the network closes: a pass on every
// tick of VerifyInterval and whenever a private topic appears.
func (n *Network) verifyLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.opts.VerifyInterval)
	defer t.Stop()
	for {
		select {
		case <-n.closing:
			return
		case <-t.C:
		case <-n.verifyKick:
		}
		n.verifyPass(time.Now())
	}
}

// verifyPass starts a 0x37 round for every VERIFYING subscriber whose last
// round is over and at least half an interval old (so that a kick does not
// repeat a tick's round, while a tick always finds the previous tick's round
// old enough despite timer jitter). Its work under the lock is linear in
// the private topics of the sessions (at most MaxPrivateTopics each): each
// subscription's challenge topic was found when it subscribed.
func (n *Network) verifyPass(now time.Time) {
	type due struct {
		s     *session
		topic string
		v     *verifyState
	}
	type out struct {
		to  *session
		req *unicastReq
	}
	var pushes []out
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	var todo []due
	for _, nd := range n.nodes {
		for s := range nd.sessions {
			for t, v := range s.verify {
				if v.state != Verifying || v.inflight || s.closed || v.cert == "" {
					continue // no challenge topic: nothing a publisher could check
				}
				if !v.lastPush.IsZero() && now.Sub(v.lastPush) < n.opts.VerifyInterval/2 {
					continue
				}
				todo = append(todo, due{s, t, v})
			}
		}
	}
	// Reproducible with a seeded RNG.
	slices.SortFunc(todo, func(a, b due) int {
		return cmp.Or(strings.Compare(a.topic, b.topic), cmp.Compare(a.s.id, b.s.id))
	})
	for _, d := range todo {
		s, t, v := d.s, d.topic, d.v
		body, _ := json.Marshal(wire.VerifyRequest{NodeID: nodeIDOf(s), Topic: t, TopicForCert: v.cert}) // strings always marshal
		n.verifySeq++
		var seq wire.Seq
		copy(seq[:], fmt.Sprintf("%0*d", wire.SeqLen, n.verifySeq))
		req := &unicastReq{pub: s, seq: seq, topic: PushChannelPrefix + t, tried: map[*session]bool{}, verify: v}
		req.raw = reply(wire.TypeVerifyRequest, &seq, 0, body)
		to := n.pickLocked(req)
		if to == nil {
			continue // no publisher yet: retried when one subscribes, or on the next tick
		}
		v.inflight, v.lastPush = true, now
		pushes = append(pushes, out{to, req})
	}
	n.mu.Unlock()
	for _, p := range pushes {
		n.stats.verifyRequests.Add(1)
		n.deliver(p.req, p.to, nil)
	}
}

func isHex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// nodeIDOf is the "nodeId" of s's 0x37 and of the 0x38 that answers it. A
// real node sends its own 128-hex node id and keeps one state per peer node;
// here the state is per session, so the id names the session, in the same
// shape.
func nodeIDOf(s *session) string {
	return fmt.Sprintf("%0128x", s.id)
}

// sessionIDOf reverses nodeIDOf.
func sessionIDOf(nodeID string) (uint64, bool) {
	if len(nodeID) != 128 || strings.TrimLeft(nodeID[:112], "0") != "" {
		return 0, false
	}
	id, err := strconv.ParseUint(nodeID[112:], 16, 64)
	return id, err == nil
}

// verifyDoneLocked ends the 0x37 round of req, which a publisher has
// acknowledged or every publisher has failed; the verdict, if any, comes in
// a 0x38.
func (req *unicastReq) verifyDoneLocked() {
	req.answered = true
	req.verify.inflight = false
}

// topicStatus applies a publisher's 0x38. Only a session that publishes the
// topic may change its subscribers' states, and only from VERIFYING, as on a
// real node; anything else is ignored (and logged), never fatal for the
// session.
func (n *Network) topicStatus(s *session, f *wire.Frame) {
	st, err := wire.DecodeTopicStatus(f.Body)
	if err != nil {
		n.stats.statusIgnored.Add(1)
		n.log.Debug("0x38 ignored", "session", s.id, "err", err)
		return
	}
	n.mu.Lock()
	if _, ok := s.topics[PushChannelPrefix+st.Topic]; !ok || s.closed {
		n.mu.Unlock()
		n.stats.statusIgnored.Add(1)
		n.log.Debug("0x38 ignored: the session does not publish the topic", "session", s.id, "topic", st.Topic)
		return
	}
	var v *verifyState
	sub, ok := sessionIDOf(st.NodeID)
	if ok {
		for cand := range n.subs[st.Topic] {
			if cand.id == sub {
				v = cand.verify[st.Topic]
				break
			}
		}
	}
	if v == nil || v.state != Verifying {
		n.mu.Unlock()
		n.stats.statusIgnored.Add(1)
		return
	}
	state := VerifyFailed
	if st.CheckResult == 0 {
		state = VerifySuccess
	}
	v.state = state
	n.notifyLocked()
	n.mu.Unlock()
	n.stats.statusApplied.Add(1)
	n.log.Info("private topic subscriber checked", "topic", strings.TrimPrefix(st.Topic, NeedVerifyPrefix),
		"subscriber", sub, "publisher", s.id, "state", state.String())
}

// verifyIntervalDefault is how often real nodes re-push 0x37 for a VERIFYING
// topic: their P2P heartbeat.
const verifyIntervalDefault = 5 * time.Second
