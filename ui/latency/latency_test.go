package latency

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
)

func TestWindowPercentilesAndBound(t *testing.T) {
	var w Window
	if w.Percentile(50) != 0 || w.Spark(10) != "" {
		t.Fatal("empty window not empty")
	}
	for i := 1; i <= 100; i++ {
		w.Add(time.Duration(i) * time.Millisecond)
	}
	if p := w.Percentile(50); p != 50*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := w.Percentile(99); p != 99*time.Millisecond {
		t.Errorf("p99 = %v", p)
	}
	if p := w.Percentile(100); p != 100*time.Millisecond {
		t.Errorf("p100 = %v", p)
	}
	// Past the window, old samples go: 1000 ms samples replace them all.
	for i := 0; i < WindowSize; i++ {
		w.Add(time.Second)
	}
	if w.Len() != WindowSize || w.Total() != 100+WindowSize || w.Percentile(1) != time.Second {
		t.Errorf("len %d total %d p1 %v", w.Len(), w.Total(), w.Percentile(1))
	}
}

func TestSpark(t *testing.T) {
	var w Window
	for _, ms := range []int{1, 2, 4, 8, 16, 32, 64, 128} {
		w.Add(time.Duration(ms) * time.Millisecond)
	}
	if got := w.Spark(8); got != "▁▂▃▄▅▆▇█" {
		t.Errorf("log-scaled doubling = %q", got)
	}
	if got := w.Spark(3); got != "▁▅█" {
		t.Errorf("last three = %q", got)
	}
	var flat Window
	flat.Add(time.Millisecond)
	flat.Add(time.Millisecond)
	if got := flat.Spark(5); got != "▁▁" {
		t.Errorf("flat = %q", got)
	}
}

func TestHistogram(t *testing.T) {
	var h Histogram
	for _, d := range []time.Duration{100 * time.Microsecond, 250 * time.Microsecond, time.Millisecond, 1500 * time.Microsecond, 7 * time.Second} {
		h.Add(d)
	}
	if h.Counts[0] != 2 || h.Counts[2] != 1 || h.Counts[3] != 1 || h.Counts[len(Bounds)] != 1 || h.Total != 5 || h.Max != 7*time.Second {
		t.Fatalf("%+v", h)
	}
}

func TestRate(t *testing.T) {
	var r Rate
	base := time.Unix(1000, 0)
	for s := 0; s < 10; s++ {
		r.Add(base.Add(time.Duration(s)*time.Second), 5)
	}
	now := base.Add(10 * time.Second)
	if got := r.PerSecond(now, 10); got != 5 {
		t.Errorf("10 s rate %v", got)
	}
	if got := r.PerSecond(now, 20); got != 2.5 {
		t.Errorf("20 s rate %v", got)
	}
	// A long quiet spell forgets everything.
	later := base.Add(10 * time.Minute)
	r.Add(later, 1)
	if got := r.PerSecond(later.Add(time.Second), 10); got != 0.1 {
		t.Errorf("after a gap %v", got)
	}
	if r.Total() != 51 {
		t.Errorf("total %d", r.Total())
	}
}

func TestFailures(t *testing.T) {
	var f Failures
	for _, err := range []error{
		&amop.CodeError{Code: 100}, &amop.CodeError{Code: 101}, &amop.CodeError{Code: 103}, &amop.CodeError{Code: 104},
		amop.ErrTimeout, fmt.Errorf("x: %w", amop.ErrTimeout), &amop.CodeError{Code: 102}, amop.ErrNotConnected, errors.New("?"),
	} {
		f.Add(err)
	}
	want := Failures{NoSubscriber: 2, Rejected: 1, PushFailed: 1, Timeout: 3, Other: 2}
	if f != want || f.Total() != 9 {
		t.Fatalf("%+v", f)
	}
}
