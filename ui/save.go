package ui

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"time"
	"unicode/utf8"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/ui/topicpane"
)

// WriteJSONLines is the default SaveFunc: one JSON object per line.
func WriteJSONLines(path, topic string, entries []topicpane.Entry) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	n := 0
	for _, e := range entries {
		if err := enc.Encode(entryJSON(topic, e)); err != nil {
			f.Close()
			return n, err
		}
		n++
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return n, err
	}
	return n, f.Close()
}

type jsonLine struct {
	Time     string  `json:"time"`
	Kind     string  `json:"kind"`
	Topic    string  `json:"topic"`
	Mode     string  `json:"mode,omitempty"`
	Size     int     `json:"size"`
	Data     string  `json:"data,omitempty"`
	Encoding string  `json:"encoding,omitempty"`
	Reply    *string `json:"reply,omitempty"`
	Status   string  `json:"status,omitempty"`
	Error    string  `json:"error,omitempty"`
	RTTms    float64 `json:"rtt_ms,omitempty"`
}

func entryJSON(topic string, e topicpane.Entry) jsonLine {
	l := jsonLine{Time: e.At.Format(time.RFC3339Nano), Topic: topic, Size: len(e.Data)}
	l.Data, l.Encoding = textOrBase64(e.Data)
	switch e.Kind {
	case topicpane.KindReceived:
		l.Kind, l.Mode = "received", e.Mode.String()
		if e.Replied {
			r, _ := textOrBase64(e.Reply)
			l.Reply = &r
		}
	case topicpane.KindSent:
		l.Kind, l.Mode = "sent", e.Mode.String()
		switch e.Status {
		case topicpane.StatusPending:
			l.Status = "pending"
		case topicpane.StatusOK:
			l.Status = "ok"
			if e.Mode == amop.Unicast {
				r, _ := textOrBase64(e.Reply)
				l.Reply = &r
			}
		case topicpane.StatusFailed:
			l.Status = "failed"
			if e.Err != nil {
				l.Error = e.Err.Error()
			}
		}
		l.RTTms = float64(e.RTT.Microseconds()) / 1000
	case topicpane.KindError:
		l.Kind = "error"
	default:
		l.Kind = "note"
	}
	return l
}

func textOrBase64(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}
