package wire

import (
	"errors"
	"fmt"
)

// ErrorKind classifies a decoding failure.
type ErrorKind int

// Kinds of decoding failures. Every one of them makes a frame unusable; on a
// stream, the ones about the header also make the rest of the stream
// unusable, because the next frame boundary is lost.
const (
	KindTooShort     ErrorKind = iota + 1 // header length field < 42
	KindTooLong                           // header length field over the limit
	KindEmptyBody                         // a topic body with no length byte
	KindTopicLength                       // topic-length byte 0
	KindTopicOverrun                      // topic-length byte past the end of the body
	KindTopicTooLong                      // topic over 254 bytes (encoding side)
	KindBadJSON                           // a JSON body that does not parse or has the wrong shape
)

// Error is a decoding or encoding error of this package. Compare with
// errors.Is against the Err* values, which match on Kind alone.
type Error struct {
	Kind   ErrorKind
	Length uint64 // the offending length: frame length, topic length byte or topic size
	Limit  int    // the limit that was exceeded, when there is one
	Detail string // extra context, e.g. the JSON error
}

// Error implements error.
func (e *Error) Error() string {
	switch e.Kind {
	case KindTooShort:
		return fmt.Sprintf("wire: frame length %d is shorter than the %d-byte header", e.Length, HeaderLen)
	case KindTooLong:
		return fmt.Sprintf("wire: frame length %d exceeds the limit of %d bytes", e.Length, e.Limit)
	case KindEmptyBody:
		return "wire: topic body is empty (no topic-length byte)"
	case KindTopicLength:
		return "wire: topic-length byte is 0"
	case KindTopicOverrun:
		return fmt.Sprintf("wire: topic-length byte %d runs past the %d-byte body", e.Length, e.Limit)
	case KindTopicTooLong:
		return fmt.Sprintf("wire: topic of %d bytes exceeds %d bytes", e.Length, MaxTopicLen)
	case KindBadJSON:
		return "wire: bad JSON body: " + e.Detail
	}
	return "wire: invalid frame"
}

// Is matches e against the Err* sentinels by Kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

// Sentinels for errors.Is.
var (
	ErrTooShort     = &Error{Kind: KindTooShort}
	ErrTooLong      = &Error{Kind: KindTooLong}
	ErrEmptyBody    = &Error{Kind: KindEmptyBody}
	ErrTopicLength  = &Error{Kind: KindTopicLength}
	ErrTopicOverrun = &Error{Kind: KindTopicOverrun}
	ErrTopicTooLong = &Error{Kind: KindTopicTooLong}
	ErrBadJSON      = &Error{Kind: KindBadJSON}
)

// ErrIncomplete reports that a buffer holds only the beginning of a frame.
// It is not a protocol violation.
var ErrIncomplete = errors.New("wire: incomplete frame")
