package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/dial"
	"github.com/amoptui/amoptui/config"
	"github.com/amoptui/amoptui/loadgen"
	"github.com/amoptui/amoptui/sanitize"
)

func init() {
	register(&command{
		name:    "bench",
		usage:   "[--fisco 2|3|auto] [--mode unicast|multicast] [--size BYTES] [--duration D] [--subscribers N] [--publishers N] [--bare | --relay] [--json] [--cpuprofile FILE] [--memprofile FILE] [--certs DIR] [ENDPOINT...]",
		summary: "measure unicast round trips or multicast fan-out (starts its own local network without ENDPOINT)",
		run:     runBench,
	})
}

func runBench(ctx context.Context, args []string, std stdio) int {
	fs := newFlagSet("bench", std)
	var cf connFlags
	cf.register(fs)
	mode := fs.String("mode", "unicast", "unicast (round trip) or multicast (fan-out)")
	var o loadgen.Options
	fs.IntVar(&o.Size, "size", 128, "payload size in bytes (up to 4 MiB)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "measured time, after the warm-up")
	fs.DurationVar(&o.Warmup, "warmup", 0, "unmeasured time first (default: a fifth of --duration, at most 2s)")
	fs.IntVar(&o.Subscribers, "subscribers", 1, "subscriber connections")
	fs.IntVar(&o.Publishers, "publishers", 1, "closed-loop publisher connections")
	fs.BoolVar(&o.Bare, "bare", false, "measure bare go-sdk → node instead of the adapter path the TUI uses")
	fs.BoolVar(&o.Relay, "relay", false, "measure bare go-sdk through a null relay (the guard's two TLS sockets, nothing done between): the floor of the guard's design")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "deadline of each send")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	// The profiles cover the whole process — adapter, go-sdk, guard and,
	// without ENDPOINT, the local nodes — which is what tuning the path needs.
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE` (go tool pprof)")
	memProfile := fs.String("memprofile", "", "write an allocation profile to `FILE` when the run ends")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: amoptui bench "+commands["bench"].usage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return exitCode(std, "bench", err)
	}
	if err := flagsBeforeArgs(fs, args, "ENDPOINT", "[ENDPOINT...]"); err != nil {
		return exitCode(std, "bench", err)
	}
	m, err := amop.ParseMode(*mode)
	if err != nil {
		return exitCode(std, "bench", usagef("--mode: %v", err))
	}
	if err := benchFlags(o, m); err != nil {
		return exitCode(std, "bench", err)
	}
	o.Mode, o.ChainID, o.GroupID = m, cf.chainID, cf.group
	line, err := cf.line()
	if err != nil {
		return exitCode(std, "bench", err)
	}
	o.Line, o.PlainWS = line, cf.noTLS
	if o.Relay && o.Bare {
		return exitCode(std, "bench", usagef("--bare and --relay measure different paths: give one"))
	}
	if o.Relay && line == amop.Line3 {
		return exitCode(std, "bench", usagef("--relay measures go-sdk v1.1.1, which speaks FISCO BCOS 2.x only: drop --relay or --fisco 3"))
	}
	if o.Bare && line == amop.Line3 {
		return exitCode(std, "bench", usagef("--bare measures go-sdk v1.1.1, which speaks FISCO BCOS 2.x only: drop --bare or --fisco 3"))
	}
	for _, ep := range fs.Args() {
		if err := checkEndpoint(ep); err != nil {
			return exitCode(std, "bench", err)
		}
	}
	if err := benchPlacement(fs.Args()); err != nil {
		return exitCode(std, "bench", err)
	}
	if o.Endpoints = fs.Args(); len(o.Endpoints) > 0 {
		dir, found, err := cf.certDirFor(o.Endpoints)
		if err != nil {
			return exitCode(std, "bench", err)
		}
		o.CertDir = dir
		if o.Line == amop.LineAuto {
			o.Line = found
		}
		if (o.Bare || o.Relay) && o.Line == amop.LineAuto {
			// go-sdk would take a 3.x node's TLS session and wait 30 s
			// for a handshake answer: ask the endpoints first.
			cfg := certFiles(dir)
			cfg.Endpoints = o.Endpoints
			o.Line = dial.Detect(cfg, dial.Options{DetectTimeout: probeTimeout}).Line
		}
		if (o.Bare || o.Relay) && o.Line == amop.Line3 {
			return exitCode(std, "bench", usagef("%s measures go-sdk v1.1.1, which speaks FISCO BCOS 2.x only: the endpoints are FISCO BCOS 3.x nodes", benchPathFlag(o)))
		}
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return exitCode(std, "bench", usagef("--cpuprofile: %v", err))
		}
		defer stop()
	}
	if *memProfile != "" {
		// Created now, so that a path that will not take it is told
		// before the run, not after it.
		f, err := os.Create(*memProfile)
		if err != nil {
			return exitCode(std, "bench", usagef("--memprofile: %v", err))
		}
		_ = f.Close()
	}
	if !*asJSON {
		std.notef("bench", "%s, %d B, %s, %s, %s path, %s after warm-up…", m, o.Size,
			plural(max(1, o.Publishers), "publisher", "publishers"), plural(max(1, o.Subscribers), "subscriber", "subscribers"), pathName(o, o.Line), o.Duration)
		std.note("bench", nodePlacement(o.Endpoints))
	}
	res, err := loadgen.Run(ctx, o)
	if err != nil && ctx.Err() == nil && len(o.Endpoints) > 0 && o.Line == amop.Line2 {
		// Forced to 2.x at a 3.x node: the error is only a timeout.
		cfg := certFiles(o.CertDir)
		cfg.Endpoints = o.Endpoints
		if hint := wrongLineHint(cfg, amop.Line2); hint != "" {
			err = fmt.Errorf("%w%s", err, hint)
		}
	}
	if *memProfile != "" {
		if perr := writeAllocProfile(*memProfile); perr != nil {
			return exitCode(std, "bench", perr)
		}
	}
	if err != nil {
		return exitCode(std, "bench", err)
	}
	if *asJSON {
		if err := writeJSONLine(std.out, res); err != nil {
			return exitCode(std, "bench", err)
		}
	} else {
		printBench(std.out, res)
	}
	if res.Errors > 0 || res.Lost > 0 {
		return exitFailure
	}
	return exitOK
}

// benchFlags refuses values that loadgen would replace by its defaults or
// refuse only after a network has been started: each with a sentence and
// the range it takes, before anything runs.
func benchFlags(o loadgen.Options, m amop.Mode) error {
	switch {
	case o.Size < 1 || o.Size > loadgen.MaxSize:
		return usagef("--size %d: want 1 byte to %d bytes (4 MiB)", o.Size, loadgen.MaxSize)
	case m == amop.Multicast && o.Size < loadgen.HeaderLen:
		return usagef("--size %d: a multicast bench needs at least %d bytes to check order and loss", o.Size, loadgen.HeaderLen)
	case o.Duration <= 0:
		return usagef("--duration %v: want a positive duration (the measured time)", o.Duration)
	case o.Warmup < 0:
		return usagef("--warmup %v: want 0 (a fifth of --duration, at most 2s) or a positive duration", o.Warmup)
	case o.Subscribers < 1 || o.Subscribers > loadgen.MaxConns:
		return usagef("--subscribers %d: want 1 to %d", o.Subscribers, loadgen.MaxConns)
	case o.Publishers < 1 || o.Publishers > loadgen.MaxConns:
		return usagef("--publishers %d: want 1 to %d", o.Publishers, loadgen.MaxConns)
	}
	if msg := config.SendTimeoutProblem(o.Timeout); msg != "" {
		return usagef("--timeout %s", msg)
	}
	return nil
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// writeAllocProfile writes every allocation sampled since the start, which
// is where per-message allocations on the hot paths show up.
func writeAllocProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// benchPathFlag is the flag that chose a go-sdk-only path.
func benchPathFlag(o loadgen.Options) string {
	if o.Relay {
		return "--relay"
	}
	return "--bare"
}

func pathName(o loadgen.Options, line amop.Line) string {
	if line == amop.LineAuto && len(o.Endpoints) == 0 {
		line = amop.Line2 // the network started for the run is a 2.x one
	}
	switch {
	case o.Relay:
		return "bare go-sdk → null relay → node"
	case o.Bare:
		return "bare go-sdk → node"
	case line == amop.Line3:
		return "FISCO BCOS 3.x: amop/fisco3 → node"
	case line == amop.LineAuto:
		return "the endpoints' line (detected)"
	}
	return "adapter → go-sdk → guard → node"
}

// nodePlacement says where the nodes of a run are, so that nobody compares
// an in-process figure with a broker running in a process of its own.
// benchPlacement refuses external endpoints that put the publishers and
// the subscribers on one node: a FISCO BCOS 2.8–2.11 node drops AMOP
// between two sessions on itself (real-nodes.md row 13), so the run would
// measure lost messages and 30 s stalls.
func benchPlacement(endpoints []string) error {
	if len(endpoints) == 0 || endpoints[0] != endpoints[len(endpoints)-1] {
		return nil
	}
	return usagef("bench needs two endpoints on different nodes (publishers use the first, subscribers the last): "+
		"a FISCO BCOS 2.8–2.11 node drops AMOP between two sessions on itself, so with %s alone unicasts would be lost or wait 30 s; "+
		"give the second node's endpoint too (e.g. bench %s HOST:20201), or no endpoint to bench a local network started for the run",
		endpoints[0], endpoints[0])
}

func nodePlacement(endpoints []string) string {
	if len(endpoints) == 0 {
		return "nodes in this process (a local network started for the run; compare only with in-process figures)"
	}
	return fmt.Sprintf("nodes outside this process: publishers on %s, subscribers on %s", endpoints[0], endpoints[len(endpoints)-1])
}

func printBench(w io.Writer, r loadgen.Result) {
	path := r.Path
	if path == "adapter" && r.Line == "3" {
		path = "amop/fisco3" // 3.x has no go-sdk and no guard behind its adapter
	}
	network := "the local network"
	if r.Network != "local" {
		network = "nodes " + strings.ReplaceAll(r.Network, ",", ", ")
	}
	fmt.Fprintf(w, "mode          %s (%s path, FISCO BCOS %s.x, %s)\n", r.Mode, path, r.Line, sanitize.String(network))
	where := "in this process"
	if r.Node == loadgen.NodeEndpoints {
		where = "outside this process"
	}
	fmt.Fprintf(w, "nodes         %s\n", where)
	fmt.Fprintf(w, "payload       %d B, %s → %s, %.1fs measured\n", r.Size,
		plural(r.Publishers, "publisher", "publishers"), plural(r.Subscribers, "subscriber", "subscribers"), r.DurationS)
	fmt.Fprintf(w, "messages      %d  (%.0f msgs/s acknowledged)\n", r.Msgs, r.MsgsPerS)
	if r.Mode == "multicast" {
		fmt.Fprintf(w, "deliveries    %.0f/s   lost %d   reordered %d\n", r.DeliveriesPerS, r.Lost, r.Reordered)
	}
	fmt.Fprintf(w, "latency (µs)  p50 %.0f   p90 %.0f   p99 %.0f   p99.9 %.0f   max %.0f\n", r.P50us, r.P90us, r.P99us, r.P999us, r.MaxUs)
	if r.Errors > 0 {
		fmt.Fprintf(w, "errors        %d (first: %s)\n", r.Errors, sanitize.String(r.FirstError))
	}
	fmt.Fprintf(w, "machine       %s, %s\n", plural(r.Cores, "core", "cores"), r.GoVersion)
}
