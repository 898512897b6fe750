package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSubSurvivesRestartsOfTheNodeProcess is issue 3's "done when": a real
// `amoptui sub` process keeps receiving across two restarts of a real
// `amoptui node` process, without being restarted itself.
func TestSubSurvivesRestartsOfTheNodeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binaries")
	}
	bin := filepath.Join(testBinaries(t), "amoptui")
	certs := t.TempDir()
	addrs := ntFreePorts(t, 2)
	startNode := func() *ntProc {
		n := ntStart(t, certs, bin, "node", "--listen", strings.Join(addrs, ","), "--certs", certs)
		ntWait(t, 20*time.Second, "the node's banner", func() bool { return strings.Contains(n.out.String(), "Ctrl+C") })
		return n
	}
	node := startNode()
	sub := ntStart(t, certs, bin, "sub", "--certs", certs, "--count", "3", addrs[1], "hello")
	ntWait(t, 20*time.Second, "Subscriber success", func() bool { return strings.Contains(sub.out.String(), "Subscriber success") })
	for round := 0; round < 3; round++ {
		if round > 0 {
			if err := node.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := node.wait(t, 15*time.Second, "amoptui node"); code != 0 {
				t.Fatalf("node exit %d", code)
			}
			node = startNode()
			ntWait(t, 20*time.Second, "sub re-subscribing", func() bool {
				return strings.Count(sub.err.String(), "re-subscribed 1 topic") >= round
			})
		}
		msg := fmt.Sprint("after restart ", round)
		if code, out, errOut := runCmd(t, "", "pub", "--certs", certs, "--multicast", addrs[0], "hello", msg); code != 0 {
			t.Fatalf("pub exit %d: %s %s", code, out, errOut)
		}
		ntWait(t, 10*time.Second, msg, func() bool { return strings.Contains(sub.out.String(), "received: "+msg) })
	}
	if code := sub.wait(t, 10*time.Second, "amoptui sub"); code != 0 {
		t.Fatalf("sub exit %d:\n%s", code, sub.err.String())
	}
}

// TestInteropWithTheGoSDKExamples: the go-sdk example subscriber receives
// what `amoptui pub` sends, and `amoptui sub` receives what the example
// publisher sends, through `amoptui node`.
func TestInteropWithTheGoSDKExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the go-sdk example programs")
	}
	dir := testBinaries(t)
	bin := filepath.Join(dir, "amoptui")
	certs := t.TempDir()
	addrs := ntFreePorts(t, 2)
	node := ntStart(t, certs, bin, "node", "--listen", strings.Join(addrs, ","), "--certs", certs)
	ntWait(t, 20*time.Second, "the node's banner", func() bool { return strings.Contains(node.out.String(), "Ctrl+C") })

	// The example subscriber, run in the certificate directory as its
	// documentation says, hears amoptui pub (unicast, then the multicast
	// "Done" it exits on).
	exSub := ntStart(t, certs, filepath.Join(dir, "sub"), addrs[1], "from_amoptui")
	ntWait(t, 20*time.Second, "example subscriber ready", func() bool { return strings.Contains(exSub.err.String(), "success") })
	if code, out, errOut := runCmd(t, "", "pub", "--certs", certs, "--count", "5", "--interval", "10ms", addrs[0], "from_amoptui"); code != 0 {
		t.Fatalf("pub exit %d: %s %s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "", "pub", "--certs", certs, "--multicast", addrs[0], "from_amoptui", "Done"); code != 0 {
		t.Fatalf("pub Done exit %d: %s %s", code, out, errOut)
	}
	if code := exSub.wait(t, 15*time.Second, "example subscriber"); code != 0 {
		t.Fatalf("example subscriber exit %d:\n%s", code, exSub.err.String())
	}
	for i := 0; i < 5; i++ {
		if want := fmt.Sprintf("received: hello, FISCO BCOS, I am unicast publisher! %d", i); !strings.Contains(exSub.err.String(), want) {
			t.Fatalf("example subscriber lacks %q:\n%s", want, exSub.err.String())
		}
	}

	// amoptui sub hears the example unicast publisher: 50 messages and its
	// closing multicast "Done".
	sub := ntStart(t, certs, bin, "sub", "--certs", certs, "--count", "51", addrs[1], "from_example")
	ntWait(t, 20*time.Second, "Subscriber success", func() bool { return strings.Contains(sub.out.String(), "Subscriber success") })
	exPub := ntStart(t, certs, filepath.Join(dir, "unicast_pub"), addrs[0], "from_example", "1")
	if code := exPub.wait(t, 60*time.Second, "example publisher"); code != 0 || strings.Contains(exPub.err.String(), "failed") {
		t.Fatalf("example publisher exit %d:\n%s", code, exPub.err.String())
	}
	if code := sub.wait(t, 15*time.Second, "amoptui sub"); code != 0 {
		t.Fatalf("sub exit %d:\n%s", code, sub.err.String())
	}
	got := sub.out.String()
	for i := 0; i < 50; i++ {
		if want := fmt.Sprintf("received: hello, FISCO BCOS, I am unicast publisher! %d\n", i); !strings.Contains(got, want) {
			t.Fatalf("amoptui sub lacks message %d:\n%s", i, got)
		}
	}
	if !strings.Contains(got, "received: Done") {
		t.Fatalf("amoptui sub lacks the closing multicast:\n%s", got)
	}
}
