package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// tmuxOut runs tmux on server sock and returns its output; it does not fail
// the test, so goroutines may call it.
func tmuxOut(sock string, args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", sock}, args...)...).CombinedOutput()
	return string(out), err
}

// pollFor polls cond every 20 ms until it holds or d passes.
func pollFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// paneChild is the pid of the one child of the pane's shell: the TUI.
func paneChild(sock, session string) (int, error) {
	out, err := tmuxOut(sock, "display", "-p", "-t", "="+session+":", "#{pane_pid}")
	if err != nil {
		return 0, fmt.Errorf("pane pid: %v %s", err, out)
	}
	sh := strings.TrimSpace(out)
	b, err := os.ReadFile("/proc/" + sh + "/task/" + sh + "/children")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		return 0, fmt.Errorf("shell %s has children %q", sh, f)
	}
	return strconv.Atoi(f[0])
}

// TestSignalsLeaveTheTerminalClean is issue 12's freeze: 20 SIGTERMs and
// 20 SIGINTs into a live TUI receiving traffic. Each time the process must
// be gone within 2 s of the signal, exit 128+signal, and leave the
// terminal as it found it: `stty -a` the same before and after, the
// alternate screen off and the cursor shown. The TUIs run four at a time
// to keep the test short.
func TestSignalsLeaveTheTerminalClean(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	tm.start("keep", 20, 5, "sleep 600")

	// Traffic for the whole test: multicasts on hello, from another node.
	pub, err := amop.New(amop.Config{Endpoints: []string{n.Addr(1)}, CAFile: filepath.Join(dir, "ca.crt"),
		CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key"), SendTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ctx, stop := context.WithCancel(context.Background())
	var traffic sync.WaitGroup
	traffic.Add(1)
	go func() {
		defer traffic.Done()
		for i := 0; ctx.Err() == nil; i++ {
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			_ = pub.Multicast(c, "hello", []byte("traffic "+strconv.Itoa(i)))
			cancel()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	defer func() { stop(); traffic.Wait() }()

	type job struct {
		i   int
		sig syscall.Signal
	}
	jobs := make(chan job)
	errs := make(chan error, 40)
	var exits sync.Map
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				took, err := signalOnce(tm.sock, bin, dir, n.Addr(0), t.TempDir(), j.i, j.sig)
				if err != nil {
					errs <- fmt.Errorf("run %d (%v): %w", j.i, j.sig, err)
					continue
				}
				exits.Store(j.i, took)
			}
		}()
	}
	for i := 0; i < 40; i++ {
		sig := syscall.SIGTERM
		if i%2 == 1 {
			sig = syscall.SIGINT
		}
		jobs <- job{i, sig}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var slowest time.Duration
	exits.Range(func(_, v any) bool { slowest = max(slowest, v.(time.Duration)); return true })
	t.Logf("slowest exit after a signal: %v", slowest)
}

// signalOnce starts the TUI in a fresh tmux session under a shell that
// records `stty -a` before and after it and its exit status, waits until it
// shows traffic, signals it and checks the terminal afterwards. It returns
// how long the process took to exit.
func signalOnce(sock, bin, certs, addr, dir string, i int, sig syscall.Signal) (time.Duration, error) {
	name := fmt.Sprintf("S%d", i)
	script := filepath.Join(dir, "run.sh")
	doc := fmt.Sprintf("#!/bin/sh\ncd %s\nstty -a > before\n%s --node %s --certs %s --layout single\necho $? > rc\nstty -a > after\nexec sleep 600\n",
		dir, bin, addr, certs)
	if err := os.WriteFile(script, []byte(doc), 0o700); err != nil {
		return 0, err
	}
	if out, err := tmuxOut(sock, "new-session", "-d", "-s", name, "-x", "100", "-y", "30",
		"env TERM=xterm-256color XDG_STATE_HOME="+dir+" sh "+script); err != nil {
		return 0, fmt.Errorf("new-session: %v %s", err, out)
	}
	defer tmuxOut(sock, "kill-session", "-t", "="+name)
	screen := func() string { s, _ := tmuxOut(sock, "capture-pane", "-p", "-t", "="+name+":"); return s }
	if !pollFor(30*time.Second, func() bool { return strings.Contains(screen(), "traffic ") }) {
		return 0, fmt.Errorf("no traffic on screen:\n%s", screen())
	}
	if alt, _ := tmuxOut(sock, "display", "-p", "-t", "="+name+":", "#{alternate_on}"); strings.TrimSpace(alt) != "1" {
		return 0, errors.New("the TUI is not in the alternate screen (the check after would prove nothing)")
	}
	pid, err := paneChild(sock, name)
	if err != nil {
		return 0, err
	}
	began := time.Now()
	if err := syscall.Kill(pid, sig); err != nil { // the TUI this test started, by its pid
		return 0, err
	}
	rcFile := filepath.Join(dir, "rc")
	if !pollFor(2*time.Second, func() bool { _, err := os.Stat(rcFile); return err == nil }) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		return 0, fmt.Errorf("still running 2 s after %v; screen:\n%s", sig, screen())
	}
	took := time.Since(began)
	var after []byte
	pollFor(5*time.Second, func() bool {
		after, err = os.ReadFile(filepath.Join(dir, "after"))
		return err == nil && len(after) > 0
	})
	rc, _ := os.ReadFile(rcFile)
	before, _ := os.ReadFile(filepath.Join(dir, "before"))
	if want := strconv.Itoa(128 + int(sig)); strings.TrimSpace(string(rc)) != want {
		return took, fmt.Errorf("exit status %q, want %s", strings.TrimSpace(string(rc)), want)
	}
	if len(before) == 0 || string(before) != string(after) {
		return took, fmt.Errorf("stty -a changed:\nbefore %s\nafter  %s", before, after)
	}
	flags, _ := tmuxOut(sock, "display", "-p", "-t", "="+name+":", "#{alternate_on} #{cursor_flag}")
	if strings.TrimSpace(flags) != "0 1" {
		return took, fmt.Errorf("alternate screen, cursor flag = %q after the exit, want \"0 1\"", strings.TrimSpace(flags))
	}
	return took, nil
}

// TestNoTerminalRefusesInOneLine: `amoptui </dev/null` (and with stdout a
// pipe) exits 2 with one line on stderr that points to sub and pub, and
// never touches the terminal: no alternate screen, `stty -a` unchanged.
func TestNoTerminalRefusesInOneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	dir := t.TempDir()
	script := filepath.Join(dir, "run.sh")
	doc := fmt.Sprintf("#!/bin/sh\ncd %s\nstty -a > before\n%s </dev/null 2>err1\necho $? > rc1\n%s 2>err2 | cat\necho $? > rc2\nstty -a > after\nexec sleep 600\n", dir, bin, bin)
	if err := os.WriteFile(script, []byte(doc), 0o700); err != nil {
		t.Fatal(err)
	}
	tm.start("N", 100, 30, "env TERM=xterm-256color XDG_STATE_HOME="+dir+" sh "+script)
	ntWait(t, 20*time.Second, "the script to finish", func() bool { _, err := os.Stat(filepath.Join(dir, "after")); return err == nil })
	time.Sleep(100 * time.Millisecond) // "after" is being written
	read := func(f string) string { b, _ := os.ReadFile(filepath.Join(dir, f)); return string(b) }
	if rc := strings.TrimSpace(read("rc1")); rc != "2" {
		t.Errorf("</dev/null: exit %s, want 2", rc)
	}
	for _, f := range []string{"err1", "err2"} {
		e := read(f)
		if strings.Count(e, "\n") != 1 || !strings.Contains(e, "needs a terminal") || !strings.Contains(e, " sub`") || !strings.Contains(e, " pub`") {
			t.Errorf("%s: want one line pointing to sub and pub, got %q", f, e)
		}
	}
	if !strings.Contains(read("err1"), "stdin is not one") || !strings.Contains(read("err2"), "stdout is not one") {
		t.Errorf("the line does not say which stream: %q %q", read("err1"), read("err2"))
	}
	if read("before") != read("after") {
		t.Errorf("stty -a changed:\n%s\n%s", read("before"), read("after"))
	}
	if flags := strings.TrimSpace(tm.run("display", "-p", "-t", "=N:", "#{alternate_on} #{cursor_flag}")); flags != "0 1" {
		t.Errorf("alternate screen, cursor = %q, want \"0 1\"", flags)
	}
	if scr := strings.TrimSpace(tm.screen("N")); scr != "" {
		t.Errorf("the program wrote to the terminal:\n%s", scr)
	}
}
