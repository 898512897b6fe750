package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCommandLineWording pins the exact lines of the command line's own
// messages (issue 12: no "amoptui : " prefix, no "flag: help requested",
// every command with "did you mean").
func TestCommandLineWording(t *testing.T) {
	self := selfCommand()
	cases := []struct {
		args     []string
		code     int
		out, err string // exact stderr when err != "", else checked empty
	}{
		{[]string{"nod"}, exitUsage, "", `amoptui: unknown command "nod" (did you mean node?); commands: bench, keygen, node, pub, sub (none: the TUI) · ` + self + " -h for help\n"},
		{[]string{"keygn"}, exitUsage, "", `amoptui: unknown command "keygn" (did you mean keygen?); commands: bench, keygen, node, pub, sub (none: the TUI) · ` + self + " -h for help\n"},
		{[]string{"zzz"}, exitUsage, "", `amoptui: unknown command "zzz"; commands: bench, keygen, node, pub, sub (none: the TUI) · ` + self + " -h for help\n"},
		{[]string{"--layout", "single", "nod"}, exitUsage, "", `amoptui: unknown command "nod" (did you mean node?); commands: bench, keygen, node, pub, sub (none: the TUI) · ` + self + " -h for help\n"},
		{nil, exitUsage, "", "amoptui: the TUI needs a terminal and stdin is not one; in scripts use `" + self + " sub` and `" + self + " pub` (" + self + " -h)\n"},
	}
	for _, c := range cases {
		code, out, errOut := runCmd(t, "", c.args...)
		if code != c.code || out != c.out || errOut != c.err {
			t.Errorf("%q: exit %d, stdout %q, stderr %q\nwant exit %d, stderr %q", c.args, code, out, errOut, c.code, c.err)
		}
	}
	// -h prints the usage and exits 0 with no error line.
	for _, cmd := range []string{"sub", "pub", "node", "bench", "keygen"} {
		code, _, errOut := runCmd(t, "", cmd, "-h")
		if code != exitOK || strings.Contains(errOut, "help requested") || !strings.HasPrefix(errOut, "usage: amoptui "+cmd) {
			t.Errorf("%s -h: exit %d, stderr %q", cmd, code, errOut)
		}
	}
	code, _, errOut := runCmd(t, "", "-layout", "single", "-h")
	if code != exitOK || strings.Contains(errOut, "help requested") || strings.Contains(errOut, "amoptui :") {
		t.Errorf("tui -h: exit %d, stderr %q", code, errOut)
	}
	// A bad flag: the flag package's line and the usage, then exit 2; the
	// error is not repeated.
	code, _, errOut = runCmd(t, "", "sub", "--nope")
	if code != exitUsage || strings.Count(errOut, "flag provided but not defined: -nope") != 1 {
		t.Errorf("sub --nope: exit %d, stderr %q", code, errOut)
	}
}

// TestVersion runs the real binary: a test binary has no main module.
func TestVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	out, err := exec.Command(filepath.Join(testBinaries(t), "amoptui"), "--version").CombinedOutput()
	if err != nil || !regexp.MustCompile(`^amoptui \S+.* · go-sdk v1\.1\.1 · go1\.\d+\S*\n$`).Match(out) {
		t.Fatalf("--version: %v, %q", err, out)
	}
}

// TestSelfCommand: the hints name the program as it was started, from the
// shapes the go command gives `go run` executables (with any GOCACHE), not
// from guesses on the path's words.
func TestSelfCommand(t *testing.T) {
	dir := t.TempDir()
	onPath := filepath.Join(dir, "bin", "amoptui")
	if err := os.MkdirAll(filepath.Dir(onPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(onPath, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other", "amoptui")
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	look := func(name string) (string, error) {
		if name == "amoptui" {
			return onPath, nil
		}
		return "", errors.New("not found")
	}
	hash := strings.Repeat("0123456789abcdef", 4)
	cases := []struct{ arg0, exe, version, want string }{
		// go run . with the default GOCACHE, a custom one, and a temporary work directory.
		{"/root/.cache/go-build/12/" + hash + "-d/amoptui", "/root/.cache/go-build/12/" + hash + "-d/amoptui", "(devel)", "go run ."},
		{"/tmp/mycache/ab/" + hash + "-d/amoptui", "/tmp/mycache/ab/" + hash + "-d/amoptui", "(devel)", "go run ."},
		{"/tmp/go-build2867964513/b001/exe/amoptui", "/tmp/go-build2867964513/b001/exe/amoptui", "(devel)", "go run ."},
		{"/tmp/mycache/ab/" + hash + "-d/amoptui", "/tmp/mycache/ab/" + hash + "-d/amoptui", "v1.2.3", "go run github.com/amoptui/amoptui@v1.2.3"},
		// Installed on PATH, started by name or by its full path.
		{"amoptui", onPath, "v1.2.3", "amoptui"},
		{onPath, onPath, "(devel)", "amoptui"},
		// A binary elsewhere (go build in a checkout): the path used.
		{"./amoptui", other, "(devel)", "./amoptui"},
		{other, other, "(devel)", other},
		// A directory that merely contains "go-build" is no go run.
		{"/home/u/go-build-tools/amoptui", "/home/u/go-build-tools/amoptui", "(devel)", "/home/u/go-build-tools/amoptui"},
	}
	for _, c := range cases {
		if got := selfCommandFrom(c.arg0, c.exe, c.version, look); got != c.want {
			t.Errorf("selfCommandFrom(%q, %q, %q) = %q, want %q", c.arg0, c.exe, c.version, got, c.want)
		}
	}
}
