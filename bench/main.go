// Command compare is the comparison harness of issue 5: it measures
// amoptui's AMOP paths (by running `amoptui bench --json`) and NATS over
// mutual TLS on the same machine, with the same method — warm-up, closed
// loop, every round trip recorded and sorted — interleaved A/B, and prints
// the medians and the ratios the goals are stated in. It lives in
// its own module so that NATS never enters the product's dependencies.
// bench/run.sh is the one command that sets everything up and runs it.
//
//	compare certs DIR
//	compare freeport
//	compare run --amoptui BIN --nats tls://127.0.0.1:PORT --certs DIR [--rounds 3] [--duration 5s] ...
//	compare report RESULTS.jsonl
//	compare ab --a BIN --b BIN --certs DIR [--rounds 5] [--cases uni,bare-uni,mc1,mc10]
//	compare nats --mode unicast|multicast --nats URL --certs DIR [--subscribers N] ...
//	compare tls-echo --certs DIR ...
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

const usage = `usage:
  compare certs DIR                 write a throwaway P-256 CA, server and client certificate
  compare freeport                  print a free TCP port on 127.0.0.1
  compare run [flags]               the interleaved comparison (see compare run -h)
  compare report RESULTS.jsonl      print the tables again from a results file
  compare ab --a BIN --b BIN        interleaved A/B of two amoptui builds (see compare ab -h)
  compare nats [flags]              one NATS run, as JSON
  compare tls-echo [flags]          one raw TLS echo run, as JSON
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "certs":
		if len(args) != 2 {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = writeCerts(args[1])
	case "freeport":
		var port int
		if port, err = freePort(); err == nil {
			fmt.Fprintln(stdout, port)
		}
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "report":
		if len(args) != 2 {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = cmdReport(args[1], stdout)
	case "ab":
		err = cmdAB(ctx, args[1:], stdout, stderr)
	case "nats", "tls-echo":
		err = cmdOne(ctx, args[0], args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "compare:", err)
		return 1
	}
	return 0
}

// freePort asks the kernel for a port nothing listens on now; nats-server
// takes it a moment later (a race another process could win, which only
// makes the script fail loudly).
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// common are the flags every measuring subcommand has.
type common struct {
	loopOptions
	certs string
	url   string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.IntVar(&c.Size, "size", 128, "payload bytes")
	fs.IntVar(&c.Publishers, "publishers", 1, "closed-loop publisher connections")
	fs.DurationVar(&c.Duration, "duration", 5*time.Second, "measured time of each run")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "unmeasured time before each run")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "deadline of each send")
	fs.StringVar(&c.certs, "certs", "", "directory written by `compare certs`")
	fs.StringVar(&c.url, "nats", "", "NATS URL, tls://127.0.0.1:PORT")
}

func (c *common) check(needNATS bool) error {
	if c.certs == "" {
		return errors.New("--certs is required")
	}
	if needNATS && c.url == "" {
		return errors.New("--nats is required")
	}
	if c.Size < headerLen || c.Size > 4<<20 || c.Publishers < 1 || c.Duration <= 0 || c.Warmup < 0 || c.Timeout <= 0 {
		return fmt.Errorf("want --size %d B to 4 MiB, --publishers ≥ 1 and positive durations", headerLen)
	}
	return nil
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("compare "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// cmdOne is a single NATS or floor run, for trying things out by hand.
func cmdOne(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(name, stderr)
	var c common
	c.register(fs)
	mode := fs.String("mode", "unicast", "unicast (request/reply) or multicast (publish+flush); nats only")
	subs := fs.Int("subscribers", 1, "responder or subscriber connections; nats only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.check(name == "nats"); err != nil {
		return err
	}
	var res Result
	var err error
	switch {
	case name == "tls-echo":
		res, err = tlsEcho(ctx, c.loopOptions, c.certs)
	case *mode == "unicast":
		res, err = natsRequestReply(ctx, natsOptions{c.loopOptions, c.url, c.certs, max(1, *subs)})
	case *mode == "multicast":
		res, err = natsPublishFlush(ctx, natsOptions{c.loopOptions, c.url, c.certs, max(1, *subs)})
	default:
		return fmt.Errorf("--mode %q: want unicast or multicast", *mode)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

// cmdRun is the comparison: rounds of interleaved A/B pairs (each bare
// go-sdk run right after the whole-path run it is compared with) and the
// floor, then the 1 MiB round trips once; every run goes
// to the results file as it finishes, and the tables come at the end.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	var c common
	c.register(fs)
	bin := fs.String("amoptui", "", "the amoptui binary (built from the root module)")
	rounds := fs.Int("rounds", 3, "interleaved rounds")
	out := fs.String("out", "", "append every run as one JSON line to this file")
	big := fs.Bool("1mib", true, "also run the 1 MiB unicast round trips once")
	natsPID := fs.Int("nats-pid", 0, "nats-server's pid, so that its CPU time is not counted as other processes' load")
	nodeProfile := fs.String("node-cpuprofile", "", "write a CPU profile of the `amoptui node` process to this file")
	inProc := fs.Bool("in-process", true, "also measure amoptui with its nodes inside the measuring process (secondary table)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.check(true); err != nil {
		return err
	}
	if *bin == "" {
		return errors.New("--amoptui is required")
	}
	var sink io.Writer = io.Discard
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		sink = f
	}
	m := machine{Cores: runtime.NumCPU(), CPU: cpuModel(), Kernel: kernel(), HarnessGo: runtime.Version(), LoadAvgBefore: loadAvg()}
	node, err := startNode(ctx, *bin, *nodeProfile, stderr)
	if err != nil {
		return err
	}
	defer node.stop()
	var recs []record
	o := c.loopOptions
	step := func(round int, name string, measure func() (Result, error)) error {
		la := loadAvg()
		fmt.Fprintf(stderr, "round %d: %-45s load %s … ", round, name, la)
		// The server side of each case: nats-server for NATS, the node
		// process for the like-for-like amoptui cases.
		server := 0
		switch {
		case strings.HasPrefix(name, "NATS"):
			server = *natsPID
		case !strings.HasSuffix(name, inProcess) && !strings.HasPrefix(name, "raw TLS"):
			server = node.pid()
		}
		before, cpuErr := sampleCPU(server)
		res, err := measure()
		if err != nil {
			fmt.Fprintln(stderr, "failed")
			return fmt.Errorf("%s, round %d: %w", name, round, err)
		}
		r := record{Case: name, Round: round, LoadAvg: la, Result: res, OthersCores: -1, StealCores: -1}
		r.CPUPerMsgUs = -1
		if !node.alive() {
			return fmt.Errorf("%s, round %d: amoptui node exited: %s", name, round, node.lastOutput())
		}
		if after, err := sampleCPU(server); err == nil && cpuErr == nil {
			r.OthersCores, r.StealCores = othersCores(before, after)
			if n := res.MsgsPerS * (res.DurationS + o.Warmup.Seconds()); n > 0 {
				r.CPUPerMsgUs = (after.ours - before.ours) * 1e6 / n
			}
		}
		fmt.Fprintf(stderr, "%8.0f msgs/s  p50 %6.0f µs  p99 %6.0f µs  others %.2f cores\n", res.MsgsPerS, res.P50us, res.P99us, r.OthersCores)
		recs = append(recs, r)
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = sink.Write(append(line, '\n'))
		return err
	}
	nats := func(o loopOptions, subs int) natsOptions { return natsOptions{o, c.url, c.certs, subs} }
	// amop measures against the node process; amopIn with the nodes in
	// the measuring process.
	amop := func(o loopOptions, mode string, subs int, bare bool) func() (Result, error) {
		r := amoptuiRun{Bin: *bin, Mode: mode, Bare: bare, Subscribers: subs, loopOptions: o,
			Extra: append([]string{"--certs", node.certs}, node.addrs...)}
		return func() (Result, error) { return r.run(ctx) }
	}
	amopIn := func(o loopOptions, mode string, subs int, bare bool) func() (Result, error) {
		r := amoptuiRun{Bin: *bin, Mode: mode, Bare: bare, Subscribers: subs, loopOptions: o}
		return func() (Result, error) { return r.run(ctx) }
	}
	relay := func(o loopOptions, mode string, subs int) func() (Result, error) {
		r := amoptuiRun{Bin: *bin, Mode: mode, Relay: true, Subscribers: subs, loopOptions: o,
			Extra: append([]string{"--certs", node.certs}, node.addrs...)}
		return func() (Result, error) { return r.run(ctx) }
	}
	type stepT struct {
		name    string
		measure func() (Result, error)
	}
	for round := 1; round <= *rounds; round++ {
		steps := []stepT{
			{caseNatsRR, func() (Result, error) { return natsRequestReply(ctx, nats(o, 1)) }},
			{caseAmopUni, amop(o, "unicast", 1, false)},
			{caseBareUni, amop(o, "unicast", 1, true)},
			{caseRelayUni, relay(o, "unicast", 1)},
			{caseNatsPub1, func() (Result, error) { return natsPublishFlush(ctx, nats(o, 1)) }},
			{caseAmopMc1, amop(o, "multicast", 1, false)},
			{caseBareMc1, amop(o, "multicast", 1, true)},
			{caseRelayMc1, relay(o, "multicast", 1)},
			{caseNatsPub10, func() (Result, error) { return natsPublishFlush(ctx, nats(o, 10)) }},
			{caseAmopMc10, amop(o, "multicast", 10, false)},
			{caseBareMc10, amop(o, "multicast", 10, true)},
			{caseRelayMc10, relay(o, "multicast", 10)},
			{caseTLSEcho, func() (Result, error) { return tlsEcho(ctx, o, c.certs) }},
		}
		if *inProc {
			steps = append(steps,
				stepT{caseAmopUniIn, amopIn(o, "unicast", 1, false)},
				stepT{caseBareUniIn, amopIn(o, "unicast", 1, true)},
				stepT{caseAmopMc1In, amopIn(o, "multicast", 1, false)},
				stepT{caseAmopMc10In, amopIn(o, "multicast", 10, false)},
			)
		}
		for _, s := range steps {
			if err := step(round, s.name, s.measure); err != nil {
				return err
			}
		}
	}
	if *big {
		o1 := o
		o1.Size = 1 << 20
		if err := step(1, caseNats1MiB, func() (Result, error) { return natsRequestReply(ctx, nats(o1, 1)) }); err != nil {
			return err
		}
		if err := step(1, caseAmop1MiB, amop(o1, "unicast", 1, false)); err != nil {
			return err
		}
		if err := step(1, caseBare1MiB, amop(o1, "unicast", 1, true)); err != nil {
			return err
		}
	}
	m.LoadAvgAfter = loadAvg()
	fmt.Fprintln(stdout)
	writeReport(stdout, recs, m)
	return nil
}

// cmdReport prints the tables of a results file written by run --out.
func cmdReport(path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		r.Case = legacyCase(r)
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	m := machine{Cores: runtime.NumCPU(), CPU: cpuModel(), Kernel: kernel(), HarnessGo: runtime.Version(), LoadAvgBefore: "?", LoadAvgAfter: "?"}
	if len(recs) > 0 {
		m.LoadAvgBefore, m.LoadAvgAfter = recs[0].LoadAvg, recs[len(recs)-1].LoadAvg
	}
	writeReport(stdout, recs, m)
	return nil
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func kernel() string {
	data, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(data))
}

// loadAvg is /proc/loadavg's three averages: the machine is shared, and the
// figures mean little without the load they were taken under.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
