package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestNodeViewResizeAndQuitInTmux: the node view at 60x15 still shows its
// semantics, its decisions heading and how to quit; grown to 160x50 and
// quit with q, it leaves no column of the frame's "┃" on the shell (tmux
// keeps the rows below the old height when a program leaves the alternate
// screen: outside report 3, finding 7).
func TestNodeViewResizeAndQuitInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	certs := t.TempDir()
	addrs := ntFreePorts(t, 2)
	// The shell stays after the node, so that what it left can be read.
	tm.start("N", 100, 30, fmt.Sprintf("env TERM=xterm-256color sh -c '%s node --listen %s --certs %s; echo EXIT=$?; exec sleep 120'", bin, strings.Join(addrs, ","), certs))
	sh := panePID(t, tm, "N")
	// The first start makes four RSA-2048 keys: seconds on a loaded machine.
	tm.waitScreenWithin("N", "Last routing decisions", 90*time.Second)
	node := childPID(t, sh)
	t.Cleanup(func() { stopPID(t, node) })

	resize := func(w, h int) string {
		t.Helper()
		tm.run("resize-window", "-t", "=N:", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h))
		// Redrawn at the new size: the bottom edge spans the width and
		// ends with its corner (a frame only clipped by tmux does not).
		deadline := time.Now().Add(15 * time.Second)
		for {
			scr := tm.screen("N")
			ls := strings.Split(strings.TrimRight(scr, "\n"), "\n")
			for _, l := range ls {
				l = strings.TrimRight(l, " ")
				if strings.HasPrefix(l, "┗") && strings.HasSuffix(l, "┛") && utf8.RuneCountInString(l) == w && len(ls) <= h {
					return scr
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("never redrawn at %dx%d:\n%s", w, h, scr)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	scr := resize(60, 15)
	for _, want := range []string{"ideal nodes", "Last routing decisions", "q or ctrl+c"} {
		if !strings.Contains(scr, want) {
			t.Fatalf("60x15 lacks %q:\n%s", want, scr)
		}
	}
	resize(160, 50)
	tm.keys("N", "q")
	waitGone(t, node, 20*time.Second)
	scr = tm.waitScreenWithin("N", "EXIT=0", 15*time.Second)
	if strings.Contains(scr, "┃") || strings.Contains(scr, "━") {
		t.Fatalf("the view left its frame on the shell:\n%s", scr)
	}
}

// childPID is the one child process of pid (the command a shell runs).
func childPID(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		t.Fatalf("process %d has children %q", pid, f)
	}
	c, err := strconv.Atoi(f[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}
