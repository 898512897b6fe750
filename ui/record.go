package ui

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/transcript"
	"github.com/amoptui/amoptui/ui/topicpane"
)

// sendGrace is how long after a send's own deadline the UI gives up on it
// (see sendExpiredMsg).
const sendGrace = 2 * time.Second

var zeroTime time.Time

// Transcript receives every event of the session (sent, result, received
// with the auto-reply, state changes, drops, errors) as it happens.
// *transcript.Writer implements it. The UI calls Write from a goroutine of
// its own, one record at a time and in order, never inside Update; it
// never closes the transcript.
type Transcript interface {
	Write(r transcript.Record) error
}

// recordQueue is how many records may wait for the transcript before new
// ones are counted as lost rather than slowing the UI down, and
// recordQueueBytes how many bytes of payloads and replies they may hold
// (an empty queue takes any one record): the transcript records every
// byte of every payload, and 8192 waiting 16 MiB messages would be
// 128 GiB. A writer to a disk keeps far ahead of what go-sdk can decode.
const (
	recordQueue      = 8192
	recordQueueBytes = 64 << 20
)

// recorder feeds the transcript from its own goroutine.
type recorder struct {
	ch      chan transcript.Record
	done    chan struct{}
	once    sync.Once
	queued  atomic.Int64 // payload bytes in ch
	mu      sync.Mutex
	lost    uint64 // records not written: queue full or write error
	lastErr error
}

// recordBytes is what a record holds besides its fixed fields.
func recordBytes(r *transcript.Record) int64 { return int64(len(r.Data) + len(r.Reply)) }

func newRecorder(t Transcript) *recorder {
	r := &recorder{ch: make(chan transcript.Record, recordQueue), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for rec := range r.ch {
			err := t.Write(rec)
			r.queued.Add(-recordBytes(&rec))
			if err != nil {
				r.mu.Lock()
				r.lost++
				r.lastErr = err
				r.mu.Unlock()
			}
		}
	}()
	return r
}

// put queues rec without blocking.
func (r *recorder) put(rec transcript.Record) {
	n := recordBytes(&rec)
	if q := r.queued.Add(n); q > recordQueueBytes && q != n {
		r.queued.Add(-n)
		r.lose()
		return
	}
	select {
	case r.ch <- rec:
	default:
		r.queued.Add(-n)
		r.lose()
	}
}

func (r *recorder) lose() {
	r.mu.Lock()
	r.lost++
	r.mu.Unlock()
}

// failures returns the number of records lost and the last write error.
func (r *recorder) failures() (uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lost, r.lastErr
}

// close stops the goroutine after it has written what is queued, waiting at
// most a few seconds, and reports lost records.
func (r *recorder) close() error {
	r.once.Do(func() { close(r.ch) })
	select {
	case <-r.done:
	case <-time.After(3 * time.Second):
		return errors.New("ui: the transcript writer did not finish within 3s")
	}
	lost, err := r.failures()
	switch {
	case err != nil:
		return errors.New("ui: transcript: " + strconv.FormatUint(lost, 10) + " records lost, last error: " + err.Error())
	case lost > 0:
		return errors.New("ui: transcript: " + strconv.FormatUint(lost, 10) + " records lost (writer too slow)")
	}
	return nil
}

// record queues rec for the transcript, if there is one, stamping it with
// the UI's clock when it has no time of its own.
func (m *Model) record(rec transcript.Record) {
	if m.rec == nil {
		return
	}
	if rec.Time.IsZero() {
		rec.Time = m.opts.Now()
	}
	m.rec.put(rec)
}

// note is a free-text record of the given kind.
func note(kind transcript.Kind, topic, text string) transcript.Record {
	return transcript.Record{Kind: kind, Topic: topic, Text: text}
}

// saveCmd runs /save off the UI goroutine: it turns the pane's lines into
// transcript records and writes them to a new file (transcript.WriteNew),
// or over an existing one for /save! (transcript.WriteAll).
func saveCmd(path, topic string, entries []topicpane.Entry, replace bool) tea.Cmd {
	return func() tea.Msg {
		recs := entryRecords(topic, entries)
		write := transcript.WriteNew
		if replace {
			write = transcript.WriteAll
		}
		err := write(path, recs)
		cut := 0
		for _, r := range recs {
			if r.Cut || r.ReplyCut {
				cut++
			}
		}
		return savedMsg{path: path, topic: topic, lines: len(entries), records: len(recs), cut: cut, replace: replace, err: err}
	}
}

// markCut marks in r the payload and reply the pane kept only the heads of
// (topicpane's budget), so that the file says so and replay refuses them.
func markCut(r *transcript.Record, e topicpane.Entry) {
	if r.Data != nil && e.Size > len(e.Data) {
		r.Cut, r.Size = true, e.Size
	}
	if r.Reply != nil && e.ReplySize > len(e.Reply) {
		r.ReplyCut, r.ReplySize = true, e.ReplySize
	}
}

// entryRecords converts pane lines to records: a sent line becomes a
// "sent" record and, once answered, a "result" with the same id.
func entryRecords(topic string, entries []topicpane.Entry) []transcript.Record {
	recs := make([]transcript.Record, 0, len(entries)+len(entries)/2)
	var id uint64
	for _, e := range entries {
		switch e.Kind {
		case topicpane.KindReceived:
			r := transcript.Received(&amop.MessageEvent{Topic: topic, Data: e.Data, Mode: e.Mode, At: e.At, Reply: e.Reply, Replied: e.Replied})
			markCut(&r, e)
			recs = append(recs, r)
		case topicpane.KindSent:
			id++
			s := transcript.Sent(id, topic, e.Mode, e.Data)
			s.Time = e.At
			markCut(&s, topicpane.Entry{Data: e.Data, Size: e.Size})
			recs = append(recs, s)
			if e.Status == topicpane.StatusOK || e.Status == topicpane.StatusFailed || e.Status == topicpane.StatusLate {
				r := transcript.Result(id, topic, e.Mode, e.Reply, e.RTT, e.Err)
				r.Time = e.At.Add(e.RTT)
				markCut(&r, topicpane.Entry{Reply: e.Reply, ReplySize: e.ReplySize})
				recs = append(recs, r)
			}
		case topicpane.KindError:
			r := note(transcript.KindError, topic, string(e.Data))
			r.Time = e.At
			recs = append(recs, r)
		default:
			r := note(transcript.KindState, topic, string(e.Data))
			r.Time = e.At
			recs = append(recs, r)
		}
	}
	return recs
}
