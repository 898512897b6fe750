package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// The seed corpora live in testdata/fuzz/<FuzzName>; plain `go test` replays
// them, `go test -fuzz=FuzzName` explores from them.

func FuzzDecode(f *testing.F) {
	f.Add(mustTopicFrame(f, TypeAMOPRequest, "hello", []byte("hi")))
	f.Add([]byte{0, 0, 0, 10})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0x30})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, n, err := Decode(b, 1<<20)
		if err != nil {
			if n != 0 {
				t.Fatalf("error with n=%d", n)
			}
			var we *Error
			if !errors.Is(err, ErrIncomplete) && !errors.As(err, &we) {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		if n < HeaderLen || n > len(b) || fr.Len() != n {
			t.Fatalf("n=%d len=%d frame len=%d", n, len(b), fr.Len())
		}
		if re := fr.Encode(); !bytes.Equal(re, b[:n]) {
			t.Fatal("re-encoding differs")
		}
	})
}

func FuzzDecodeTopic(f *testing.F) {
	f.Add([]byte{6, 'h', 'e', 'l', 'l', 'o', 'x'})
	f.Add([]byte{0})
	f.Add([]byte{255, 'a'})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, body []byte) {
		topic, data, err := DecodeTopic(body)
		if err != nil {
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		if 1+len(topic)+len(data) != len(body) || int(body[0]) != len(topic)+1 {
			t.Fatalf("split %d+%d of %d", len(topic), len(data), len(body))
		}
		re, err := AppendTopicBody(nil, string(topic), data)
		if err != nil || !bytes.Equal(re, body) {
			t.Fatalf("re-encoding differs: %v", err)
		}
	})
}

// FuzzReader feeds a byte stream cut into records at fuzzer-chosen points and
// checks that the reader returns exactly the frames Decode finds, in order.
func FuzzReader(f *testing.F) {
	a := mustTopicFrame(f, TypeAMOPRequest, "a", []byte("one"))
	b := mustTopicFrame(f, TypeMulticast, "b", []byte("two"))
	f.Add(append(append([]byte{}, a...), b...), uint16(7))
	f.Add(append(append([]byte{}, a...), 0, 0, 0, 1), uint16(1))
	f.Fuzz(func(t *testing.T, stream []byte, cut uint16) {
		var want [][]byte
		rest := stream
		var wantErr error
		for {
			_, n, err := Decode(rest, 1<<16)
			if err != nil {
				wantErr = err
				break
			}
			want = append(want, rest[:n])
			rest = rest[n:]
		}
		step := int(cut%64) + 1
		var chunks [][]byte
		for i := 0; i < len(stream); i += step {
			chunks = append(chunks, stream[i:min(i+step, len(stream))])
		}
		r := NewReader(&chunkReader{chunks: chunks}, 1<<16)
		for i, w := range want {
			got, err := r.Next()
			if err != nil || !bytes.Equal(got, w) {
				t.Fatalf("frame %d: %v", i, err)
			}
		}
		_, err := r.Next()
		switch {
		case errors.Is(wantErr, ErrIncomplete):
			if len(rest) == 0 && err != io.EOF || len(rest) > 0 && err != io.ErrUnexpectedEOF {
				t.Fatalf("at end with %d bytes left: %v", len(rest), err)
			}
		default:
			if !errors.Is(err, wantErr) {
				t.Fatalf("got %v, want %v", err, wantErr)
			}
		}
	})
}

func FuzzHandshakeRequest(f *testing.F) {
	f.Add([]byte(`{"minimumSupport":1,"maximumSupport":3,"clientType":"Go-SDK"}`))
	f.Add([]byte(`{"minimumSupport":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := DecodeHandshakeRequest(body)
		if err != nil {
			if !errors.Is(err, ErrBadJSON) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if h.MinimumSupport < 1 || h.MaximumSupport < h.MinimumSupport {
			t.Fatalf("accepted range %d..%d", h.MinimumSupport, h.MaximumSupport)
		}
	})
}

func FuzzDecodeTopics(f *testing.F) {
	f.Add([]byte(`["_block_notify_1","hello"]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		topics, err := DecodeTopics(body)
		if err != nil {
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		for _, tp := range topics {
			if len(tp) > MaxTopicLen {
				t.Fatalf("accepted a %d-byte topic", len(tp))
			}
		}
		again, err := DecodeTopics(EncodeTopics(topics))
		if err != nil || len(again) != len(topics) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzRPCRequest(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"getClientVersion"}`))
	f.Add([]byte(`{"id":"x","method":"m","params":[1]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRPCRequest(body)
		if err == nil && (r.Method == "" || len(r.ID) == 0) {
			t.Fatalf("accepted %+v", r)
		}
	})
}
