package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/replay"
)

// TestCountWording pins the one form of pub's counts: "N of M sends
// failed" for sends and replays alike, plurals agreeing, and "it"/"them"
// after one or more timed-out sends.
func TestCountWording(t *testing.T) {
	for _, c := range []struct {
		failed, total int
		want          string
	}{
		{1, 1, "1 of 1 send failed"},
		{1, 26, "1 of 26 sends failed"},
		{6, 26, "6 of 26 sends failed"},
		{2, 2, "2 of 2 sends failed"},
	} {
		if got := failedSends(c.failed, c.total).Error(); got != c.want {
			t.Errorf("failedSends(%d, %d) = %q, want %q", c.failed, c.total, got, c.want)
		}
	}
	for _, c := range []struct {
		n    int
		real bool
		want string
	}{
		{1, false, "1 send timed out without an answer while pub ran; the node may still answer it"},
		{3, false, "3 sends timed out without an answer while pub ran; the node may still answer them"},
		{1, true, "1 send timed out without an answer while pub ran; a FISCO BCOS 2.x node waits up to 30 s for each node it tries, " +
			"so an answer may still come, or never: a 2.8–2.11 node that dropped a send for its own node while another waited there " +
			"never answers it, whatever the timeout"},
	} {
		if got := timedOutNote(c.n, c.real); got != c.want {
			t.Errorf("timedOutNote(%d, %v) =\n%q\nwant\n%q", c.n, c.real, got, c.want)
		}
	}
	if _, _, err := replay.Load(strings.NewReader("garbage\n"), replay.SelectAuto); err == nil ||
		err.Error() != "no messages to replay (1 line skipped; line 1: not a JSON object)" {
		t.Errorf("replay.Load: %v", err)
	}
	if _, _, err := replay.Load(strings.NewReader("garbage\nmore\n"), replay.SelectAuto); err == nil ||
		err.Error() != "no messages to replay (2 lines skipped; line 1: not a JSON object)" {
		t.Errorf("replay.Load: %v", err)
	}
}

// TestReplayLineWording: each replayed message is reported on one line,
// its result at the end, as the README shows.
func TestReplayLineWording(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		line amop.Line
		res  replay.Result
		want string
	}{
		{amop.Line2, replay.Result{Index: 3, Total: 10, Msg: replay.Message{At: at, Topic: "svc", Mode: amop.Unicast, Data: []byte("ping")},
			Sent: 1204 * time.Millisecond, Due: 1200 * time.Millisecond, Reply: []byte("pong"), RTT: 1200 * time.Microsecond},
			`replay 3/10 +1.204s unicast svc: ping ✓ reply "pong" in 1.2ms`},
		{amop.Line2, replay.Result{Index: 4, Total: 10, Msg: replay.Message{At: at, Topic: "news", Mode: amop.Multicast, Data: []byte("hi")},
			Sent: 2 * time.Second, Due: 1900 * time.Millisecond, RTT: 800 * time.Microsecond},
			`replay 4/10 +2.000s (100ms late) multicast news: hi ✓ accepted by the node in 800µs`},
		// A 3.x node acknowledges no multicast (outside report 3, finding 9).
		{amop.Line3, replay.Result{Index: 4, Total: 10, Msg: replay.Message{At: at, Topic: "news", Mode: amop.Multicast, Data: []byte("hi")},
			Sent: 2 * time.Second, Due: 2 * time.Second, RTT: 800 * time.Microsecond},
			`replay 4/10 +2.000s multicast news: hi ✓ written to the node in 800µs`},
		{amop.Line2, replay.Result{Index: 5, Total: 10, Msg: replay.Message{At: at, Topic: "svc", Mode: amop.Unicast, Data: []byte("q\x1b[2J")},
			Sent: 3 * time.Second, Due: 3 * time.Second, Err: &amop.CodeError{Code: 100, Topic: "svc"}},
			`replay 5/10 +3.000s unicast svc: q␛[2J ✗ ` + (&amop.CodeError{Code: 100, Topic: "svc"}).Error()},
	}
	for _, c := range cases {
		var out ntBuffer
		if err := printReplay(stdio{out: &out}, false, c.line, c.res); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != c.want+"\n" {
			t.Errorf("got  %q\nwant %q", got, c.want+"\n")
		}
	}
}

// TestPubFailureCountEndToEnd: pub's last stderr line counts the failures
// of the sends it made.
func TestPubFailureCountEndToEnd(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	code, _, errOut := runCmd(t, "", "pub", "--certs", n.CertDir(), "--count", "2", "--interval", "0", n.Addr(0), "nobody-here", "hi")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if want := "amoptui pub " + n.Addr(0) + ": 2 of 2 sends failed"; code != exitFailure || lines[len(lines)-1] != want {
		t.Fatalf("exit %d, stderr:\n%s\nwant the last line %q", code, errOut, want)
	}
}
