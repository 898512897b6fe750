package ui

import (
	"errors"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/ui/topicpane"
)

// sendGrace is how long after a send's own deadline the UI gives up on it
// (see sendExpiredMsg).
const sendGrace = 2 * time.Second

var zeroTime time.Time

// record is one event for the transcript, as the UI sees it.
type record struct {
	at    time.Time
	kind  string // sent, received, reply, error, state
	topic string
	mode  string
	data  []byte
	reply []byte
	err   string
	rtt   time.Duration
	note  string
}

func sendRecord(at time.Time, topic string, mode amop.Mode, data []byte) record {
	return record{at: at, kind: "sent", topic: topic, mode: mode.String(), data: data}
}

func stateRecord(at time.Time, note string) record {
	return record{at: at, kind: "state", note: note}
}

// Transcript receives every event of the session (sent, received, reply,
// error, state change) as it happens. Writes happen on a goroutine of the
// UI's, one at a time and in order, never inside Update.
type Transcript interface {
	write(r record) error
}

// SaveFunc writes the lines of topic's pane to path for /save and returns
// how many it wrote.
type SaveFunc func(path, topic string, entries []topicpane.Entry) (int, error)

// recorder feeds the transcript from a goroutine of its own: Update only
// queues, and when the queue is full the event is counted as lost instead
// of slowing the UI down.
type recorder struct {
	ch      chan record
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	lost    uint64
	lastErr error
}

func newRecorder(t Transcript) *recorder {
	r := &recorder{ch: make(chan record, 8192), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for rec := range r.ch {
			if err := t.write(rec); err != nil {
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
func (r *recorder) put(rec record) {
	select {
	case r.ch <- rec:
	default:
		r.mu.Lock()
		r.lost++
		r.mu.Unlock()
	}
}

// close stops the goroutine after it has written what is queued, waiting at
// most a few seconds.
func (r *recorder) close() error {
	r.once.Do(func() { close(r.ch) })
	select {
	case <-r.done:
	case <-time.After(3 * time.Second):
		return errors.New("ui: transcript writer did not finish in 3s")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// record queues rec for the transcript, if there is one.
func (m *Model) record(rec record) {
	if m.rec != nil {
		m.rec.put(rec)
	}
}

// saveCmd runs /save off the UI goroutine.
func saveCmd(save SaveFunc, path, topic string, entries []topicpane.Entry) tea.Cmd {
	if save == nil {
		save = WriteJSONLines
	}
	return func() tea.Msg {
		n, err := save(path, topic, entries)
		return savedMsg{path: path, topic: topic, n: n, err: err}
	}
}
