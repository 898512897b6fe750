package local3

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amoptui/amoptui/amop/wire3"
)

// HostileKind is one way a broken or malicious node misbehaves toward a
// session, so that tests can show what the 3.x client makes of it.
type HostileKind int

// The misbehaviours Network.Hostile applies to everything the node writes to
// the session from then on, unless a kind says otherwise.
const (
	// Honest writes messages unchanged; it ends a misbehaviour.
	Honest HostileKind = iota
	// BadSeqLength sets every message's seq length to 0xffff, past its end.
	BadSeqLength
	// ShortMessages writes a 5-byte message before every message.
	ShortMessages
	// UnknownType writes a well-formed message of type 0x7777 before every
	// message.
	UnknownType
	// TextFrames writes every message as a WebSocket text message.
	TextFrames
	// UnknownSeq writes, before every answer, a copy of it with a seq that
	// matches nothing.
	UnknownSeq
	// DuplicateReplies writes every answer twice.
	DuplicateReplies
	// LateReplies holds every answer back for Behaviour.Delay.
	LateReplies
	// Silence writes nothing, pongs included, and ignores what the session
	// sends, while the connection stays open.
	Silence
	// Oversize writes one message of MaxMessage+1 MiB in place of the next
	// message, then turns honest.
	Oversize
	// BadRequestBody makes the topic length of every pushed AMOP request or
	// broadcast body run past its end.
	BadRequestBody
	// Notifies writes a block notification and a group notification (which
	// clients must ignore, not count as errors) before every message.
	Notifies
)

// String names the kind as test names use it.
func (k HostileKind) String() string {
	names := [...]string{"honest", "bad-seq-length", "short-messages", "unknown-type", "text-frames", "unknown-seq",
		"duplicate-replies", "late-replies", "silence", "oversize", "bad-request-body", "notifies"}
	if k >= 0 && int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("hostile(%d)", int(k))
}

// Behaviour is a misbehaviour and its parameter.
type Behaviour struct {
	Kind HostileKind
	// Delay is how late LateReplies answers (default 5 s).
	Delay time.Duration
}

// Hostile makes node node misbehave toward every one of its sessions
// subscribed to topic now, and returns how many that is. Sessions opened
// later are honest; Behaviour{Kind: Honest} ends it. A test facility.
func (n *Network) Hostile(node int, topic string, b Behaviour) (int, error) {
	nd, err := n.node(node)
	if err != nil {
		return 0, err
	}
	if b.Kind == LateReplies && b.Delay <= 0 {
		b.Delay = 5 * time.Second
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return 0, ErrClosed
	}
	for s := range nd.topics[topic] {
		s.hostile = b
		s.silent.Store(b.Kind == Silence)
	}
	return len(nd.topics[topic]), nil
}

// wsWrite is one WebSocket message to write.
type wsWrite struct {
	kind int
	data []byte
}

// apply turns one queued message into what a node behaving like b writes,
// or into a delay after which it is queued again as honest.
func (b Behaviour) apply(s *session, m outMsg) ([]wsWrite, time.Duration) {
	bin := func(d []byte) wsWrite { return wsWrite{websocket.BinaryMessage, d} }
	switch b.Kind {
	case BadSeqLength:
		d := append([]byte(nil), m.data...)
		if len(d) >= wire3.HeaderLen {
			binary.BigEndian.PutUint16(d[6:], 0xffff)
		}
		return []wsWrite{bin(d)}, 0
	case ShortMessages:
		return []wsWrite{bin([]byte{0, 0, 1, 0x11, 0}), bin(m.data)}, 0
	case UnknownType:
		u, _ := (&wire3.Message{Type: 0x7777, Seq: newSeq(), Payload: []byte("?")}).Encode()
		return []wsWrite{bin(u), bin(m.data)}, 0
	case TextFrames:
		return []wsWrite{{websocket.TextMessage, m.data}}, 0
	case UnknownSeq:
		if m.answer {
			if msg, err := wire3.Decode(m.data); err == nil {
				msg.Seq = newSeq()
				if c, err := msg.Encode(); err == nil {
					return []wsWrite{bin(c), bin(m.data)}, 0
				}
			}
		}
	case DuplicateReplies:
		if m.answer {
			return []wsWrite{bin(m.data), bin(m.data)}, 0
		}
	case LateReplies:
		if m.answer {
			return nil, b.Delay
		}
	case Silence:
		return nil, 0
	case Oversize:
		s.net.mu.Lock()
		s.hostile = Behaviour{}
		s.net.mu.Unlock()
		return []wsWrite{bin(make([]byte, s.net.opts.MaxMessage+1<<20))}, 0
	case BadRequestBody:
		if m.push {
			if msg, err := wire3.Decode(m.data); err == nil && len(msg.Payload) >= wire3.RequestHeaderLen {
				body := append([]byte(nil), msg.Payload...)
				binary.BigEndian.PutUint16(body[4:], 0xffff)
				msg.Payload = body
				if c, err := msg.Encode(); err == nil {
					return []wsWrite{bin(c)}, 0
				}
			}
		}
	case Notifies:
		blk, _ := (&wire3.Message{Type: wire3.TypeBlockNotify, Payload: []byte(`{"blockNumber":1,"group":"group0","nodeName":"node0"}`)}).Encode()
		grp, _ := (&wire3.Message{Type: wire3.TypeGroupNotify, Payload: []byte(`{"chainID":"chain0","groupID":"group0"}`)}).Encode()
		return []wsWrite{bin(blk), bin(grp), bin(m.data)}, 0
	}
	return []wsWrite{bin(m.data)}, 0
}

func nodeName(i int) string { return "node" + strconv.Itoa(i) }

// iniJSON is the node's iniConfig text, as compact as jsoncpp's FastWriter.
func iniJSON(ini wire3.NodeIni) []byte {
	b, _ := json.Marshal(ini)
	return append(b, '\n')
}
