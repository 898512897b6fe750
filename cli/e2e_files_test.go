package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// maxFileRSS bounds the peak resident memory of a process that was handed
// /dev/zero or a FIFO for a file: reading one would take gigabytes.
const maxFileRSS = 128 << 20

// runBin runs the real binary with a deadline and returns its exit code,
// stderr and peak resident memory.
func runBin(t *testing.T, bin string, env []string, args ...string) (int, string, int64) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var errb ntBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill() // by pid: the process this test started
		<-done
		t.Fatalf("%v still running after 30 s; stderr:\n%s", args, errb.String())
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var peak int64
	if ru != nil {
		peak = ru.Maxrss << 10 // KiB on Linux
	}
	return cmd.ProcessState.ExitCode(), errb.String(), peak
}

// TestNamedFilesThatAreNotFilesInOneSentence (C1, M1): the real binary
// given /dev/zero or a FIFO where a file belongs — the config file, a
// private key in the config, a certificate directory whose ca.crt links to
// /dev/zero, pub --file, pub --replay — exits at once with one line that
// names the file and says what it is, its memory never grows.
func TestNamedFilesThatAreNotFilesInOneSentence(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(testBinaries(t), "amoptui")
	n := local.RunT(t, local.Options{})
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zc := filepath.Join(dir, "zc")
	if err := os.Mkdir(zc, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(zc, "ca.crt")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"sdk.crt", "sdk.key"} {
		b, err := os.ReadFile(filepath.Join(n.CertDir(), f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(zc, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	privConf := filepath.Join(dir, "private.toml")
	if err := os.WriteFile(privConf, []byte("[private.subscribe]\n\"x\" = \""+fifo+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"XDG_STATE_HOME=" + dir}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--config", "/dev/zero"}, "amoptui: config: /dev/zero is a character device, not a regular file"},
		{[]string{"--config", fifo}, "amoptui: config: " + fifo + " is a named pipe (FIFO), not a regular file"},
		{[]string{"--config", privConf, "--node", n.Addr(0), "--certs", n.CertDir()},
			"amoptui: " + privConf + ":2:1: private.subscribe.x: " + fifo + " is a named pipe (FIFO), not a regular file"},
		{[]string{"pub", "--certs", zc, n.Addr(0), "svc", "hi"},
			"amoptui pub " + n.Addr(0) + ": amop: CA certificate (ca.crt): " + filepath.Join(zc, "ca.crt") + " (→ /dev/zero) is a character device, not a regular file"},
		{[]string{"sub", "--certs", zc, n.Addr(0), "svc"},
			"amoptui sub " + n.Addr(0) + ": amop: CA certificate (ca.crt): " + filepath.Join(zc, "ca.crt") + " (→ /dev/zero) is a character device, not a regular file"},
		{[]string{"pub", "--certs", n.CertDir(), "--file", "/dev/zero", n.Addr(0), "svc"},
			"amoptui pub " + n.Addr(0) + ": --file: /dev/zero is a character device, not a regular file; send from a pipe with --file - (stdin)"},
		{[]string{"pub", "--certs", n.CertDir(), "--replay", fifo, n.Addr(0)},
			"amoptui pub " + n.Addr(0) + ": --replay " + fifo + " is a named pipe (FIFO), not a regular file"},
	}
	for _, c := range cases {
		code, errOut, peak := runBin(t, bin, env, c.args...)
		if code == 0 || strings.TrimRight(errOut, "\n") != c.want {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant the one line:\n%s", c.args, code, errOut, c.want)
		}
		if peak > maxFileRSS {
			t.Errorf("%v: peak RSS %d MiB", c.args, peak>>20)
		}
	}
}

// TestTUIBadFilesInTmux (C1, M1): in the real TUI, a history file linked
// to /dev/zero is named in a note and the TUI runs on; /join-private with
// /dev/zero or a FIFO as the key and /publish-private with a FIFO fail at
// once, say why, and leave no ◆ pane; the TUI answers the next command
// and its memory stays small.
func TestTUIBadFilesInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	n := local.RunT(t, local.Options{})
	state := t.TempDir()
	if err := os.MkdirAll(filepath.Join(state, "amoptui"), 0o700); err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(state, "amoptui", "history.json")
	if err := os.Symlink("/dev/zero", hist); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "key.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tm.start("T", 200, 30, fmt.Sprintf("env TERM=xterm-256color XDG_STATE_HOME=%s %s --node %s --certs %s --topic t", state, bin, n.Addr(0), n.CertDir()))
	tm.waitScreen("T", "● connected")
	tm.waitScreen("T", "input history: "+hist+" (→ /dev/zero) is a character device, not a regular file (it will be replaced)")

	steps := []struct{ cmd, want string }{
		{"/join-private jz /dev/zero", "join private jz failed: amop: private key: /dev/zero is a character device, not a regular file · not joined"},
		{"/join-private jf " + fifo, "join private jf failed: amop: private key: " + fifo + " is a named pipe (FIFO), not a regular file · not joined"},
		{"/publish-private pf " + fifo, "publish private pf failed: amop: public key: " + fifo + " is a named pipe (FIFO), not a regular file · not joined"},
	}
	for _, s := range steps {
		tm.keys("T", s.cmd, "Enter")
		tm.waitScreen("T", s.want)
	}
	tm.keys("T", "/join after", "Enter")
	scr := tm.waitScreen("T", "joined after")
	if strings.Contains(scr, "◆") {
		t.Fatalf("a private pane was left behind:\n%s", scr)
	}
	pid := panePID(t, tm, "T") // env execs the binary
	_, _, peak := procStat(t, pid)
	if peak > maxFileRSS {
		t.Fatalf("peak RSS %d MiB", peak>>20)
	}
	t.Logf("TUI peak RSS %.1f MiB", float64(peak)/(1<<20))
	tm.keys("T", "C-c")
}
