package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
)

// TestSubExecTimeoutFollowsLine: with --fisco auto, --exec-timeout is held
// to the bounds of the line detected, and warned about in that line's
// words: a 2.x node waits 5 s (cap 9 s, AMOP 104), a 3.x node 30 s (-4008)
// (outside report 3, finding 13).
func TestSubExecTimeoutFollowsLine(t *testing.T) {
	n2 := local.RunT(t, local.Options{Nodes: 1})
	ep2 := n2.Addr(0)
	code, _, errOut := runCmd(t, "", "sub", "--certs", n2.CertDir(), "--exec", "cat", "--exec-timeout", "10s", ep2, "svc")
	if code != exitUsage || !strings.Contains(errOut, "--exec-timeout 10s: want a duration above 0 and at most 9s (a FISCO BCOS 2.x node waits 5s for a reply)") {
		t.Fatalf("2.x, 10s: exit %d, stderr %q", code, errOut)
	}
	_, errb, done := startSub(t, "--certs", n2.CertDir(), "--exec", "cat", "--exec-timeout", "6s", "--count", "1", ep2, "svc")
	if code, o, e := runCmd(t, "", "pub", "--certs", n2.CertDir(), ep2, "svc", "ping2"); code != 0 || !strings.Contains(o, `✓ reply "ping2"`) {
		t.Fatalf("2.x pub: exit %d\n%s\n%s", code, o, e)
	}
	waitDone(t, done)
	if e := errb.String(); !strings.Contains(e, "warning: exec timeout 6s is at or past the FISCO BCOS 2.x node's 5s wait") || !strings.Contains(e, "AMOP 104") {
		t.Fatalf("2.x, 6s: stderr %q", e)
	}

	n3 := local3.RunT(t, local3.Options{Nodes: 1})
	ep3 := n3.Addr(0)
	for _, c := range []struct {
		timeout string
		warn    bool
	}{{"10s", false}, {"30s", true}} {
		_, errb, done := startSub(t, "--certs", n3.CertDir(), "--exec", "cat", "--exec-timeout", c.timeout, "--count", "1", ep3, "svc")
		var code int
		var o, e string
		// The subscription reaches the node a moment after "Subscriber
		// success": 3001 until then.
		ntWait(t, 10*time.Second, "the 3.x subscriber's reply", func() bool {
			code, o, e = runCmd(t, "", "pub", "--certs", n3.CertDir(), "--wait", "0", ep3, "svc", "ping3")
			return code == 0
		})
		if !strings.Contains(o, `✓ reply "ping3"`) {
			t.Fatalf("3.x pub: exit %d\n%s\n%s", code, o, e)
		}
		waitDone(t, done)
		e = errb.String()
		if strings.Contains(e, "AMOP 104") || strings.Contains(e, "2.x") || strings.Contains(e, "warning") != c.warn {
			t.Fatalf("3.x, %s: stderr %q", c.timeout, e)
		}
		if c.warn && !strings.Contains(e, "warning: exec timeout 30s is at or past the FISCO BCOS 3.x node's 30s wait for a reply: a slower answer reaches nobody (the node has answered the sender -4008)") {
			t.Fatalf("3.x, 30s: stderr %q", e)
		}
	}
}
