package local

import (
	"testing"
	"time"
)

// The cost routing pays per decision: nothing but an atomic load while
// nobody watches, a short lock and a copy while someone does.
func BenchmarkObserverRecord(b *testing.B) {
	d := Decision{Kind: Routed, Topic: "svc", From: SessionRef{Node: 0, ID: 3}, To: SessionRef{Node: 1, ID: 7}, Latency: time.Millisecond, At: time.Now()}
	b.Run("off", func(b *testing.B) {
		var o observer
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			o.record(d)
		}
	})
	b.Run("on", func(b *testing.B) {
		var o observer
		o.start()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			o.record(d)
		}
	})
}
