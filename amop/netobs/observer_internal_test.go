package netobs

import (
	"strconv"
	"testing"
	"time"
)

// The cost routing pays per decision: its topic's counters (a lock-free
// map look-up and an atomic add) always, and while someone watches a short
// lock and a copy besides.
func BenchmarkObserverRecord(b *testing.B) {
	d := Decision{Kind: Routed, Topic: "svc", From: SessionRef{Node: 0, ID: 3}, To: SessionRef{Node: 1, ID: 7}, Latency: time.Millisecond, At: time.Now()}
	b.Run("off", func(b *testing.B) {
		var o Observer
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			o.Record(d)
		}
	})
	b.Run("on", func(b *testing.B) {
		var o Observer
		o.Start()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			o.Record(d)
		}
	})
}

// TestCountersAreBounded: a client inventing topics shares one counter
// past maxObservedTopics; nothing is lost from the totals.
func TestCountersAreBounded(t *testing.T) {
	var o Observer
	for i := 0; i < maxObservedTopics+50; i++ {
		o.Record(Decision{Kind: Multicast, Topic: "t" + strconv.Itoa(i)})
	}
	if n := o.ncounts.Load(); n != maxObservedTopics {
		t.Fatalf("%d counters", n)
	}
	if c := o.other.load(); c.Multicast != 50 {
		t.Fatalf("shared counter %+v", c)
	}
	if c := o.CountsOf("t7"); c.Multicast != 1 {
		t.Fatalf("t7 %+v", c)
	}
}
