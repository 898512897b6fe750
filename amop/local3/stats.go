package local3

import "sync/atomic"

// Stats is a snapshot of the network's counters.
type Stats struct {
	Sessions        []int  // open sessions per node
	MessagesIn      uint64 // messages read from sessions
	MessagesOut     uint64 // messages written to sessions
	Handshakes      uint64 // handshakes answered
	SubTopics       uint64 // topic lists applied
	Unicast         uint64 // AMOP requests received
	Pushes          uint64 // AMOP requests pushed to a subscriber
	Replies         uint64 // subscriber answers relayed to publishers
	Fallbacks       uint64 // requests handed to the sender's own node after the first path failed (faithful)
	Errors          uint64 // AMOP requests answered with an error status
	Broadcast       uint64 // AMOP broadcasts received
	BroadcastPushes uint64 // broadcast messages written to subscribers
	TopicSyncs      uint64 // topic lists published by nodes
	Unmatched       uint64 // answers from subscribers that matched nothing (late, duplicate, unknown seq)
	UnknownTypes    uint64 // messages of a type the node does not handle
	Malformed       uint64 // messages or bodies that did not decode, dropped
	ClosedMalformed uint64 // sessions closed for a message under 10 bytes or runaway garbage
	ClosedOversize  uint64 // sessions closed for a message over MaxMessage
	ClosedIdle      uint64 // sessions closed after IdleTimeout
	ClosedSlow      uint64 // sessions closed as slow consumers
	TLSFailures     uint64 // failed TLS handshakes
	Pings           uint64 // idle pings sent
}

type counters struct {
	in, out, handshakes, subTopics, unicast, pushes, replies, fallbacks, errors, broadcast, bpushes, syncs,
	unmatched, unknown, malformed, closedMalformed, closedOversize, closedIdle, closedSlow, tlsFailures, pings atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (n *Network) Stats() Stats {
	c := &n.stats
	st := Stats{
		MessagesIn: c.in.Load(), MessagesOut: c.out.Load(), Handshakes: c.handshakes.Load(), SubTopics: c.subTopics.Load(),
		Unicast: c.unicast.Load(), Pushes: c.pushes.Load(), Replies: c.replies.Load(), Fallbacks: c.fallbacks.Load(),
		Errors: c.errors.Load(), Broadcast: c.broadcast.Load(), BroadcastPushes: c.bpushes.Load(), TopicSyncs: c.syncs.Load(),
		Unmatched: c.unmatched.Load(), UnknownTypes: c.unknown.Load(), Malformed: c.malformed.Load(),
		ClosedMalformed: c.closedMalformed.Load(), ClosedOversize: c.closedOversize.Load(), ClosedIdle: c.closedIdle.Load(),
		ClosedSlow: c.closedSlow.Load(), TLSFailures: c.tlsFailures.Load(), Pings: c.pings.Load(),
	}
	n.mu.Lock()
	for _, nd := range n.nodes {
		st.Sessions = append(st.Sessions, len(nd.sessions))
	}
	n.mu.Unlock()
	return st
}
