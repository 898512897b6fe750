package loadgen

import (
	"context"
	"encoding/binary"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 1000; i++ {
		lat = append(lat, time.Duration(i)*time.Microsecond)
	}
	for q, want := range map[float64]float64{0.5: 500, 0.9: 900, 0.99: 990, 0.999: 999, 1: 1000} {
		if got := pct(lat, q); got != want {
			t.Errorf("pct(%v) = %v, want %v", q, got, want)
		}
	}
	if got := pct([]time.Duration{7 * time.Microsecond}, 0.999); got != 7 {
		t.Errorf("one sample: %v", got)
	}
	if got := pct(nil, 0.5); got != 0 {
		t.Errorf("no sample: %v", got)
	}
}

func msg(pub, seq uint64) []byte {
	p := NewPayload(32, int(pub))
	binary.BigEndian.PutUint64(p[8:], seq)
	return p
}

func TestReceiverCountsReorderingPerPublisher(t *testing.T) {
	r := NewReceiver(2)
	for _, m := range [][]byte{msg(0, 1), msg(1, 1), msg(0, 2), msg(1, 3), msg(1, 2), msg(0, 2), []byte("probe")} {
		r.Record(m)
	}
	if got := r.Received(); got != 6 {
		t.Errorf("received %d, want 6 (the probe is not counted)", got)
	}
	if got := r.Reordered(); got != 2 {
		t.Errorf("reordered %d, want 2 (1:2 after 1:3, 0:2 twice)", got)
	}
}

func TestClosedLoopMeasuresOnlyAfterWarmup(t *testing.T) {
	o := LoopOptions{Size: 64, Publishers: 2, Warmup: 100 * time.Millisecond, Duration: 200 * time.Millisecond, Timeout: time.Second}
	var sawMeasure time.Time
	start := time.Now()
	send := func(context.Context, []byte) error { time.Sleep(time.Millisecond); return nil }
	out := ClosedLoop(context.Background(), o, []SendFunc{send, send}, func() { sawMeasure = time.Now() })
	if sawMeasure.Sub(start) < o.Warmup {
		t.Errorf("measurement started after %v, before the warm-up ended", sawMeasure.Sub(start))
	}
	if out.Msgs == 0 || int64(out.Msgs) >= out.Acked || len(out.Lat) != out.Msgs {
		t.Errorf("msgs %d, acked %d, latencies %d: want warm-up sends acknowledged but not measured", out.Msgs, out.Acked, len(out.Lat))
	}
	var r Result
	out.Summarise(&r, o)
	if r.P50us < 1000 || r.MaxUs < r.P999us || r.P999us < r.P99us || r.P99us < r.P90us || r.P90us < r.P50us {
		t.Errorf("percentiles out of order or below the 1 ms send: %+v", r)
	}
}
