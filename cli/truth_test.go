package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// TestSubThenPubAtOnceOnARealChain: against nodes that behave as 2.9.1
// nodes do (the faithful local mode: 5 s topic sync), `sub` then `pub
// --count 30` at once succeeds 30 times, because pub asks again while no
// node knows a subscriber yet; sub says that other nodes learn of its
// subscription within 5 s, and when they have.
func TestSubThenPubAtOnceOnARealChain(t *testing.T) {
	n := local.RunT(t, local.Options{Like: "2.9"})
	dir := n.CertDir()
	_, subErr, done := startSub(t, "--certs", dir, "--reply", "pong", "--count", "30", n.Addr(1), "svc")
	code, out, errOut := runCmd(t, "", "pub", "--certs", dir, "--count", "30", "--interval", "10ms", n.Addr(0), "svc", "hi")
	if code != 0 || strings.Count(out, `✓ reply "pong"`) != 30 {
		t.Fatalf("pub exit %d, %d replies:\n%s\n%s", code, strings.Count(out, `✓ reply "pong"`), out, errOut)
	}
	waitDone(t, done) // bounded: a lost message must fail the test, not hang it
	if !strings.Contains(subErr.String(), "other nodes learn of the subscription within 5 s") {
		t.Fatalf("sub did not tell the propagation window:\n%s", subErr.String())
	}
}

// TestSubSaysWhenTheWindowIsOver: the window closes visibly after 5 s.
func TestSubSaysWhenTheWindowIsOver(t *testing.T) {
	n := local.RunT(t, local.Options{Like: "2.9"})
	_, subErr, done := startSub(t, "--certs", n.CertDir(), "--count", "1", n.Addr(1), "svc")
	ntWait(t, 15*time.Second, "the end of the window", func() bool {
		return strings.Contains(subErr.String(), "every node knows of the subscription now")
	})
	if code, out, errOut := runCmd(t, "", "pub", "--certs", n.CertDir(), "--multicast", "--wait", "0", n.Addr(0), "svc", "x"); code != 0 {
		t.Fatalf("pub exit %d: %s %s", code, out, errOut)
	}
	waitDone(t, done) // bounded: a lost message must fail the test, not hang it
}

// TestIdealNetworkSaysNothingOfWindows: the ideal local network knows a
// topic everywhere at once, and sub and pub do not pretend otherwise.
func TestIdealNetworkSaysNothingOfWindows(t *testing.T) {
	n := local.RunT(t, local.Options{})
	out, subErr, done := startSub(t, "--certs", n.CertDir(), "--count", "1", n.Addr(1), "svc")
	waitSubs(t, n, "svc", 1)
	code, pubOut, pubErr := runCmd(t, "", "pub", "--certs", n.CertDir(), "--multicast", n.Addr(0), "svc", "all")
	if code != 0 || !strings.Contains(pubOut, "✓ accepted by the node") || !strings.Contains(pubOut, "not a delivery receipt") {
		t.Fatalf("pub exit %d:\n%s\n%s", code, pubOut, pubErr)
	}
	if strings.Contains(pubErr, "waiting") {
		t.Fatalf("pub waited on the ideal network: %s", pubErr)
	}
	waitDone(t, done)
	if strings.Contains(subErr.String(), "learn of") || !strings.Contains(out.String(), "received: all") {
		t.Fatalf("sub on the ideal network:\n%s\n%s", out.String(), subErr.String())
	}
}

