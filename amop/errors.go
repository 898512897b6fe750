package amop

import (
	"errors"
	"fmt"
)

// AMOP result codes a node puts in the 0x31 answering a send.
const (
	CodeNoSubscriber   = 100 // REMOTE_PEER_UNAVAILABLE: no node has a subscriber
	CodeSubscriberGone = 101 // REMOTE_CLIENT_PEER_UNAVAILABLE
	CodeTimeout        = 102 // TIMEOUT
	CodeRejected       = 103 // rejected, e.g. over the bandwidth limit
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
// know the protocol.
func (e *CodeError) Explain() string {
	switch e.Code {
	case CodeNoSubscriber:
		if e.Private {
			return fmt.Sprintf("no verified subscriber of private topic %q: nobody joined it, or no publisher has accepted a subscriber's key yet", e.Topic)
		}
		return fmt.Sprintf("nobody is subscribed to %q on any reachable node", e.Topic)
	case CodeSubscriberGone:
		return fmt.Sprintf("the subscriber of %q became unreachable", e.Topic)
	case CodeTimeout:
		return fmt.Sprintf("the node timed out waiting for a subscriber of %q", e.Topic)
	case CodeRejected:
		return "the node refused the message (over its bandwidth limit)"
	case CodeSendFailed:
		return fmt.Sprintf("no subscriber of %q answered in time", e.Topic)
	}
	return fmt.Sprintf("the node answered with error code %d", e.Code)
}

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
		return "rejected by node"
	case CodeSendFailed:
		return "no subscriber answered"
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
)

// TopicError is a topic refused before anything was sent.
type TopicError struct {
	Topic  string
	Reason string
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
