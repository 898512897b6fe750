package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTUIOn3xInTmux is the "done when", with the real binary:
// `amoptui node --fisco 3` in one terminal (its certificates in its default
// directory, laid out as 3.x build_chain.sh does), and two TUIs that give
// only `--node ADDR --fisco auto` — no --certs: auto finds the 3.x network's
// directory and line — chatting in both modes; the status line says
// FISCO BCOS 3.x with its chain and group; `pub` and `sub` work alongside.
func TestTUIOn3xInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	state := t.TempDir()
	work := t.TempDir() // no ca.crt here: the default directory is used
	env := []string{"XDG_STATE_HOME=" + state}
	addrs := ntFreePorts(t, 2)
	node := ntStartEnv(t, work, env, bin, "node", "--fisco", "3", "--listen", strings.Join(addrs, ","))
	ntWait(t, 60*time.Second, "the node's banner", func() bool { return strings.Contains(node.out.String(), "Ctrl+C") })
	certs := filepath.Join(state, "amoptui", "network3")
	for _, f := range []string{"ca.crt", "sdk.crt", "sdk.key"} {
		if _, err := os.Stat(filepath.Join(certs, f)); err != nil {
			t.Fatalf("%s: %v\n%s", f, err, node.out.String())
		}
	}
	tui := func(addr string) string {
		return fmt.Sprintf("cd %s && env TERM=xterm-256color XDG_STATE_HOME=%s %s --node %s --fisco auto", work, state, bin, addr)
	}
	tm.start("A", 110, 30, tui(addrs[0]))
	tm.start("B", 110, 30, tui(addrs[1]))
	for _, s := range []string{"A", "B"} {
		scr := tm.waitScreen(s, "● connected")
		if !strings.Contains(scr, "FISCO BCOS 3.16.4") || !strings.Contains(scr, "chain0") || !strings.Contains(scr, "group0") {
			t.Fatalf("%s's status line does not say 3.x:\n%s", s, scr)
		}
	}
	tm.waitScreen("B", "UNICAST")

	// Unicast from B to A: A auto-replies (echo), B shows the reply.
	tm.keys("A", "/reply echo", "Enter")
	tm.keys("B", "ping over 3.x", "Enter")
	tm.waitScreen("A", "ping over 3.x")
	tm.waitScreen("B", "✓ reply")

	// Multicast from A reaches B.
	tm.keys("A", "C-t")
	tm.waitScreen("A", "MULTICAST")
	tm.keys("A", "hello all on 3.x", "Enter")
	tm.waitScreen("B", "hello all on 3.x")

	// sub and pub, with the default directory too.
	sub := ntStartEnv(t, work, env, bin, "sub", "--count", "1", addrs[1], "svc")
	ntWait(t, 20*time.Second, "Subscriber success", func() bool { return strings.Contains(sub.out.String(), "Subscriber success") })
	pub := ntStartEnv(t, work, env, bin, "pub", "--count", "1", addrs[0], "svc")
	if code := pub.wait(t, 30*time.Second, "pub"); code != 0 || !strings.Contains(pub.out.String(), "✓ reply") {
		t.Fatalf("pub exit %d:\n%s\n%s", code, pub.out.String(), pub.err.String())
	}
	if code := sub.wait(t, 20*time.Second, "sub"); code != 0 || !strings.Contains(sub.out.String(), "received: hello, FISCO BCOS") {
		t.Fatalf("sub exit %d:\n%s\n%s", code, sub.out.String(), sub.err.String())
	}

	tm.keys("A", "C-c")
	tm.keys("B", "C-c")
	node.cmd.Process.Signal(os.Interrupt)
	if code := node.wait(t, 20*time.Second, "the node"); code != 0 {
		t.Fatalf("node exit %d: %s", code, node.err.String())
	}
}

// TestAutoPicksTheLineInTmux: the same TUI command, --fisco auto, against a
// 2.x network and a 3.x network: each status line names its line.
func TestAutoPicksTheLineInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	for _, c := range []struct{ name, fisco, want string }{
		{"two", "2", "FISCO BCOS 2.9.0"},
		{"three", "3", "FISCO BCOS 3.16.4"},
	} {
		certs := t.TempDir()
		addrs := ntFreePorts(t, 2)
		node := ntStart(t, certs, bin, "node", "--fisco", c.fisco, "--log", "--listen", strings.Join(addrs, ","), "--certs", certs)
		ntWait(t, 60*time.Second, c.name+"'s banner", func() bool { return strings.Contains(node.out.String(), "Ctrl+C") })
		tm.start(c.name, 110, 30, fmt.Sprintf("env TERM=xterm-256color XDG_STATE_HOME=%s %s --node %s --certs %s --fisco auto", certs, bin, addrs[1], certs))
		scr := tm.waitScreen(c.name, "● connected")
		if !strings.Contains(scr, c.want) {
			t.Fatalf("%s network: the status line does not say %q:\n%s", c.name, c.want, scr)
		}
		tm.keys(c.name, "C-c")
	}
}

// TestForcedLine2On3xNodeSaysSoInTmux: the TUI forced to the 2.x line
// (`--fisco 2`) against a 3.x node does not just retry timeouts: after the
// first failed attempt it tells that the endpoint is a 3.x node and what to
// run instead, as sub and pub do.
func TestForcedLine2On3xNodeSaysSoInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	certs := t.TempDir()
	addrs := ntFreePorts(t, 1)
	node := ntStart(t, certs, bin, "node", "--fisco", "3", "--log", "--listen", addrs[0], "--certs", certs)
	ntWait(t, 60*time.Second, "the 3.x node's banner", func() bool { return strings.Contains(node.out.String(), "Ctrl+C") })
	tm.start("forced", 150, 30, fmt.Sprintf("env TERM=xterm-256color XDG_STATE_HOME=%s %s --node %s --certs %s --fisco 2", certs, bin, addrs[0], certs))
	scr := tm.waitScreen("forced", addrs[0]+" is a FISCO BCOS 3.x node")
	if !strings.Contains(scr, "--fisco 3") || strings.Contains(scr, "● connected") {
		t.Fatalf("the screen does not name the fix:\n%s", scr)
	}
	tm.keys("forced", "C-c")
}
