// Package attack_test runs issue 11's attacks from a separate process
// (attack/internal/attacker, standard library only, sharing no code with
// amoptui) against the real `amoptui node` binary, while a bystander pair —
// a publisher and a subscriber through the real adapter — keeps talking. The
// node must keep the bystander served (unicast p99 under 100 ms with -tags
// chaos, 1 s in go test; every acknowledged multicast delivered, nothing
// failed) and its memory bounded.
// And a hostile node (the same attacker program) must not bloat `amoptui
// sub`.
//
// go test runs each attack for 6 s; `go test -tags chaos` runs them for
// 60 s (attack_long_test.go). AMOPTUI_ATTACK_BIN=/path/to/amoptui attacks
// another build, e.g. an older commit's, for a before/after comparison:
//
//	git worktree add /tmp/old 8f1a61f && (cd /tmp/old && go build -o /tmp/old/amoptui .)
//	AMOPTUI_ATTACK_BIN=/tmp/old/amoptui go test -run TestAttacks -v ./attack/
package attack_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Bounds every attack is held to.
const (
	rssBound = 256 << 20  // the node's resident memory, at its peak
	killAt   = 1536 << 20 // an unprotected node is stopped here, not allowed to take the machine
	// The bystander's unicast round trip, p99: strictly with -tags chaos
	// (TestAttacksLong, on a quiet machine), and in go test, which runs
	// under -race on loaded CI machines, with room for the load: on this
	// 2-core machine at load 8-13 the bystander's p99 reached 160-270 ms
	// on F3-F5 (it and go-sdk are race-instrumented, and the attacker
	// takes a core), while the build before the limits
	// (AMOPTUI_ATTACK_BIN) stalled it for seconds: p99 7.0 s on F2 and
	// 8.0 s on F4. 1 s stays well apart from both.
	p99Strict = 100 * time.Millisecond
	p99Short  = time.Second
	shortTime = 6 * time.Second
)

// attack is one attacker run against node node of a fresh `amoptui node`.
type attack struct {
	name string
	args []string
	node int
}

// attacks are issue 11's F1–F6, at full size; only their duration differs
// between go test and -tags chaos.
var attacks = []attack{
	// F1: 160 sessions in four waves of 40, each one header declaring
	// 100 MiB (and 6 bytes).
	{"F1 160 headers declaring 100 MiB", []string{"-mode", "declare", "-sessions", "160", "-waves", "4", "-declare", "104857600"}, 0},
	// F2: one 0x32 of 30,000 private-topic names.
	{"F2 30,000 private topics", []string{"-mode", "private", "-n", "30000"}, 0},
	// F3: one 0x32 of 4.2 million topics (40 MB).
	{"F3 4.2 million topics", []string{"-mode", "topics", "-n", "4200000"}, 0},
	// F4: a subscriber of the bystander's multicast topic that never
	// reads, its queue filled by a flood of 64 KiB multicasts.
	{"F4 subscriber that never reads", []string{"-mode", "noread", "-topic", "victim," + multiTopic, "-size", "65536"}, 1},
	// F5: 64 KiB unicasts (echoed by an attacker's subscriber) whose
	// answers are never read.
	{"F5 unicast flood never reading", []string{"-mode", "uniflood", "-topic", "att-echo", "-size", "65536"}, 0},
	// F6: 16 MiB multicasts to nobody, acknowledgements never read.
	{"F6 16 MiB multicasts, acks unread", []string{"-mode", "bigmulticast", "-topic", "nobody", "-size", "16777216", "-n", "1000"}, 0},
}

// TestAttacks runs every attack for 6 s.
func TestAttacks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs amoptui node and the attacker")
	}
	for _, a := range attacks {
		t.Run(strings.Fields(a.name)[0], func(t *testing.T) { runAttack(t, a, shortTime, p99Short) })
	}
}

// runAttack runs a for d against a fresh node, the bystander's unicast p99
// held to p99Bound.
func runAttack(t *testing.T, a attack, d, p99Bound time.Duration) {
	bin, attacker := binaries(t)
	certs := t.TempDir()
	n := startNode(t, bin, certs)
	meter := meterRSS(n.proc, killAt)
	defer meter.close()
	b := newBystander(t, n)
	time.Sleep(time.Second)
	_, base, _ := meter.read()
	args := append([]string{"-addr", n.addrs[a.node], "-certs", certs, "-duration", d.String()}, a.args...)
	att := start(t, attacker, args...)
	waitFor(t, d+60*time.Second, "the attacker to finish", func() bool { return att.exited() || n.exited() })
	time.Sleep(time.Second) // the bystander goes on a moment after the attack
	r := b.finish()
	peak, end, killed := meter.read()
	summary := fmt.Sprintf("%s: node RSS %s before, peak %s, %s after; %s", a.name, mib(base), mib(peak), mib(end), r)
	t.Log(summary)
	t.Logf("attacker: %s%s", strings.TrimSpace(att.out.String()), strings.TrimSpace(att.err.String()))
	switch {
	case killed:
		t.Errorf("the node's RSS passed %s: stopped", mib(killAt))
	case n.exited():
		t.Errorf("the node exited:\n%s", n.err.String())
	case peak > rssBound:
		t.Errorf("the node's RSS peaked at %s, over %s", mib(peak), mib(rssBound))
	}
	if r.p99 > p99Bound {
		t.Errorf("the bystander's unicast p99 was %v (worst %v), over %v", r.p99, r.worst, p99Bound)
	}
	if len(r.lost) > 0 {
		t.Errorf("%d multicasts acknowledged to the bystander never arrived (first %d)", len(r.lost), r.lost[0])
	}
	if len(r.failures) > 0 {
		t.Errorf("%d bystander sends failed, first: %s", len(r.failures), r.failures[0])
	}
	if r.unicasts < int(d/(40*time.Millisecond)) {
		t.Errorf("the bystander got only %d unicasts through in %v", r.unicasts, d)
	}
}

// TestAttackerIsAStranger: the attacker imports the standard library and
// nothing else, so what it shows is not our codec agreeing with itself.
func TestAttackerIsAStranger(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./internal/attacker").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "github.com/amoptui/amoptui/attack/internal/attacker" {
		t.Fatalf("the attacker depends on:\n%s", got)
	}
}
