package local

import "sync/atomic"

// Stats is a snapshot of the network's counters.
type Stats struct {
	Sessions          []int  // open sessions per node
	FramesIn          uint64 // frames read from sessions
	FramesOut         uint64 // writes to sessions (frames, or injected byte strings), each a TLS record of its own
	WriteCalls        uint64 // system calls that wrote them: the records of frames queued together share one
	Unicast           uint64 // unicast requests pushed to a first subscriber
	UnicastReplies    uint64 // subscriber replies relayed to publishers
	UnicastRetries    uint64 // pushes to a further subscriber after a timeout or a lost session
	Multicast         uint64 // multicast requests acknowledged
	MulticastPushes   uint64 // multicast frames pushed to subscribers
	Replies100        uint64 // unicast answered CodeNoSubscriber
	Replies104        uint64 // unicast answered CodePushFailed
	Refused           uint64 // AMOP on reserved topics answered CodeRefused
	UnmatchedReplies  uint64 // 0x31 frames matching nothing (go-sdk answers multicast pushes), dropped
	ClosedMalformed   uint64 // sessions closed for malformed input
	ClosedIdle        uint64 // sessions closed after IdleTimeout
	ClosedSlow        uint64 // sessions closed as slow consumers (WriteTimeout, or answers piling up unread)
	ClosedLimit       uint64 // sessions closed for a frame over the network's MaxReading
	DroppedSlow       uint64 // pushes dropped because the session's send queue (or MaxQueued) was full
	DroppedFrozen     uint64 // frames dropped because a frozen session's queue was full
	RefusedLimit      uint64 // requests refused for a per-session limit (topics, pending unicasts), logged
	HandshakeFailures uint64 // failed TLS handshakes
	VerifyRequests    uint64 // 0x37 pushed to private topics' publishers
	StatusApplied     uint64 // 0x38 that settled a subscriber's verification
	StatusIgnored     uint64 // 0x38 ignored: malformed, not from a publisher of the topic, or not VERIFYING
}

type counters struct {
	framesIn, framesOut, writeCalls, unicast, unicastReplies, unicastRetries, multicast, multicastPushes,
	replies100, replies104, refused, unmatched, closedMalformed, closedIdle, closedSlow, closedLimit,
	droppedSlow, droppedFrozen, refusedLimit, handshakeFailures atomic.Uint64
	verifyRequests, statusApplied, statusIgnored atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (n *Network) Stats() Stats {
	c := &n.stats
	st := Stats{
		FramesIn: c.framesIn.Load(), FramesOut: c.framesOut.Load(), WriteCalls: c.writeCalls.Load(),
		Unicast: c.unicast.Load(), UnicastReplies: c.unicastReplies.Load(), UnicastRetries: c.unicastRetries.Load(),
		Multicast: c.multicast.Load(), MulticastPushes: c.multicastPushes.Load(),
		Replies100: c.replies100.Load(), Replies104: c.replies104.Load(), Refused: c.refused.Load(),
		UnmatchedReplies: c.unmatched.Load(), ClosedMalformed: c.closedMalformed.Load(),
		ClosedIdle: c.closedIdle.Load(), ClosedSlow: c.closedSlow.Load(), ClosedLimit: c.closedLimit.Load(),
		DroppedSlow: c.droppedSlow.Load(), DroppedFrozen: c.droppedFrozen.Load(), RefusedLimit: c.refusedLimit.Load(),
		HandshakeFailures: c.handshakeFailures.Load(),
		VerifyRequests:    c.verifyRequests.Load(), StatusApplied: c.statusApplied.Load(), StatusIgnored: c.statusIgnored.Load(),
	}
	n.mu.Lock()
	for _, nd := range n.nodes {
		st.Sessions = append(st.Sessions, len(nd.sessions))
	}
	n.mu.Unlock()
	return st
}
