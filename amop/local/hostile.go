package local

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/amoptui/amoptui/amop/wire"
)

// HostileKind is one way a hostile or broken node misbehaves toward a
// session. Real nodes validate little of what they relay, and a buggy or
// malicious peer on a chain can make a node write anything; these are the
// cases go-sdk crashes, stalls or allocates gigabytes on (gosdk-pitfalls.md
// A#1–A#3), so that tests can show the guard absorbs every one of them.
type HostileKind int

// The misbehaviours Network.Hostile can apply. Each applies to every frame the
// node writes to the session from then on (pushes, replies, heartbeat
// answers), unless it says otherwise.
const (
	// Honest writes frames unchanged; it ends a misbehaviour.
	Honest HostileKind = iota
	// BadTopicLength makes the topic-length byte of every topic body (0x30
	// and 0x35 pushes, 0x31 answers with a body) lie: one past the body, or
	// 0 when the body is too long for that. go-sdk panics on the first.
	BadTopicLength
	// ShortLength sets every frame's length field to 10, under the 42-byte
	// header: go-sdk allocates ~4 GiB. The stream cannot continue after it.
	ShortLength
	// HugeLength sets every frame's length field to 0xfffffff0, past any
	// frame limit. The stream cannot continue after it.
	HugeLength
	// OneByteRecords writes every frame as one-byte TLS records.
	OneByteRecords
	// Coalesce writes two frames per TLS record: a frame waits up to 100 ms
	// for the next one. go-sdk decodes one frame per read and strands the
	// second for 30 s.
	Coalesce
	// UnknownType writes, before every frame, a frame of the unknown type
	// 0x99 in a record of its own.
	UnknownType
	// UnknownSeq writes, before every 0x31 and 0x12 answer, a copy of it
	// whose seq matches nothing.
	UnknownSeq
	// DuplicateReplies writes every 0x31 and 0x12 answer twice.
	DuplicateReplies
	// LateReplies holds every 0x31 answer back for Behaviour.Delay, so that
	// it arrives after the client's deadline; other frames are not delayed.
	LateReplies
	// Silence writes nothing at all while the connection stays open: a node
	// that stopped answering this one session.
	Silence
)

// String names the kind as test names use it.
func (k HostileKind) String() string {
	names := [...]string{"honest", "bad-topic-length", "short-length", "huge-length", "one-byte-records",
		"coalesce", "unknown-type", "unknown-seq", "duplicate-replies", "late-replies", "silence"}
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

// Hostile makes node node misbehave toward every one of its sessions that is
// subscribed to topic now (tests subscribe a topic of its own on the one
// session they mean), and returns how many sessions it applies to. Sessions
// opened later, such as the client's reconnect after a ShortLength, are
// honest. Behaviour{Kind: Honest} ends it. It is a test facility: nothing in
// amoptui's own node uses it.
func (n *Network) Hostile(node int, topic string, b Behaviour) (sessions int, err error) {
	nd, err := n.node(node)
	if err != nil {
		return 0, err
	}
	if b.Kind == LateReplies && b.Delay <= 0 {
		b.Delay = 5 * time.Second
	}
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return 0, ErrClosed
	}
	for _, s := range n.sessionsOn(nd, topic) {
		if b.Kind == Honest {
			s.hostile.Store(nil)
		} else {
			bb := b
			s.hostile.Store(&bb)
		}
		sessions++
	}
	return sessions, nil
}

// write is the session's one TLS write of frame f, through its hostile
// behaviour when it has one. It runs on the session's writer goroutine.
func (s *session) write(f []byte) error {
	b := s.hostile.Load()
	if b == nil {
		_, err := s.conn.Write(f)
		return err
	}
	return s.writeHostile(b, f)
}

// isAnswer reports whether the frame f (as written to a session) answers one
// of that session's requests.
func isAnswer(t wire.Type) bool { return t == wire.TypeAMOPResponse || t == wire.TypeRPC }

func (s *session) writeHostile(b *Behaviour, f []byte) error {
	if len(f) < wire.HeaderLen { // injected raw bytes: not a frame to twist
		_, err := s.conn.Write(f)
		return err
	}
	typ := wire.Type(binary.BigEndian.Uint16(f[4:6]))
	// f may be shared with other sessions' queues (a multicast push): every
	// change is made on a copy.
	own := func() []byte { return append([]byte(nil), f...) }
	writes := func(ws ...[]byte) error {
		for _, w := range ws {
			if _, err := s.conn.Write(w); err != nil {
				return err
			}
		}
		return nil
	}
	switch b.Kind {
	case BadTopicLength:
		if (typ == wire.TypeAMOPRequest || typ == wire.TypeMulticast || typ == wire.TypeAMOPResponse) && len(f) > wire.HeaderLen {
			g := own()
			body := len(g) - wire.HeaderLen
			if body < 255 {
				g[wire.HeaderLen] = byte(body + 1) // one past the body
			} else {
				g[wire.HeaderLen] = 0
			}
			return writes(g)
		}
		return writes(f)
	case ShortLength, HugeLength:
		g := own()
		length := uint32(10)
		if b.Kind == HugeLength {
			length = 0xfffffff0
		}
		binary.BigEndian.PutUint32(g[0:4], length)
		return writes(g)
	case OneByteRecords:
		for i := range f {
			if err := writes(f[i : i+1]); err != nil {
				return err
			}
		}
		return nil
	case Coalesce:
		g, ok := s.q.pop(s.done, 100*time.Millisecond)
		if !ok {
			return writes(f)
		}
		defer s.q.release(g)
		s.net.stats.framesOut.Add(1)
		return writes(append(own(), g.b...))
	case UnknownType:
		seq := wire.NewSeq()
		junk := wire.Frame{Type: 0x99, Seq: seq, Body: []byte("unknown")}
		return writes(junk.Encode(), f)
	case UnknownSeq:
		if isAnswer(typ) {
			g := own()
			seq := wire.NewSeq()
			wire.SetSeq(g, &seq)
			return writes(g, f)
		}
		return writes(f)
	case DuplicateReplies:
		if isAnswer(typ) {
			return writes(f, f)
		}
		return writes(f)
	case LateReplies:
		if typ == wire.TypeAMOPResponse {
			s.writeLater(own(), b.Delay)
			return nil
		}
		return writes(f)
	case Silence:
		return nil
	}
	return writes(f)
}

// writeLater writes f after d on a goroutine of its own, which the session's
// end releases; a TLS Write is atomic against the writer goroutine's.
func (s *session) writeLater(f []byte, d time.Duration) {
	n := s.net
	s.spawn(func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.done:
			return
		}
		s.conn.SetWriteDeadline(time.Now().Add(n.opts.WriteTimeout))
		if _, err := s.conn.Write(f); err == nil {
			n.stats.framesOut.Add(1)
		}
	})
}
