package amop

// Private (authenticated) topics on go-sdk v1.1.1 (amop-protocol.md §4.5).
//
// go-sdk does the cryptography and tells its caller nothing else: not when
// a node challenges a subscriber, not the publisher's verdict. What the
// adapter reports as PrivateEvents is what it can observe honestly:
//
//   - subscriber: Waiting after the join; Challenged when the guard relays a
//     publisher's random number on the subscriber's challenge topic (go-sdk
//     signs it); when a message arrives on the topic, Verified on the ideal
//     local network, which verifies each session, and Receiving on a real
//     chain, whose nodes verify per (node, topic) (real-nodes.md row 19):
//     there a session whose key nobody accepted receives too, once another
//     session on its node was accepted. The verdict itself goes from the
//     publisher to the node and never reaches the subscriber, so a rejected
//     subscriber stays Challenged. A new node session (after a reconnect)
//     is verified afresh, so the state goes back to Waiting.
//   - publisher: Waiting after publishing; then, on every 0x38 go-sdk sends
//     (seen by the guard), the distinct subscribers accepted and rejected so
//     far, and Verified (some accepted) or Rejected (none accepted).

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop/guard"
)

// PrivateState is a private topic's verification state as this client sees
// it; see PrivateEvent.
type PrivateState uint8

// The states. Which apply depends on the role (PrivateEvent).
const (
	PrivateWaiting    PrivateState = iota // nothing checked yet
	PrivateChallenged                     // subscriber: a publisher's challenge was answered; the verdict is not told to subscribers
	PrivateReceiving                      // subscriber on a real chain: messages arrive, so a publisher accepted this node for the topic; whether it accepted this key cannot be known
	PrivateVerified                       // subscriber: a message arrived on the ideal local network, so a publisher accepted the key; publisher: it accepted a subscriber
	PrivateRejected                       // publisher: it rejected every subscriber it checked
)

// String names the state as the topic list shows it.
func (s PrivateState) String() string {
	switch s {
	case PrivateChallenged:
		return "challenged"
	case PrivateReceiving:
		return "receiving"
	case PrivateVerified:
		return "verified"
	case PrivateRejected:
		return "rejected"
	}
	return "waiting"
}

// PrivateEvent reports a change of a private topic's verification state as
// this client can observe it (go-sdk tells nothing; see the package
// documentation of private.go):
//
//   - Role PrivateSubscriber: Waiting after JoinPrivate and after every
//     reconnect (a new node session is verified afresh); Challenged once a
//     publisher's challenge reached this client and was signed; once a
//     message arrived on the topic, Verified on the ideal local network
//     (which delivers only to verified sessions) and Receiving on any other
//     node (real nodes deliver to every session of an accepted node, so a
//     message proves nothing about this key). A rejected subscriber is
//     never told: it stays Challenged and, alone on its node, receives
//     nothing.
//   - Role PrivatePublisher: Waiting after PublishPrivate; after each verdict
//     this client sent, Accepted and Rejected count the distinct subscribers
//     it accepted and rejected — subscriber nodes on a real chain, which
//     ask for one verdict per node — and the state is Verified when
//     Accepted > 0, Rejected otherwise.
type PrivateEvent struct {
	Topic              string
	Role               PrivateRole
	State              PrivateState
	Accepted, Rejected int
	At                 time.Time
}

func (*PrivateEvent) isEvent() {}

// maxVerdicts bounds the subscriber ids a publisher remembers to count
// distinct subscribers; past it, every verdict counts.
const maxVerdicts = 4096

// privTopic is the adapter's record of one private topic. Guarded by
// SDK.privMu, except key and allowed, which only change under subMu.
type privTopic struct {
	sub, pub bool
	key      *PrivateKey
	allowed  []*PublicKey

	subState           PrivateState
	verdicts           map[string]bool // subscriber node id → accepted
	accepted, rejected int
}

// JoinPrivate implements Client.
func (a *SDK) JoinPrivate(topic string, key *PrivateKey) error {
	if err := ValidatePrivateTopic(topic, PrivateSubscriber); err != nil {
		return err
	}
	if key == nil {
		return errors.New("amop: JoinPrivate needs a private key")
	}
	a.subMu.Lock()
	defer a.subMu.Unlock()
	if a.isClosed() {
		return ErrClosed
	}
	if p := a.privTopic(topic); p != nil && p.sub {
		if p.key.key.Equal(key.key) {
			return nil
		}
		if err := a.leavePrivateLocked(topic); err != nil { // another key: join afresh
			return err
		}
	}
	return a.subscribePrivateLocked(topic, key)
}

