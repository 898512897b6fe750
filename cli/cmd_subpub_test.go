package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// runCmd runs the CLI in-process and returns its exit status and output.
// An empty stdin stands for a terminal (pub then does not read lines).
func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb ntBuffer
	var in io.Reader
	if stdin != "" {
		in = strings.NewReader(stdin)
	}
	code := run(args, stdio{in: in, out: &out, err: &errb})
	return code, out.String(), errb.String()
}

// startSub runs `amoptui sub` in the background; wait for its exit status
// on the returned channel.
func startSub(t *testing.T, args ...string) (*ntBuffer, *ntBuffer, chan int) {
	t.Helper()
	var out, errb ntBuffer
	done := make(chan int, 1)
	go func() { done <- run(append([]string{"sub"}, args...), stdio{out: &out, err: &errb}) }()
	// With --json, the line goes to stderr: stdout carries only JSON.
	ntWait(t, 10*time.Second, "Subscriber success", func() bool {
		return strings.Contains(out.String()+errb.String(), "Subscriber success")
	})
	return &out, &errb, done
}

func TestSubAndPubReproduceTheExamples(t *testing.T) {
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	out, _, done := startSub(t, "--certs", dir, "--count", "3", n.Addr(1), "hello")
	waitSubs(t, n, "hello", 1)

	code, pubOut, pubErr := runCmd(t, "", "pub", "--certs", dir, "--count", "2", "--interval", "10ms", n.Addr(0), "hello")
	if code != 0 {
		t.Fatalf("pub exit %d: %s %s", code, pubOut, pubErr)
	}
	if !strings.Contains(pubOut, "publish message: hello, FISCO BCOS, I am unicast publisher! 0") ||
		!strings.Contains(pubOut, "publish message: hello, FISCO BCOS, I am unicast publisher! 1") || !strings.Contains(pubOut, `✓ reply ""`) {
		t.Fatalf("pub output:\n%s", pubOut)
	}
	// A payload full of escape sequences is printed escaped.
	evil := "\x1b]0;pwned\x07\x1b[2Jgotcha\u009b31m\u202e"
	if code, o, e := runCmd(t, "", "pub", "--certs", dir, "--multicast", n.Addr(0), "hello", evil); code != 0 {
		t.Fatalf("multicast pub exit %d: %s %s", code, o, e)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("sub exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sub did not stop after --count 3")
	}
	got := out.String()
	for _, want := range []string{"received: hello, FISCO BCOS, I am unicast publisher! 0", "received: hello, FISCO BCOS, I am unicast publisher! 1", "gotcha"} {
		if !strings.Contains(got, want) {
			t.Fatalf("sub output lacks %q:\n%s", want, got)
		}
	}
	if strings.ContainsAny(got, "\x1b\x07\u009b\u202e") {
		t.Fatalf("a control character reached the terminal: %q", got)
	}
	// The examples' line shape: "2006/01/02 15:04:05 received: ...".
	line := strings.Split(strings.TrimSpace(got), "\n")[1]
	if _, err := time.Parse("2006/01/02 15:04:05", line[:19]); err != nil || line[19:30] != " received: " {
		t.Fatalf("line shape %q", line)
	}
}

