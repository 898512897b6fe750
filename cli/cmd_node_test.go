package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/FISCO-BCOS/go-sdk/client"
	"github.com/FISCO-BCOS/go-sdk/conf"
)

// ntBuffer is an output buffer safe for a writer and a polling reader.
type ntBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *ntBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *ntBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ntWait polls cond every 20 ms for up to d.
func ntWait(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ntFreePorts returns n loopback addresses that were free a moment ago.
func ntFreePorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

func TestNodeUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"},
		{"--listen", "nonsense"},
		{"--listen", "127.0.0.1:99999"},
		{"--chain-id", "0"},
		{"--key-type", "rsa"},
		{"--like", "2.8"},
		{"--like", "2.9", "--node-timeout", "0s"},
		{"--like", "2.9", "--topic-delay", "1s"},
		{"--like", "2.9", "--node-version", "2.4.0"},
		{"--node-timeout", "3s"},
		{"--like", "2.9", "--workers", "0"},
		{"--workers", "1"},
		{"extra"},
	} {
		var out, errb ntBuffer
		if code := runNode(context.Background(), args, stdio{out: &out, err: &errb}); code != exitUsage {
			t.Errorf("%v: exit %d; want %d (stderr %q)", args, code, exitUsage, errb.String())
		}
	}
}

func TestNodeTakenPortIsOneLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	free := ntFreePorts(t, 1)[0]
	var out, errb ntBuffer
	code := runNode(context.Background(), []string{"--listen", free + "," + ln.Addr().String(), "--certs", t.TempDir()},
		stdio{out: &out, err: &errb})
	msg := errb.String()
	if code != exitFailure || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, ln.Addr().String()+": address already in use") {
		t.Fatalf("exit %d, stderr %q", code, msg)
	}
}

// TestNodeServesAndStops runs the command in-process: go-sdk connects to
// both endpoints, and cancelling the context (what SIGINT does) stops it.
func TestNodeServesAndStops(t *testing.T) {
	addrs := ntFreePorts(t, 2)
	dir := filepath.Join(t.TempDir(), "certs")
	prof := filepath.Join(t.TempDir(), "node.pprof")
	var out, errb ntBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runNode(ctx, []string{"--listen", strings.Join(addrs, ","), "--certs", dir, "--chain-id", "3", "--cpuprofile", prof}, stdio{out: &out, err: &errb})
	}()
	ntWait(t, 10*time.Second, "the banner", func() bool { return strings.Contains(out.String(), "Ctrl+C") })
	banner := out.String()
	for _, want := range []string{"chain 3, group 1", "node 0  " + addrs[0], "node 1  " + addrs[1],
		"certificates: " + dir, "cd " + dir, "sub " + addrs[1] + " hello", "unicast_pub " + addrs[0] + " hello",
		selfCommand() + " --node " + addrs[1] + " --certs " + dir} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	for _, a := range addrs {
		cfg := &conf.Config{ChainID: 3, GroupID: 1, DynamicKey: true, NodeURL: a,
			CAFile: filepath.Join(dir, "ca.crt"), Cert: filepath.Join(dir, "sdk.crt"), Key: filepath.Join(dir, "sdk.key")}
		res := make(chan error, 1)
		go func() { _, err := client.Dial(cfg); res <- err }()
		select {
		case err := <-res:
			if err != nil {
				t.Fatalf("client.Dial %s: %v", a, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("client.Dial %s hangs", a)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d, stderr %q", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the node did not stop")
	}
	if c, err := net.DialTimeout("tcp", addrs[0], time.Second); err == nil {
		c.Close()
		t.Fatal("still listening after stop")
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("--cpuprofile: no profile written when the node stopped: %v", err)
	}
}

// ntProc is a child process whose output the test reads.
type ntProc struct {
	cmd      *exec.Cmd
	out, err ntBuffer
	done     chan struct{}
	waitErr  error
}

func ntStart(t *testing.T, dir, bin string, args ...string) *ntProc {
	t.Helper()
	return ntStartEnv(t, dir, nil, bin, args...)
}

// ntStartEnv is ntStart with extra environment variables. When the test
// fails, the end of what the process wrote is logged: a node's warnings say
// what it refused or dropped.
func ntStartEnv(t *testing.T, dir string, env []string, bin string, args ...string) *ntProc {
	t.Helper()
	p := &ntProc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill() // by pid; only processes this test started
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s %s wrote (the last 3000 bytes of each):\nstdout:\n%s\nstderr:\n%s",
				filepath.Base(bin), strings.Join(args, " "), lastBytes(p.out.String(), 3000), lastBytes(p.err.String(), 3000))
		}
	})
	return p
}

// lastBytes is the end of s, at most n bytes.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// wait waits for the process to exit and returns its exit code.
func (p *ntProc) wait(t *testing.T, d time.Duration, what string) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("%s still running after %v\nstdout:\n%s\nstderr:\n%s", what, d, p.out.String(), p.err.String())
		return -1
	}
}

