package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func mustTopicFrame(t testing.TB, typ Type, topic string, data []byte) []byte {
	t.Helper()
	seq := NewSeq()
	raw, err := EncodeTopicFrame(typ, &seq, 0, topic, data)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestFrameRoundTrip(t *testing.T) {
	seq := NewSeq()
	f := Frame{Type: TypeAMOPRequest, Seq: seq, Result: -7, Body: []byte("hello")}
	raw := f.Encode()
	if len(raw) != HeaderLen+5 || binary.BigEndian.Uint32(raw) != uint32(HeaderLen+5) {
		t.Fatalf("bad length field: % x", raw[:4])
	}
	g, n, err := Decode(append(raw, 0xAA), 0)
	if err != nil || n != len(raw) {
		t.Fatalf("Decode = %v, %d", err, n)
	}
	if g.Type != f.Type || g.Seq != f.Seq || g.Result != f.Result || string(g.Body) != "hello" {
		t.Fatalf("got %+v, want %+v", g, f)
	}
	p, err := Parse(raw)
	if err != nil || p.Seq != seq {
		t.Fatalf("Parse = %+v, %v", p, err)
	}
	other := NewSeq()
	SetSeq(raw, &other)
	SetType(raw, TypeAMOPResponse)
	SetResult(raw, 104)
	p, _ = Parse(raw)
	if p.Seq != other || p.Type != TypeAMOPResponse || p.Result != 104 {
		t.Fatalf("in-place setters: %+v", p)
	}
}

func TestDecodeErrors(t *testing.T) {
	short := make([]byte, HeaderLen)
	binary.BigEndian.PutUint32(short, 41)
	long := make([]byte, HeaderLen)
	binary.BigEndian.PutUint32(long, 1001)
	tests := map[string]struct {
		in   []byte
		want error
	}{
		"empty":         {nil, ErrIncomplete},
		"three bytes":   {[]byte{0, 0, 0}, ErrIncomplete},
		"partial":       {[]byte{0, 0, 0, 50, 0, 0x30}, ErrIncomplete},
		"length 41":     {short, ErrTooShort},
		"length 0":      {make([]byte, 50), ErrTooShort},
		"over the max":  {long, ErrTooLong},
		"length 0xffff": {[]byte{0xff, 0xff, 0xff, 0xff}, ErrTooLong},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, n, err := Decode(tc.in, 1000)
			if !errors.Is(err, tc.want) || n != 0 {
				t.Fatalf("Decode = %d, %v; want %v", n, err, tc.want)
			}
		})
	}
	var we *Error
	_, _, err := Decode(long, 1000)
	if !errors.As(err, &we) || we.Length != 1001 || we.Limit != 1000 || !strings.Contains(err.Error(), "1001") {
		t.Fatalf("error lacks detail: %#v", err)
	}
}

func TestTopicCodec(t *testing.T) {
	raw := mustTopicFrame(t, TypeMulticast, "hello", []byte("payload"))
	f, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	topic, data, err := DecodeTopic(f.Body)
	if err != nil || string(topic) != "hello" || string(data) != "payload" {
		t.Fatalf("DecodeTopic = %q %q %v", topic, data, err)
	}
	if f.Body[0] != 6 {
		t.Fatalf("length byte = %d, want len(topic)+1 = 6", f.Body[0])
	}
	// A topic of exactly 254 bytes fits; 255 does not.
	if _, err := EncodeTopicFrame(TypeAMOPRequest, &ZeroSeq, 0, strings.Repeat("t", 254), nil); err != nil {
		t.Fatalf("254-byte topic: %v", err)
	}
	if _, err := EncodeTopicFrame(TypeAMOPRequest, &ZeroSeq, 0, strings.Repeat("t", 255), nil); !errors.Is(err, ErrTopicTooLong) {
		t.Fatalf("255-byte topic: %v", err)
	}
	bad := map[string]struct {
		body []byte
		want error
	}{
		"empty body":  {nil, ErrEmptyBody},
		"length 0":    {[]byte{0, 'a'}, ErrTopicLength},
		"overrun":     {[]byte{200, 'a'}, ErrTopicOverrun},
		"overrun one": {[]byte{3, 'a'}, ErrTopicOverrun},
	}
	for name, tc := range bad {
		if _, _, err := DecodeTopic(tc.body); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
	// Empty topic and empty data are legal at the wire level.
	if topic, data, err := DecodeTopic([]byte{1}); err != nil || len(topic) != 0 || len(data) != 0 {
		t.Fatalf("minimal body: %q %q %v", topic, data, err)
	}
}

func TestEncodeAllocatesOnce(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 1024)
	seq := NewSeq()
	f := Frame{Type: TypeAMOPRequest, Seq: seq, Body: data}
	if n := testing.AllocsPerRun(100, func() { _ = f.Encode() }); n != 1 {
		t.Errorf("Frame.Encode allocates %v times, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		_, _ = EncodeTopicFrame(TypeAMOPRequest, &seq, 0, "hello", data)
	}); n != 1 {
		t.Errorf("EncodeTopicFrame allocates %v times, want 1", n)
	}
}

