// Package loadgen measures AMOP the way messaging benchmarks do: closed-loop
// publishers after a warm-up, every round trip recorded and sorted (no
// averaged percentiles), and for multicast the deliveries, losses and
// reorderings each subscriber saw. It drives the path the TUI uses — on
// FISCO BCOS 2.x adapter → go-sdk → guard → node, or bare go-sdk → node; on
// 3.x the pure-Go client → node — against real nodes or a local network it
// starts itself. `amoptui bench` is its CLI.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/dial"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
	"github.com/amoptui/amoptui/amop/wire"
)

// Options configure a run.
type Options struct {
	Mode        amop.Mode
	Size        int           // payload bytes (128)
	Duration    time.Duration // measured time (10 s)
	Warmup      time.Duration // unmeasured time first (a fifth of Duration, at most 2 s)
	Publishers  int           // closed-loop publishers (1)
	Subscribers int           // subscribers (1)
	// Endpoints are the nodes to use: publishers connect to the first,
	// subscribers to the last. Empty: start a local network of two nodes
	// (publishers on the first, subscribers on the second, as the go-sdk
	// examples place them).
	Endpoints []string
	CertDir   string // ca.crt, sdk.crt, sdk.key for Endpoints
	ChainID   int64
	GroupID   int
	// Bare measures go-sdk straight to the node instead of the adapter path
	// (2.x only: go-sdk has no 3.x).
	Bare bool
	// Relay, with Bare, puts a guard.Relay between go-sdk and the node: the
	// floor of the guard's design (two TLS sockets, nothing done between).
	Relay   bool
	Timeout time.Duration // per send (10 s)
	// Line is the FISCO BCOS line: Line2 (the default when no endpoint is
	// given), Line3, or LineAuto to detect it at Endpoints. PlainWS is
	// ws:// to 3.x nodes with TLS off.
	Line    amop.Line
	PlainWS bool
}

// Result is one run's figures; the JSON keys are the bench command's
// contract.
type Result struct {
	Mode           string  `json:"mode"`
	Path           string  `json:"path"` // "adapter", "bare" or "relay"
	Line           string  `json:"line"` // "2" or "3": the FISCO BCOS line measured
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
	Network        string  `json:"network"` // "local", or the endpoints joined by commas
	// Node says where the nodes ran: NodeInProcess (a local network started
	// inside the measuring process) or NodeEndpoints (reached over the
	// network, in a process of their own). Only runs with the same Node
	// compare with a broker in its own process.
	Node string `json:"node"`
}

// Where the nodes of a run were (Result.Node).
const (
	NodeInProcess = "in-process"
	NodeEndpoints = "endpoints"
)

// Bounds of Options.
const (
	MaxSize  = 4 << 20 // payload bytes
	MaxConns = 256     // publishers, and subscribers
)

