package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sgrClick is a left click at the 0-based cell (x, y) as a terminal in SGR
// mouse mode (1006) reports it, press then release, as hex bytes for
// tmux send-keys -H: tmux passes them to the program as typed input.
func sgrClick(x, y int) []string {
	var out []string
	for _, s := range []string{fmt.Sprintf("\x1b[<0;%d;%dM", x+1, y+1), fmt.Sprintf("\x1b[<0;%d;%dm", x+1, y+1)} {
		for _, b := range []byte(s) {
			out = append(out, fmt.Sprintf("%02x", b))
		}
	}
	return out
}

// findOnScreen returns the 0-based cell where text starts.
func findOnScreen(scr, text string) (x, y int, ok bool) {
	for i, l := range strings.Split(scr, "\n") {
		if j := strings.Index(l, text); j >= 0 {
			return len([]rune(l[:j])), i, true
		}
	}
	return 0, 0, false
}

// TestResponderAndMouseInTmux drives the real binary: one TUI answers
// unicast requests with /reply exec (a local command, the payload on its
// stdin), the other sends and shows the command's output as the reply;
// then mouse clicks (raw SGR mouse reports, as a terminal sends them)
// select a topic and a message, and y puts the payload in the terminal's
// clipboard (tmux's buffer, with set-clipboard on).
func TestResponderAndMouseInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	certs := t.TempDir()
	state := t.TempDir()
	addrs := ntFreePorts(t, 2)
	// The node on a terminal shows its live routing view.
	tm.start("N", 120, 40, fmt.Sprintf("env TERM=xterm-256color %s node --listen %s --certs %s", bin, strings.Join(addrs, ","), certs))
	tm.waitScreen("N", "Last routing decisions")
	tui := func(addr, extra string) string {
		return fmt.Sprintf("env TERM=xterm-256color XDG_STATE_HOME=%s %s --node %s --certs %s %s", state, bin, addr, certs, extra)
	}
	tm.start("A", 100, 30, tui(addrs[0], "--topic svc"))
	tm.start("B", 100, 30, tui(addrs[1], "--topic svc --topic other"))
	tm.run("set-option", "-g", "set-clipboard", "on")
	tm.waitScreen("A", "● connected")
	tm.waitScreen("B", "● connected")

	// A answers with a command; the payload never reaches a shell.
	tm.keys("A", "-l", "/reply exec tr a-z A-Z")
	tm.keys("A", "Enter")
	tm.waitScreen("A", "auto-reply: exec tr a-z A-Z")
	tm.keys("B", "-l", "hi $(id) x")
	tm.keys("B", "Enter")
	tm.waitScreen("B", `✓ reply "HI $(ID) X"`)
	tm.waitScreen("A", "↩")

	// A click on "other" in B's topic list makes it the active topic.
	scr := tm.screen("B")
	x, y, ok := findOnScreen(scr, "other")
	if !ok {
		t.Fatalf("no topic 'other' on screen:\n%s", scr)
	}
	tm.keys("B", append([]string{"-H"}, sgrClick(x, y)...)...)
	tm.waitScreen("B", "▸ other ❯")

	// A click on the sent line in the svc pane selects it; y copies it.
	scr = tm.screen("B")
	x, y, ok = findOnScreen(scr, "hi $(id) x")
	if !ok {
		t.Fatalf("the sent line is not on screen:\n%s", scr)
	}
	tm.keys("B", append([]string{"-H"}, sgrClick(x, y)...)...)
	scr = tm.waitScreen("B", "▸ svc ❯")
	if line := strings.Split(scr, "\n")[y]; !strings.Contains(line, "┃▸") {
		t.Fatalf("the clicked line is not selected: %q\n%s", line, scr)
	}
	tm.keys("B", "y")
	tm.waitScreen("B", "copied 10 B · OSC 52")
	deadline := time.Now().Add(10 * time.Second)
	for {
		buf := tm.run("show-buffer")
		if buf == "hi $(id) x" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tmux buffer %q", buf)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The node's view showed the routing of the unicast, in words.
	scr = tm.waitScreen("N", "unicast 'svc' from s")
	if !strings.Contains(scr, "@node1 → s") || !strings.Contains(scr, "@node0, ") {
		t.Fatalf("node view:\n%s", scr)
	}
	tm.keys("A", "C-c")
	tm.keys("B", "C-c")
	tm.keys("N", "q")
}
