package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNode3ViewInTmux: `amoptui node --fisco 3` on a terminal shows the
// live routing view the 2.x node shows — its title naming the chain, group
// and ideal nodes, its footer the --fisco 3 command a second terminal
// runs — and the view follows real clients: `sub --fisco 3` appears as a
// session subscribed to its topic, a `pub --fisco 3` unicast as a routed
// decision in words, one to nobody with the 3.x code. With --log the same
// command on a terminal prints lines instead.
func TestNode3ViewInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	certs := t.TempDir()
	addrs := ntFreePorts(t, 2)
	// Wide enough that the footer's command is not wrapped mid-way.
	tm.start("N", 260, 40, fmt.Sprintf("env TERM=xterm-256color %s node --fisco 3 --listen %s --certs %s", bin, strings.Join(addrs, ","), certs))
	pid := panePID(t, tm, "N") // env execs the binary
	t.Cleanup(func() { stopPID(t, pid) })
	// The first start makes four RSA-2048 keys: seconds on a loaded machine.
	// Waited for by the footer's last line, the bottom of the first frame:
	// a capture can catch a frame half drawn (seen once in CI).
	scr := tm.waitScreenWithin("N", "node --fisco 3 --log prints lines", 90*time.Second)
	for _, want := range []string{"FISCO BCOS 3.x · chain chain0 · group group0 · ideal nodes", "certificates: " + certs,
		"--fisco 3 --node " + addrs[1] + " --certs " + certs, "node --fisco 3 --log prints lines", "no topic subscribed yet"} {
		if !strings.Contains(scr, want) {
			t.Fatalf("view lacks %q:\n%s", want, scr)
		}
	}

	sub := ntStart(t, certs, bin, "sub", "--fisco", "3", "--certs", certs, "--reply", "pong", "--count", "1", addrs[1], "svc")
	ntWait(t, 30*time.Second, "Subscriber success", func() bool { return strings.Contains(sub.out.String(), "Subscriber success") })
	// The session and its topic: svc → sN@node1.
	scr = tm.waitScreenWithin("N", "@node1", 15*time.Second)
	if !strings.Contains(scr, "svc") || !strings.Contains(scr, "uni 0") {
		t.Fatalf("the subscriber's topic is not shown:\n%s", scr)
	}
	pub := ntStart(t, certs, bin, "pub", "--fisco", "3", "--certs", certs, "--count", "1", addrs[0], "svc")
	if code := pub.wait(t, 30*time.Second, "pub"); code != 0 || !strings.Contains(pub.out.String(), "✓ reply") {
		t.Fatalf("pub exit %d:\n%s\n%s", code, pub.out.String(), pub.err.String())
	}
	if code := sub.wait(t, 20*time.Second, "sub"); code != 0 {
		t.Fatalf("sub exit %d:\n%s", code, sub.err.String())
	}
	scr = tm.waitScreenWithin("N", "unicast 'svc' from s", 15*time.Second)
	if !strings.Contains(scr, "@node0 → s") || !strings.Contains(scr, "@node1, ") || !strings.Contains(scr, "uni 1") {
		t.Fatalf("the routed unicast is not shown:\n%s", scr)
	}
	nobody := ntStart(t, certs, bin, "pub", "--fisco", "3", "--certs", certs, "--wait", "0", addrs[0], "nobody")
	if code := nobody.wait(t, 30*time.Second, "pub to nobody"); code != exitFailure {
		t.Fatalf("pub to nobody exit %d:\n%s\n%s", code, nobody.out.String(), nobody.err.String())
	}
	tm.waitScreenWithin("N", "unicast 'nobody' from s", 15*time.Second)
	if scr := tm.screen("N"); !strings.Contains(scr, "no subscriber (AMOP 3001)") {
		t.Fatalf("no subscriber in words:\n%s", scr)
	}
	// --log on a terminal: the banner and lines, no view. (Checked while
	// the view runs: a tmux server whose last session ended is going away.)
	more := ntFreePorts(t, 2)
	tm.start("L", 200, 30, fmt.Sprintf("env TERM=xterm-256color %s node --fisco 3 --log --listen %s --certs %s", bin, strings.Join(more, ","), certs))
	lpid := panePID(t, tm, "L")
	t.Cleanup(func() { stopPID(t, lpid) })
	scr = tm.waitScreenWithin("L", "Ctrl+C stops the network.", 60*time.Second)
	if strings.Contains(scr, "Last routing decisions") || !strings.Contains(scr, "--fisco 3 --node "+more[1]) {
		t.Fatalf("--log on a terminal:\n%s", scr)
	}
	tm.keys("L", "C-c")
	waitGone(t, lpid, 20*time.Second)

	tm.keys("N", "q")
	waitGone(t, pid, 20*time.Second)
}

// panePID is the process id of what session name's pane runs.
func panePID(t *testing.T, tm *tmuxServer, name string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(tm.run("display", "-p", "-t", "="+name+":", "#{pane_pid}")))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// alive reports whether process pid still runs. A process that ended but
// that tmux has not reaped yet is a zombie: ended, for the test.
func alive(pid int) bool {
	if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		return false
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command, which is in parentheses.
	if i := strings.LastIndexByte(string(st), ')'); i >= 0 && i+2 < len(st) {
		return st[i+2] != 'Z'
	}
	return true
}

// waitGone waits for process pid to end by itself.
func waitGone(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for alive(pid) {
		if time.Now().After(deadline) {
			st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			t.Fatalf("process %d still running after %v: %s", pid, d, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopPID kills process pid if it is still running: only a process this
// test started, by its id.
func stopPID(t *testing.T, pid int) {
	if alive(pid) {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Logf("kill %d: %v", pid, err)
		}
	}
}
