package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckFiles: every file the configuration names is checked before
// anything runs, each problem on a line of its own naming the key and the
// file's line (or the flag), together with the values' problems, in file
// order (issue m-config: a CA that does not exist was not named).
func TestCheckFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.crt")
	if err := os.WriteFile(good, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := `send_timeout = "1000000h"
debug_log = "/proc"
transcript = "` + dir + `/no-dir/t.jsonl"
[tls]
ca = "/nonexistent/ca.crt"
cert = "` + good + `"
key = "` + dir + `"
[private.subscribe]
orders = "/dev/null"
`
	c, err := Parse([]byte(doc), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Check()
	want := []string{
		`c.toml:1:1: send_timeout: must be above 0 and at most 10m0s, got 1000000h0m0s`,
		`c.toml:2:1: debug_log: /proc is a directory, not a file`,
		`c.toml:3:1: transcript: the directory ` + dir + `/no-dir does not exist`,
		`c.toml:5:1: tls.ca: /nonexistent/ca.crt does not exist`,
		`c.toml:7:1: tls.key: ` + dir + ` is a directory, not a regular file`,
		`c.toml:9:1: private.subscribe.orders: /dev/null is a character device, not a regular file`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}

	// A certificate directory that does not exist is named once, with the
	// flag that set it; a device as the debug log is refused.
	c = Default()
	c.SetCertsDir(filepath.Join(dir, "missing"), "--certs")
	c.DebugLog = "/dev/null"
	c.MarkFlag("debug_log", "--debug-log")
	err = c.Check()
	want = []string{
		`flag --certs: tls.certs_dir: ` + filepath.Join(dir, "missing") + ` does not exist`,
		`flag --debug-log: debug_log: /dev/null is not a regular file (a log is appended to a file)`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	// A directory without the files names each one.
	c = Default()
	c.SetCertsDir(dir, "--certs")
	if err := c.Check(); err == nil || !strings.Contains(err.Error(), "flag --certs: tls.certs_dir: "+filepath.Join(dir, "ca.crt")+" does not exist") {
		t.Fatalf("empty certs dir: %v", err)
	}
	// Located problems for files found unusable later (a write refused).
	if got := c.Problem("debug_log", "%s: %s", "/proc/version", "input/output error").Error(); got != "debug_log: /proc/version: input/output error" {
		t.Fatalf("Problem: %q", got)
	}
}