// TestPubWaitIsBounded: --wait bounds how long an AMOP 100 is retried, and
// 0 turns the retries off; either way pub explains the 100 in plain words.
func TestPubWaitIsBounded(t *testing.T) {
	n := local.RunT(t, local.Options{Like: "2.9"})
	start := time.Now()
	code, out, errOut := runCmd(t, "", "pub", "--certs", n.CertDir(), "--wait", "2s", n.Addr(0), "nobody-here", "hi")
	took := time.Since(start)
	if code != exitFailure || !strings.Contains(out, "(AMOP 100)") || !strings.Contains(errOut, "--wait 0 turns this off") {
		t.Fatalf("pub exit %d:\n%s\n%s", code, out, errOut)
	}
	if took < time.Second {
		t.Fatalf("--wait 2s gave up after %s", took)
	}
	code, out, errOut = runCmd(t, "", "pub", "--certs", n.CertDir(), "--wait", "0", n.Addr(0), "nobody-here", "hi")
	if code != exitFailure || !strings.Contains(out, "a subscriber joined less than 5 s ago") || strings.Contains(errOut, "asks again") {
		t.Fatalf("pub --wait 0 exit %d:\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "", "pub", "--wait", "-1s", n.Addr(0), "t", "hi"); code != exitUsage || !strings.Contains(errOut, "--wait") {
		t.Fatalf("a negative --wait: exit %d: %s", code, errOut)
	}
}

// TestBenchRefusesOneNode: publishers and subscribers on one external node
// would measure the node's own-node drop, so bench says why it will not.
func TestBenchRefusesOneNode(t *testing.T) {
	code, _, errOut := runCmd(t, "", "bench", "127.0.0.1:1")
	if code != exitUsage || !strings.Contains(errOut, "two endpoints on different nodes") || !strings.Contains(errOut, "drops AMOP between two sessions on itself") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", "bench", "127.0.0.1:1", "127.0.0.1:1"); code != exitUsage {
		t.Fatalf("the same endpoint twice: exit %d: %s", code, errOut)
	}
}

// TestPubJSONReportsLateReplies: a reply that comes after pub --json gave
// up on its send is a JSON line of its own ("kind":"late", the message's
// number, the reply's bytes), and pub --replay of the log re-sends only
// the sends, not the late line.
func TestPubJSONReportsLateReplies(t *testing.T) {
	n := local.RunT(t, local.Options{PushTimeout: 20 * time.Second})
	dir := n.CertDir()
	_, _, done := startSub(t, "--certs", dir, "--exec-shell", "--exec", "sleep 2; printf late", "--count", "2", n.Addr(1), "slow")
	waitSubs(t, n, "slow", 1)
	code, out, errOut := runCmd(t, "", "pub", "--certs", dir, "--json", "--timeout", "1s", "--count", "2", "--interval", "4s",
		n.Addr(0), "slow", "q{{.Seq}}")
	if code != exitFailure {
		t.Fatalf("pub exit %d, want %d (the sends timed out):\n%s\n%s", code, exitFailure, out, errOut)
	}
	type rec struct {
		Kind    string   `json:"kind"`
		Index   int      `json:"index"`
		Topic   string   `json:"topic"`
		Mode    string   `json:"mode"`
		Data    string   `json:"data"`
		OK      bool     `json:"ok"`
		Reply   string   `json:"reply"`
		AfterMs *float64 `json:"after_ms"`
	}
	recs := decodeLines[rec](t, out)
	if len(recs) < 3 || recs[0].Kind != "" || recs[0].OK || recs[0].Data != "q1" {
		t.Fatalf("pub --json wrote:\n%s", out)
	}
	late := recs[1]
	if late.Kind != "late" || late.Index != 1 || late.Topic != "slow" || late.Mode != "unicast" || !late.OK ||
		late.Reply != "late" || late.AfterMs == nil || *late.AfterMs < 1900 {
		t.Fatalf("the second line is not message 1's late reply:\n%s", out)
	}
	waitDone(t, done)
	log := filepath.Join(t.TempDir(), "pub.jsonl")
	if err := os.WriteFile(log, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, done = startSub(t, "--certs", dir, "--reply", "pong", "--count", "2", n.Addr(1), "slow")
	waitSubs(t, n, "slow", 1)
	code, rout, rerr := runCmd(t, "", "pub", "--certs", dir, "--replay", log, "--as-fast-as-possible", n.Addr(0))
	if code != 0 || strings.Count(rout, `✓ reply "pong"`) != 2 {
		t.Fatalf("replay of the log: exit %d\n%s\n%s", code, rout, rerr)
	}
	waitDone(t, done)
}
