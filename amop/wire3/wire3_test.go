package wire3

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestMessageRoundTrip(t *testing.T) {
	m := Message{Type: TypeRequest, Status: -4008, Seq: strings.Repeat("a", SeqLen), Ext: ExtResponse, Payload: []byte("hello")}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != m.Len() {
		t.Fatalf("len %d, Len() %d", len(b), m.Len())
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != m.Type || got.Status != m.Status || got.Seq != m.Seq || got.Ext != m.Ext || !bytes.Equal(got.Payload, m.Payload) {
		t.Fatalf("got %+v, want %+v", got, m)
	}
}

// TestMessageBytes pins the layout against bytes written out by hand from
// WsMessage::encode.
func TestMessageBytes(t *testing.T) {
	m := Message{Version: 0, Type: TypeResponse, Status: 3001, Seq: "ab", Ext: 1, Payload: []byte{0xff}}
	b, _ := m.Encode()
	want := "0000" + "0113" + "0bb9" + "0002" + "6162" + "0001" + "ff"
	if hex.EncodeToString(b) != want {
		t.Fatalf("got %x, want %s", b, want)
	}
	neg := Message{Status: -4008}
	b, _ = neg.Encode()
	if hex.EncodeToString(b[4:6]) != "f058" {
		t.Fatalf("status -4008 encoded as %x", b[4:6])
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTooShort},
		{"nine bytes", make([]byte, 9), ErrTooShort},
		{"seq past end", []byte{0, 0, 1, 0x11, 0, 0, 0, 5, 'a', 'b', 'c', 'd'}, ErrSeqOverrun},
		{"no room for ext", []byte{0, 0, 1, 0x11, 0, 0, 0, 2, 'a', 'b', 0}, ErrSeqOverrun},
		{"max seq length", append([]byte{0, 0, 0, 0, 0, 0, 0xff, 0xff}, make([]byte, 100)...), ErrSeqOverrun},
	}
	for _, c := range cases {
		if _, err := Decode(c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// The shortest valid message: empty seq, ext, no payload.
	m, err := Decode(make([]byte, HeaderLen))
	if err != nil || m.Seq != "" || len(m.Payload) != 0 {
		t.Fatalf("10 zero bytes: %+v, %v", m, err)
	}
}

func TestSeqTooLong(t *testing.T) {
	m := Message{Seq: strings.Repeat("s", 0x10000)}
	if _, err := m.Encode(); err == nil {
		t.Fatal("a 65536-byte seq encoded")
	}
}

func TestRequestRoundTrip(t *testing.T) {
	r := Request{Topic: "订单", Data: []byte{0, 1, 2}}
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := "00000000" + "0006" + hex.EncodeToString([]byte("订单")) + "000102"
	if hex.EncodeToString(b) != want {
		t.Fatalf("got %x, want %s", b, want)
	}
	got, err := DecodeRequest(b)
	if err != nil || got.Topic != r.Topic || !bytes.Equal(got.Data, r.Data) {
		t.Fatalf("got %+v, %v", got, err)
	}
	empty, err := DecodeRequest([]byte{0, 0, 0, 0, 0, 0})
	if err != nil || empty.Topic != "" || len(empty.Data) != 0 {
		t.Fatalf("empty request: %+v, %v", empty, err)
	}
}

func TestRequestErrors(t *testing.T) {
	for _, in := range [][]byte{nil, {0}, {0, 0, 0, 0, 0}} {
		if _, err := DecodeRequest(in); !errors.Is(err, ErrRequestShort) {
			t.Errorf("%x: got %v", in, err)
		}
	}
	if _, err := DecodeRequest([]byte{0, 0, 0, 0, 0, 3, 'a', 'b'}); !errors.Is(err, ErrTopicOverrun) {
		t.Errorf("overrun: got %v", err)
	}
	long := Request{Topic: strings.Repeat("t", MaxTopic+1)}
	if _, err := long.Encode(); err == nil {
		t.Error("a 65536-byte topic encoded")
	}
}

func TestHandshakeRequest(t *testing.T) {
	b := NewHandshakeRequest().Encode()
	if string(b) != `{"minVersion":0,"maxVersion":2,"moduleID":2}`+"\n" {
		t.Fatalf("encoded %q", b)
	}
	h, err := DecodeHandshakeRequest(b)
	if err != nil || h != NewHandshakeRequest() {
		t.Fatalf("%+v %v", h, err)
	}
	if h, err := DecodeHandshakeRequest([]byte(`{}`)); err != nil || h != (HandshakeRequest{}) {
		t.Fatalf("empty object: %+v %v", h, err)
	}
	for _, bad := range []string{`[]`, `null`, `{"moduleID":4}`, `{"minVersion":-1}`, `{"maxVersion":"2"}`, `{"maxVersion":1.5}`, `nope`} {
		if _, err := DecodeHandshakeRequest([]byte(bad)); !errors.Is(err, ErrBadJSON) {
			t.Errorf("%s: got %v", bad, err)
		}
	}
}

func TestHandshakeResponse(t *testing.T) {
	ini := `{"binaryInfo":{"version":"3.16.4"},"chainID":"chain0","groupID":"group0","smCryptoType":true}`
	h := HandshakeResponse{ProtocolVersion: 2, GroupInfoList: []GroupInfo{{ChainID: "chain0", GroupID: "group0",
		NodeList: []NodeInfo{{Name: "node0", IniConfig: ini}}}}, GroupBlockNumber: []map[string]int{{"group0": 7}}}
	got, err := DecodeHandshakeResponse(h.Encode())
	if err != nil {
		t.Fatal(err)
	}
	s := got.Summary()
	if s != (Summary{Chain: "chain0", Group: "group0", Version: "3.16.4", SM: true, Groups: 1}) {
		t.Fatalf("summary %+v", s)
	}
	if s := (HandshakeResponse{}).Summary(); s != (Summary{}) {
		t.Fatalf("empty summary %+v", s)
	}
	for _, bad := range []string{`{}`, `{"protocolVersion":"2"}`, `{"protocolVersion":9}`, `[1]`, `{"protocolVersion":2,"groupInfoList":{}}`} {
		if _, err := DecodeHandshakeResponse([]byte(bad)); !errors.Is(err, ErrBadJSON) {
			t.Errorf("%s: got %v", bad, err)
		}
	}
}

func TestTopics(t *testing.T) {
	b := Topics{Topics: []string{"a<b", "c"}}.Encode()
	if string(b) != `{"topics":["a<b","c"]}`+"\n" {
		t.Fatalf("encoded %q", b)
	}
	if string(Topics{}.Encode()) != `{"topics":[]}`+"\n" {
		t.Fatal("an empty list must encode as []")
	}
	got, err := DecodeTopics(b)
	if err != nil || len(got.Topics) != 2 || got.Topics[0] != "a<b" {
		t.Fatalf("%+v %v", got, err)
	}
	if got, err := DecodeTopics([]byte(`{}`)); err != nil || len(got.Topics) != 0 {
		t.Fatalf("{}: %+v %v", got, err)
	}
	for _, bad := range []string{`{"topics":[1]}`, `{"topics":"a"}`, `[]`, `x`} {
		if _, err := DecodeTopics([]byte(bad)); !errors.Is(err, ErrBadJSON) {
			t.Errorf("%s: got %v", bad, err)
		}
	}
}

func TestTypeAndCodes(t *testing.T) {
	if TypeRequest.String() != "amop-request" || Type(0x999).String() != "type(0x999)" {
		t.Fatal("Type.String")
	}
	if !IsWsCode(CodeWsTimeout) || IsWsCode(CodeNoPeer) || IsWsCode(-3999) || IsWsCode(-4014) {
		t.Fatal("IsWsCode")
	}
	e := &Error{Kind: KindTopicOverrun, Length: 9, Limit: 2}
	if !strings.Contains(e.Error(), "9") || errors.Is(e, ErrTooShort) {
		t.Fatal("Error")
	}
}
