package amop

import (
	"errors"
	"fmt"
	"time"
)

// AMOP result codes a node puts in the 0x31 answering a send.
const (
	CodeNoSubscriber   = 100 // REMOTE_PEER_UNAVAILABLE: no node has a subscriber
	CodeSubscriberGone = 101 // REMOTE_CLIENT_PEER_UNAVAILABLE
	CodeTimeout        = 102 // TIMEOUT
	CodeRejected       = 103 // refused: a node's limit, or the receiving client's max_incoming
	CodeSendFailed     = 104 // every subscriber tried failed or timed out
)

// CodeError is a send answered by the node with a non-zero result code.
type CodeError struct {
	Code  int
	Topic string
	// Private says the send was to a private topic, whose messages reach
	// only verified subscribers.
	Private bool
}

// Error implements error with one plain-language sentence per code.
func (e *CodeError) Error() string {
	return fmt.Sprintf("%s (AMOP %d)", e.Explain(), e.Code)
}

// Explain is the plain-language meaning of the code, for people who do not
// know the protocol, with the causes a real node has for it
// (real-nodes.md rows 10–13 and 23), which are more than "nobody is
// subscribed".
func (e *CodeError) Explain() string {
	switch e.Code {
	case CodeNoSubscriber:
		if e.Private {
			return fmt.Sprintf("no verified subscriber of private topic %q: nobody joined it, no publisher has accepted a subscriber's key yet, "+
				"or the news has not reached this node (nodes sync topics every %s)", e.Topic, SyncWindowText)
		}
		return fmt.Sprintf("nobody is subscribed to %q on any reachable node, as far as this node knows: nobody joined it, "+
			"a subscriber joined less than %s ago and its node has not told this one yet, "+
			"or every node tried failed (a 2.8–2.11 node that picks itself drops the message and waits up to %s before the next)", e.Topic, SyncWindowText, NodeCandidateWaitText)
	case CodeSubscriberGone:
		return fmt.Sprintf("the subscriber of %q became unreachable", e.Topic)
	case CodeTimeout:
		return fmt.Sprintf("the node timed out waiting for a subscriber of %q", e.Topic)
	case CodeRejected:
		// A node's bandwidth limiter answers 103 with an empty body, and so
		// does the guard of a receiving client for a request over its
		// max_incoming; the node relays that answer unchanged (real-nodes.md
		// row 14), so the sender cannot tell the two apart.
		return RejectedText
	case CodeSendFailed:
		return fmt.Sprintf("no subscriber of %q answered in time on the node picked: each was slower than 5 s, "+
			"or the node's list was stale (a subscriber left or disconnected less than %s ago)", e.Topic, SyncWindowText)
	}
	if s := explain3(e.Code, e.Topic); s != "" {
		return s
	}
	return fmt.Sprintf("the node answered with error code %d", e.Code)
}

// RejectedText is what AMOP 103 means, in plain words: both causes, since
// the answer does not say which.
const RejectedText = "refused: over a node's bandwidth limit (or another of its limits), " +
	"or larger than the receiving client accepts (its max_incoming); the answer does not say which"

// Short is a few words for a narrow status column, e.g. "no subscriber".
func (e *CodeError) Short() string {
	switch e.Code {
	case CodeNoSubscriber:
		if e.Private {
			return "no verified subscriber"
		}
		return "no subscriber"
	case CodeSubscriberGone:
		return "subscriber unreachable"
	case CodeTimeout:
		return "node timeout"
	case CodeRejected:
		return "refused"
	case CodeSendFailed:
		return "no subscriber answered"
	}
	if s := short3(e.Code); s != "" {
		return s
	}
	return fmt.Sprintf("error %d", e.Code)
}

// Is lets errors.Is(err, &CodeError{Code: 100}) match on the code alone.
func (e *CodeError) Is(target error) bool {
	t, ok := target.(*CodeError)
	return ok && t.Code == e.Code
}

// Sentinel errors of the adapter.
var (
	// ErrTimeout is a send that got no answer before its deadline.
	ErrTimeout = errors.New("amop: no answer before the deadline")
	// ErrNotConnected is a send attempted while no node session is up.
	ErrNotConnected = errors.New("amop: not connected to a node")
	// ErrClosed is any call after Close.
	ErrClosed = errors.New("amop: client closed")
	// ErrNotJoined is a leave of a topic the client has not joined (yet:
	// a join still under way counts as not joined).
	ErrNotJoined = errors.New("amop: not joined")
)

// ConfigError is a problem with what the user configured that only the
// user can fix: a certificate or key that cannot be read or used (missing,
// corrupt, expired, not signed by the CA), no endpoints. The command line
// exits 2 (usage or configuration error) for it, not 1.
type ConfigError struct{ Err error }

// Error implements error.
func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// TimeoutError is a send that got no answer before its deadline; it is
// ErrTimeout for errors.Is. The node may still answer: a real node tries
// each candidate node for up to 30 s (NodeCandidateWait), longer than the
// default send timeout, and then a LateReplyEvent with the same ID arrives
// on Events.
type TimeoutError struct {
	ID    uint64 // names the send in a later LateReplyEvent
	Topic string
	After time.Duration // how long the send waited

	ticket uint64 // the guard's deadline ticket (guard/late.go), 0 if none
}

// Error implements error.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("amop: no answer within %s; the node may still answer (it waits up to %s for each node it tries)",
		e.After.Round(100*time.Millisecond), NodeCandidateWaitText)
}

// Is makes a TimeoutError match ErrTimeout.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// NodeCandidateWait is how long a real FISCO BCOS 2.x node waits for each
// candidate node of a unicast before it tries the next (real-nodes.md row
// 12). A send timeout shorter than it gives up on answers that may still
// come (they arrive as LateReplyEvents).
const NodeCandidateWait = 30 * time.Second

// NodeCandidateWaitText is NodeCandidateWait for a sentence.
const NodeCandidateWaitText = "30 s"

// LateText says how late an answer came, e.g. "31.2 s later".
func LateText(after time.Duration) string {
	return fmt.Sprintf("%.1f s later", after.Seconds())
}

// TopicError is a topic refused before anything was sent.
type TopicError struct {
	Topic  string
	Reason string
	// Short is the reason first, in a few words, for a line that may cut
	// what follows ("topic too long: 255 bytes, at most 254"); "" when
	// Reason is all there is.
	Short string
}

// Summary is the reason first: Short, or "invalid topic: " and Reason.
// The topic itself is left out (the caller shows it, cut to fit).
func (e *TopicError) Summary() string {
	if e.Short != "" {
		return e.Short
	}
	return "invalid topic: " + e.Reason
}

// Error implements error.
func (e *TopicError) Error() string {
	return fmt.Sprintf("amop: invalid topic %q: %s", e.Topic, e.Reason)
}

// ShortError is the compact text of err for a narrow UI column: the
// plain-language short form of AMOP codes, "timeout", and the error text
// otherwise.
func ShortError(err error) string {
	var ce *CodeError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ce):
		return fmt.Sprintf("%s (AMOP %d)", ce.Short(), ce.Code)
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrNotConnected):
		return "not connected"
	case errors.Is(err, ErrClosed):
		return "closed"
	}
	return err.Error()
}
