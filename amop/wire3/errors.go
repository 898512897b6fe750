package wire3

import (
	"errors"
	"fmt"
)

// ErrorKind classifies a decoding or encoding failure.
type ErrorKind int

// Kinds of failures. Every one makes a message or body unusable; none makes
// the stream unusable, because WebSocket frames the messages.
const (
	KindTooShort     ErrorKind = iota + 1 // a message shorter than the 10-byte header
	KindSeqOverrun                        // the seq length runs past the end (no room for seq and ext)
	KindSeqTooLong                        // a seq over 65535 bytes (encoding side)
	KindRequestShort                      // an AMOPRequest shorter than its 6-byte header
	KindTopicOverrun                      // an AMOPRequest topic length past the end of the body
	KindTopicTooLong                      // a topic over 65535 bytes (encoding side)
	KindBadJSON                           // a JSON body that does not parse or has the wrong shape
)

// Error is an error of this package; errors.Is against the Err* values
// matches on Kind alone.
type Error struct {
	Kind   ErrorKind
	Length uint64 // the offending length
	Limit  int    // what it should have fitted, when there is one
	Detail string // extra context, e.g. the JSON error
}

// Error implements error.
func (e *Error) Error() string {
	switch e.Kind {
	case KindTooShort:
		return fmt.Sprintf("wire3: message of %d bytes is shorter than the %d-byte header", e.Length, HeaderLen)
	case KindSeqOverrun:
		return fmt.Sprintf("wire3: seq length %d runs past the end of the message (room for %d)", e.Length, e.Limit)
	case KindSeqTooLong:
		return fmt.Sprintf("wire3: seq of %d bytes exceeds %d", e.Length, e.Limit)
	case KindRequestShort:
		return fmt.Sprintf("wire3: AMOP request body of %d bytes is shorter than its %d-byte header", e.Length, RequestHeaderLen)
	case KindTopicOverrun:
		return fmt.Sprintf("wire3: AMOP topic length %d runs past the end of the body (room for %d)", e.Length, e.Limit)
	case KindTopicTooLong:
		return fmt.Sprintf("wire3: topic of %d bytes exceeds %d", e.Length, e.Limit)
	case KindBadJSON:
		return "wire3: bad JSON: " + e.Detail
	}
	return fmt.Sprintf("wire3: error kind %d", int(e.Kind))
}

// Is matches another *Error of the same kind.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Kind == e.Kind
}

// Sentinels for errors.Is.
var (
	ErrTooShort     = &Error{Kind: KindTooShort}
	ErrSeqOverrun   = &Error{Kind: KindSeqOverrun}
	ErrRequestShort = &Error{Kind: KindRequestShort}
	ErrTopicOverrun = &Error{Kind: KindTopicOverrun}
	ErrBadJSON      = &Error{Kind: KindBadJSON}
)
