package local_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/FISCO-BCOS/crypto/tls"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// The socket-level fuzz: bytes streamed into a running node over TLS, cut
// into records at random points. The node must not panic (a panic in any
// of its goroutines ends the test binary), must close at most that session,
// and must keep serving a bystander session on the same node.

// sentinel is an honest session that stays open across the fuzz inputs.
type sentinel struct {
	conn *tls.Conn
	hb   chan wire.Seq // heartbeat answers
	done chan struct{}
	err  error
}

func newSentinel(tb testing.TB, n *local.Network, cfg *tls.Config) *sentinel {
	tb.Helper()
	conn, err := dialRawTLS(n.Addr(0), cfg)
	if err != nil {
		tb.Fatalf("sentinel dial: %v", err)
	}
	s := &sentinel{conn: conn, hb: make(chan wire.Seq, 16), done: make(chan struct{})}
	tb.Cleanup(func() {
		s.conn.Close()
		<-s.done
	})
	go s.readLoop()
	hs := wire.Frame{Type: wire.TypeHandshake, Seq: wire.NewSeq(), Body: []byte(`{"minimumSupport":1,"maximumSupport":3,"clientType":"sentinel"}`)}
	sub := wire.Frame{Type: wire.TypeSubscribe, Seq: wire.NewSeq(), Body: wire.EncodeTopics([]string{"s", "f"})}
	for _, f := range []wire.Frame{hs, sub} {
		if err := s.write(f.Encode()); err != nil {
			tb.Fatalf("sentinel: %v", err)
		}
	}
	return s
}

func (s *sentinel) write(b []byte) error {
	s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := s.conn.Write(b)
	return err
}

// readLoop answers unicast pushes (so that fuzz inputs that unicast to the
// sentinel's topics are answered at once) and hands heartbeat answers over.
func (s *sentinel) readLoop() {
	defer close(s.done)
	r := wire.NewReader(s.conn, 0)
	for {
		raw, err := r.Next()
		if err != nil {
			s.err = err
			return
		}
		f, err := wire.Parse(raw)
		if err != nil {
			s.err = err
			return
		}
		switch f.Type {
		case wire.TypeHeartbeat:
			select {
			case s.hb <- f.Seq:
			default:
			}
		case wire.TypeAMOPRequest:
			if topic, _, err := wire.DecodeTopic(f.Body); err == nil {
				if ans, err := wire.EncodeTopicFrame(wire.TypeAMOPResponse, &f.Seq, 0, string(topic), []byte("ok")); err == nil {
					_ = s.write(ans)
				}
			}
		}
	}
}

// alive fails t unless the node answers the sentinel's heartbeat within 5 s.
func (s *sentinel) alive(t testing.TB) {
	t.Helper()
	seq := wire.NewSeq()
	hb := wire.Frame{Type: wire.TypeHeartbeat, Seq: seq}
	if err := s.write(hb.Encode()); err != nil {
		t.Fatalf("the bystander session is gone: %v", err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case got := <-s.hb:
			if got == seq {
				return
			}
		case <-s.done:
			t.Fatalf("the node closed the bystander session: %v", s.err)
		case <-deadline:
			t.Fatal("the node stopped answering the bystander session")
		}
	}
}

// streamInto opens a session, writes prefix frames (by the bits of
// prefix: a handshake, a topic list) and then data cut at rng-chosen
// points, one TLS record per piece, and closes it. The node may close the
// session at any point: write errors are expected.
func streamInto(t testing.TB, n *local.Network, cfg *tls.Config, data []byte, seed uint64, prefix uint8) {
	t.Helper()
	conn, err := dialShort(n.Addr(0), cfg, 5*time.Second)
	if err != nil {
		t.Fatalf("the node refused a new session: %v", err)
	}
	defer conn.Close()
	var stream []byte
	if prefix&1 != 0 {
		hs := wire.Frame{Type: wire.TypeHandshake, Seq: wire.NewSeq(), Body: []byte(`{"minimumSupport":1,"maximumSupport":3,"clientType":"fuzz"}`)}
		stream = hs.AppendTo(stream)
	}
	if prefix&2 != 0 {
		sub := wire.Frame{Type: wire.TypeSubscribe, Seq: wire.NewSeq(), Body: wire.EncodeTopics([]string{"f", "g"})}
		stream = sub.AppendTo(stream)
	}
	stream = append(stream, data...)
	rng := rand.New(rand.NewPCG(seed, uint64(len(data))))
	for len(stream) > 0 {
		k := len(stream)
		if rng.IntN(4) != 0 {
			k = 1 + rng.IntN(len(stream))
		}
		conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := conn.Write(stream[:k]); err != nil {
			break // closed by the node
		}
		stream = stream[k:]
	}
	// Drain what the node answers for a moment, so that its writes are not
	// all cut by our close.
	conn.SetReadDeadline(time.Now().Add(time.Duration(prefix>>2&3) * time.Millisecond))
	buf := make([]byte, 4096)
	for {
		if _, err := conn.Read(buf); err != nil {
			break
		}
	}
}