// subscribePrivateLocked subscribes with go-sdk and reports Waiting. The
// record is (re)set first: a challenge may arrive as soon as go-sdk has
// sent its topic list, before SubscribePrivateTopic returns.
func (a *SDK) subscribePrivateLocked(topic string, key *PrivateKey) error {
	wasPub := false
	a.setPrivate(topic, func(p *privTopic) {
		wasPub = p.pub
		p.sub, p.key, p.subState = true, key, PrivateWaiting
	})
	wireTopic := NeedVerifyPrefix + topic
	if err := a.conn.SubscribePrivateTopic(topic, key.key, a.topicHandler(topic, wireTopic, true)); err != nil {
		if wasPub {
			a.setPrivate(topic, func(p *privTopic) { p.sub, p.key = false, nil })
		} else {
			a.dropPrivate(topic)
		}
		return fmt.Errorf("amop: join private %q: %w", topic, err)
	}
	a.emitSub(topic)
	return nil
}

// PublishPrivate implements Client. go-sdk v1.1.1 cannot publish a private
// topic it already subscribes to, so in that case the subscription is left
// and joined again, and is verified afresh.
func (a *SDK) PublishPrivate(topic string, allowed []*PublicKey) error {
	if err := ValidatePrivateTopic(topic, PrivatePublisher); err != nil {
		return err
	}
	if len(allowed) == 0 {
		return errors.New("amop: PublishPrivate needs at least one public key")
	}
	keys := make([]*PublicKey, len(allowed))
	copy(keys, allowed)
	a.subMu.Lock()
	defer a.subMu.Unlock()
	if a.isClosed() {
		return ErrClosed
	}
	var rejoin *PrivateKey
	if p := a.privTopic(topic); p != nil && p.sub {
		rejoin = p.key
		if err := a.leavePrivateLocked(topic); err != nil {
			return err
		}
	}
	// Recorded first: the first verdict may come before go-sdk returns.
	var was privTopic
	a.setPrivate(topic, func(p *privTopic) {
		was = *p
		p.pub, p.allowed = true, keys
		p.verdicts, p.accepted, p.rejected = nil, 0, 0
	})
	if err := a.publishPrivateLocked(topic, keys); err != nil {
		if was.pub {
			a.setPrivate(topic, func(p *privTopic) { *p = was })
		} else {
			a.dropPrivate(topic)
		}
		return err
	}
	a.emitPub(topic)
	if rejoin != nil {
		return a.subscribePrivateLocked(topic, rejoin)
	}
	return nil
}

func (a *SDK) publishPrivateLocked(topic string, keys []*PublicKey) error {
	pubs := make([]*ecdsa.PublicKey, len(keys))
	for i, k := range keys {
		pubs[i] = k.key
	}
	if err := a.conn.PublishPrivateTopic(topic, pubs); err != nil {
		return fmt.Errorf("amop: publish private %q: %w", topic, err)
	}
	return nil
}

// LeavePrivate implements Client.
func (a *SDK) LeavePrivate(topic string) error {
	a.subMu.Lock()
	defer a.subMu.Unlock()
	if a.isClosed() {
		return ErrClosed
	}
	if a.privTopic(topic) == nil {
		return fmt.Errorf("%w to or publishing private %q", ErrNotJoined, topic)
	}
	return a.leavePrivateLocked(topic)
}

