// Package transcript records a session's events as JSON lines: one JSON
// object per line, appended as each event happens, so that a transcript is
// evidence of what was sent, received and answered, and survives a crash.
// /save in the UI writes the same records (WriteAll), and Read reads both.
//
// # Format
//
// Each line is one object. Fields are omitted when they do not apply:
//
//	time            RFC 3339 with milliseconds, "2026-11-25T21:21:50.123+08:00"
//	kind            "sent" | "result" | "received" | "state" | "drop" | "error"
//	id              links a "result" to its "sent" (same id), > 0
//	topic, mode     the AMOP topic; "unicast" or "multicast"
//	size            payload size in bytes (sent, received)
//	data            the payload: UTF-8 text as is; otherwise base64 and
//	encoding        "base64" (absent for text)
//	cut             true when data is only the first bytes of the size-byte
//	                payload: /save of a pane that could not keep it whole
//	                (a transcript written as events happen is never cut)
//	ok              result: whether the send succeeded
//	reply           result: the unicast reply; received: the auto-reply sent
//	reply_encoding  "base64" when reply is not UTF-8
//	reply_cut       true when reply is only the first bytes of the reply,
//	reply_size      which has reply_size bytes (as cut, for /save)
//	replied         received: an auto-reply was sent
//	private         on a private (authenticated) topic: sent, result, received
//	rtt_ms          result: round-trip time in milliseconds (µs precision)
//	error, code     plain-language error text; the AMOP status code if any
//	state, node     state: the connection state and the node endpoint
//	attempt         state: the reconnect attempt
//	dropped, total  drop: messages lost since the last drop record, and ever
//	text            free text: "re-subscribed 3 topics", the /save pane…
//
// Example:
//
//	{"time":"2026-11-25T21:21:52.004+08:00","kind":"sent","id":7,"topic":"hello","mode":"unicast","size":4,"data":"ping"}
//	{"time":"2026-11-25T21:21:52.006+08:00","kind":"result","id":7,"topic":"hello","mode":"unicast","ok":true,"reply":"pong","rtt_ms":1.834}
package transcript

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// Kind is the kind of event a Record holds.
type Kind string

// The kinds of records.
const (
	KindSent     Kind = "sent"     // a message was sent (before its result)
	KindResult   Kind = "result"   // the outcome of a send: reply/accepted or error
	KindReceived Kind = "received" // a message arrived on a joined topic
	KindState    Kind = "state"    // the connection state changed
	KindDrop     Kind = "drop"     // messages were lost (slow consumer)
	KindError    Kind = "error"    // any other failure worth keeping
)

// TimeLayout is how Record.Time is written: RFC 3339 with milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Record is one event. See the package documentation for the JSON form;
// Record implements json.Marshaler and json.Unmarshaler with it.
type Record struct {
	Time  time.Time // when it happened; Writer.Write fills in a zero Time
	Kind  Kind
	ID    uint64 // links a result to its send; 0 = none
	Topic string
	Mode  string // "unicast" or "multicast"
	// Size is the payload size; when Data is not nil, it is len(Data) on
	// output whatever Size says.
	Size int
	Data []byte // the payload; nil = none, empty = an empty payload
	// Cut says Data is only the first bytes of the Size-byte payload (a
	// pane's /save of a payload it did not keep whole).
	Cut   bool
	OK    bool   // result: the send succeeded
	Reply []byte // result: the reply; received: the auto-reply sent
	// ReplyCut says Reply is only the first bytes of a reply of
	// ReplySize bytes.
	ReplyCut  bool
	ReplySize int
	Replied   bool // received: an auto-reply was sent
	Private   bool // on a private (authenticated) topic
	RTT       time.Duration
	Error     string // plain text, already meant for people
	Code      int    // AMOP status code of the error, 0 = none
	State     string
	Node      string
	Attempt   int
	Dropped   uint64
	Total     uint64
	Text      string
}

// encodingBase64 is the value of "encoding" for a non-UTF-8 payload.
const encodingBase64 = "base64"

