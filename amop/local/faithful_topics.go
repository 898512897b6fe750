package local

// Faithful nodes' topic queries: what a node knows of a topic, the sessions
// subscribed on it, and the counts and waits the tests and the node view
// ask for.

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// knownBy is the state of topic in the view other nodes have of fn: the
// best state among the running peers (VerifySuccess over VerifyFailed over
// Verifying), and whether every running peer knows the topic.
func (n *Network) knownBy(fn *fnode, topic string) (best VerifyState, anyKnows, allKnow bool) {
	best, allKnow = Verifying, true
	for _, other := range n.f.nodes {
		if other == fn {
			continue
		}
		other.mu.Lock()
		up := other.up
		var st VerifyState
		known := false
		if v := other.peers[fn.idx]; up && v != nil && v.linked {
			st, known = v.status(topic)
		}
		other.mu.Unlock()
		if !up {
			continue
		}
		if !known {
			allKnow = false
			continue
		}
		anyKnows = true
		if st == VerifySuccess || (st == VerifyFailed && best == Verifying) {
			best = st
		}
	}
	return best, anyKnows, allKnow
}

// subscribedSessions lists fn's live sessions subscribed to topic, in
// session order (ChannelRPCServer::_sessions is a std::map by session id).
func (fn *fnode) subscribedLocked(topic string) []*session {
	m := fn.subs[topic]
	out := make([]*session, 0, len(m))
	for s := range m {
		if !s.f.dead.Load() {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// sessionsOn lists the sessions of node nd subscribed to topic, whatever
// the mode (Inject and Hostile use it).
func (n *Network) sessionsOn(nd *node, topic string) []*session {
	if nd.f != nil {
		nd.f.mu.Lock()
		defer nd.f.mu.Unlock()
		return nd.f.subscribedLocked(topic)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []*session
	for s := range n.subs[topic] {
		if s.node == nd {
			out = append(out, s)
		}
	}
	return out
}

// fSubscribers counts the sessions of all nodes subscribed to topic.
func (n *Network) fSubscribers(topic string) int {
	c := 0
	for _, fn := range n.f.nodes {
		fn.mu.Lock()
		c += len(fn.subscribedLocked(topic))
		fn.mu.Unlock()
	}
	return c
}

// fVisibleSubscribers counts the sessions subscribed to topic that every
// other running node knows of through the topic sync (row 10), and the
// sessions subscribed at all.
func (n *Network) fVisibleSubscribers(topic string) (visible, all int) {
	for _, fn := range n.f.nodes {
		fn.mu.Lock()
		count := len(fn.subscribedLocked(topic))
		fn.mu.Unlock()
		if count == 0 {
			continue
		}
		all += count
		if _, _, allKnow := n.knownBy(fn, topic); allKnow {
			visible += count
		}
	}
	return visible, all
}

// fPrivateCounts counts a private topic's subscriber sessions by the state
// the other nodes give their node (row 19: the verdict is per node): a
// session counts as verified when some other node has accepted its node,
// failed when some node rejected it and none accepted it.
func (n *Network) fPrivateCounts(wireTopic string) PrivateCounts {
	var c PrivateCounts
	for _, fn := range n.f.nodes {
		fn.mu.Lock()
		count := len(fn.subscribedLocked(wireTopic))
		fn.mu.Unlock()
		if count == 0 {
			continue
		}
		switch best, _, _ := n.knownBy(fn, wireTopic); best {
		case VerifySuccess:
			c.Verified += count
		case VerifyFailed:
			c.Failed += count
		default:
			c.Verifying += count
		}
	}
	return c
}

// FaithfulStats returns the faithful mode's counters (zero in ideal mode).
func (n *Network) FaithfulStats() FaithfulStats {
	if n.f == nil {
		return FaithfulStats{}
	}
	c := &n.f.stats
	return FaithfulStats{
		OwnNodeDropped: c.ownNodeDropped.Load(), Unanswered: c.unanswered.Load(), Ignored: c.ignored.Load(),
		Crashes: c.crashes.Load(), Blocks: c.blocks.Load(), TopicFetches: c.topicFetches.Load(),
		VerifyRequests: c.verifyRequests.Load(), StatusApplied: c.statusApplied.Load(),
	}
}

// NodeID is node i's node id in the faithful mode (the "nodeId" of its 0x37
// and of the 0x38 that answer them), "" in ideal mode or out of range.
func (n *Network) NodeID(i int) string {
	if n.f == nil || i < 0 || i >= len(n.f.nodes) {
		return ""
	}
	return n.f.nodes[i].id
}

// parseNodeID reads a 0x38's nodeId as the C++ NodeID(std::string) does:
// hex, an optional "0x", exactly 64 bytes; anything else throws and the
// 0x38 is ignored.
func parseNodeID(s string) ([64]byte, error) {
	var id [64]byte
	s = strings.TrimPrefix(s, "0x")
	b, err := hex.DecodeString(s)
	if err != nil {
		return id, err
	}
	if len(b) != len(id) {
		return id, errors.New("not 64 bytes")
	}
	copy(id[:], b)
	return id, nil
}

// seq37 is the next dev::newSeq() as a frame seq.
func (f *fnet) nextSeq37() wire.Seq {
	var seq wire.Seq
	copy(seq[:], fmt.Sprintf("%0*d", wire.SeqLen, f.seq37.Add(1)))
	return seq
}

// fWaitSubscribers is one round of WaitSubscribers in the faithful mode:
// done when want sessions are known to every other running node, or on an
// error; otherwise it has waited for a change.
func (n *Network) fWaitSubscribers(ctx context.Context, topic string, want int) (bool, error) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return true, ErrClosed
	}
	changed := n.changed
	n.mu.Unlock()
	visible, all := n.fVisibleSubscribers(topic)
	if visible >= want {
		return true, nil
	}
	if err := n.waitChange(ctx, changed, time.Time{}); err != nil {
		return true, fmt.Errorf("local: %d of %d subscribers to %q known to every node (%d subscribed): %w", visible, want, topic, all, err)
	}
	return false, nil
}