// onlySentinel waits until the node holds only the sentinel's session.
func onlySentinel(t testing.TB, n *local.Network) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := n.Stats()
		if st.Sessions[0] == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node still holds %d sessions", st.Sessions[0])
		}
		time.Sleep(time.Millisecond)
	}
}

// frameSeeds are valid and nearly valid streams: every request type, topic
// bodies that lie, lengths at the limits, frames cut in the middle.
func frameSeeds() [][]byte {
	seq := wire.Seq{}
	copy(seq[:], "0123456789abcdef0123456789abcdef")
	frame := func(typ wire.Type, body []byte) []byte {
		f := wire.Frame{Type: typ, Seq: seq, Body: body}
		return f.Encode()
	}
	topic := func(typ wire.Type, t, d string) []byte {
		b, _ := wire.EncodeTopicFrame(typ, &seq, 0, t, []byte(d))
		return b
	}
	short := make([]byte, wire.HeaderLen)
	short[3] = 10
	huge := frame(wire.TypeAMOPRequest, nil)
	huge[0] = 0x7f
	return [][]byte{
		nil,
		frame(wire.TypeHeartbeat, nil),
		frame(wire.TypeRPC, []byte(`{"jsonrpc":"2.0","id":1,"method":"getClientVersion"}`)),
		frame(wire.TypeRPC, []byte(`{"jsonrpc":"2.0","id":2,"method":"getBlockNumber","params":[1]}`)),
		topic(wire.TypeAMOPRequest, "s", "to the sentinel"),
		topic(wire.TypeMulticast, "s", "to everyone"),
		topic(wire.TypeMulticast, "_block_notify_1", "reserved"),
		topic(wire.TypeAMOPResponse, "s", "unsolicited"),
		frame(wire.TypeAMOPRequest, []byte{200, 's'}),
		frame(wire.TypeMulticast, []byte{0}),
		frame(wire.TypeSubscribe, []byte(`["s",`)),
		frame(wire.TypeEventRegister, []byte(`{}`)),
		frame(wire.TypeTopicStatus, []byte(`{"checkResult":0,"topic":"#!$TopicNeedVerify_f"}`)),
		frame(wire.TypeVerifyRequest, []byte(`{}`)),
		frame(0x99, []byte("?")),
		short,
		huge,
		topic(wire.TypeMulticast, "f", "cut in the middle")[:30],
		append(topic(wire.TypeAMOPRequest, "g", "a"), topic(wire.TypeMulticast, "s", "b")...),
	}
}

func FuzzSessionStream(f *testing.F) {
	n := local.RunT(f, local.Options{Nodes: 1, MaxFrame: 1 << 20, PushTimeout: 200 * time.Millisecond})
	cfg := clientTLS(f, n.CertDir(), local.SDKCertFile, local.SDKKeyFile)
	s := newSentinel(f, n, cfg)
	// Resumed sessions skip the public-key handshake, which dominates an
	// input's cost once the fuzzer instruments the TLS fork.
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	for i, b := range frameSeeds() {
		f.Add(b, uint64(i), uint8(i%4))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, prefix uint8) {
		streamInto(t, n, cfg, data, seed, prefix)
		s.alive(t)
		onlySentinel(t, n)
	})
}

// TestSocketGarbage is the deterministic counterpart of FuzzSessionStream
// that plain `go test` runs: the seed streams, then 99 random ones
// (random bytes, random bytes after a valid handshake, and valid frames
// with one field scrambled), each cut at random points.
// AMOPTUI_FUZZ_SEED=N replays a run.
func TestSocketGarbage(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("AMOPTUI_FUZZ_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed = v
	}
	t.Logf("seed %d (AMOPTUI_FUZZ_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	n := local.RunT(t, local.Options{Nodes: 1, MaxFrame: 1 << 20, PushTimeout: 200 * time.Millisecond})
	cfg := clientTLS(t, n.CertDir(), local.SDKCertFile, local.SDKKeyFile)
	s := newSentinel(t, n, cfg)
	before := n.Stats()
	seeds := frameSeeds()
	inputs := append([][]byte(nil), seeds...)
	for i := 0; i < 99; i++ {
		var b []byte
		switch i % 3 {
		case 0:
			b = make([]byte, rng.IntN(400))
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
		case 1:
			b = append([]byte(nil), seeds[1+rng.IntN(len(seeds)-1)]...)
			if len(b) > 0 {
				b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			}
		default:
			for k := 1 + rng.IntN(4); k > 0; k-- {
				b = append(b, seeds[1+rng.IntN(len(seeds)-1)]...)
			}
		}
		inputs = append(inputs, b)
	}
	for i, b := range inputs {
		streamInto(t, n, cfg, b, rng.Uint64(), uint8(rng.IntN(16)))
		s.alive(t)
		onlySentinel(t, n)
		if t.Failed() {
			t.Fatalf("input %d: %q", i, b)
		}
	}
	after := n.Stats()
	if after.ClosedMalformed == before.ClosedMalformed {
		t.Error("no session was closed as malformed: the inputs did not reach the parser")
	}
	t.Logf("%d streams: %d sessions closed as malformed, %d frames read", len(inputs),
		after.ClosedMalformed-before.ClosedMalformed, after.FramesIn-before.FramesIn)
}
