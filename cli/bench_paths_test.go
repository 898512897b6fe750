package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
	"github.com/amoptui/amoptui/loadgen"
)

// TestBenchGoSDKPathsSayWhatIsWrong: `bench --bare` and `--relay` measure
// go-sdk, and go-sdk's own words for a failure (a 30 s wait, then
// "subscriber block nofity failed", log lines on stderr) are not an answer.
// Both flags at once are refused; 3.x endpoints are refused at once, naming
// the flag; an unreachable node and a 2.x-forced run at a 3.x node end in
// one line with the cause, within the dial bound; go-sdk's log never reaches
// stderr, on failure or success.
func TestBenchGoSDKPathsSayWhatIsWrong(t *testing.T) {
	bin := filepath.Join(testBinaries(t), "amoptui")
	code, errOut, _ := runBin(t, bin, nil, "bench", "--bare", "--relay", "--duration", "100ms")
	if code != exitUsage || !strings.Contains(errOut, "--bare and --relay measure different paths: give one") {
		t.Errorf("--bare --relay: exit %d\n%s", code, errOut)
	}

	n3 := local3.RunT(t, local3.Options{Nodes: 2})
	for _, flag := range []string{"--bare", "--relay"} {
		start := time.Now()
		code, errOut, _ = runBin(t, bin, nil, "bench", flag, "--duration", "100ms", "--certs", n3.CertDir(), n3.Addr(0), n3.Addr(1))
		want := flag + " measures go-sdk v1.1.1, which speaks FISCO BCOS 2.x only: the endpoints are FISCO BCOS 3.x nodes"
		if code != exitUsage || !strings.Contains(errOut, want) || time.Since(start) > 5*time.Second {
			t.Errorf("%s at 3.x nodes: exit %d after %v\n%s", flag, code, time.Since(start).Round(time.Millisecond), errOut)
		}
	}
	start := time.Now()
	code, errOut, _ = runBin(t, bin, nil, "bench", "--bare", "--fisco", "2", "--duration", "100ms", "--certs", n3.CertDir(), n3.Addr(0), n3.Addr(1))
	if code == 0 || !strings.Contains(errOut, "is a FISCO BCOS 3.x node") || time.Since(start) > 25*time.Second {
		t.Errorf("--bare --fisco 2 at 3.x nodes: exit %d after %v\n%s", code, time.Since(start).Round(time.Millisecond), errOut)
	}
	noLog(t, "--bare --fisco 2 at 3.x nodes", errOut)

	n := local.RunT(t, local.Options{})
	dead := ntFreePorts(t, 2)
	code, errOut, _ = runBin(t, bin, nil, "bench", "--relay", "--duration", "100ms", "--certs", n.CertDir(), dead[0], dead[1])
	if code == 0 || !strings.Contains(errOut, "connection refused") || strings.Contains(errOut, "nofity") {
		t.Errorf("--relay at nothing: exit %d\n%s", code, errOut)
	}
	noLog(t, "--relay at nothing", errOut)
	for _, flag := range []string{"--bare", "--relay"} {
		code, errOut, _ = runBin(t, bin, nil, "bench", flag, "--duration", "300ms", "--warmup", "100ms", "--certs", n.CertDir(), n.Addr(0), n.Addr(1))
		if code != 0 {
			t.Errorf("%s: exit %d\n%s", flag, code, errOut)
		}
		noLog(t, flag+" run", errOut)
	}
}

// noLog fails when go-sdk's logrus lines reached stderr.
func noLog(t *testing.T, what, errOut string) {
	t.Helper()
	if strings.Contains(errOut, "level=") {
		t.Errorf("%s: go-sdk's log on stderr:\n%s", what, errOut)
	}
}

// TestBenchReportNamesPathAndNodes: the text report names the nodes as
// addresses (not a Go list), the 3.x path as amop/fisco3 (there is no
// go-sdk or guard behind it), and a run without endpoints says the 2.x path
// it measures on its own network.
func TestBenchReportNamesPathAndNodes(t *testing.T) {
	var b strings.Builder
	printBench(&b, loadgen.Result{Mode: "unicast", Path: "adapter", Line: "3", Network: "127.0.0.1:1,127.0.0.1:2", Node: loadgen.NodeEndpoints})
	if want := "mode          unicast (amop/fisco3 path, FISCO BCOS 3.x, nodes 127.0.0.1:1, 127.0.0.1:2)"; !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
	b.Reset()
	printBench(&b, loadgen.Result{Mode: "multicast", Path: "relay", Line: "2", Network: "local", Node: loadgen.NodeInProcess})
	if want := "mode          multicast (relay path, FISCO BCOS 2.x, the local network)"; !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
	if got := pathName(loadgen.Options{}, amop.LineAuto); got != "adapter → go-sdk → guard → node" {
		t.Errorf("no endpoints, auto: path %q", got)
	}
}
