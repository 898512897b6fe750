package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// subRecords parses sub --json output (after "Subscriber success").
func subRecords(t *testing.T, out string) []subRecord {
	t.Helper()
	var recs []subRecord
	// stdout of sub --json holds only JSON lines ("Subscriber success" is on stderr).
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r subRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("sub --json line %q: %v", l, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func waitDone(t *testing.T, done chan int) {
	t.Helper()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("sub exit %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("sub did not stop")
	}
}

func TestPubTemplatesMakeNumberedTraffic(t *testing.T) {
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	out, _, done := startSub(t, "--certs", dir, "--json", "--count", "4", n.Addr(1), "tpl")
	waitSubs(t, n, "tpl", 1)
	code, o, e := runCmd(t, "", "pub", "--certs", dir, "--multicast", "--count", "3", "--interval", "0", n.Addr(0), "tpl",
		`{"n":{{.Seq}},"topic":"{{.Topic}}","mode":"{{.Mode}}","id":"{{.UUID}}","pad":"{{random 8}}"}`)
	if code != 0 {
		t.Fatalf("pub exit %d: %s %s", code, o, e)
	}
	// --raw sends braces as typed.
	if code, o, e := runCmd(t, "", "pub", "--certs", dir, "--multicast", "--raw", n.Addr(0), "tpl", "{{.Seq}"); code != 0 {
		t.Fatalf("pub --raw exit %d: %s %s", code, o, e)
	}
	waitDone(t, done)
	recs := subRecords(t, out.String())
	for i, r := range recs[:3] {
		var v struct {
			N     int
			Topic string
			Mode  string
			ID    string
			Pad   string
		}
		if err := json.Unmarshal([]byte(r.Data), &v); err != nil {
			t.Fatalf("message %d %q: %v", i, r.Data, err)
		}
		if v.N != i+1 || v.Topic != "tpl" || v.Mode != "multicast" || len(v.ID) != 36 || len(v.Pad) != 8 {
			t.Fatalf("message %d = %+v", i, v)
		}
	}
	if recs[3].Data != "{{.Seq}" {
		t.Fatalf("raw message %q", recs[3].Data)
	}
}

func TestPubTemplateErrorBeforeSending(t *testing.T) {
	// The endpoint does not exist: a template error must come first, as a
	// usage error, without trying to connect.
	for _, msg := range []string{"{{.Seq", "{{.Nope}}", `{{file "/nonexistent/amoptui.json"}}`} {
		start := time.Now()
		code, _, errOut := runCmd(t, "", "pub", "--certs", t.TempDir(), "127.0.0.1:1", "t", msg)
		if code != exitUsage || !strings.Contains(errOut, "template") {
			t.Errorf("%q: exit %d, stderr %q", msg, code, errOut)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%q: took %v (did it try to connect?)", msg, time.Since(start))
		}
	}
}

func TestSubExecAnswers(t *testing.T) {
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	_, errb, done := startSub(t, "--certs", dir, "--count", "2", "--exec", `sh -c 'printf "%s:" "$AMOP_TOPIC"; tr a-z A-Z; test "$AMOP_N" = 1'`, n.Addr(1), "svc")
	waitSubs(t, n, "svc", 1)
	code, o, e := runCmd(t, "", "pub", "--certs", dir, n.Addr(0), "svc", "ping $(id)")
	if code != 0 || !strings.Contains(o, `✓ reply "svc:PING $(ID)"`) {
		t.Fatalf("pub exit %d: %s %s", code, o, e)
	}
	// The second run exits 1: an empty reply, and sub says why.
	if code, o, _ := runCmd(t, "", "pub", "--certs", dir, n.Addr(0), "svc", "again"); code != 0 || !strings.Contains(o, `✓ reply ""`) {
		t.Fatalf("second pub exit %d: %s", code, o)
	}
	waitDone(t, done)
	if !strings.Contains(errb.String(), "auto-reply failed: responder: exit status 1") {
		t.Fatalf("sub stderr %q", errb.String())
	}
	// Usage errors.
	for _, args := range [][]string{
		{"sub", "--exec", "no-such-command-amoptui", "127.0.0.1:1", "t"},
		{"sub", "--exec", "cat", "--reply", "x", "127.0.0.1:1", "t"},
		{"sub", "--exec-shell", "127.0.0.1:1", "t"},
		{"sub", "--exec", "cat", "--exec-timeout", "1m", "127.0.0.1:1", "t"},
	} {
		if code, _, errOut := runCmd(t, "", args...); code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestPubReplaysASubRecording(t *testing.T) {
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	rec := filepath.Join(t.TempDir(), "rec.jsonl")
	lines := []string{
		`{"time":"2026-01-02T03:04:05.000Z","topic":"svc","mode":"unicast","size":4,"data":"ping"}`,
		`{"time":"2026-01-02T03:04:05.300Z","topic":"svc","mode":"multicast","size":3,"data":"all"}`,
		`{"time":"2026-01-02T03:04:05.600Z","topic":"svc","mode":"unicast","size":2,"data":"/w==","encoding":"base64"}`,
	}
	if err := os.WriteFile(rec, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, done := startSub(t, "--certs", dir, "--json", "--reply", "echo", "--count", "3", n.Addr(1), "svc")
	waitSubs(t, n, "svc", 1)
	start := time.Now()
	code, o, e := runCmd(t, "", "pub", "--certs", dir, "--replay", rec, n.Addr(0))
	if code != 0 {
		t.Fatalf("replay exit %d: %s %s", code, o, e)
	}
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Fatalf("a 600 ms recording replayed in %v", took)
	}
	for _, want := range []string{"replay 1/3 +0.", `unicast svc: ping`, `✓ reply "ping"`, "replay 2/3", "✓ accepted", "replay 3/3"} {
		if !strings.Contains(o, want) {
			t.Fatalf("output lacks %q:\n%s", want, o)
		}
	}
	if !strings.Contains(e, "replaying 3 messages over 600ms") {
		t.Fatalf("stderr %q", e)
	}
	waitDone(t, done)
	recs := subRecords(t, out.String())
	if len(recs) != 3 || recs[0].Data != "ping" || recs[1].Mode != "multicast" || recs[2].Encoding != "base64" || recs[2].Data != "/w==" {
		t.Fatalf("subscriber saw %+v", recs)
	}
	// --json, --as-fast-as-possible, --to a topic nobody has: every unicast
	// fails, exit 1.
	code, o, _ = runCmd(t, "", "pub", "--certs", dir, "--replay", rec, "--as-fast-as-possible", "--json", "--to", "nobody", n.Addr(0))
	if code != exitFailure || strings.Count(o, `"ok":false`) != 2 || strings.Count(o, `"index":`) != 3 {
		t.Fatalf("exit %d:\n%s", code, o)
	}
	for _, args := range [][]string{
		{"pub", "--replay", rec, n.Addr(0), "extra"},
		{"pub", "--replay", rec, "--speed", "0", n.Addr(0)},
		{"pub", "--replay", filepath.Join(t.TempDir(), "missing"), n.Addr(0)},
		{"pub", "--replay", rec, "--replay-kind", "both", n.Addr(0)},
	} {
		if code, _, errOut := runCmd(t, "", args...); code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestPubReplayOfCutRecordsFails: a /save file whose pane kept only the
// head of a payload replays the rest, says how many messages were not
// replayed and why, and exits 1: the recording was not reproduced.
func TestPubReplayOfCutRecordsFails(t *testing.T) {
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	rec := filepath.Join(t.TempDir(), "saved.jsonl")
	lines := []string{
		`{"time":"2026-01-02T03:04:05.000Z","kind":"sent","id":1,"topic":"svc","mode":"multicast","size":3,"data":"one"}`,
		`{"time":"2026-01-02T03:04:05.100Z","kind":"sent","id":2,"topic":"svc","mode":"multicast","size":4194304,"data":"head","cut":true}`,
	}
	if err := os.WriteFile(rec, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, o, e := runCmd(t, "", "pub", "--certs", dir, "--replay", rec, "--as-fast-as-possible", n.Addr(0))
	if code != exitFailure || !strings.Contains(o, "replay 1/1") ||
		!strings.Contains(e, "1 message not replayed: /save kept only the head of its payload") ||
		!strings.Contains(e, "1 of 2 sends failed") || strings.Contains(e, "unreadable") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, o, e)
	}
}
