package main

import (
	"time"

	"github.com/amoptui/amoptui/loadgen"
)

// Result is one run's figures: loadgen's, which is what `amoptui bench
// --json` prints, so both sides of a comparison decode into the same type
// and are summarised by the same code, plus what only the harness records.
type Result struct {
	loadgen.Result
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

// The closed loop, the payload layout, the percentile rule and the delivery
// accounting are loadgen's own, the code behind `amoptui bench`: NATS and
// the TLS floor are measured by exactly the method amoptui is.
type (
	loopOptions = loadgen.LoopOptions
	sendFunc    = loadgen.SendFunc
	loopOutcome = loadgen.Outcome
	receiver    = loadgen.Receiver
)

const headerLen = loadgen.HeaderLen

var (
	closedLoop  = loadgen.ClosedLoop
	newPayload  = loadgen.NewPayload
	newReceiver = loadgen.NewReceiver
	delivered   = loadgen.Delivered
)

// summarise fills r's counters and percentiles from the loop's outcome.
func summarise(r *Result, o loopOptions, out loopOutcome) {
	out.Summarise(&r.Result, o)
	r.Network = "127.0.0.1"
}

// settle waits for every acknowledged message to reach every subscriber,
// then fills in deliveries/s, loss and reordering.
func settle(r *Result, o loopOptions, out loopOutcome, rs []*receiver, atStart, atEnd int64, patience time.Duration) {
	loadgen.Settle(&r.Result, o, out, rs, atStart, atEnd, patience)
}
