package wire

import (
	"bytes"
	"errors"
	"testing"
)

// Fuzz targets for the decoders fuzz_test.go does not cover: Parse (every
// frame the guard and the nodes route goes through it) and the JSON bodies a
// node sends a client (handshake answer, private-topic verify request) or a
// client sends a node (topic status). Seeds: testdata/fuzz/<FuzzName>.

func FuzzParse(f *testing.F) {
	f.Add(mustTopicFrame(f, TypeMulticast, "t", []byte("x")))
	f.Add(make([]byte, HeaderLen))
	f.Fuzz(func(t *testing.T, raw []byte) {
		fr, err := Parse(raw)
		if err != nil {
			var we *Error
			if !errors.Is(err, ErrIncomplete) && !errors.As(err, &we) {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		if fr.Len() != len(raw) {
			t.Fatalf("frame of %d bytes from %d", fr.Len(), len(raw))
		}
		if !bytes.Equal(fr.Encode(), raw) {
			t.Fatal("re-encoding differs")
		}
		if d, n, err := Decode(raw, len(raw)); err != nil || n != len(raw) || d.Type != fr.Type || d.Seq != fr.Seq {
			t.Fatalf("Decode disagrees: n=%d %v", n, err)
		}
	})
}

func FuzzHandshakeResponse(f *testing.F) {
	f.Add([]byte("{\"nodeVersion\":\"2.9.0\",\"protocol\":3}\n"))
	f.Add([]byte(`{"protocol":0}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := DecodeHandshakeResponse(body)
		if err != nil {
			if !errors.Is(err, ErrBadJSON) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if h.Protocol < 1 {
			t.Fatalf("accepted protocol %d", h.Protocol)
		}
		again, err := DecodeHandshakeResponse(EncodeHandshakeResponse(h))
		if err != nil || again != h {
			t.Fatalf("round trip: %+v %v", again, err)
		}
	})
}

func FuzzVerifyRequest(f *testing.F) {
	f.Add([]byte(`{"nodeId":"n","topic":"#!$TopicNeedVerify_t","topicForCert":"#!$VerifyChannel_#!$TopicNeedVerify_t_1"}`))
	f.Add([]byte(`{"topic":"t"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := DecodeVerifyRequest(body)
		if err != nil {
			if !errors.Is(err, ErrBadJSON) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if v.Topic == "" || v.TopicForCert == "" {
			t.Fatalf("accepted %+v", v)
		}
	})
}

func FuzzTopicStatus(f *testing.F) {
	f.Add([]byte(`{"checkResult":0,"nodeId":"n","topic":"#!$TopicNeedVerify_t"}`))
	f.Add([]byte(`{"checkResult":2,"topic":"t"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := DecodeTopicStatus(body)
		if err != nil {
			if !errors.Is(err, ErrBadJSON) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if s.Topic == "" || s.CheckResult != 0 && s.CheckResult != 1 {
			t.Fatalf("accepted %+v", s)
		}
	})
}
