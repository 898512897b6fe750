// Package wire is the codec of the FISCO BCOS 2.x channel protocol as AMOP uses
// it: the 42-byte frame header, the topic body of AMOP frames, a stream reader
// that yields every complete frame it has buffered, and the small JSON
// messages of the handshake, subscription and version calls.
//
// It is shared by the guard (client side) and the local network (node side),
// so it takes no policy: no I/O beyond the reader, no logging, no retries.
// Every decoder is strict, because go-sdk v1.1.1 trusts these fields and
// crashes or allocates gigabytes when they lie (gosdk-pitfalls.md A#2, A#3).
package wire

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// HeaderLen is the size of the frame header: length (4), type (2), seq (32)
// and result (4), all big-endian.
const HeaderLen = 42

// SeqLen is the size of the seq field: 32 raw bytes, in practice 32 ASCII
// characters (go-sdk prints a UUID as 32 hex digits without dashes).
const SeqLen = 32

// DefaultMaxFrame is the largest frame accepted by default, header included.
// FISCO BCOS nodes from 2.8.0 on refuse frames over 100 MiB.
const DefaultMaxFrame = 100 << 20

// Type is the frame type field.
type Type uint16

// Frame types of the channel protocol (FISCO BCOS ChannelMessageType).
const (
	TypeRPC             Type = 0x12   // JSON-RPC request and its reply
	TypeHeartbeat       Type = 0x13   // keep-alive, echoed by the node
	TypeHandshake       Type = 0x14   // protocol negotiation
	TypeEventRegister   Type = 0x15   // event-log filter registration
	TypeEventUnregister Type = 0x16   // event-log filter removal
	TypeAMOPRequest     Type = 0x30   // unicast request (SDK to node, node to subscriber)
	TypeAMOPResponse    Type = 0x31   // answer to a 0x30 or 0x35
	TypeSubscribe       Type = 0x32   // the session's complete topic list
	TypeMulticast       Type = 0x35   // multicast request and push
	TypeVerifyRequest   Type = 0x37   // private topic: node asks a publisher to verify a subscriber
	TypeTopicStatus     Type = 0x38   // private topic: publisher reports the verification result
	TypeTxNotify        Type = 0x1000 // transaction receipt push
	TypeBlockNotify     Type = 0x1001 // new block push
	TypeEventPush       Type = 0x1002 // event-log push
)

// Known reports whether t is one of the types of the 2.x channel protocol.
func (t Type) Known() bool {
	switch t {
	case TypeRPC, TypeHeartbeat, TypeHandshake, TypeEventRegister, TypeEventUnregister,
		TypeAMOPRequest, TypeAMOPResponse, TypeSubscribe, TypeMulticast,
		TypeVerifyRequest, TypeTopicStatus, TypeTxNotify, TypeBlockNotify, TypeEventPush:
		return true
	}
	return false
}

// HasTopic reports whether frames of type t carry a topic body.
func (t Type) HasTopic() bool {
	switch t {
	case TypeAMOPRequest, TypeAMOPResponse, TypeMulticast, TypeBlockNotify:
		return true
	}
	return false
}

// String names the type for logs and errors.
func (t Type) String() string {
	switch t {
	case TypeRPC:
		return "rpc(0x12)"
	case TypeHeartbeat:
		return "heartbeat(0x13)"
	case TypeHandshake:
		return "handshake(0x14)"
	case TypeEventRegister:
		return "event-register(0x15)"
	case TypeEventUnregister:
		return "event-unregister(0x16)"
	case TypeAMOPRequest:
		return "amop-request(0x30)"
	case TypeAMOPResponse:
		return "amop-response(0x31)"
	case TypeSubscribe:
		return "subscribe(0x32)"
	case TypeMulticast:
		return "multicast(0x35)"
	case TypeVerifyRequest:
		return "verify-request(0x37)"
	case TypeTopicStatus:
		return "topic-status(0x38)"
	case TypeTxNotify:
		return "tx-notify(0x1000)"
	case TypeBlockNotify:
		return "block-notify(0x1001)"
	case TypeEventPush:
		return "event-push(0x1002)"
	}
	return fmt.Sprintf("unknown(0x%x)", uint16(t))
}