// leavePrivateLocked unsubscribes and unpublishes topic. go-sdk finds a
// private subscription's challenge topic by substring, so leaving "a" may
// drop the challenge handler of "ab" instead: the subscriptions whose
// challenge topic contains topic's are left first, longest first (each then
// unambiguous), and joined again afterwards (to be verified afresh).
// challengeClash reports whether go-sdk, leaving private topic, could take
// t's challenge topic for topic's. go-sdk looks for the key that contains
// "#!$VerifyChannel_#!$TopicNeedVerify_"+topic among keys shaped
// "#!$VerifyChannel_#!$TopicNeedVerify_"+t+"_"+uuid (32 lowercase hex
// digits, unknown here). With the prefix shared, that happens when t starts
// with topic, or when topic is t+"_" followed by what could be the start of
// t's uuid.
func challengeClash(t, topic string) bool {
	if t == topic {
		return false
	}
	if strings.HasPrefix(t, topic) {
		return true
	}
	rest, ok := strings.CutPrefix(topic, t+"_")
	if !ok || len(rest) > 32 {
		return false
	}
	for _, c := range rest {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (a *SDK) leavePrivateLocked(topic string) error {
	p := a.privTopic(topic)
	if p == nil {
		return nil
	}
	if !p.sub {
		if err := a.conn.UnsubscribeTopic(PushChannelPrefix + NeedVerifyPrefix + topic); err != nil {
			return fmt.Errorf("amop: leave private %q: %w", topic, err)
		}
		a.dropPrivate(topic)
		return nil
	}
	type saved struct {
		topic   string
		key     *PrivateKey
		allowed []*PublicKey
	}
	var others []saved
	a.privMu.Lock()
	for t, o := range a.private {
		if o.sub && challengeClash(t, topic) {
			var allowed []*PublicKey
			if o.pub {
				allowed = o.allowed
			}
			others = append(others, saved{t, o.key, allowed})
		}
	}
	a.privMu.Unlock()
	slices.SortFunc(others, func(x, y saved) int { return len(y.topic) - len(x.topic) })
	for _, o := range others {
		if err := a.conn.UnsubscribePrivateTopic(o.topic); err != nil {
			return fmt.Errorf("amop: leave private %q: %w", o.topic, err)
		}
	}
	// go-sdk's unsubscribe also drops the publisher role.
	if err := a.conn.UnsubscribePrivateTopic(topic); err != nil {
		return fmt.Errorf("amop: leave private %q: %w", topic, err)
	}
	a.dropPrivate(topic)
	for i := len(others) - 1; i >= 0; i-- { // shortest first: publish before subscribe
		o := others[i]
		if o.allowed != nil {
			if err := a.publishPrivateLocked(o.topic, o.allowed); err != nil {
				return err
			}
		}
		if err := a.subscribePrivateLocked(o.topic, o.key); err != nil {
			return err
		}
	}
	return nil
}

// UnicastPrivate implements Client.
func (a *SDK) UnicastPrivate(ctx context.Context, topic string, data []byte) ([]byte, error) {
	if err := ValidatePrivateTopic(topic, PrivateSubscriber); err != nil {
		return nil, err
	}
	return a.run(ctx, sendInfo{topic: topic, mode: Unicast, private: true}, data, func() ([]byte, error) {
		return a.conn.SendAMOPPrivateMsg(topic, data)
	})
}

// MulticastPrivate implements Client.
func (a *SDK) MulticastPrivate(ctx context.Context, topic string, data []byte) error {
	if err := ValidatePrivateTopic(topic, PrivateSubscriber); err != nil {
		return err
	}
	_, err := a.run(ctx, sendInfo{topic: topic, mode: Multicast, private: true}, data, func() ([]byte, error) {
		return nil, a.conn.BroadcastAMOPPrivateMsg(topic, data)
	})
	return err
}

// privTopic returns topic's record, nil when it is neither joined nor
// published.
func (a *SDK) privTopic(topic string) *privTopic {
	a.privMu.Lock()
	defer a.privMu.Unlock()
	return a.private[topic]
}

// setPrivate applies f to topic's record, creating it.
func (a *SDK) setPrivate(topic string, f func(*privTopic)) {
	a.privMu.Lock()
	defer a.privMu.Unlock()
	p := a.private[topic]
	if p == nil {
		p = &privTopic{}
		a.private[topic] = p
	}
	f(p)
}

func (a *SDK) dropPrivate(topic string) {
	a.privMu.Lock()
	delete(a.private, topic)
	delete(a.privPending, privKey{topic, PrivateSubscriber})
	delete(a.privPending, privKey{topic, PrivatePublisher})
	a.privMu.Unlock()
}

// privKey names one pending PrivateEvent slot.
type privKey struct {
	topic string
	role  PrivateRole
}

// emitSub and emitPub queue the current state of topic's role and try to
// deliver it. Only the latest state per topic and role matters, so a full
// Events channel overwrites rather than queues (the flush loop retries).
func (a *SDK) emitSub(topic string) { a.emitPrivate(topic, PrivateSubscriber) }
func (a *SDK) emitPub(topic string) { a.emitPrivate(topic, PrivatePublisher) }

func (a *SDK) emitPrivate(topic string, role PrivateRole) {
	a.privMu.Lock()
	p := a.private[topic]
	if p == nil {
		a.privMu.Unlock()
		return
	}
	ev := &PrivateEvent{Topic: topic, Role: role, State: p.subState, At: time.Now()}
	if role == PrivatePublisher {
		ev.Accepted, ev.Rejected = p.accepted, p.rejected
		switch {
		case p.accepted > 0:
			ev.State = PrivateVerified
		case p.rejected > 0:
			ev.State = PrivateRejected
		default:
			ev.State = PrivateWaiting
		}
	}
	a.privPending[privKey{topic, role}] = ev
	a.privMu.Unlock()
	a.flushPrivate()
}

// flushPrivate delivers the pending PrivateEvents there is room for.
func (a *SDK) flushPrivate() {
	a.evMu.RLock()
	defer a.evMu.RUnlock()
	if a.closed {
		return
	}
	a.privMu.Lock()
	defer a.privMu.Unlock()
	for k, ev := range a.privPending {
		select {
		case a.events <- ev:
			delete(a.privPending, k)
		default:
			return
		}
	}
}

// onPrivate takes the guard's notes of private-topic traffic. It runs on
// the guard's goroutines and must not block.
func (a *SDK) onPrivate(n guard.PrivateNote) {
	switch n.Kind {
	case guard.NoteChallenge:
		// "#!$VerifyChannel_#!$TopicNeedVerify_" + topic + "_" + 32 hex
		rest, ok := strings.CutPrefix(n.Topic, VerifyChannelPrefix+NeedVerifyPrefix)
		if !ok || len(rest) < challengeSuffixLen {
			return
		}
		topic := rest[:len(rest)-challengeSuffixLen]
		if a.advanceSub(topic, PrivateChallenged) {
			a.emitSub(topic)
		}
	case guard.NoteStatus:
		topic, ok := strings.CutPrefix(n.Topic, NeedVerifyPrefix)
		if !ok {
			return
		}
		a.privMu.Lock()
		p := a.private[topic]
		if p == nil || !p.pub {
			a.privMu.Unlock()
			return
		}
		if prev, seen := p.verdicts[n.NodeID]; seen {
			if prev != n.Accepted { // re-checked (its node session changed) with another outcome
				if prev {
					p.accepted--
				} else {
					p.rejected--
				}
			} else {
				a.privMu.Unlock()
				return
			}
		}
		if n.Accepted {
			p.accepted++
		} else {
			p.rejected++
		}
		if p.verdicts == nil {
			p.verdicts = map[string]bool{}
		}
		if len(p.verdicts) < maxVerdicts {
			p.verdicts[n.NodeID] = n.Accepted
		}
		a.privMu.Unlock()
		a.emitPub(topic)
	}
}

// receivedState is what a message on a private topic proves: Verified on
// the ideal local network, which verifies each session; Receiving on any
// other node, which verifies per (node, topic) (real-nodes.md row 19).
func (a *SDK) receivedState() PrivateState {
	if (NodeInfo{BuildType: a.g.Status().Version.BuildType}).Ideal() {
		return PrivateVerified
	}
	return PrivateReceiving
}

// advanceSub moves topic's subscriber state forward to s (never back) and
// reports whether it changed.
func (a *SDK) advanceSub(topic string, s PrivateState) bool {
	a.privMu.Lock()
	defer a.privMu.Unlock()
	p := a.private[topic]
	if p == nil || !p.sub || p.subState >= s {
		return false
	}
	p.subState = s
	return true
}

// resetSubs puts every private subscription back to Waiting: a new node
// session verifies its subscribers afresh.
func (a *SDK) resetSubs() {
	var topics []string
	a.privMu.Lock()
	for t, p := range a.private {
		if p.sub && p.subState != PrivateWaiting {
			p.subState = PrivateWaiting
			topics = append(topics, t)
		}
	}
	a.privMu.Unlock()
	for _, t := range topics {
		a.emitSub(t)
	}
}
