package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// TestExitStatusInATerminal: in a real terminal (tmux), ctrl+c typed into
// the TUI is its quit key, a normal end: exit 0, as README says (a signal
// sent to it is 128+n: TestSignalsLeaveTheTerminalClean). A debug log that
// opens but takes no write (/proc/version) and a transcript that is a
// directory are configuration errors: exit 2 with one located line,
// before the TUI takes the terminal.
func TestExitStatusInATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	n := local.RunT(t, local.Options{Nodes: 1})
	dir := t.TempDir()
	script := filepath.Join(dir, "run.sh")
	doc := fmt.Sprintf("#!/bin/sh\ncd %s\n"+
		"%s --debug-log /proc/version --node %s --certs %s 2>err1; echo $? > rc1\n"+
		"%s --transcript %s --node %s --certs %s 2>err2; echo $? > rc2\n"+
		"stty -a > before\n"+
		"%s --node %s --certs %s --layout single; echo $? > rc3\n"+
		"stty -a > after\nexec sleep 600\n",
		dir, bin, n.Addr(0), n.CertDir(), bin, dir, n.Addr(0), n.CertDir(), bin, n.Addr(0), n.CertDir())
	if err := os.WriteFile(script, []byte(doc), 0o700); err != nil {
		t.Fatal(err)
	}
	tm.start("X", 100, 30, "env TERM=xterm-256color XDG_STATE_HOME="+dir+" sh "+script)
	read := func(f string) string { b, _ := os.ReadFile(filepath.Join(dir, f)); return string(b) }
	tm.waitScreen("X", "● connected")
	tm.keys("X", "C-c")
	ntWait(t, 20*time.Second, "the script to finish", func() bool { return strings.TrimSpace(read("after")) != "" })
	if rc, e := strings.TrimSpace(read("rc1")), read("err1"); rc != "2" || e != "amoptui: flag --debug-log: debug_log: /proc/version: a write fails: input/output error\n" {
		t.Errorf("--debug-log /proc/version: exit %s, stderr %q", rc, e)
	}
	if rc, e := strings.TrimSpace(read("rc2")), read("err2"); rc != "2" || e != "amoptui: flag --transcript: transcript: "+dir+" is a directory, not a file\n" {
		t.Errorf("--transcript DIR: exit %s, stderr %q", rc, e)
	}
	if rc := strings.TrimSpace(read("rc3")); rc != "0" {
		t.Errorf("ctrl+c in the TUI: exit %s, want 0", rc)
	}
	if read("before") != read("after") {
		t.Errorf("stty -a changed:\n%s\n%s", read("before"), read("after"))
	}
}
