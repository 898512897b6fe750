package main

import (
	"context"
	"encoding/binary"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one run's figures. The JSON keys are those of `amoptui bench
// --json` (loadgen.Result), so both sides of a comparison decode into the
// same type and are summarised by the same code.
type Result struct {
	Mode           string  `json:"mode"`
	Path           string  `json:"path"`
	Size           int     `json:"size"`
	Publishers     int     `json:"publishers"`
	Subscribers    int     `json:"subscribers"`
	DurationS      float64 `json:"duration_s"`
	Msgs           int     `json:"msgs"`
	MsgsPerS       float64 `json:"msgs_per_s"`
	DeliveriesPerS float64 `json:"deliveries_per_s"`
	P50us          float64 `json:"p50_us"`
	P90us          float64 `json:"p90_us"`
	P99us          float64 `json:"p99_us"`
	P999us         float64 `json:"p999_us"`
	MaxUs          float64 `json:"max_us"`
	Errors         int     `json:"errors"`
	FirstError     string  `json:"first_error,omitempty"`
	Lost           int64   `json:"lost"`
	Reordered      int64   `json:"reordered"`
	Cores          int     `json:"cores"`
	GoVersion      string  `json:"go_version"`
	Network        string  `json:"network"`
	// Server and TLS are what the harness adds for the NATS and floor runs:
	// the broker's version and the negotiated TLS version, for the record.
	Server string `json:"server,omitempty"`
	TLS    string `json:"tls,omitempty"`
	// CPUPerMsgUs is the CPU time the measured side used (amoptui's process;
	// or this process's NATS clients plus nats-server) over the messages of
	// warm-up and measurement, set-up included: less sensitive to the other
	// processes' load than latency is. -1 when unknown.
	CPUPerMsgUs float64 `json:"cpu_us_per_msg"`
}

// headerLen is the payload prefix loadgen uses too: publisher id and
// sequence number, big-endian, so subscribers can count losses and check
// order per publisher.
const headerLen = 16

// loopOptions are the knobs of the closed loop, named and defaulted as in
// loadgen so that both sides are driven alike.
type loopOptions struct {
	Size       int
	Publishers int
	Warmup     time.Duration
	Duration   time.Duration
	Timeout    time.Duration
}

// sendFunc sends one message and waits for its answer (a reply, a broker
// acknowledgement or an echo). Each publisher has its own, used by one
// goroutine only.
type sendFunc func(ctx context.Context, payload []byte) error

// loopOutcome is what the closed loop saw, before summarising.
type loopOutcome struct {
	lat   []time.Duration // measured round trips, unsorted
	msgs  int             // sends started in the measured window and answered
	acked int64           // every answered send, warm-up included
	errs  int
	first error
}

// closedLoop runs the publishers as loadgen does: each sends, waits for the
// answer, sends again; sends started during the warm-up are not measured;
// every measured round trip is kept. onMeasure runs once, when the first
// measured send starts (multicast snapshots its delivery count there).
func closedLoop(ctx context.Context, o loopOptions, senders []sendFunc, onMeasure func()) loopOutcome {
	start := time.Now()
	measureFrom, end := start.Add(o.Warmup), start.Add(o.Warmup+o.Duration)
	type pubOutcome struct {
		lat   []time.Duration
		acked int64
		msgs  int
		errs  int
		first error
	}
	outs := make([]pubOutcome, len(senders))
	var once sync.Once
	var wg sync.WaitGroup
	for pi, send := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			po := &outs[pi]
			po.lat = make([]time.Duration, 0, 1<<16)
			payload := newPayload(o.Size, pi)
			for seq := uint64(1); ctx.Err() == nil; seq++ {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				measured := !t0.Before(measureFrom)
				if measured && onMeasure != nil {
					once.Do(onMeasure)
				}
				if len(payload) >= headerLen {
					binary.BigEndian.PutUint64(payload[8:], seq)
				}
				sctx, cancel := context.WithTimeout(ctx, o.Timeout)
				err := send(sctx, payload)
				cancel()
				rtt := time.Since(t0)
				if err != nil {
					po.errs++
					if po.first == nil {
						po.first = err
					}
					if po.errs > 100 && po.acked == 0 {
						return // nothing works; stop hammering
					}
					continue
				}
				po.acked++
				if measured {
					po.lat = append(po.lat, rtt)
					po.msgs++
				}
			}
		}()
	}
	wg.Wait()
	var out loopOutcome
	for _, po := range outs {
		out.lat = append(out.lat, po.lat...)
		out.acked += po.acked
		out.msgs += po.msgs
		out.errs += po.errs
		if out.first == nil {
			out.first = po.first
		}
	}
	return out
}

// newPayload is a message of size bytes: the publisher id, room for the
// sequence number, then filler, as loadgen builds it.
func newPayload(size, publisher int) []byte {
	p := make([]byte, size)
	for i := headerLen; i < len(p); i++ {
		p[i] = 'x'
	}
	if len(p) >= headerLen {
		binary.BigEndian.PutUint64(p, uint64(publisher))
	}
	return p
}

// summarise fills r's counters and percentiles from the loop's outcome.
// Percentiles are read off the sorted round trips with the nearest-rank
// rule loadgen uses, never averaged.
func summarise(r *Result, o loopOptions, out loopOutcome) {
	r.Size, r.Publishers, r.DurationS = o.Size, o.Publishers, o.Duration.Seconds()
	r.Cores, r.GoVersion, r.Network = runtime.NumCPU(), runtime.Version(), "127.0.0.1"
	r.Msgs, r.Errors = out.msgs, out.errs
	if out.first != nil {
		r.FirstError = out.first.Error()
	}
	r.MsgsPerS = float64(out.msgs) / o.Duration.Seconds()
	r.DeliveriesPerS = r.MsgsPerS
	lat := slices.Clone(out.lat)
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

// receiver counts what one subscriber got, as loadgen's does: deliveries,
// and per publisher any sequence number not above the last one seen.
type receiver struct {
	mu        sync.Mutex
	last      []uint64
	received  atomic.Int64
	reordered atomic.Int64
}

func newReceiver(publishers int) *receiver {
	return &receiver{last: make([]uint64, publishers)}
}

// record counts one delivery; payloads too short for the header (probes)
// are ignored.
func (r *receiver) record(data []byte) {
	if len(data) < headerLen {
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

func delivered(rs []*receiver) int64 {
	var n int64
	for _, r := range rs {
		n += r.received.Load()
	}
	return n
}

// settle waits up to patience for every acknowledged message to reach every
// subscriber, then fills in deliveries/s (counted over the measured window),
// loss and reordering.
func settle(r *Result, o loopOptions, out loopOutcome, rs []*receiver, atStart, atEnd int64, patience time.Duration) {
	r.DeliveriesPerS = float64(atEnd-atStart) / o.Duration.Seconds()
	want := out.acked * int64(len(rs))
	deadline := time.Now().Add(patience)
	for delivered(rs) < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	r.Lost = max(0, want-delivered(rs))
	for _, x := range rs {
		r.Reordered += x.reordered.Load()
	}
}
