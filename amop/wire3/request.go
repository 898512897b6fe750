package wire3

import "encoding/binary"

// RequestHeaderLen is the fixed part of an AMOPRequest: a 4-byte version and
// a 2-byte topic length.
const RequestHeaderLen = 6

// MaxTopic is the longest topic the AMOPRequest format can carry
// (AMOPRequest::TOPIC_MAX_LENGTH).
const MaxTopic = 0xffff

// Request is the body of an AMOP request or broadcast (AMOPRequest.h):
// version u32 (0) | topicLen u16 | topic | data. Nodes ignore the version.
type Request struct {
	Version uint32
	Topic   string
	Data    []byte
}

// Len is the encoded size of r.
func (r *Request) Len() int { return RequestHeaderLen + len(r.Topic) + len(r.Data) }

// Encode returns r's bytes; a topic over MaxTopic bytes is an error.
func (r *Request) Encode() ([]byte, error) { return r.AppendTo(make([]byte, 0, r.Len())) }

// AppendTo appends r's bytes to dst.
func (r *Request) AppendTo(dst []byte) ([]byte, error) {
	if len(r.Topic) > MaxTopic {
		return dst, &Error{Kind: KindTopicTooLong, Length: uint64(len(r.Topic)), Limit: MaxTopic}
	}
	dst = binary.BigEndian.AppendUint32(dst, r.Version)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.Topic)))
	dst = append(dst, r.Topic...)
	return append(dst, r.Data...), nil
}

// DecodeRequest parses an AMOPRequest body. Data aliases b. The topic may be
// empty: whether a topic name is acceptable is for the caller to say.
func DecodeRequest(b []byte) (Request, error) {
	if len(b) < RequestHeaderLen {
		return Request{}, &Error{Kind: KindRequestShort, Length: uint64(len(b))}
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	if RequestHeaderLen+n > len(b) {
		return Request{}, &Error{Kind: KindTopicOverrun, Length: uint64(n), Limit: len(b) - RequestHeaderLen}
	}
	return Request{
		Version: binary.BigEndian.Uint32(b),
		Topic:   string(b[RequestHeaderLen : RequestHeaderLen+n]),
		Data:    b[RequestHeaderLen+n:],
	}, nil
}