// wire is the JSON form of a Record.
type wire struct {
	Time          string   `json:"time"`
	Kind          Kind     `json:"kind"`
	ID            uint64   `json:"id,omitempty"`
	Topic         string   `json:"topic,omitempty"`
	Mode          string   `json:"mode,omitempty"`
	Size          *int     `json:"size,omitempty"`
	Data          *string  `json:"data,omitempty"`
	Encoding      string   `json:"encoding,omitempty"`
	Cut           bool     `json:"cut,omitempty"`
	OK            *bool    `json:"ok,omitempty"`
	Reply         *string  `json:"reply,omitempty"`
	ReplyEncoding string   `json:"reply_encoding,omitempty"`
	ReplyCut      bool     `json:"reply_cut,omitempty"`
	ReplySize     *int     `json:"reply_size,omitempty"`
	Replied       bool     `json:"replied,omitempty"`
	Private       bool     `json:"private,omitempty"`
	RTTMillis     *float64 `json:"rtt_ms,omitempty"`
	Error         string   `json:"error,omitempty"`
	Code          int      `json:"code,omitempty"`
	State         string   `json:"state,omitempty"`
	Node          string   `json:"node,omitempty"`
	Attempt       int      `json:"attempt,omitempty"`
	Dropped       uint64   `json:"dropped,omitempty"`
	Total         uint64   `json:"total,omitempty"`
	Text          string   `json:"text,omitempty"`
}

// MarshalJSON writes r in the transcript's JSON form, on one line.
func (r Record) MarshalJSON() ([]byte, error) {
	w := wire{
		Time:    r.Time.Format(TimeLayout),
		Kind:    r.Kind,
		ID:      r.ID,
		Topic:   r.Topic,
		Mode:    r.Mode,
		Replied: r.Replied,
		Private: r.Private,
		Error:   r.Error,
		Code:    r.Code,
		State:   r.State,
		Node:    r.Node,
		Attempt: r.Attempt,
		Dropped: r.Dropped,
		Total:   r.Total,
		Text:    r.Text,
	}
	if r.Data != nil {
		size := len(r.Data)
		if r.Cut && r.Size > size {
			size, w.Cut = r.Size, true
		}
		w.Size = &size
		w.Data, w.Encoding = encodePayload(r.Data)
	} else if r.Size > 0 {
		w.Size = &r.Size
	}
	if r.Reply != nil {
		w.Reply, w.ReplyEncoding = encodePayload(r.Reply)
		if r.ReplyCut && r.ReplySize > len(r.Reply) {
			w.ReplyCut, w.ReplySize = true, &r.ReplySize
		}
	}
	if r.Kind == KindResult {
		w.OK = &r.OK
	}
	if r.RTT > 0 {
		ms := float64(r.RTT.Microseconds()) / 1000
		w.RTTMillis = &ms
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <, > and & readable in payloads
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("transcript: encode record: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encodePayload returns b as JSON text when it is UTF-8, else as base64
// with its encoding name, so that every byte survives the round trip.
func encodePayload(b []byte) (*string, string) {
	if utf8.Valid(b) {
		s := string(b)
		return &s, ""
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s, encodingBase64
}

// UnmarshalJSON reads the transcript's JSON form. Unknown fields are
// ignored, so that older readers accept newer transcripts.
func (r *Record) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return fmt.Errorf("transcript: bad time %q", w.Time)
	}
	if w.Kind == "" {
		return errors.New("transcript: record without kind")
	}
	data, err := decodePayload(w.Data, w.Encoding)
	if err != nil {
		return fmt.Errorf("transcript: data: %w", err)
	}
	reply, err := decodePayload(w.Reply, w.ReplyEncoding)
	if err != nil {
		return fmt.Errorf("transcript: reply: %w", err)
	}
	*r = Record{
		Time: t, Kind: w.Kind, ID: w.ID, Topic: w.Topic, Mode: w.Mode,
		Data: data, Cut: w.Cut, Reply: reply, ReplyCut: w.ReplyCut, Replied: w.Replied, Private: w.Private,
		Error: w.Error, Code: w.Code, State: w.State, Node: w.Node,
		Attempt: w.Attempt, Dropped: w.Dropped, Total: w.Total, Text: w.Text,
	}
	if w.Size != nil {
		r.Size = *w.Size
	}
	if w.ReplySize != nil {
		r.ReplySize = *w.ReplySize
	}
	if w.OK != nil {
		r.OK = *w.OK
	}
	if w.RTTMillis != nil {
		ms := *w.RTTMillis
		if ms < 0 || math.IsNaN(ms) || ms > float64(math.MaxInt64/int64(time.Millisecond)) {
			return fmt.Errorf("transcript: bad rtt_ms %v", ms)
		}
		r.RTT = time.Duration(math.Round(ms*1000)) * time.Microsecond
	}
	return nil
}

// decodePayload reverses encodePayload; nil stays nil.
func decodePayload(s *string, encoding string) ([]byte, error) {
	switch {
	case s == nil && encoding == "":
		return nil, nil
	case s == nil:
		return nil, fmt.Errorf("encoding %q without a value", encoding)
	case encoding == "":
		return []byte(*s), nil
	case encoding == encodingBase64:
		return base64.StdEncoding.DecodeString(*s)
	}
	return nil, fmt.Errorf("unknown encoding %q", encoding)
}