func (o *Options) defaults() error {
	if o.Size == 0 {
		o.Size = 128
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Warmup <= 0 {
		o.Warmup = min(o.Duration/5, 2*time.Second)
	}
	if o.Publishers <= 0 {
		o.Publishers = 1
	}
	if o.Subscribers <= 0 {
		o.Subscribers = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Size < 1 || o.Size > MaxSize {
		return fmt.Errorf("size %d: want 1 byte to 4 MiB", o.Size)
	}
	if o.Mode == amop.Multicast && o.Size < HeaderLen {
		return fmt.Errorf("multicast needs a size of at least %d bytes to check order and loss", HeaderLen)
	}
	if o.Publishers > MaxConns || o.Subscribers > MaxConns {
		return fmt.Errorf("at most %d publishers and %d subscribers", MaxConns, MaxConns)
	}
	if o.Line == amop.LineAuto && len(o.Endpoints) == 0 {
		o.Line = amop.Line2
	}
	if o.Relay {
		o.Bare = true
	}
	if o.Bare && o.Line == amop.Line3 {
		return errors.New("bare measures go-sdk v1.1.1, which speaks FISCO BCOS 2.x only")
	}
	return nil
}

// sender is one publisher connection.
type sender interface {
	send(ctx context.Context, topic string, data []byte, mode amop.Mode) error
	close()
}

// subscriber is one subscriber connection and what it counted.
type subscriber struct {
	*Receiver
	close func()
}

// Run performs one measurement.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.defaults(); err != nil {
		return Result{}, err
	}
	// Summarise fills in the sizes, counters and machine.
	res := Result{Mode: o.Mode.String(), Path: "adapter", Subscribers: o.Subscribers, Network: "local", Node: NodeInProcess}
	switch {
	case o.Relay:
		res.Path = "relay"
	case o.Bare:
		res.Path = "bare"
	}
	pubEP, subEP, certDir := "", "", o.CertDir
	switch {
	case len(o.Endpoints) == 0 && o.Line == amop.Line3:
		n, err := local3.Start(local3.Options{Nodes: 2})
		if err != nil {
			return res, fmt.Errorf("start a local 3.x network: %w", err)
		}
		defer n.Close()
		pubEP, subEP, certDir = n.Addr(0), n.Addr(1), n.CertDir()
	case len(o.Endpoints) == 0:
		n, err := local.Start(local.Options{Nodes: 2})
		if err != nil {
			return res, fmt.Errorf("start a local network: %w", err)
		}
		defer n.Close()
		pubEP, subEP, certDir = n.Addr(0), n.Addr(1), n.CertDir()
	default:
		pubEP, subEP = o.Endpoints[0], o.Endpoints[len(o.Endpoints)-1]
		res.Network, res.Node = strings.Join(o.Endpoints, ","), NodeEndpoints
	}
	base := amop.Config{
		CAFile: filepath.Join(certDir, "ca.crt"), CertFile: filepath.Join(certDir, "sdk.crt"), KeyFile: filepath.Join(certDir, "sdk.key"),
		ChainID: o.ChainID, GroupID: o.GroupID, SendTimeout: o.Timeout, EventBuffer: 1 << 16,
		AutoReply: amop.ReplyPolicy{Mode: amop.ReplyEcho},
	}
	topic := "amoptui-bench-" + wire.NewSeq().String()[:8]
	if o.Line == amop.LineAuto {
		cfg := base
		cfg.Endpoints = o.Endpoints
		o.Line = dial.Detect(cfg, dial.Options{PlainWS: o.PlainWS}).Line
	}
	res.Line = o.Line.String()

	recvs := make([]*subscriber, 0, o.Subscribers)
	defer func() {
		for _, r := range recvs {
			r.close()
		}
	}()
	for i := 0; i < o.Subscribers; i++ {
		r, err := subscribe(ctx, base, subEP, topic, o)
		if err != nil {
			return res, err
		}
		recvs = append(recvs, r)
	}
	senders := make([]sender, 0, o.Publishers)
	defer func() {
		for _, s := range senders {
			s.close()
		}
	}()
	for i := 0; i < o.Publishers; i++ {
		s, err := publisher(ctx, base, pubEP, o)
		if err != nil {
			return res, err
		}
		senders = append(senders, s)
	}
	if err := waitVisible(ctx, senders[0], topic, o); err != nil {
		return res, err
	}

	// The closed loop: every publisher sends, waits for the answer, sends
	// again. Only sends started inside the measured window count.
	lo := LoopOptions{Size: o.Size, Publishers: o.Publishers, Warmup: o.Warmup, Duration: o.Duration, Timeout: o.Timeout}
	sends := make([]SendFunc, len(senders))
	for i, s := range senders {
		sends[i] = func(ctx context.Context, payload []byte) error { return s.send(ctx, topic, payload, o.Mode) }
	}
	counts := make([]*Receiver, len(recvs))
	for i, r := range recvs {
		counts[i] = r.Receiver
	}
	var atStart int64
	out := ClosedLoop(ctx, lo, sends, func() { atStart = Delivered(counts) })
	atEnd := Delivered(counts)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	out.Summarise(&res, lo)
	if o.Mode == amop.Multicast {
		// Every acknowledged multicast must reach every subscriber.
		Settle(&res, lo, out, counts, atStart, atEnd, 5*time.Second)
	}
	return res, nil
}

