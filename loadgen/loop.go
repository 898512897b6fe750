package loadgen

import (
	"context"
	"encoding/binary"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// HeaderLen is the payload prefix of every measured message: the publisher
// id and a sequence number, big-endian, so that subscribers can count losses
// and check order per publisher. Shorter payloads (probes) are not counted.
const HeaderLen = 16

// LoopOptions are the knobs of the closed loop.
type LoopOptions struct {
	Size       int           // payload bytes
	Publishers int           // closed-loop publishers
	Warmup     time.Duration // unmeasured time first
	Duration   time.Duration // measured time
	Timeout    time.Duration // per send
}

// SendFunc sends one message and waits for its answer (a reply, a broker's
// or node's acknowledgement, an echo). Each publisher has its own, used by
// one goroutine only. The comparison harness in bench/ drives NATS and a raw
// TLS echo through the same loop, so both sides of a ratio are measured
// alike.
type SendFunc func(ctx context.Context, payload []byte) error

// Outcome is what the closed loop saw, before summarising.
type Outcome struct {
	Lat   []time.Duration // measured round trips, unsorted
	Msgs  int             // sends started in the measured window and answered
	Acked int64           // every answered send, warm-up included
	Errs  int
	First error
}

// ClosedLoop runs the publishers: each sends, waits for the answer, sends
// again; sends started during the warm-up are not measured; every measured
// round trip is kept. onMeasure, if set, runs once, when the first measured
// send starts (a multicast run snapshots its delivery count there).
func ClosedLoop(ctx context.Context, o LoopOptions, senders []SendFunc, onMeasure func()) Outcome {
	start := time.Now()
	measureFrom, end := start.Add(o.Warmup), start.Add(o.Warmup+o.Duration)
	outs := make([]Outcome, len(senders))
	var once sync.Once
	var wg sync.WaitGroup
	for pi, send := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			po := &outs[pi]
			po.Lat = make([]time.Duration, 0, 1<<16)
			payload := NewPayload(o.Size, pi)
			for seq := uint64(1); ctx.Err() == nil; seq++ {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				measured := !t0.Before(measureFrom)
				if measured && onMeasure != nil {
					once.Do(onMeasure)
				}
				if len(payload) >= HeaderLen {
					binary.BigEndian.PutUint64(payload[8:], seq)
				}
				sctx, cancel := context.WithTimeout(ctx, o.Timeout)
				err := send(sctx, payload)
				cancel()
				rtt := time.Since(t0)
				if err != nil {
					po.Errs++
					if po.First == nil {
						po.First = err
					}
					if po.Errs > 100 && po.Acked == 0 {
						return // nothing works; stop hammering
					}
					continue
				}
				po.Acked++
				if measured {
					po.Lat = append(po.Lat, rtt)
					po.Msgs++
				}
			}
		}()
	}
	wg.Wait()
	var out Outcome
	for _, po := range outs {
		out.Lat = append(out.Lat, po.Lat...)
		out.Acked += po.Acked
		out.Msgs += po.Msgs
		out.Errs += po.Errs
		if out.First == nil {
			out.First = po.First
		}
	}
	return out
}

// NewPayload is a message of size bytes: the publisher id, room for the
// sequence number, then filler.
func NewPayload(size, publisher int) []byte {
	p := make([]byte, size)
	for i := HeaderLen; i < len(p); i++ {
		p[i] = 'x'
	}
	if len(p) >= HeaderLen {
		binary.BigEndian.PutUint64(p, uint64(publisher))
	}
	return p
}

// Summarise fills r's counters and percentiles from the loop's outcome:
// percentiles are read off the sorted round trips with the nearest-rank
// rule, never averaged. Deliveries/s defaults to msgs/s (one delivery per
// message); Settle overrides it for multicast.
func (out Outcome) Summarise(r *Result, o LoopOptions) {
	r.Size, r.Publishers, r.DurationS = o.Size, o.Publishers, o.Duration.Seconds()
	r.Cores, r.GoVersion = runtime.NumCPU(), runtime.Version()
	r.Msgs, r.Errors = out.Msgs, out.Errs
	if out.First != nil {
		r.FirstError = out.First.Error()
	}
	r.MsgsPerS = float64(out.Msgs) / o.Duration.Seconds()
	r.DeliveriesPerS = r.MsgsPerS
	lat := slices.Clone(out.Lat)
	slices.Sort(lat)
	r.P50us, r.P90us, r.P99us, r.P999us = pct(lat, 0.50), pct(lat, 0.90), pct(lat, 0.99), pct(lat, 0.999)
	if len(lat) > 0 {
		r.MaxUs = us(lat[len(lat)-1])
	}
}

// pct is the nearest-rank percentile q of sorted durations, in µs.
func pct(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return us(sorted[max(0, min(len(sorted)-1, i))])
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// Receiver counts what one subscriber got: deliveries, and per publisher any
// sequence number not above the last one seen (a reordering). Safe for
// concurrent use (bare go-sdk calls handlers on goroutines of their own).
type Receiver struct {
	mu        sync.Mutex
	last      []uint64
	received  atomic.Int64
	reordered atomic.Int64
}

// NewReceiver counts for publishers publishers.
func NewReceiver(publishers int) *Receiver {
	return &Receiver{last: make([]uint64, publishers)}
}

// Record counts one delivery; payloads shorter than HeaderLen (probes) are
// ignored.
func (r *Receiver) Record(data []byte) {
	if len(data) < HeaderLen {
		return
	}
	r.received.Add(1)
	pub := binary.BigEndian.Uint64(data)
	seq := binary.BigEndian.Uint64(data[8:])
	r.mu.Lock()
	defer r.mu.Unlock()
	if pub >= uint64(len(r.last)) {
		return
	}
	if seq <= r.last[pub] {
		r.reordered.Add(1)
	} else {
		r.last[pub] = seq
	}
}

// Received is the number of deliveries counted.
func (r *Receiver) Received() int64 { return r.received.Load() }

// Reordered is the number of deliveries that came out of order.
func (r *Receiver) Reordered() int64 { return r.reordered.Load() }

// Delivered sums the deliveries of rs.
func Delivered(rs []*Receiver) int64 {
	var n int64
	for _, r := range rs {
		n += r.Received()
	}
	return n
}

// Settle waits up to patience for every acknowledged message to reach every
// subscriber, then fills in deliveries/s (counted over the measured window,
// from atStart to atEnd), loss and reordering.
func Settle(r *Result, o LoopOptions, out Outcome, rs []*Receiver, atStart, atEnd int64, patience time.Duration) {
	r.DeliveriesPerS = float64(atEnd-atStart) / o.Duration.Seconds()
	want := out.Acked * int64(len(rs))
	deadline := time.Now().Add(patience)
	for Delivered(rs) < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	r.Lost = max(0, want-Delivered(rs))
	for _, x := range rs {
		r.Reordered += x.Reordered()
	}
}
