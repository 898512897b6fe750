package wire3

import (
	"bytes"
	"testing"
)

// The seed corpora live in testdata/fuzz/<Target>: valid messages of every
// type, the node's error answers, truncations at each field boundary, and
// the shapes the C++ decoder mishandles (a seq or topic length past the end).

// FuzzDecode: Decode never panics, and what it accepts re-encodes to the
// same bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0x11, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		out, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded %x but cannot re-encode: %v", b, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip: %x → %+v → %x", b, m, out)
		}
	})
}

// FuzzDecodeRequest: the same for AMOPRequest bodies, and a message
// carrying one decodes to the same request.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 1, 't', 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			return
		}
		out, err := r.Encode()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip: %x → %+v → %x (%v)", b, r, out, err)
		}
		m := Message{Type: TypeRequest, Seq: "s", Payload: out}
		enc, _ := m.Encode()
		back, err := Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := DecodeRequest(back.Payload)
		if err != nil || r2.Topic != r.Topic || !bytes.Equal(r2.Data, r.Data) {
			t.Fatalf("through a message: %+v, %v", r2, err)
		}
	})
}

// FuzzHandshakeResponse: decoding and summarising never panic; an accepted
// answer survives a round trip with the same summary.
func FuzzHandshakeResponse(f *testing.F) {
	f.Add([]byte(`{"protocolVersion":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHandshakeResponse(b)
		if err != nil {
			return
		}
		s := h.Summary()
		h2, err := DecodeHandshakeResponse(h.Encode())
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if h2.Summary() != s {
			t.Fatalf("summary changed: %+v → %+v", s, h2.Summary())
		}
	})
}

// FuzzHandshakeRequest: never panics; accepted requests round-trip.
func FuzzHandshakeRequest(f *testing.F) {
	f.Add([]byte(`{"minVersion":0,"maxVersion":2,"moduleID":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHandshakeRequest(b)
		if err != nil {
			return
		}
		if h.ModuleID > MaxModule {
			t.Fatalf("accepted module %d", h.ModuleID)
		}
		h2, err := DecodeHandshakeRequest(h.Encode())
		if err != nil || h2 != h {
			t.Fatalf("round trip %+v → %+v (%v)", h, h2, err)
		}
	})
}

// FuzzDecodeTopics: never panics; accepted lists round-trip.
func FuzzDecodeTopics(f *testing.F) {
	f.Add([]byte(`{"topics":["hello"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeTopics(b)
		if err != nil {
			return
		}
		l2, err := DecodeTopics(l.Encode())
		if err != nil || len(l2.Topics) != len(l.Topics) {
			t.Fatalf("round trip %q → %q (%v)", l.Topics, l2.Topics, err)
		}
		for i := range l.Topics {
			// encoding/json replaces invalid UTF-8 with U+FFFD, so compare
			// what survives one more trip.
			l3, _ := DecodeTopics(l2.Encode())
			if l3.Topics[i] != l2.Topics[i] {
				t.Fatalf("topic %d unstable: %q → %q", i, l2.Topics[i], l3.Topics[i])
			}
		}
	})
}
