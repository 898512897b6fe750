package main

import (
	"bytes"
	"context"
	"github.com/amoptui/amoptui/loadgen"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// The self-tests of the harness's own pieces. They run with
// `cd bench && go test ./...`; the root module's tests never descend here.

var quick = loopOptions{Size: 128, Publishers: 1, Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond, Timeout: 5 * time.Second}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{9, 1, 5}, 5}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestTLSEchoFloor(t *testing.T) {
	dir := t.TempDir()
	if err := writeCerts(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, clientKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("client key: %v %v", fi, err)
	}
	res, err := tlsEcho(context.Background(), quick, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Msgs == 0 || res.Errors != 0 || res.P50us <= 0 {
		t.Fatalf("%+v", res)
	}
	if !strings.HasPrefix(res.TLS, "TLS 1.2 TLS_ECDHE_ECDSA_") {
		t.Errorf("negotiated %q, want TLS 1.2 with ECDSA", res.TLS)
	}
}

// TestNATS runs both NATS measurements against a real nats-server with
// mutual TLS, when one is installed (bench/run.sh installs it).
func TestNATS(t *testing.T) {
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/nats-server"); err != nil {
			t.Skip("nats-server is not installed (apt-get install nats-server)")
		}
		bin = "/usr/sbin/nats-server"
	}
	dir := t.TempDir()
	if err := writeCerts(dir); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	conf := "listen: 127.0.0.1:" + strconv.Itoa(port) + "\ntls {\n" +
		"  cert_file: \"" + filepath.Join(dir, serverCertFile) + "\"\n" +
		"  key_file: \"" + filepath.Join(dir, serverKeyFile) + "\"\n" +
		"  ca_file: \"" + filepath.Join(dir, caCertFile) + "\"\n  verify: true\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "nats.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", filepath.Join(dir, "nats.conf"))
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	o := natsOptions{loopOptions: quick, URL: "tls://127.0.0.1:" + strconv.Itoa(port), CertDir: dir, Subscribers: 1}
	var res Result
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err = natsRequestReply(context.Background(), o); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("request/reply: %v\n%s", err, log.String())
	}
	if res.Msgs == 0 || res.Errors != 0 || !strings.HasPrefix(res.Server, "nats-server ") || res.TLS == "" {
		t.Fatalf("request/reply: %+v", res)
	}

	// A client without a certificate is refused: the broker verifies clients.
	if nc, err := nats.Connect(o.URL, nats.RootCAs(filepath.Join(dir, caCertFile)), nats.Timeout(2*time.Second)); err == nil {
		nc.Close()
		t.Error("a client without a certificate was let in")
	}
	o.Subscribers = 3
	res, err = natsPublishFlush(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Msgs == 0 || res.Errors != 0 || res.Lost != 0 || res.Reordered != 0 || res.DeliveriesPerS < 2*res.MsgsPerS {
		t.Fatalf("publish+flush: %+v", res)
	}
}

// TestAmoptuiRunDecodesTheBenchJSON runs a stand-in for the binary that
// prints what `amoptui bench --json` prints, exiting 1 as it does on loss.
func TestAmoptuiRunDecodesTheBenchJSON(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "amoptui")
	script := "#!/bin/sh\necho \"$@\" > " + filepath.Join(dir, "args") + "\n" +
		`echo '{"mode":"multicast","path":"adapter","size":128,"msgs":10,"msgs_per_s":2,"p50_us":100,"lost":3}'` + "\nexit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := amoptuiRun{Bin: fake, Mode: "multicast", Subscribers: 10, Bare: true, loopOptions: quick}
	res, err := r.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "multicast" || res.Lost != 3 || res.P50us != 100 || !strings.Contains(res.FirstError, "exit status 1") {
		t.Errorf("%+v", res)
	}
	args, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bench --json --mode multicast", "--size 128", "--duration 300ms", "--warmup 50ms", "--subscribers 10", "--bare"} {
		if !strings.Contains(string(args), want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
}

