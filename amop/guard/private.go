package guard

import (
	"bytes"

	"github.com/amoptui/amoptui/amop/wire"
)

// PrivateKind says what private-topic traffic a PrivateNote reports.
type PrivateKind uint8

// The private-topic traffic the guard relays (amop-protocol.md §4.5).
const (
	// NoteChallenge: the node pushed a publisher's random number to one of
	// go-sdk's "#!$VerifyChannel_" challenge topics; go-sdk signs it with
	// the subscriber's key. The verdict is never told to the subscriber.
	NoteChallenge PrivateKind = iota
	// NoteVerifyRequest: the node asked go-sdk, a publisher, to check a
	// subscriber (0x37).
	NoteVerifyRequest
	// NoteStatus: go-sdk, a publisher, reported its verdict on a
	// subscriber to the node (0x38).
	NoteStatus
)

// PrivateNote is one piece of private-topic traffic, for the adapter's view
// of the verification state: go-sdk tells its caller nothing of it.
type PrivateNote struct {
	Kind PrivateKind
	// Topic is the "#!$TopicNeedVerify_" topic of a request or status, or
	// the "#!$VerifyChannel_" topic of a challenge.
	Topic string
	// NodeID names the subscriber checked (requests and statuses).
	NodeID string
	// Accepted is a status's verdict: checkResult 0.
	Accepted bool
}

var verifyChannelPrefix = []byte(wire.VerifyChannelPrefix)

// notePrivate reports n when someone listens.
func (g *Guard) notePrivate(n PrivateNote) {
	if g.cfg.OnPrivate != nil {
		g.cfg.OnPrivate(n)
	}
}

// noteChallenge reports an AMOP push on a challenge topic.
func (g *Guard) noteChallenge(topic []byte) {
	if g.cfg.OnPrivate != nil && bytes.HasPrefix(topic, verifyChannelPrefix) {
		g.cfg.OnPrivate(PrivateNote{Kind: NoteChallenge, Topic: string(topic)})
	}
}

// noteStatus reports go-sdk's 0x38; a body that does not parse is still
// forwarded (the node judges it) but not reported.
func (g *Guard) noteStatus(body []byte) {
	if g.cfg.OnPrivate == nil {
		return
	}
	if st, err := wire.DecodeTopicStatus(body); err == nil {
		g.cfg.OnPrivate(PrivateNote{Kind: NoteStatus, Topic: st.Topic, NodeID: st.NodeID, Accepted: st.CheckResult == 0})
	}
}