func TestPubToNobodyFailsInPlainWords(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	code, out, _ := runCmd(t, "", "pub", "--certs", n.CertDir(), n.Addr(0), "nobody-here", "hi")
	if code != exitFailure {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(out, `nobody is subscribed to "nobody-here" on any reachable node`) || !strings.Contains(out, "(AMOP 100)") {
		t.Fatalf("output:\n%s", out)
	}
}

func TestPubJSONAndStdinLines(t *testing.T) {
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	out, _, done := startSub(t, "--certs", dir, "--json", "--reply", "echo", "--count", "3", n.Addr(1), "lines")
	waitSubs(t, n, "lines", 1)
	code, pubOut, pubErr := runCmd(t, "first\nsecond\n\xff\xfe\n", "pub", "--certs", dir, "--json", "--interval", "0", n.Addr(0), "lines")
	if code != 0 {
		t.Fatalf("pub exit %d: %s\n%s", code, pubErr, pubOut)
	}
	var recs []pubRecord
	for _, l := range strings.Split(strings.TrimSpace(pubOut), "\n") {
		var r pubRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("pub --json line %q: %v", l, err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 3 || recs[0].Data != "first" || recs[0].Reply != "first" || !recs[1].OK || recs[1].Mode != "unicast" {
		t.Fatalf("pub records %+v", recs)
	}
	<-done
	var subs []subRecord
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r subRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("sub --json line %q: %v", l, err)
		}
		subs = append(subs, r)
	}
	if len(subs) != 3 || subs[0].Data != "first" || subs[0].Size != 5 || subs[0].Reply != "first" {
		t.Fatalf("sub records %+v", subs)
	}
	raw, err := base64.StdEncoding.DecodeString(subs[2].Data)
	if subs[2].Encoding != "base64" || err != nil || string(raw) != "\xff\xfe" {
		t.Fatalf("binary payload record %+v", subs[2])
	}
}

func TestSubSurvivesNodeRestarts(t *testing.T) {
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	out, errb, done := startSub(t, "--certs", dir, "--count", "3", n.Addr(1), "hello")
	waitSubs(t, n, "hello", 1)
	for i := 0; i < 3; i++ {
		if i > 0 {
			if err := n.StopNode(1); err != nil {
				t.Fatal(err)
			}
			if err := n.StartNode(1); err != nil {
				t.Fatal(err)
			}
			waitSubs(t, n, "hello", 1)
		}
		if code, o, e := runCmd(t, "", "pub", "--certs", dir, "--multicast", n.Addr(0), "hello", fmt.Sprint("round ", i)); code != 0 {
			t.Fatalf("pub exit %d: %s %s", code, o, e)
		}
		// The acknowledgement says the node took the message, not that the
		// subscriber has it (README, Reliability): the next restart waits
		// until it has.
		got := fmt.Sprint("received: round ", i)
		ntWait(t, 10*time.Second, got, func() bool { return strings.Contains(out.String(), got) })
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("sub got:\n%s\nstderr:\n%s", out, errb)
	}
	for i := 0; i < 3; i++ {
		if !strings.Contains(out.String(), fmt.Sprint("received: round ", i)) {
			t.Fatalf("missing round %d:\n%s", i, out)
		}
	}
	if !strings.Contains(errb.String(), "re-subscribed 1 topic") {
		t.Fatalf("stderr does not report the re-subscription:\n%s", errb)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	cases := [][]string{
		{"sub", "--nope"},
		{"sub", "127.0.0.1:1"},
		{"sub", "not-an-endpoint", "t"},
		{"pub", "127.0.0.1:20200"},
		{"pub", "--count", "0", "127.0.0.1:20200", "t", "m"},
		{"pub", "127.0.0.1:20200", "_block_notify_1", "m"},
		{"bench", "--mode", "sideways"},
		{"no-such-command"},
	}
	for _, args := range cases {
		if code, _, errOut := runCmd(t, "", args...); code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestBenchSmoke(t *testing.T) {
	code, out, errOut := runCmd(t, "", "bench", "--duration", "1s", "--json")
	if code != 0 {
		t.Fatalf("bench exit %d: %s", code, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	for _, k := range []string{"mode", "size", "msgs", "msgs_per_s", "deliveries_per_s", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "lost", "reordered", "cores", "go_version"} {
		if _, ok := res[k]; !ok {
			t.Errorf("bench JSON lacks %q", k)
		}
	}
	if res["node"] != "in-process" {
		t.Errorf(`bench without ENDPOINT: "node" = %v, want "in-process"`, res["node"])
	}
}

// TestBenchSaysWhereTheNodesRun: a run against endpoints says that its nodes
// are outside the process, on the publisher's and the subscribers' nodes,
// so that nobody compares it with an in-process run (issue 14).
func TestBenchSaysWhereTheNodesRun(t *testing.T) {
	n := local.RunT(t, local.Options{})
	code, out, errOut := runCmd(t, "", "bench", "--duration", "300ms", "--warmup", "100ms", "--certs", n.CertDir(), n.Addr(0), n.Addr(1))
	if code != 0 {
		t.Fatalf("bench exit %d: %s", code, errOut)
	}
	if want := "nodes outside this process: publishers on " + n.Addr(0) + ", subscribers on " + n.Addr(1); !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
	if !strings.Contains(out, "nodes         outside this process") {
		t.Errorf("report lacks the nodes line:\n%s", out)
	}
	code, out, errOut = runCmd(t, "", "bench", "--duration", "300ms", "--warmup", "100ms", "--json", "--certs", n.CertDir(), n.Addr(0), n.Addr(1))
	if code != 0 {
		t.Fatalf("bench --json exit %d: %s", code, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil || res["node"] != "endpoints" {
		t.Errorf(`bench --json against endpoints: "node" = %v (%v), want "endpoints"`, res["node"], err)
	}
}

func waitSubs(t *testing.T, n *local.Network, topic string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, topic, want); err != nil {
		t.Fatal(err)
	}
}

// TestBenchRelayMeasuresTheFloor: `bench --relay` (the real binary, against
// two nodes outside it) carries every message through the null relay and
// says so, in the report and in its JSON, so that the floor of the guard's
// design is measured by the same closed loop as the whole path (issue 14).
func TestBenchRelayMeasuresTheFloor(t *testing.T) {
	bin := filepath.Join(testBinaries(t), "amoptui")
	n := local.RunT(t, local.Options{})
	for _, mode := range []string{"unicast", "multicast"} {
		out, err := exec.Command(bin, "bench", "--relay", "--mode", mode, "--duration", "500ms", "--warmup", "100ms", "--json",
			"--certs", n.CertDir(), n.Addr(0), n.Addr(1)).Output()
		if err != nil {
			t.Fatalf("bench --relay --mode %s: %v", mode, err)
		}
		var res struct {
			Path   string `json:"path"`
			Msgs   int64  `json:"msgs"`
			Errors int64  `json:"errors"`
			Lost   int64  `json:"lost"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("bench --relay --json printed %q: %v", out, err)
		}
		if res.Path != "relay" || res.Msgs == 0 || res.Errors != 0 || res.Lost != 0 {
			t.Errorf("bench --relay --mode %s: %+v, want path relay, messages, no errors or loss", mode, res)
		}
	}
	code, errOut, _ := runBin(t, bin, nil, "bench", "--relay", "--duration", "200ms", "--warmup", "100ms", "--certs", n.CertDir(), n.Addr(0), n.Addr(1))
	if code != 0 || !strings.Contains(errOut, "bare go-sdk → null relay → node path") {
		t.Errorf("bench --relay: exit %d, stderr lacks the path:\n%s", code, errOut)
	}
}
