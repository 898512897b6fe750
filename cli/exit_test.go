package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/responder"
)

// TestUsageAndConfigErrorsExitTwo: every problem with what the user gave —
// flags, a file named by a flag or the configuration, a certificate —
// exits 2 with sentences that say what is accepted, before anything is
// started. Each case pins the whole of stderr.
func TestUsageAndConfigErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	recording := filepath.Join(dir, "rec.jsonl")
	doc := `{"time":"2026-01-01T00:00:00.000Z","topic":"t","mode":"unicast","size":1,"data":"a","ok":true,"rtt_ms":1}
{"time":"2026-01-01T00:03:00.000Z","topic":"t","mode":"unicast","size":1,"data":"b","ok":true,"rtt_ms":1}
`
	if err := os.WriteFile(recording, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	farApart := filepath.Join(dir, "far.jsonl")
	doc = `{"time":"1990-01-01T00:00:00.000Z","topic":"t","mode":"unicast","size":1,"data":"a","ok":true,"rtt_ms":1}
{"time":"2026-01-01T00:00:00.000Z","topic":"t","mode":"unicast","size":1,"data":"b","ok":true,"rtt_ms":1}
`
	if err := os.WriteFile(farApart, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	ep := "127.0.0.1:1" // never dialled: every case fails before
	p := "amoptui pub " + ep + ": "
	s := "amoptui sub " + ep + ": "
	cases := []struct {
		args []string
		err  string
	}{
		// pub --replay --speed (M9): a finite number in range.
		{[]string{"pub", "--replay", recording, "--speed", "NaN", ep}, p + "--speed NaN: want a number from 0.001 to 1000 (2 replays twice as fast, 0.5 half as fast)"},
		{[]string{"pub", "--replay", recording, "--speed", "Inf", ep}, p + "--speed +Inf: want a number from 0.001 to 1000 (2 replays twice as fast, 0.5 half as fast)"},
		{[]string{"pub", "--replay", recording, "--speed", "-Inf", ep}, p + "--speed -Inf: want a number from 0.001 to 1000 (2 replays twice as fast, 0.5 half as fast)"},
		{[]string{"pub", "--replay", recording, "--speed", "1e-300", ep}, p + "--speed 1e-300: want a number from 0.001 to 1000 (2 replays twice as fast, 0.5 half as fast)"},
		{[]string{"pub", "--replay", recording, "--speed", "1e300", ep}, p + "--speed 1e+300: want a number from 0.001 to 1000 (2 replays twice as fast, 0.5 half as fast)"},
		{[]string{"pub", "--replay", recording, "--speed", "0", ep}, p + "--speed 0: want a number from 0.001 to 1000 (2 replays twice as fast, 0.5 half as fast)"},
		{[]string{"pub", "--replay", farApart, "--speed", "0.001", ep}, p + "--speed 0.001 stretches the recording's 315576h0m0s past what can be scheduled (292 years)"},
		// pub: flags after the arguments, timeouts out of range, a debug log
		// that is no log.
		{[]string{"pub", ep, "topic", "msg", "--multicast"}, "amoptui pub: flag --multicast comes after ENDPOINT; flags go before it: amoptui pub [FLAGS] ENDPOINT TOPIC [MESSAGE]"},
		{[]string{"pub", "--timeout", "1000000h", ep, "t", "m"}, p + "--timeout must be above 0 and at most 10m0s, got 1000000h0m0s"},
		{[]string{"pub", "--timeout", "0s", ep, "t", "m"}, p + "--timeout must be above 0 and at most 10m0s, got 0s"},
		{[]string{"pub", "--debug-log", "/proc/version", "--certs", dir, ep, "t", "m"}, p + "--debug-log /proc/version: a write fails: input/output error"},
		{[]string{"pub", "--debug-log", "/dev/null", ep, "t", "m"}, p + "--debug-log /dev/null is not a regular file (a log is appended to a file)"},
		// sub: the responder's flags, each with what it accepts.
		{[]string{"sub", "--exec", "", ep, "t"}, s + "--exec: the command is empty; give the command to run per request"},
		{[]string{"sub", "--exec", "cat", "--exec-max-output", "0", ep, "t"}, s + "--exec-max-output 0: want 1 to 8388608 bytes"},
		{[]string{"sub", "--exec", "cat", "--exec-max-output", "-1", ep, "t"}, s + "--exec-max-output -1: want 1 to 8388608 bytes"},
		// The line's bounds (outside report 3, finding 13); with --fisco
		// auto both until the line is known (TestSubExecTimeoutFollowsLine).
		{[]string{"sub", "--exec", "cat", "--exec-timeout", "-1s", ep, "t"}, s + "--exec-timeout -1s: want a duration above 0 and at most 9s on FISCO BCOS 2.x (its node waits 5s for a reply), 30s on 3.x (its node waits 30s)"},
		{[]string{"sub", "--exec", "cat", "--exec-timeout", "31s", ep, "t"}, s + "--exec-timeout 31s: want a duration above 0 and at most 9s on FISCO BCOS 2.x (its node waits 5s for a reply), 30s on 3.x (its node waits 30s)"},
		{[]string{"sub", "--fisco", "2", "--exec", "cat", "--exec-timeout", "10s", ep, "t"}, s + "--exec-timeout 10s: want a duration above 0 and at most 9s (a FISCO BCOS 2.x node waits 5s for a reply)"},
		{[]string{"sub", "--fisco", "3", "--exec", "cat", "--exec-timeout", "31s", ep, "t"}, s + "--exec-timeout 31s: want a duration above 0 and at most 30s (a FISCO BCOS 3.x node waits 30s for a reply)"},
		{[]string{"sub", "--exec-timeout", "1s", ep, "t"}, s + "--exec-timeout needs --exec CMD"},
		{[]string{"sub", ep, "t", "--json"}, "amoptui sub: flag --json comes after ENDPOINT; flags go before it: amoptui sub [FLAGS] ENDPOINT TOPIC [TOPIC...]"},
		// bench: no silent defaults, and nothing started (no "bench:" line
		// about the run before the refusal).
		{[]string{"bench", "--size", "-1"}, "amoptui bench: --size -1: want 1 byte to 4194304 bytes (4 MiB)"},
		{[]string{"bench", "--size", "0"}, "amoptui bench: --size 0: want 1 byte to 4194304 bytes (4 MiB)"},
		{[]string{"bench", "--duration", "0s"}, "amoptui bench: --duration 0s: want a positive duration (the measured time)"},
		{[]string{"bench", "--duration", "-1s"}, "amoptui bench: --duration -1s: want a positive duration (the measured time)"},
		{[]string{"bench", "--subscribers", "0"}, "amoptui bench: --subscribers 0: want 1 to 256"},
		{[]string{"bench", "--publishers", "0"}, "amoptui bench: --publishers 0: want 1 to 256"},
		{[]string{"bench", "--mode", "multicast", "--size", "4"}, "amoptui bench: --size 4: a multicast bench needs at least 16 bytes to check order and loss"},
		{[]string{"bench", "--bare", "--fisco", "3"}, "amoptui bench: --bare measures go-sdk v1.1.1, which speaks FISCO BCOS 2.x only: drop --bare or --fisco 3"},
		// node: an address twice, a certificate directory that cannot be one.
		{[]string{"node", "--listen", "127.0.0.1:27040,127.0.0.1:27040"}, "amoptui node: --listen lists 127.0.0.1:27040 twice: each node needs an address of its own"},
		{[]string{"node", "--certs", "/proc/version", "--listen", "127.0.0.1:0", "--log"}, "amoptui node: --certs: mkdir /proc/version: not a directory"},
		{[]string{"node", "--fisco", "3", "--certs", "/proc/version", "--listen", "127.0.0.1:0", "--log"}, "amoptui node: --certs: mkdir /proc/version: not a directory"},
		// The TUI: a transcript that is a directory, with the flag named.
		{[]string{"--transcript", dir}, "amoptui: flag --transcript: transcript: " + dir + " is a directory, not a file"},
	}
	for _, c := range cases {
		code, out, errOut := runCmd(t, "", c.args...)
		if code != exitUsage || out != "" || errOut != c.err+"\n" {
			t.Errorf("%q: exit %d, stdout %q\nstderr %q\nwant exit 2, stderr %q", c.args, code, out, errOut, c.err+"\n")
		}
	}
}

// TestCertificateProblemsExitTwo: a certificate the user named that cannot
// be used (expired, missing) is a configuration error: exit 2, one line
// naming the file, nothing dialled.
func TestCertificateProblemsExitTwo(t *testing.T) {
	dir := t.TempDir()
	if err := local.NewCertDir(dir, local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	crt, key, err := local.IssueCert(dir, "old", local.CertOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{crt: "sdk.crt", key: "sdk.key"} {
		if err := os.Rename(from, filepath.Join(dir, to)); err != nil {
			t.Fatal(err)
		}
	}
	ep := ntFreePorts(t, 1)[0]
	for _, args := range [][]string{
		{"pub", "--certs", dir, ep, "t", "m"},
		{"sub", "--certs", dir, ep, "t"},
	} {
		code, out, errOut := runCmd(t, "", args...)
		if code != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 ||
			!strings.Contains(errOut, filepath.Join(dir, "sdk.crt")+" expired on ") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line naming the expired sdk.crt", args, code, errOut)
		}
	}
	empty := t.TempDir()
	code, _, errOut := runCmd(t, "", "pub", "--certs", empty, ep, "t", "m")
	if code != exitUsage || !strings.Contains(errOut, filepath.Join(empty, "ca.crt")) {
		t.Errorf("missing ca.crt: exit %d, stderr %q", code, errOut)
	}
}

// TestConfigProblemsOnePerLine: a configuration with several problems
// gets one stderr line per problem (not joined with ␊), including the
// files it names (a CA that does not exist) and the bounds of
// send_timeout and debug_log.
func TestConfigProblemsOnePerLine(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	doc := `nodes = ["127.0.0.1:1"]
send_timeout = "1000000h"
debug_log = "/dev/null"
[tls]
ca = "/nonexistent/ca.crt"
`
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "", "--config", cfg)
	want := strings.Join([]string{
		"amoptui: " + cfg + ":2:1: send_timeout: must be above 0 and at most 10m0s, got 1000000h0m0s",
		"amoptui: " + cfg + ":3:1: debug_log: /dev/null is not a regular file (a log is appended to a file)",
		"amoptui: " + cfg + ":4:2: tls.cert: missing: set cert, cert_pem or certs_dir",
		"amoptui: " + cfg + ":4:2: tls.key: missing: set key, key_pem or certs_dir",
		"amoptui: " + cfg + ":5:1: tls.ca: /nonexistent/ca.crt does not exist",
	}, "\n") + "\n"
	if code != exitUsage || out != "" || errOut != want {
		t.Fatalf("exit %d\ngot\n%s\nwant\n%s", code, errOut, want)
	}
	// A debug log that opens but takes no write is found when it is
	// opened, and located all the same.
	doc = "debug_log = \"/proc/version\"\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCmd(t, "", "--config", cfg)
	if want := "amoptui: " + cfg + ":1:1: debug_log: /proc/version: a write fails: input/output error\n"; code != exitUsage || errOut != want {
		t.Fatalf("/proc/version: exit %d, stderr %q, want %q", code, errOut, want)
	}
}

// TestHelpTexts: `amoptui -h` lists the TUI's own flags; `sub -h` names
// every variable a responder gets; keygen's texts say how the public key
// file is named.
func TestHelpTexts(t *testing.T) {
	code, out, _ := runCmd(t, "", "-h")
	for _, flag := range []string{"-mode", "-theme", "-no-mouse", "-no-history", "-layout", "-transcript", "-reply", "-publish", "-local-like", "-config"} {
		if code != exitOK || !strings.Contains(out, "\n  "+flag+" ") && !strings.Contains(out, "\n  "+flag+"\n") {
			t.Errorf("amoptui -h lacks %s:\n%s", flag, out)
		}
	}
	if !strings.Contains(out, "KEYFILE with .key or .pem replaced by .pub, else KEYFILE.pub; or --pub FILE") {
		t.Errorf("the keygen summary:\n%s", out)
	}
	_, _, errOut := runCmd(t, "", "sub", "-h")
	if want := strings.Join(responder.EnvNames, ", "); !strings.Contains(errOut, want) || len(responder.EnvNames) != 5 {
		t.Errorf("sub -h does not name %s:\n%s", want, errOut)
	}
	_, _, errOut = runCmd(t, "", "keygen", "-h")
	if !strings.Contains(errOut, "alice.key or alice.pem gives\nalice.pub, any other name gets .pub appended, --pub FILE names it") {
		t.Errorf("keygen -h:\n%s", errOut)
	}
}

// TestForeignCAHintNamesTheFlag: a node whose certificate our CA did not
// sign is refused with the way to skip the check in the terms of the
// command in use: --no-verify-node for sub and pub, the flag or the
// configuration key for the TUI.
func TestForeignCAHintNamesTheFlag(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	foreign := t.TempDir()
	if err := local.NewCertDir(foreign, local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"pub", "--certs", foreign, "--connect-timeout", "10s", n.Addr(0), "t", "m"},
		{"sub", "--certs", foreign, "--connect-timeout", "10s", n.Addr(0), "t"},
	} {
		code, _, errOut := runCmd(t, "", args...)
		if code != exitFailure || !strings.Contains(errOut, "presented a certificate not signed by "+filepath.Join(foreign, "ca.crt")+" (pass --no-verify-node to skip this check)") ||
			strings.Contains(errOut, "verify_node") {
			t.Errorf("%s: exit %d, stderr %q", args[0], code, errOut)
		}
	}
	p, err := planFor(t, "--node", n.Addr(0), "--certs", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if p.adapter.VerifyHint != "pass --no-verify-node or set verify_node = false" {
		t.Fatalf("the TUI's hint: %q", p.adapter.VerifyHint)
	}
}