// waitVisible sends probes until the topic has a subscriber everywhere: a
// unicast answers 100 until the node knows one. Probes carry no header, so
// subscribers do not mistake them for measured messages.
func waitVisible(ctx context.Context, s sender, topic string, o Options) error {
	deadline := time.Now().Add(15 * time.Second)
	probe := []byte("probe")
	for {
		sctx, cancel := context.WithTimeout(ctx, o.Timeout)
		err := s.send(sctx, topic, probe, amop.Unicast)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the subscribers never became reachable: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type adapterSender struct{ a dial.Client }

func (s adapterSender) send(ctx context.Context, topic string, data []byte, mode amop.Mode) error {
	if mode == amop.Multicast {
		return s.a.Multicast(ctx, topic, data)
	}
	_, err := s.a.Unicast(ctx, topic, data)
	return err
}
func (s adapterSender) close() { _ = s.a.Close() }

type bareSender struct{ b *amop.Bare }

// bareDialWait bounds go-sdk's connect: against an endpoint that takes the
// TLS session and never answers the channel handshake (a 3.x node), go-sdk
// waits 30 s and no context reaches it.
const bareDialWait = 10 * time.Second

// dialBare is go-sdk to the node, or through a relay with o.Relay, given up
// after bareDialWait or when ctx ends (go-sdk's own dial cannot be
// cancelled: it is left to finish on its own goroutine, and the process is
// about to report the failure and exit).
func dialBare(ctx context.Context, cfg amop.Config, o Options) (*amop.Bare, error) {
	type dialed struct {
		b   *amop.Bare
		err error
	}
	ch := make(chan dialed, 1)
	go func() {
		var d dialed
		if o.Relay {
			d.b, d.err = amop.DialRelayed(cfg)
		} else {
			d.b, d.err = amop.DialBare(cfg)
		}
		ch <- d
	}()
	t := time.NewTimer(bareDialWait)
	defer t.Stop()
	select {
	case d := <-ch:
		return d.b, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("go-sdk did not connect to %s within %v (is it a FISCO BCOS 2.x node?)", cfg.Endpoints[0], bareDialWait)
	}
}

// send has no deadline: bare go-sdk cannot honour one, which is one of the
// reasons the guard exists.
func (s bareSender) send(_ context.Context, topic string, data []byte, mode amop.Mode) error {
	if mode == amop.Multicast {
		return s.b.Multicast(topic, data)
	}
	_, err := s.b.Unicast(topic, data)
	return err
}

// close closes a relay before the node goes (see amop.Bare.Close); go-sdk's
// own Close spins a core forever.
func (s bareSender) close() { _ = s.b.Close() }

func connectAdapter(ctx context.Context, cfg amop.Config, o Options) (dial.Client, error) {
	a, _, err := dial.Open(cfg, dial.Options{Line: o.Line, PlainWS: o.PlainWS})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := a.WaitReady(wctx); err != nil {
		_ = a.Close()
		return nil, err
	}
	return a, nil
}

func publisher(ctx context.Context, base amop.Config, ep string, o Options) (sender, error) {
	cfg := base
	cfg.Endpoints = []string{ep}
	if o.Bare {
		b, err := dialBare(ctx, cfg, o)
		if err != nil {
			return nil, err
		}
		return bareSender{b}, nil
	}
	a, err := connectAdapter(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	return adapterSender{a}, nil
}

func subscribe(ctx context.Context, base amop.Config, ep, topic string, o Options) (*subscriber, error) {
	cfg := base
	cfg.Endpoints = []string{ep}
	r := &subscriber{Receiver: NewReceiver(o.Publishers), close: func() {}}
	if o.Bare {
		b, err := dialBare(ctx, cfg, o)
		if err != nil {
			return nil, err
		}
		r.close = func() { _ = b.Close() }
		if err := b.Subscribe(topic, func(data []byte) []byte {
			r.Record(data)
			return data
		}); err != nil {
			return nil, err
		}
		return r, nil
	}
	a, err := connectAdapter(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	if err := a.Join(topic); err != nil {
		_ = a.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range a.Events() {
			switch ev := ev.(type) {
			case *amop.MessageEvent:
				r.Record(ev.Data)
			case *amop.DropEvent:
				// Counted as lost by the accounting above.
			}
		}
	}()
	r.close = func() { _ = a.Close(); <-done }
	return r, nil
}
