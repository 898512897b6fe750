package cli

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// TestPubRendersEachMessageWhenItIsSent is M2: with --count and
// --interval, each message's template is rendered right before it goes
// ({{.Now}} is the send's time, not one interval earlier), and the
// interval lies between every pair of sends.
func TestPubRendersEachMessageWhenItIsSent(t *testing.T) {
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	_, _, done := startSub(t, "--certs", dir, "--reply", "echo", "--count", "4", n.Addr(1), "now")
	waitSubs(t, n, "now", 1)
	const interval = 800 * time.Millisecond
	code, out, errOut := runCmd(t, "", "pub", "--certs", dir, "--json", "--count", "4", "--interval", interval.String(),
		n.Addr(0), "now", "{{.Seq}} {{.Now.UnixMilli}}")
	if code != exitOK {
		t.Fatalf("pub exit %d: %s\n%s", code, errOut, out)
	}
	recs := decodeLines[pubRecord](t, out)
	if len(recs) != 4 {
		t.Fatalf("%d records:\n%s", len(recs), out)
	}
	var prev time.Time
	for i, r := range recs {
		start, err := time.Parse("2006-01-02T15:04:05.000Z07:00", r.Time)
		if err != nil {
			t.Fatal(err)
		}
		seq, ms, _ := strings.Cut(r.Data, " ")
		rendered, err := strconv.ParseInt(ms, 10, 64)
		if err != nil || seq != strconv.Itoa(i+1) || r.Reply != r.Data {
			t.Fatalf("record %d: data %q reply %q", i, r.Data, r.Reply)
		}
		// Rendered before the send started, and just before: the record's
		// time has millisecond resolution, the old code was a whole
		// interval early.
		if lag := start.UnixMilli() - rendered; lag < 0 || lag > int64(interval/time.Millisecond)/2 {
			t.Errorf("message %d rendered %d ms before it was sent", i+1, lag)
		}
		if i > 0 && start.Sub(prev) < interval-time.Millisecond {
			t.Errorf("message %d went %v after message %d; --interval is %v", i+1, start.Sub(prev), i, interval)
		}
		prev = start
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("sub did not end")
	}
}

// TestPubTellsWhenItLosesTheNode: a node restart during a run is told on
// stderr as it happens — the loss, then the way back — each line naming
// the endpoint, between the sends.
func TestPubTellsWhenItLosesTheNode(t *testing.T) {
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	var out, errb ntBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runPub(ctx, []string{"--certs", dir, "--multicast", "--count", "100000", "--interval", "50ms", "--timeout", "1s",
			n.Addr(0), "restarts", "m {{.Seq}}"}, stdio{out: &out, err: &errb, sig: &caught{}})
	}()
	prefix := "amoptui pub " + n.Addr(0) + ": "
	ntWait(t, 10*time.Second, "the first sends", func() bool { return strings.Count(out.String(), "publish message") >= 3 })
	if err := n.StopNode(0); err != nil {
		t.Fatal(err)
	}
	ntWait(t, 10*time.Second, "the loss told", func() bool { return strings.Contains(errb.String(), prefix+"connection lost: ") })
	if err := n.StartNode(0); err != nil {
		t.Fatal(err)
	}
	ntWait(t, 20*time.Second, "the way back told", func() bool {
		s := errb.String()
		i := strings.Index(s, prefix+"connection lost: ")
		return i >= 0 && strings.Contains(s[i:], "\n"+prefix+"connected\n")
	})
	sent := strings.Count(out.String(), "publish message")
	ntWait(t, 10*time.Second, "sends after the restart", func() bool { return strings.Count(out.String(), "✓ accepted by the node") > sent })
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("pub did not stop")
	}
	for _, l := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		if !strings.HasPrefix(l, prefix) {
			t.Errorf("a stderr line without the endpoint: %q", l)
		}
	}
}
