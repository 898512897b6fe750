// Package latency keeps the figures the TUI shows at a glance: per topic
// the recent round trips (a sparkline and p50/p99 in the pane title), and
// for the /stats overlay a histogram of every round trip, message rates in
// and out, and the failures by kind. Everything here is bounded: a window
// of recent samples, fixed histogram buckets, a minute of per-second rates.
package latency

import (
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop"
)

// WindowSize is how many recent round trips a topic keeps.
const WindowSize = 256

// Window is a topic's recent round trips.
type Window struct {
	buf    [WindowSize]time.Duration
	n      int // samples held (≤ WindowSize)
	next   int // where the next sample goes
	total  uint64
	sorted []time.Duration // cache for percentiles; nil when stale
}

// Add records a round trip.
func (w *Window) Add(d time.Duration) {
	w.buf[w.next] = d
	w.next = (w.next + 1) % WindowSize
	if w.n < WindowSize {
		w.n++
	}
	w.total++
	w.sorted = w.sorted[:0]
}

// Len is the number of samples held; Total counts every sample ever added.
func (w *Window) Len() int { return w.n }

// Total is the number of samples ever added.
func (w *Window) Total() uint64 { return w.total }

// Percentile is the p-th percentile (0–100) of the held samples, nearest
// rank; 0 with no samples.
func (w *Window) Percentile(p float64) time.Duration {
	if w.n == 0 {
		return 0
	}
	if len(w.sorted) != w.n {
		w.sorted = append(w.sorted[:0], w.recent(w.n)...)
		slices.Sort(w.sorted)
	}
	return w.sorted[rank(p, w.n)]
}

// rank is the index of the nearest-rank p-th percentile of n samples.
func rank(p float64, n int) int {
	i := int(p/100*float64(n)+0.999999) - 1
	return max(0, min(n-1, i))
}

// recent returns the last k samples, oldest first.
func (w *Window) recent(k int) []time.Duration {
	k = min(k, w.n)
	out := make([]time.Duration, k)
	for i := 0; i < k; i++ {
		out[i] = w.buf[(w.next-k+i+WindowSize)%WindowSize]
	}
	return out
}

// sparks are the eight heights of a sparkline.
var sparks = []rune("▁▂▃▄▅▆▇█")

// Spark draws the last width samples as a sparkline, scaled between their
// smallest and largest on a logarithmic scale (round trips spread over
// orders of magnitude: a linear scale would show one spike and a flat
// line). "" with no samples.
func (w *Window) Spark(width int) string {
	s := w.recent(width)
	if len(s) == 0 {
		return ""
	}
	lo, hi := slices.Min(s), slices.Max(s)
	var sb strings.Builder
	for _, d := range s {
		sb.WriteRune(sparks[level(d, lo, hi, len(sparks))])
	}
	return sb.String()
}

// level places d between lo and hi on a log scale of n levels.
func level(d, lo, hi time.Duration, n int) int {
	if hi <= lo {
		return 0
	}
	lg := func(x time.Duration) float64 { return math.Log2(float64(max(x, time.Microsecond))) }
	f := (lg(d) - lg(lo)) / (lg(hi) - lg(lo))
	return max(0, min(n-1, int(f*float64(n-1)+0.5)))
}

// Bounds are the upper edges of the histogram's buckets; the last bucket
// holds everything slower.
var Bounds = []time.Duration{
	250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second,
}

// Histogram counts every round trip in the buckets of Bounds.
type Histogram struct {
	Counts [15]uint64 // len(Bounds)+1
	Total  uint64
	Max    time.Duration
}

// Add records a round trip.
func (h *Histogram) Add(d time.Duration) {
	i, _ := slices.BinarySearch(Bounds, d)
	h.Counts[i]++
	h.Total++
	h.Max = max(h.Max, d)
}

// RateSpan is how far back rates go.
const RateSpan = 60

// Rate counts events per second over the last RateSpan seconds.
type Rate struct {
	counts [RateSpan]uint64
	sec    int64 // the second counts[sec%RateSpan] belongs to
	total  uint64
}

// Add records n events at now.
func (r *Rate) Add(now time.Time, n int) {
	r.roll(now.Unix())
	r.counts[r.sec%RateSpan] += uint64(n)
	r.total += uint64(n)
}

// roll moves to second s, zeroing the seconds skipped.
func (r *Rate) roll(s int64) {
	if s <= r.sec {
		return
	}
	if s-r.sec >= RateSpan {
		r.counts = [RateSpan]uint64{}
	} else {
		for x := r.sec + 1; x <= s; x++ {
			r.counts[x%RateSpan] = 0
		}
	}
	r.sec = s
}

// PerSecond is the mean rate over the last `over` whole seconds before now
// (the current, partial second is left out).
func (r *Rate) PerSecond(now time.Time, over int) float64 {
	over = max(1, min(over, RateSpan-1))
	s := now.Unix()
	var sum uint64
	for x := s - int64(over); x < s; x++ {
		if x > r.sec || r.sec-x >= RateSpan {
			continue
		}
		sum += r.counts[x%RateSpan]
	}
	return float64(sum) / float64(over)
}

// Total is every event ever added.
func (r *Rate) Total() uint64 { return r.total }

// Failures counts failed sends by kind, the breakdown an operator asks for.
type Failures struct {
	NoSubscriber uint64 // AMOP 100 (and 101)
	Rejected     uint64 // AMOP 103
	PushFailed   uint64 // AMOP 104
	Timeout      uint64 // our deadline (or the node's 102)
	Other        uint64 // not connected, closed, too large…
}

// Add classifies err.
func (f *Failures) Add(err error) {
	var ce *amop.CodeError
	switch {
	case errors.As(err, &ce) && (ce.Code == amop.CodeNoSubscriber || ce.Code == amop.CodeSubscriberGone ||
		ce.Code == amop.CodeNoPeer3 || ce.Code == amop.CodeNoClient3 || ce.Code == amop.CodeSubscriberGone3):
		f.NoSubscriber++
	case errors.As(err, &ce) && ce.Code == amop.CodeRejected:
		f.Rejected++
	case errors.As(err, &ce) && ce.Code == amop.CodeSendFailed:
		f.PushFailed++
	case errors.Is(err, amop.ErrTimeout), errors.As(err, &ce) && (ce.Code == amop.CodeTimeout || ce.Code == amop.CodeTimeout3):
		f.Timeout++
	default:
		f.Other++
	}
}

// Total is every failure.
func (f Failures) Total() uint64 {
	return f.NoSubscriber + f.Rejected + f.PushFailed + f.Timeout + f.Other
}
