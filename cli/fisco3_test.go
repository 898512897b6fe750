package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
)

// TestNode3SubPub: `amoptui node --fisco 3` serves a 3.x network that `sub`
// and `pub` use, the line detected (--fisco auto, the default) from the
// endpoint, as on 2.x.
func TestNode3SubPub(t *testing.T) {
	addrs := ntFreePorts(t, 2)
	dir := filepath.Join(t.TempDir(), "certs")
	var out, errb ntBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runNode(ctx, []string{"--fisco", "3", "--verbose", "--listen", strings.Join(addrs, ","), "--certs", dir}, stdio{out: &out, err: &errb})
	}()
	// The first start makes four RSA-2048 keys, which takes seconds on a
	// loaded machine.
	ntWait(t, 60*time.Second, "the banner", func() bool { return strings.Contains(out.String(), "Ctrl+C") })
	for _, want := range []string{"FISCO BCOS 3.x network", "node 0  " + addrs[0], "RSA-2048", "--fisco 3 --node " + addrs[1] + " --certs " + dir} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	subOut, subErr, subDone := startSub(t, "--certs", dir, "--reply", "pong", "--count", "2", addrs[1], "hello")
	code, pubOut, pubErr := runCmd(t, "", "pub", "--certs", dir, "--count", "1", addrs[0], "hello")
	if code != 0 || !strings.Contains(pubOut, `✓ reply "pong"`) {
		t.Fatalf("pub exit %d:\n%s\n%s", code, pubOut, pubErr)
	}
	// A 3.x node acknowledges no multicast: ✓ says it was written
	// (outside report 3, finding 9).
	if code, o, e := runCmd(t, "", "pub", "--certs", dir, "--fisco", "3", "--multicast", addrs[0], "hello", "to all"); code != 0 ||
		!strings.Contains(o, "✓ written to the node in ") || !strings.Contains(o, "(no acknowledgement on 3.x)") || strings.Contains(o, "accepted") {
		t.Fatalf("multicast pub exit %d: %s %s", code, o, e)
	}
	select {
	case code := <-subDone:
		if code != 0 {
			t.Fatalf("sub exit %d: %s", code, subErr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("sub did not stop after --count 2:\n%s\n%s", subOut.String(), subErr.String())
	}
	if got := subOut.String(); !strings.Contains(got, "received: hello, FISCO BCOS, I am unicast publisher! 0") || !strings.Contains(got, "received: to all") {
		t.Fatalf("sub output:\n%s", got)
	}
	// Nobody listens: a sentence with the 3.x code, exit 1.
	code, o, e := runCmd(t, "", "pub", "--certs", dir, "--fisco", "3", "--wait", "0", addrs[0], "nobody")
	if code != exitFailure || !strings.Contains(o+e, "AMOP 3001") {
		t.Fatalf("pub to nobody: exit %d\n%s\n%s", code, o, e)
	}
	// Not a terminal: a line per routing decision on stdout (finding 8),
	// and with --verbose every session opened and closed on stderr.
	ntWait(t, 10*time.Second, "the decision lines", func() bool {
		o := out.String()
		return strings.Contains(o, "unicast 'hello' from s") && strings.Contains(o, "multicast 'hello' from s") &&
			strings.Contains(o, "unicast 'nobody' from s") && strings.Contains(o, "no subscriber (AMOP 3001)")
	})
	ntWait(t, 10*time.Second, "the session lines", func() bool {
		e := errb.String()
		return strings.Contains(e, "session opened") && strings.Contains(e, "session closed") && strings.Contains(e, "reason=\"peer closed\"")
	})
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("node exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the node did not stop")
	}
}

// TestPlanFisco: --fisco and --no-tls reach the client options, and
// problems name the flag.
func TestPlanFisco(t *testing.T) {
	f := &tuiFlags{set: map[string]bool{"fisco": true, "no-tls": true, "node": true}}
	f.fisco, f.noTLS, f.nodes = "3", true, listFlag{"127.0.0.1:20200"}
	f.certs = t.TempDir()
	f.set["certs"] = true
	p, err := planTUI(f)
	if err != nil {
		t.Fatal(err)
	}
	if p.dial.Line != amop.Line3 || !p.dial.PlainWS {
		t.Fatalf("dial %+v", p.dial)
	}
	f.fisco = "2"
	if _, err := planTUI(f); err == nil || !strings.Contains(err.Error(), "--no-tls") {
		t.Fatalf("2.x without TLS: %v", err)
	}
	f = &tuiFlags{set: map[string]bool{"fisco": true}}
	f.fisco = "4"
	if _, err := planTUI(f); err == nil || !strings.Contains(err.Error(), "--fisco") {
		t.Fatalf("bad line: %v", err)
	}
	f = &tuiFlags{set: map[string]bool{"local-like": true}}
	f.localLike = "3.16"
	if p, err := planTUI(f); err != nil || p.embeddedLine != amop.Line3 {
		t.Fatalf("--local-like 3.16: %+v %v", p.embeddedLine, err)
	}
}

// TestBench3: bench measures the 3.x path on a network of its own.
func TestBench3(t *testing.T) {
	code, out, errs := runCmd(t, "", "bench", "--fisco", "3", "--duration", "500ms", "--warmup", "100ms", "--json")
	if code != 0 || !strings.Contains(out, `"line":"3"`) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = runCmd(t, "", "bench", "--fisco", "3", "--bare", "--duration", "100ms")
	if code == 0 || !strings.Contains(errs, "2.x only") {
		t.Fatalf("bare on 3.x: exit %d %s", code, errs)
	}
}