func TestReportRatios(t *testing.T) {
	var recs []record
	add := func(c string, round int, r Result) { recs = append(recs, record{Case: c, Round: round, Result: r}) }
	for round := 1; round <= 3; round++ {
		f := float64(round)
		add(caseNatsRR, round, Result{Result: loadgen.Result{P50us: 200, P99us: 400 * f}})
		add(caseAmopUni, round, Result{Result: loadgen.Result{P50us: 100 * f, P99us: 500}})
		add(caseNatsPub1, round, Result{Result: loadgen.Result{MsgsPerS: 1000}})
		add(caseAmopMc1, round, Result{Result: loadgen.Result{MsgsPerS: 950, Reordered: int64(round - 1)}})
		add(caseNatsPub10, round, Result{Result: loadgen.Result{MsgsPerS: 1000}})
		add(caseAmopMc10, round, Result{Result: loadgen.Result{MsgsPerS: 500}})
		add(caseBareUni, round, Result{Result: loadgen.Result{P50us: 100}})
		add(caseRelayUni, round, Result{Result: loadgen.Result{P50us: 80 * f, P99us: 400}})
		add(caseRelayMc1, round, Result{Result: loadgen.Result{MsgsPerS: 1000}})
	}
	add(caseAmop1MiB, 1, Result{Result: loadgen.Result{P50us: 20000, P99us: 90000, MaxUs: 120000}})
	byWhat := map[string]goal{}
	for _, g := range goals(recs) {
		byWhat[g.What] = g
	}
	check := func(what string, value float64, met string) {
		t.Helper()
		g, ok := byWhat[what]
		if !ok {
			t.Fatalf("no goal %q", what)
		}
		if g.Value < value-1e-9 || g.Value > value+1e-9 || g.Met != met {
			t.Errorf("%s: %v %q, want %v %q", what, g.Value, g.Met, value, met)
		}
	}
	check("unicast p50 / NATS request/reply p50", 1.0, "met")
	check("unicast p99 / NATS request/reply p99", 500.0/800, "met")
	check("multicast msgs/s / NATS publish+flush, 1 sub", 0.95, "missed")
	check("multicast msgs/s / NATS publish+flush, 10 subs", 0.5, "missed")
	check("multicast loss / reordering seen by the adapter", 0, "missed")
	check("1 MiB unicast round trip, p50 (p99, max)", 20, "p50 met, p99 met")
	check("guard overhead: whole path / bare go-sdk, unicast p50", 2, "missed")
	for _, g := range floors(recs) {
		byWhat[g.What] = g
	}
	check("floor of the design: null relay / bare go-sdk, unicast p50", 1.6, "")
	check("above the floor: whole path / null relay, unicast p50", 1.25, "")
	check("above the floor: whole path / null relay, multicast msgs/s, 1 sub", 0.95, "")
	if g := byWhat["floor of the design: null relay multicast msgs/s / NATS, 10 subs"]; !g.Ignored {
		t.Errorf("a floor without its null relay runs was computed: %+v", g)
	}
	if g := byWhat["unicast p50 / NATS request/reply p50"]; len(g.Rounds) != 3 || g.Rounds[2] != 1.5 {
		t.Errorf("per-round ratios %v, want 0.5, 1, 1.5", g.Rounds)
	}

	var out bytes.Buffer
	writeReport(&out, recs, machine{Cores: 2, CPU: "test CPU", LoadAvgBefore: "1 2 3", LoadAvgAfter: "4 5 6"})
	for _, want := range []string{"Medians over 3 interleaved round(s)", "| amoptui unicast | 3 |", "| 0.500× | 0.50, 0.50, 0.50 | ≥ 0.8 | missed |", "Like for like: `amoptui node` in a process of its own",
		"| 0 / 3 |", "not measured", "2 cores, test CPU", "1 2 3 before, 4 5 6 after"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestInProcessRunsAreSecondary: the in-process cases get a table of their
// own and never feed the goals, and the amoptui runs of a results file from
// before the node had its own process are read as in-process ones.
func TestInProcessRunsAreSecondary(t *testing.T) {
	recs := []record{
		{Case: caseNatsRR, Round: 1, Result: Result{Result: loadgen.Result{P50us: 200}}},
		{Case: caseAmopUniIn, Round: 1, Result: Result{Result: loadgen.Result{P50us: 100, Node: loadgen.NodeInProcess}}},
	}
	for _, g := range goals(recs) {
		if g.What == "unicast p50 / NATS request/reply p50" && !g.Ignored {
			t.Errorf("an in-process run fed the like-for-like goal: %+v", g)
		}
	}
	var out bytes.Buffer
	writeReport(&out, recs, machine{})
	if !strings.Contains(out.String(), "Secondary: the local network inside the measuring process") ||
		!strings.Contains(out.String(), "| "+caseAmopUniIn+" | 1 |") {
		t.Errorf("no secondary table:\n%s", out.String())
	}
	old := record{Case: "amoptui unicast"}
	if got := legacyCase(old); got != caseAmopUniIn {
		t.Errorf("legacy %q read as %q, want %q", old.Case, got, caseAmopUniIn)
	}
	for _, r := range []record{{Case: caseNatsRR}, {Case: caseTLSEcho}, {Case: caseAmopUni, Result: Result{Result: loadgen.Result{Node: loadgen.NodeEndpoints}}}} {
		if got := legacyCase(r); got != r.Case {
			t.Errorf("%q renamed to %q", r.Case, got)
		}
	}
}

// TestNodeProcess builds amoptui and runs the harness's node process: it
// listens on two loopback ports, `amoptui bench` reaches it as endpoints,
// and stop ends it by its pid (with its profile written).
func TestNodeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds amoptui")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "amoptui")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".." // the root module, with its own go.sum
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	prof := filepath.Join(dir, "node.pprof")
	var log bytes.Buffer
	p, err := startNode(context.Background(), bin, prof, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	if p.pid() == 0 || len(p.addrs) != 2 {
		t.Fatalf("pid %d, addrs %v", p.pid(), p.addrs)
	}
	r := amoptuiRun{Bin: bin, Mode: "unicast", Subscribers: 1, loopOptions: quick, Extra: append([]string{"--certs", p.certs}, p.addrs...)}
	res, err := r.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Node != loadgen.NodeEndpoints || res.Msgs == 0 || res.Errors != 0 {
		t.Errorf("bench against the node process: %+v", res)
	}
	pid := p.pid()
	p.stop()
	if p.alive() || p.pid() != 0 {
		t.Error("node still running after stop")
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("pid %d still exists", pid)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("no node profile: %v", err)
	}
}

func TestRunRejectsBadUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{nil, {"nope"}, {"certs"}, {"run"}, {"nats", "--certs", "x"}, {"tls-echo", "--certs", "x", "--size", "3"}} {
		if code := run(context.Background(), args, &stdout, &stderr); code == 0 {
			t.Errorf("%q: exit 0", args)
		}
	}
}

func TestOthersCPU(t *testing.T) {
	a, err := sampleCPU(os.Getpid()) // counts this process twice; harmless here
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
	}
	b, err := sampleCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if b.ours <= a.ours || b.busy < a.busy {
		t.Errorf("spinning 100 ms did not show: %+v → %+v", a, b)
	}
	others, steal := othersCores(a, b)
	if others < 0 || others > float64(runtime.NumCPU()) || steal < 0 {
		t.Errorf("others %.2f, steal %.2f cores", others, steal)
	}
	if _, err := procCPU(1 << 30); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