// TestNodeWithGoSDKExamples is the "done when" check of the local network:
// the go-sdk v1.1.1 AMOP examples, built unmodified from the module cache
// and run in a directory holding the node's ca.crt, sdk.crt and sdk.key,
// exchange all 50 messages through the real `amoptui node` binary, the
// subscriber on the second node and the publishers on the first, as the
// go-sdk documentation shows against real nodes. It takes ~15 s (the
// examples pause 200 ms between messages), so -short skips it.
func TestNodeWithGoSDKExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the go-sdk example programs (~15 s)")
	}
	bin := testBinaries(t)
	certs := t.TempDir()
	addrs := ntFreePorts(t, 2)
	node := ntStart(t, certs, filepath.Join(bin, "amoptui"), "node", "--listen", strings.Join(addrs, ","), "--certs", certs)
	ntWait(t, 20*time.Second, "the node's banner", func() bool { return strings.Contains(node.out.String(), "Ctrl+C") })

	// One subscriber per publisher, both on the second node: each exits
	// when its publisher multicasts "Done".
	type run struct{ topic, pub, msg string }
	runs := []run{
		{"hello", "unicast_pub", "hello, FISCO BCOS, I am unicast publisher!"},
		{"hello_broadcast", "broadcast_pub", "hello, FISCO BCOS, I am broadcast publisher!"},
	}
	subs := make([]*ntProc, len(runs))
	for i, r := range runs {
		subs[i] = ntStart(t, certs, filepath.Join(bin, "sub"), addrs[1], r.topic)
	}
	for i, r := range runs {
		ntWait(t, 20*time.Second, r.topic+" subscriber ready", func() bool {
			return strings.Contains(subs[i].err.String(), "Subscriber "+r.topic+" success")
		})
	}
	// The examples' own pause before publishing, shortened from 5 s to 1 s:
	// our nodes propagate topics at once, real nodes within 5 s.
	pubs := make([]*ntProc, len(runs))
	for i, r := range runs {
		pubs[i] = ntStart(t, certs, filepath.Join(bin, r.pub), addrs[0], r.topic, "1")
	}
	for i, r := range runs {
		if code := pubs[i].wait(t, 60*time.Second, r.pub); code != 0 || strings.Contains(pubs[i].err.String(), "failed") {
			t.Fatalf("%s exit %d:\n%s", r.pub, code, pubs[i].err.String())
		}
		if code := subs[i].wait(t, 15*time.Second, "sub "+r.topic); code != 0 {
			t.Fatalf("sub %s exit %d:\n%s", r.topic, code, subs[i].err.String())
		}
		got := subs[i].err.String()
		for k := range 50 {
			if !strings.Contains(got, fmt.Sprintf("received: %s %d\\n", r.msg, k)) && !strings.Contains(got, fmt.Sprintf("received: %s %d\n", r.msg, k)) {
				t.Fatalf("sub %s lacks message %d:\n%s", r.topic, k, got)
			}
		}
		if !strings.Contains(got, "received: Done") || !strings.Contains(got, "Done!") {
			t.Fatalf("sub %s did not finish:\n%s", r.topic, got)
		}
	}
	node.cmd.Process.Signal(syscall.SIGTERM)
	if code := node.wait(t, 15*time.Second, "amoptui node"); code != 0 {
		t.Fatalf("amoptui node exit %d after SIGTERM:\n%s", code, node.err.String())
	}
	if !strings.Contains(node.out.String(), "stopping") {
		t.Fatalf("no clean stop:\n%s", node.out.String())
	}
}

// TestNodeLogLines: a 2.x node whose stdout is not a terminal prints a line
// per routing decision, and with --verbose logs its sessions (finding 8 of
// outside report 3; the 3.x node's lines are checked by TestNode3SubPub).
func TestNodeLogLines(t *testing.T) {
	addrs := ntFreePorts(t, 2)
	dir := filepath.Join(t.TempDir(), "certs")
	var out, errb ntBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runNode(ctx, []string{"--log", "--verbose", "--listen", strings.Join(addrs, ","), "--certs", dir}, stdio{out: &out, err: &errb})
	}()
	ntWait(t, 60*time.Second, "the banner", func() bool { return strings.Contains(out.String(), "Ctrl+C") })
	if code, o, e := runCmd(t, "", "pub", "--certs", dir, "--fisco", "2", "--wait", "0", addrs[0], "nobody"); code != exitFailure {
		t.Fatalf("pub to nobody: exit %d\n%s\n%s", code, o, e)
	}
	ntWait(t, 10*time.Second, "the decision line", func() bool {
		return strings.Contains(out.String(), "unicast 'nobody' from s") && strings.Contains(out.String(), "no subscriber (AMOP 100)")
	})
	ntWait(t, 10*time.Second, "the session lines", func() bool {
		return strings.Contains(errb.String(), "session opened") && strings.Contains(errb.String(), "session closed")
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
	if i, j := strings.Index(out.String(), "no subscriber"), strings.Index(out.String(), "stopping"); j < i {
		t.Errorf("a decision line after \"stopping\":\n%s", out.String())
	}
}
