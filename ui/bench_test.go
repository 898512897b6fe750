package ui

import (
	"fmt"
	"runtime"
	"sort"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
)

// Benchmarks for issue 4 "Performance" (run: go test -run '^$' -bench . ./ui/).
// They report, besides ns/op:
//   - BenchmarkIncomingMessage: Update+View for one incoming message with
//     1,000 and 100,000 messages of history, and their ratio from the same
//     run (goal ≤ 1 ms and ≤ 1.2);
//   - BenchmarkRetainedMemory: bytes kept per message beyond its payload
//     (goal ≤ 400);
//   - BenchmarkFirstFrame: New, the first WindowSizeMsg and View (goal
//     ≤ 150 ms);
//   - BenchmarkFlood: one frame's batch at 10,000 msgs/s and the share of a
//     core it takes, and a key press during it.

const benchPayload = 64

// benchEvents returns n distinct messages of benchPayload bytes on topic.
func benchEvents(topic string, n int) []*amop.MessageEvent {
	evs := make([]*amop.MessageEvent, n)
	for i := range evs {
		data := make([]byte, benchPayload)
		copy(data, fmt.Sprintf("message %08d from the benchmark, unicast or multicast ", i))
		evs[i] = &amop.MessageEvent{Topic: topic, Data: data, Mode: amop.Mode(i % 2), At: t0.Add(time.Duration(i) * time.Millisecond)}
	}
	return evs
}

// benchModel is a 120×40 program whose "hello" pane holds history
// messages (the cap is the history, so every new message also drops one,
// as in a long flood).
func benchModel(b *testing.B, history int) Model {
	b.Helper()
	opts := testOptions("hello", "orders", "alerts")
	opts.Scrollback = history
	m := newModel(b, newFake(), opts, 120, 40)
	evs := benchEvents("hello", history)
	for i := 0; i < len(evs); i += 1000 {
		batch := make([]amop.Event, 0, 1000)
		for _, e := range evs[i:min(len(evs), i+1000)] {
			batch = append(batch, e)
		}
		m = update(m, eventsMsg{events: batch, at: t0})
	}
	_ = m.View()
	return m
}

// step is the unit of work measured: one incoming message, then a frame.
func step(m Model, ev *amop.MessageEvent) Model {
	m = update(m, eventsMsg{events: []amop.Event{ev}, at: t0})
	_ = m.View()
	return m
}

func BenchmarkIncomingMessage(b *testing.B) {
	for _, history := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			m := benchModel(b, history)
			evs := benchEvents("hello", 4096)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m = step(m, evs[i%len(evs)])
			}
		})
	}
}

// BenchmarkIncomingRatio measures both history sizes interleaved in one
// run, so that the ratio is not skewed by machine noise between runs.
func BenchmarkIncomingRatio(b *testing.B) {
	small, large := benchModel(b, 1000), benchModel(b, 100000)
	evs := benchEvents("hello", 4096)
	var tSmall, tLarge time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := evs[i%len(evs)]
		s := time.Now()
		small = step(small, ev)
		tSmall += time.Since(s)
		s = time.Now()
		large = step(large, ev)
		tLarge += time.Since(s)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(tSmall.Nanoseconds())/n, "ns/msg@1k")
	b.ReportMetric(float64(tLarge.Nanoseconds())/n, "ns/msg@100k")
	b.ReportMetric(float64(tLarge)/float64(tSmall), "ratio")
}

func BenchmarkRetainedMemory(b *testing.B) {
	const n = 100000
	var perMsg float64
	for i := 0; i < b.N; i++ {
		opts := testOptions("hello")
		opts.Scrollback = n
		m := newModel(b, newFake(), opts, 120, 40)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		batch := make([]amop.Event, 0, 1000)
		for j := 0; j < n; j++ {
			data := make([]byte, benchPayload)
			copy(data, "retained payload")
			batch = append(batch, &amop.MessageEvent{Topic: "hello", Data: data, At: t0})
			if len(batch) == cap(batch) {
				m = update(m, eventsMsg{events: batch, at: t0})
				_ = m.View()
				batch = make([]amop.Event, 0, 1000)
			}
		}
		batch = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		if m.Pane("hello").Len() != n {
			b.Fatalf("pane holds %d", m.Pane("hello").Len())
		}
		perMsg = (float64(after.HeapAlloc) - float64(before.HeapAlloc) - n*benchPayload) / n
		runtime.KeepAlive(m)
	}
	b.ReportMetric(perMsg, "B/msg-beyond-payload")
}

func BenchmarkFirstFrame(b *testing.B) {
	c := newFake()
	opts := testOptions("hello", "orders", "alerts")
	b.ReportAllocs()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		s := time.Now()
		m := New(c, opts)
		m = update(m, tea.WindowSizeMsg{Width: 120, Height: 40})
		_ = m.View()
		total += time.Since(s)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/first-frame")
}

// BenchmarkFlood is one frame under 10,000 msgs/s: a batch of 167 messages
// then a frame, with the key press of a user typing during the flood. The
// worst case for a key is to arrive just as a batch starts: it waits for
// the batch and its frame, then gets its own; the p99 of that sum is
// reported as the key-press-to-frame latency (issue 6 goal: ≤ 100 ms).
func BenchmarkFlood(b *testing.B) {
	m := benchModel(b, 10000)
	evs := benchEvents("hello", 10000)
	const perFrame = 10000 / 60
	batch := make([]amop.Event, perFrame)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range batch {
			batch[j] = evs[(i*perFrame+j)%len(evs)]
		}
		s := time.Now()
		m = update(m, eventsMsg{events: batch, at: t0})
		_ = m.View()
		m = update(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'x'}})
		_ = m.View()
		lat = append(lat, time.Since(s))
	}
	b.StopTimer()
	frame := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[min(len(lat)-1, len(lat)*99/100)]
	b.ReportMetric(frame*60/1e9*100, "%cpu@10k-msg/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "ms-p99-key-to-frame")
}
