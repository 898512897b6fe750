// Package replay re-sends recorded messages with their original spacing:
// `amoptui pub --replay FILE` turns a transcript (--transcript), a pane
// saved with /save, a `sub --json` recording or a `pub --json` log into
// the same traffic again, so that a recorded bug becomes a reproducible one.
package replay

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/transcript"
	"github.com/amoptui/amoptui/userfile"
)

// Message is one message to send again.
type Message struct {
	At      time.Time // when it was recorded
	Topic   string
	Mode    amop.Mode
	Data    []byte
	Private bool // on a private (authenticated) topic
	Line    int  // where it is in the file, for reports
}

// Select chooses which recorded messages are replayed.
type Select uint8

// The selections.
const (
	// SelectAuto replays what was sent when the file has sent messages (a
	// transcript, a /save of a publisher's pane, a pub --json log), else
	// what was received (a sub --json recording, a subscriber's transcript).
	SelectAuto Select = iota
	SelectSent
	SelectReceived
)

// ParseSelect reads "auto", "sent" or "received".
func ParseSelect(s string) (Select, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return SelectAuto, nil
	case "sent", "send":
		return SelectSent, nil
	case "received", "recv":
		return SelectReceived, nil
	}
	return SelectAuto, fmt.Errorf("%q: want auto, sent or received", s)
}

// MaxLine is the longest line Load reads (a payload of the adapter's 8 MiB
// limit, base64-encoded, with room for the rest of the record).
const MaxLine = 12 << 20

// FileLimit is the largest recording LoadFile reads: replay holds every
// message of it in memory before the first is sent. A transcript of a long
// session with large payloads can pass it; cut it with split -l first.
var FileLimit = userfile.Limit{Max: 1 << 30, What: "a recording to replay"}

// cutAdvice says where whole payloads are kept.
const cutAdvice = "a --transcript or sub --json recording holds payloads whole"

// line is any of the recorded shapes: a transcript record (kind), a
// sub --json line (no kind, no ok) or a pub --json line (no kind, ok).
type line struct {
	Time     string          `json:"time"`
	Kind     transcript.Kind `json:"kind"`
	Topic    string          `json:"topic"`
	Mode     string          `json:"mode"`
	Data     *string         `json:"data"`
	Encoding string          `json:"encoding"`
	Cut      bool            `json:"cut"`  // data is only the payload's head (a pane's /save)
	Size     int             `json:"size"` // the whole payload's size
	Private  bool            `json:"private"`
	OK       *bool           `json:"ok"`
}

// Skipped counts the lines Load passed over, with the first reason.
type Skipped struct {
	Lines int
	First string // "line 7: not JSON", for the report
	// Cut counts the messages a pane's /save kept only the head of: read,
	// but not replayed (the head is not the message). They are not in
	// Lines: the file is fine, the messages are missing.
	Cut int
}

// LoadFile is Load of a file; errors name it.
func LoadFile(path string, sel Select) ([]Message, Skipped, error) {
	f, err := userfile.Open(path, FileLimit)
	if err != nil {
		return nil, Skipped{}, err
	}
	defer f.Close()
	msgs, sk, err := Load(f, sel)
	var ue *userfile.Error
	if errors.As(err, &ue) {
		return nil, sk, err // names the file already
	}
	if err != nil {
		return nil, sk, fmt.Errorf("%s: %w", path, err)
	}
	return msgs, sk, nil
}

// Load reads the messages of a recording. Lines that are not messages
// (states, results, drops, notes) are ignored; lines that cannot be read
// (a torn last line after a crash, garbage) are skipped and counted. A
// recording without a single message to replay is an error.
func Load(r io.Reader, sel Select) ([]Message, Skipped, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	var sent, received []Message
	var sk Skipped
	skip := func(n int, why string) {
		sk.Lines++
		if sk.First == "" {
			sk.First = fmt.Sprintf("line %d: %s", n, why)
		}
	}
	for n := 1; sc.Scan(); n++ {
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(b, &l); err != nil {
			skip(n, "not a JSON object")
			continue
		}
		isSent := l.Kind == transcript.KindSent || (l.Kind == "" && l.OK != nil)
		isRecv := l.Kind == transcript.KindReceived || (l.Kind == "" && l.OK == nil)
		if !isSent && !isRecv {
			continue // a result, a state change, a note
		}
		if l.Cut && ((isSent && sel != SelectReceived) || (isRecv && sel != SelectSent)) {
			sk.Cut++
			continue
		}
		m, err := l.message(n)
		if err != nil {
			skip(n, err.Error())
			continue
		}
		if isSent {
			sent = append(sent, m)
		} else {
			received = append(received, m)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, sk, fmt.Errorf("a line is longer than %d bytes", MaxLine)
		}
		return nil, sk, err
	}
	var out []Message
	switch sel {
	case SelectSent:
		out = sent
	case SelectReceived:
		out = received
	default:
		out = sent
		if len(out) == 0 {
			out = received
		}
	}
	if len(out) == 0 {
		what := "messages"
		switch sel {
		case SelectSent:
			what = "sent messages"
		case SelectReceived:
			what = "received messages"
		}
		msg := "no " + what + " to replay"
		if sk.Cut > 0 {
			msg += fmt.Sprintf(" (%d saved cut by /save, only their heads kept: %s)", sk.Cut, cutAdvice)
		}
		if sk.Lines > 0 {
			msg += fmt.Sprintf(" (%s skipped; %s)", lines(sk.Lines), sk.First)
		}
		return nil, sk, errors.New(msg)
	}
	return out, sk, nil
}

// message checks one recorded message.
func (l line) message(n int) (Message, error) {
	at, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return Message{}, fmt.Errorf("bad time %q", l.Time)
	}
	if err := amop.ValidateTopic(l.Topic); err != nil {
		return Message{}, err
	}
	if l.Cut {
		// Sending the head as if it were the message would be a lie.
		return Message{}, fmt.Errorf("the payload was saved cut (%d bytes, only its head kept by the pane); %s", l.Size, cutAdvice)
	}
	mode := amop.Unicast
	if l.Mode != "" {
		if mode, err = amop.ParseMode(l.Mode); err != nil {
			return Message{}, err
		}
	}
	var data []byte
	switch {
	case l.Data == nil:
		data = []byte{} // an empty payload is recorded without data
	case l.Encoding == "":
		data = []byte(*l.Data)
	case l.Encoding == "base64":
		if data, err = base64.StdEncoding.DecodeString(*l.Data); err != nil {
			return Message{}, fmt.Errorf("data is not base64: %v", err)
		}
	default:
		return Message{}, fmt.Errorf("unknown encoding %q", l.Encoding)
	}
	return Message{At: at, Topic: l.Topic, Mode: mode, Data: data, Private: l.Private, Line: n}, nil
}

// lines is "1 line", "2 lines".
func lines(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}