// chunkReader returns its chunks one per Read, as TLS returns records.
type chunkReader struct{ chunks [][]byte }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	if n < len(c.chunks[0]) {
		c.chunks[0] = c.chunks[0][n:]
	} else {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

func TestReaderYieldsEveryBufferedFrame(t *testing.T) {
	a := mustTopicFrame(t, TypeAMOPRequest, "a", []byte("1"))
	b := mustTopicFrame(t, TypeAMOPRequest, "b", []byte("2"))
	c := mustTopicFrame(t, TypeMulticast, "c", []byte("3"))
	// Two and a half frames in the first record, the rest in the second.
	all := append(append(append([]byte{}, a...), b...), c...)
	cut := len(a) + len(b) + 10
	cr := &chunkReader{chunks: [][]byte{all[:cut], all[cut:]}}
	r := NewReader(cr, 0)
	for i, want := range [][]byte{a, b} {
		got, err := r.Next()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: %v", i, err)
		}
		if len(cr.chunks) != 1 {
			t.Fatalf("frame %d needed a second read; the reader must use what it has", i)
		}
	}
	got, err := r.Next()
	if err != nil || !bytes.Equal(got, c) {
		t.Fatalf("third frame: %v", err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

func TestReaderOneByteRecordsAndLargeFrames(t *testing.T) {
	big := mustTopicFrame(t, TypeAMOPRequest, "big", bytes.Repeat([]byte{0xAB}, 300<<10))
	small := mustTopicFrame(t, TypeAMOPResponse, "s", []byte("x"))
	stream := append(append(append([]byte{}, small...), big...), small...)
	for name, src := range map[string]io.Reader{
		"one byte": iotest.OneByteReader(bytes.NewReader(stream)),
		"half":     iotest.HalfReader(bytes.NewReader(stream)),
		"whole":    bytes.NewReader(stream),
	} {
		t.Run(name, func(t *testing.T) {
			r := NewReader(src, 0)
			for i, want := range [][]byte{small, big, small} {
				got, err := r.Next()
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("frame %d: len %d, %v", i, len(got), err)
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("at end: %v", err)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	ok := mustTopicFrame(t, TypeAMOPRequest, "t", nil)
	bad := make([]byte, HeaderLen)
	binary.BigEndian.PutUint32(bad, 10)
	r := NewReader(bytes.NewReader(append(append([]byte{}, ok...), bad...)), 0)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, ErrTooShort) {
		t.Fatalf("got %v, want ErrTooShort", err)
	}
	if _, err := r.Next(); !errors.Is(err, ErrTooShort) {
		t.Fatalf("error is not sticky: %v", err)
	}

	r = NewReader(bytes.NewReader(ok[:20]), 0)
	if _, err := r.Next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated: %v", err)
	}
	huge := make([]byte, 8)
	binary.BigEndian.PutUint32(huge, 2000)
	r = NewReader(bytes.NewReader(huge), 1000)
	if _, err := r.Next(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("over limit: %v", err)
	}
	// A large frame cut short.
	big := mustTopicFrame(t, TypeAMOPRequest, "t", make([]byte, 200<<10))
	r = NewReader(bytes.NewReader(big[:100<<10]), 0)
	if _, err := r.Next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated large: %v", err)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

// timeoutReader interleaves a timeout before every chunk.
type timeoutReader struct {
	chunks  [][]byte
	timeout bool
}

func (r *timeoutReader) Read(p []byte) (int, error) {
	r.timeout = !r.timeout
	if r.timeout {
		return 0, timeoutErr{}
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

func TestReaderTimeoutsAreNotSticky(t *testing.T) {
	small := mustTopicFrame(t, TypeAMOPRequest, "t", []byte("x"))
	big := mustTopicFrame(t, TypeAMOPRequest, "t", make([]byte, 100<<10))
	src := &timeoutReader{chunks: [][]byte{small[:5], small[5:], big[:70<<10], big[70<<10:]}}
	r := NewReader(src, 0)
	var got [][]byte
	for i := 0; i < 20 && len(got) < 2; i++ {
		raw, err := r.Next()
		if err != nil {
			if !isTimeout(err) {
				t.Fatalf("unexpected error: %v", err)
			}
			continue
		}
		got = append(got, raw)
	}
	if len(got) != 2 || !bytes.Equal(got[0], small) || !bytes.Equal(got[1], big) {
		t.Fatalf("got %d frames", len(got))
	}
}

func TestJSONMessages(t *testing.T) {
	h, err := DecodeHandshakeRequest([]byte(`{"minimumSupport":1,"maximumSupport":3,"clientType":"Go-SDK"}`))
	if err != nil || h.MaximumSupport != 3 || h.ClientType != "Go-SDK" {
		t.Fatalf("handshake: %+v %v", h, err)
	}
	for _, bad := range []string{``, `{`, `[]`, `{"minimumSupport":0,"maximumSupport":3}`, `{"minimumSupport":3,"maximumSupport":1}`, `{"minimumSupport":1,"maximumSupport":3} x`} {
		if _, err := DecodeHandshakeRequest([]byte(bad)); !errors.Is(err, ErrBadJSON) {
			t.Errorf("handshake %q: %v", bad, err)
		}
	}
	resp := EncodeHandshakeResponse(HandshakeResponse{NodeVersion: "2.9.0", Protocol: 3})
	if string(resp) != "{\"nodeVersion\":\"2.9.0\",\"protocol\":3}\n" {
		t.Fatalf("handshake response %q", resp)
	}
	if r, err := DecodeHandshakeResponse(resp); err != nil || r.Protocol != 3 {
		t.Fatalf("decode response: %+v %v", r, err)
	}
	topics, err := DecodeTopics([]byte(`["_block_notify_1","hello"]`))
	if err != nil || len(topics) != 2 {
		t.Fatalf("topics: %v %v", topics, err)
	}
	if topics, err := DecodeTopics(EncodeTopics(nil)); err != nil || len(topics) != 0 {
		t.Fatalf("empty topics: %v %v", topics, err)
	}
	for _, bad := range []string{`null`, `{"a":1}`, `[1]`, `["a"`, `["` + strings.Repeat("x", 255) + `"]`} {
		if _, err := DecodeTopics([]byte(bad)); err == nil {
			t.Errorf("topics %q accepted", bad)
		}
	}
	rpc, err := DecodeRPCRequest([]byte(`{"jsonrpc":"2.0","id":1,"method":"getClientVersion"}`))
	if err != nil || rpc.Method != "getClientVersion" || string(rpc.ID) != "1" {
		t.Fatalf("rpc: %+v %v", rpc, err)
	}
	if _, err := DecodeRPCRequest([]byte(`{"id":1}`)); err == nil {
		t.Fatal("rpc without method accepted")
	}
	if _, err := DecodeTopicStatus([]byte(`{"checkResult":2,"topic":"t"}`)); err == nil {
		t.Fatal("checkResult 2 accepted")
	}
	if v, err := DecodeVerifyRequest([]byte(`{"nodeId":"n","topic":"t","topicForCert":"c"}`)); err != nil || v.TopicForCert != "c" {
		t.Fatalf("verify: %+v %v", v, err)
	}
}

func TestSeq(t *testing.T) {
	a, b := NewSeq(), NewSeq()
	if a == b || a == ZeroSeq {
		t.Fatal("seqs collide")
	}
	for _, c := range a.String() {
		if !strings.ContainsRune("0123456789abcdef", c) {
			t.Fatalf("seq %q is not lowercase hex", a)
		}
	}
	if !TypeMulticast.Known() || Type(0x99).Known() || !strings.Contains(Type(0x99).String(), "0x99") {
		t.Fatal("Type.Known/String")
	}
}
