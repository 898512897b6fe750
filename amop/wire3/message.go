// Package wire3 is the codec of what a FISCO BCOS 3.x SDK and node exchange
// on the node's RPC port (fisco3-amop.md, read from FISCO-BCOS v3.16.4): the
// message carried in each binary WebSocket message (bcos-boostssl
// websocket/WsMessage.cpp), the AMOPRequest body of AMOP requests and
// broadcasts (bcos-framework protocol/AMOPRequest.h), and the JSON of the
// handshake and the topic list. It is strict where the C++ is lax: a seq or
// ext that runs past the end, an AMOPRequest shorter than its header or with
// a topic past its end, are errors, never "whatever the bytes say". No I/O,
// no policy: the client (amop/fisco3) and the local network (amop/local3)
// decide what an error means.
package wire3

import (
	"encoding/binary"
	"fmt"
)

// HeaderLen is the fixed part of a message: version, type, status, seq
// length and ext, two bytes each (WsMessage::MESSAGE_MIN_LENGTH).
const HeaderLen = 10

// MaxMessage is the largest WebSocket message a node reads or writes
// (websocket/WsConfig.h DEFAULT_MAX_MESSAGE_SIZE, 32 MiB).
const MaxMessage = 32 << 20

// SeqLen is the length of the seqs SDKs and nodes generate: a random UUID
// without its dashes (MessageFace::newSeq).
const SeqLen = 32

// Type is a message type.
type Type uint16

// Message types (bcos-framework protocol/Protocol.h MessageType and
// bcos-rpc Common.h AMOPClientMessageType).
const (
	// TypeNone is what a node's error answer to an AMOP request carries: a
	// freshly built message whose type nobody set (AMOPClient.cpp
	// onRecvAMOPRequest).
	TypeNone        Type = 0
	TypeHandshake   Type = 0x100 // SDK → node, answered on the same seq
	TypeBlockNotify Type = 0x101 // node → SDK, unasked
	TypeRPC         Type = 0x102 // JSON-RPC
	TypeGroupNotify Type = 0x103 // node → SDK, unasked
	TypeSubTopic    Type = 0x110 // SDK → node: the whole topic list, not answered
	TypeRequest     Type = 0x111 // AMOP unicast, answered on the same seq
	TypeBroadcast   Type = 0x112 // AMOP multicast, not answered
	TypeResponse    Type = 0x113 // a subscriber's answer to TypeRequest
	TypeEventSub    Type = 0x120 // event-log subscription (not AMOP)
	TypeEventUnsub  Type = 0x121
	TypeEventPush   Type = 0x122
)

// String names the type for logs.
func (t Type) String() string {
	switch t {
	case TypeNone:
		return "none"
	case TypeHandshake:
		return "handshake"
	case TypeBlockNotify:
		return "block-notify"
	case TypeRPC:
		return "rpc"
	case TypeGroupNotify:
		return "group-notify"
	case TypeSubTopic:
		return "amop-subtopic"
	case TypeRequest:
		return "amop-request"
	case TypeBroadcast:
		return "amop-broadcast"
	case TypeResponse:
		return "amop-response"
	case TypeEventSub:
		return "event-subscribe"
	case TypeEventUnsub:
		return "event-unsubscribe"
	case TypeEventPush:
		return "event-push"
	}
	return fmt.Sprintf("type(%#x)", uint16(t))
}

// Ext flags (bcos-framework protocol/Protocol.h MessageExtFieldFlag). The SDK
// path sets neither: answers are matched by seq alone.
const (
	ExtResponse uint16 = 1
	ExtCompress uint16 = 1 << 4
)

// Message is one WsMessage: all integers big-endian,
// version u16 | type u16 | status i16 | seqLen u16 | seq | ext u16 | payload.
type Message struct {
	Version uint16
	Type    Type
	Status  int16
	Seq     string
	Ext     uint16
	Payload []byte
}

// Len is the encoded size of m.
func (m *Message) Len() int { return HeaderLen + len(m.Seq) + len(m.Payload) }

// Encode returns m's bytes. A seq longer than 65535 bytes cannot be encoded
// and is an error.
func (m *Message) Encode() ([]byte, error) { return m.AppendTo(make([]byte, 0, m.Len())) }

// AppendTo appends m's bytes to dst.
func (m *Message) AppendTo(dst []byte) ([]byte, error) {
	if len(m.Seq) > 0xffff {
		return dst, &Error{Kind: KindSeqTooLong, Length: uint64(len(m.Seq)), Limit: 0xffff}
	}
	dst = binary.BigEndian.AppendUint16(dst, m.Version)
	dst = binary.BigEndian.AppendUint16(dst, uint16(m.Type))
	dst = binary.BigEndian.AppendUint16(dst, uint16(m.Status))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(m.Seq)))
	dst = append(dst, m.Seq...)
	dst = binary.BigEndian.AppendUint16(dst, m.Ext)
	return append(dst, m.Payload...), nil
}

// Decode parses one message. The payload aliases b. Unlike the C++ decoder
// it never leaves part of a message for the next one: anything that does not
// fit is an error.
func Decode(b []byte) (Message, error) {
	var m Message
	if len(b) < HeaderLen {
		return m, &Error{Kind: KindTooShort, Length: uint64(len(b))}
	}
	m.Version = binary.BigEndian.Uint16(b[0:])
	m.Type = Type(binary.BigEndian.Uint16(b[2:]))
	m.Status = int16(binary.BigEndian.Uint16(b[4:]))
	seqLen := int(binary.BigEndian.Uint16(b[6:]))
	// The seq and the 2-byte ext must both fit.
	if 8+seqLen+2 > len(b) {
		return Message{}, &Error{Kind: KindSeqOverrun, Length: uint64(seqLen), Limit: len(b) - HeaderLen}
	}
	m.Seq = string(b[8 : 8+seqLen])
	m.Ext = binary.BigEndian.Uint16(b[8+seqLen:])
	m.Payload = b[HeaderLen+seqLen:]
	return m, nil
}
