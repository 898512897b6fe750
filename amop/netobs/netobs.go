// Package netobs is what a local AMOP network tells whoever watches it:
// the routing decisions it makes, per-topic counts, and snapshots of its
// nodes, sessions and topics. Both local networks, the 2.x one (amop/local)
// and the 3.x one (amop/local3), record into an Observer and describe
// themselves with a View, so that one live view (ui/netview) shows either.
package netobs

import (
	"fmt"
	"time"
)

// DecisionKind is what the network did with a message.
type DecisionKind uint8

// The decisions.
const (
	// Routed: a unicast answered by the subscriber it was pushed to.
	Routed DecisionKind = iota
	// Retried: a subscriber failed a unicast push (timeout, gone, full);
	// the next one is tried.
	Retried
	// NoSubscriber: a unicast with nobody to take it (AMOP 100; on 3.x
	// 3001, or 3002 when the node picked had no session after all).
	NoSubscriber
	// PushFailed: every subscriber tried failed (AMOP 104; on 3.x the code
	// of the last failure, e.g. -4008 for a timeout).
	PushFailed
	// Multicast: a multicast pushed to Targets sessions.
	Multicast
	// OwnNodeDropped: the faithful 2.9 mode dropped AMOP for a session on
	// the sender's own node, as FISCO BCOS 2.8–2.11 nodes do.
	OwnNodeDropped
	// Refused: AMOP refused (a reserved topic, a limit: AMOP 103; on 3.x an
	// ideal node's answer to a request it cannot decode, -4005).
	Refused
)

// SessionRef names a session: its id and its node.
type SessionRef struct {
	Node int
	ID   uint64 // 0 when not known
}

// String is "s3@node0", or "node1" when only the node is known.
func (r SessionRef) String() string {
	if r.ID == 0 {
		return fmt.Sprintf("node%d", r.Node)
	}
	return fmt.Sprintf("s%d@node%d", r.ID, r.Node)
}

// Decision is one routing decision.
type Decision struct {
	At      time.Time
	Kind    DecisionKind
	Topic   string // as on the wire: untrusted, sanitise before display
	From    SessionRef
	To      SessionRef    // Routed, Retried: the subscriber
	Targets int           // Multicast: sessions pushed to
	Latency time.Duration // Routed: from the request to the reply
	// Code is the failure's code (NoSubscriber, PushFailed, Refused) as
	// the network's line numbers it: a 3.x network's 3001, -4008… Zero is
	// the 2.x code of the kind (100, 104, 103), which the 2.x network
	// never needs to spell out: each of its kinds has one code.
	Code int
}

// String is the decision in words, e.g.
// "unicast 'svc' from s3@node0 → s7@node1, 0.4 ms". The topic is quoted
// as is: sanitise the result before it reaches a terminal.
func (d Decision) String() string {
	t := "'" + d.Topic + "'"
	switch d.Kind {
	case Routed:
		return fmt.Sprintf("unicast %s from %s → %s, %s", t, d.From, d.To, ms(d.Latency))
	case Retried:
		return fmt.Sprintf("unicast %s from %s: %s did not answer, trying the next subscriber", t, d.From, d.To)
	case NoSubscriber:
		return fmt.Sprintf("unicast %s from %s: no subscriber (AMOP %d)", t, d.From, d.code(100))
	case PushFailed:
		return fmt.Sprintf("unicast %s from %s: every subscriber failed (AMOP %d)", t, d.From, d.code(104))
	case Multicast:
		if d.Targets == 1 {
			return fmt.Sprintf("multicast %s from %s → 1 session", t, d.From)
		}
		return fmt.Sprintf("multicast %s from %s → %d sessions", t, d.From, d.Targets)
	case OwnNodeDropped:
		return fmt.Sprintf("dropped %s from %s: own node (2.9 semantics)", t, d.From)
	case Refused:
		return fmt.Sprintf("refused %s from %s (AMOP %d)", t, d.From, d.code(103))
	}
	return "?"
}

// code is d.Code, or the 2.x code of its kind when d.Code is zero.
func (d Decision) code(v2 int) int {
	if d.Code != 0 {
		return d.Code
	}
	return v2
}

func ms(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// TopicCounts are a topic's totals since the network started: unicasts
// routed to a subscriber that answered, multicasts pushed, and sends that
// failed (no subscriber, every subscriber failed, own node dropped it,
// refused).
type TopicCounts struct {
	Unicast, Multicast, Failed uint64
}

// NodeView is one node as View sees it.
type NodeView struct {
	Index    int
	Addr     string
	Up       bool
	Sessions []SessionView
}

// SessionView is one session of a node.
type SessionView struct {
	ID     uint64
	Remote string
	Topics []string // sorted; untrusted
}

// TopicView is one topic and its subscribers.
type TopicView struct {
	Topic       string
	Subscribers []SessionRef
	Counts      TopicCounts
}

// View is a snapshot of a network: nodes, their sessions, the topics and
// who subscribes to them, with each topic's counts since the network
// started.
type View struct {
	Like   string
	Nodes  []NodeView
	Topics []TopicView
}