// Seq identifies a request and its reply.
type Seq [SeqLen]byte

// ZeroSeq is the seq of node-originated pushes: 32 ASCII '0' characters.
var ZeroSeq = Seq{'0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0',
	'0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'}

// NewSeq returns a random seq of 32 lowercase hex digits, the shape go-sdk
// uses. It is random rather than time-based (go-sdk's UUID v1 leaks the MAC
// address) and never equals ZeroSeq.
func NewSeq() Seq {
	var raw [SeqLen / 2]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails on supported platforms
	var s Seq
	hex.Encode(s[:], raw[:])
	return s
}

// String returns the seq as text.
func (s Seq) String() string { return string(s[:]) }

// Frame is one channel-protocol message.
type Frame struct {
	Type   Type
	Seq    Seq
	Result int32
	Body   []byte
}

// Len is the encoded length of f, header included.
func (f *Frame) Len() int { return HeaderLen + len(f.Body) }

// AppendHeader appends the 42-byte header of a frame whose body is bodyLen
// bytes long.
func AppendHeader(dst []byte, typ Type, seq *Seq, result int32, bodyLen int) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(HeaderLen+bodyLen))
	dst = binary.BigEndian.AppendUint16(dst, uint16(typ))
	dst = append(dst, seq[:]...)
	return binary.BigEndian.AppendUint32(dst, uint32(result))
}

// AppendTo appends the encoded frame to dst.
func (f *Frame) AppendTo(dst []byte) []byte {
	dst = AppendHeader(dst, f.Type, &f.Seq, f.Result, len(f.Body))
	return append(dst, f.Body...)
}

// Encode returns the encoded frame in one allocation.
func (f *Frame) Encode() []byte {
	return f.AppendTo(make([]byte, 0, f.Len()))
}

// Clone returns a copy of f whose body does not alias f's.
func (f *Frame) Clone() Frame {
	c := *f
	if f.Body != nil {
		c.Body = append([]byte(nil), f.Body...)
	}
	return c
}

// PeekLength validates the length field at the start of a header and returns
// it. b must hold at least 4 bytes.
func PeekLength(b []byte, maxFrame int) (int, error) {
	n := binary.BigEndian.Uint32(b)
	if n < HeaderLen {
		return 0, &Error{Kind: KindTooShort, Length: uint64(n)}
	}
	if uint64(n) > uint64(maxFrame) {
		return 0, &Error{Kind: KindTooLong, Length: uint64(n), Limit: maxFrame}
	}
	return int(n), nil
}

// Decode parses the frame at the start of b. It returns the frame, whose body
// aliases b, and the number of bytes it used. When b holds only part of a
// valid frame it returns ErrIncomplete and 0. maxFrame <= 0 means
// DefaultMaxFrame.
func Decode(b []byte, maxFrame int) (Frame, int, error) {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	if len(b) < 4 {
		return Frame{}, 0, ErrIncomplete
	}
	n, err := PeekLength(b, maxFrame)
	if err != nil {
		return Frame{}, 0, err
	}
	if len(b) < n {
		return Frame{}, 0, ErrIncomplete
	}
	return decodeHeader(b[:n]), n, nil
}

// decodeHeader splits a complete, length-checked frame; the body aliases raw.
func decodeHeader(raw []byte) Frame {
	var f Frame
	f.Type = Type(binary.BigEndian.Uint16(raw[4:6]))
	copy(f.Seq[:], raw[6:38])
	f.Result = int32(binary.BigEndian.Uint32(raw[38:42]))
	f.Body = raw[HeaderLen:len(raw):len(raw)]
	return f
}
