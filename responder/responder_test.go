package responder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/tmpl"
)

func newExec(t *testing.T, o ExecOptions) *Exec {
	t.Helper()
	e, _, err := NewExec(o)
	if err != nil {
		t.Fatalf("NewExec(%+v): %v", o, err)
	}
	return e
}

func TestExecStdinStdoutAndEnvironment(t *testing.T) {
	e := newExec(t, ExecOptions{Command: `sh -c 'printf "%s|%s|%s|%s|%s|" "$AMOP_TOPIC" "$AMOP_SEQ" "$AMOP_N" "$AMOP_SIZE" "$AMOP_PRIVATE"; cat'`})
	out, err := e.Respond(amop.Request{Topic: "svc", Data: []byte("ping"), Seq: "0123456789abcdef0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "svc|0123456789abcdef0123456789abcdef|1|4|false|ping"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	out, _ = e.Respond(amop.Request{Topic: "svc", Data: []byte("x"), Private: true})
	if !strings.HasPrefix(string(out), "svc||2|1|true|") {
		t.Fatalf("second request: %q", out)
	}
}

func TestExecBinaryPayloadRoundTrips(t *testing.T) {
	e := newExec(t, ExecOptions{Command: "cat"})
	in := []byte{0, 1, 2, 0xff, '\n', 0x1b, '['}
	out, err := e.Respond(amop.Request{Data: in})
	if err != nil || string(out) != string(in) {
		t.Fatalf("cat: %q, %v", out, err)
	}
}

func TestExecNoShellInjection(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	// Payloads that would run a command if they ever reached a shell, as
	// stdin, in the environment (the topic) or as an argument.
	evil := []string{
		"; touch " + marker, "$(touch " + marker + ")", "`touch " + marker + "`", "| touch " + marker,
		"'; touch " + marker + "; '", "\n touch " + marker,
	}
	for _, shell := range []bool{false, true} {
		cmd := `printf %s "$AMOP_TOPIC"`
		if !shell {
			cmd = "cat"
		}
		e := newExec(t, ExecOptions{Command: cmd, Shell: shell})
		for _, p := range evil {
			out, err := e.Respond(amop.Request{Topic: p, Data: []byte(p)})
			if err != nil {
				t.Fatalf("shell=%v %q: %v", shell, p, err)
			}
			if string(out) != p {
				t.Fatalf("shell=%v: got %q, want the payload back verbatim %q", shell, out, p)
			}
		}
	}
	// Words of the command are split, never expanded.
	e := newExec(t, ExecOptions{Command: `echo '$(touch ` + marker + `)' $HOME "*"`})
	out, err := e.Respond(amop.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "$(touch "+marker+") $HOME *" {
		t.Fatalf("echo printed %q", got)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a payload ran a command")
	}
}

func TestExecTimeoutKillsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "late")
	// The shell's child would write the marker after the deadline unless
	// the whole process group is killed.
	e := newExec(t, ExecOptions{Command: "sleep 1; touch " + marker, Shell: true, Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := e.Respond(amop.Request{Data: []byte("x")})
	took := time.Since(start)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if took > 3*time.Second {
		t.Fatalf("a 200ms timeout took %v", took)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the command's child outlived the timeout")
	}
}

func TestExecTimeoutWithAnOrphanHoldingStdout(t *testing.T) {
	// A background child keeps stdout open after the shell exits.
	e := newExec(t, ExecOptions{Command: "(sleep 5 &) ; echo hi", Shell: true, Timeout: 300 * time.Millisecond})
	start := time.Now()
	_, _ = e.Respond(amop.Request{})
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Respond took %v with an orphan holding stdout", took)
	}
}

func TestExecLargeOutput(t *testing.T) {
	e := newExec(t, ExecOptions{Command: "head -c 5000000 /dev/zero", MaxOutput: 1000})
	out, err := e.Respond(amop.Request{})
	if err == nil || !strings.Contains(err.Error(), "more than 1000 bytes") {
		t.Fatalf("err = %v", err)
	}
	if out != nil {
		t.Fatal("a reply was returned for an output over the limit")
	}
	// An endless writer is killed too, long before the timeout.
	e = newExec(t, ExecOptions{Command: "yes", MaxOutput: 1 << 16, Timeout: 5 * time.Second})
	start := time.Now()
	if _, err := e.Respond(amop.Request{}); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("yes: %v after %v", err, time.Since(start))
	}
	// Exactly the limit is fine.
	e = newExec(t, ExecOptions{Command: "head -c 1000 /dev/zero", MaxOutput: 1000})
	if out, err := e.Respond(amop.Request{}); err != nil || len(out) != 1000 {
		t.Fatalf("1000 bytes: %d, %v", len(out), err)
	}
}

func TestExecLargeInputNotRead(t *testing.T) {
	// A command that ignores a stdin larger than a pipe buffer still
	// answers.
	e := newExec(t, ExecOptions{Command: "echo ok"})
	out, err := e.Respond(amop.Request{Data: make([]byte, 4<<20)})
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("%q, %v", out, err)
	}
}

func TestExecExitCodes(t *testing.T) {
	e := newExec(t, ExecOptions{Command: "echo partial; echo 'bad input' >&2; echo more >&2; exit 3", Shell: true})
	out, err := e.Respond(amop.Request{})
	if err == nil || !strings.Contains(err.Error(), "exit status 3: bad input") {
		t.Fatalf("err = %v", err)
	}
	if out != nil {
		t.Fatalf("a failing command's output was used: %q", out)
	}
	e = newExec(t, ExecOptions{Command: "kill -9 $$", Shell: true})
	if _, err := e.Respond(amop.Request{}); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("signal: %v", err)
	}
	e = newExec(t, ExecOptions{Command: "true"})
	if out, err := e.Respond(amop.Request{}); err != nil || len(out) != 0 {
		t.Fatalf("true: %q, %v", out, err)
	}
}

func TestNewExecChecks(t *testing.T) {
	bad := []ExecOptions{
		{Command: ""},
		{Command: "   "},
		{Command: "no-such-command-amoptui"},
		{Command: `echo "unterminated`},
		{Command: "cat", Timeout: LimitsOf(amop.Line2).Max + time.Second},
		{Command: "cat", Timeout: 31 * time.Second, Line: amop.Line3},
		{Command: "cat", Timeout: -time.Second},
	}
	for _, o := range bad {
		if _, _, err := NewExec(o); err == nil {
			t.Errorf("NewExec(%+v) accepted", o)
		}
	}
	_, warn, err := NewExec(ExecOptions{Command: "cat", Timeout: 6 * time.Second})
	if err != nil || !strings.Contains(warn, "2.x node's 5s wait") || !strings.Contains(warn, "AMOP 104") {
		t.Fatalf("6s: warn %q, err %v", warn, err)
	}
	// A 3.x node waits 30 s and has no AMOP 104 (outside report 3,
	// finding 13).
	if _, warn, err := NewExec(ExecOptions{Command: "cat", Timeout: 10 * time.Second, Line: amop.Line3}); err != nil || warn != "" {
		t.Fatalf("3.x 10s: warn %q, err %v", warn, err)
	}
	_, warn, err = NewExec(ExecOptions{Command: "cat", Timeout: 30 * time.Second, Line: amop.Line3})
	if err != nil || !strings.Contains(warn, "3.x node's 30s wait") || !strings.Contains(warn, "-4008") || strings.Contains(warn, "104") {
		t.Fatalf("3.x 30s: warn %q, err %v", warn, err)
	}
	if _, _, err := NewExec(ExecOptions{Command: "cat", Timeout: 10 * time.Second, Line: amop.Line2}); err == nil || !strings.Contains(err.Error(), "at most 9s (a FISCO BCOS 2.x node waits 5s") {
		t.Fatalf("2.x 10s: %v", err)
	}
	_, warn, _ = NewExec(ExecOptions{Command: "cat"})
	if warn != "" {
		t.Fatalf("default timeout warned: %q", warn)
	}
}

func TestChain(t *testing.T) {
	r1, err := ParseRule(`^ping (\d+)$`, "pong {{.Match 1}} #{{.Seq}}", tmpl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := ParseRule(`^get`, `{"echo":{{json .Data}},"topic":"{{.Topic}}"}`, tmpl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &Chain{Rules: []Rule{r1, r2}, Fallback: amop.ReplyPolicy{Mode: amop.ReplyEcho}}
	p := c.Policy()
	cases := []struct{ in, want string }{
		{"ping 42", "pong 42 #1"},
		{"get x", `{"echo":"get x","topic":"svc"}`},
		{"other", "other"},
		{"ping 7", "pong 7 #4"},
	}
	for _, tc := range cases {
		out, err := p.Answer(amop.Request{Topic: "svc", Data: []byte(tc.in)})
		if err != nil || string(out) != tc.want {
			t.Errorf("%q → %q, %v; want %q", tc.in, out, err, tc.want)
		}
	}
	if s := c.String(); s != "2 match rules, else echo" {
		t.Errorf("String = %q", s)
	}
	// Exec comes after the rules.
	c.Exec = newExec(t, ExecOptions{Command: "tr a-z A-Z"})
	if out, _ := c.Respond(amop.Request{Data: []byte("abc")}); string(out) != "ABC" {
		t.Errorf("exec fallback: %q", out)
	}
	if out, _ := c.Respond(amop.Request{Data: []byte("ping 1")}); string(out) != "pong 1 #6" {
		t.Errorf("rule before exec: %q", out)
	}
	if s := c.String(); s != "2 match rules, else exec tr a-z A-Z" {
		t.Errorf("String = %q", s)
	}
	// A chain with nothing is its fallback.
	if p := (&Chain{Fallback: amop.ParseReplyPolicy("hi")}).Policy(); p.Mode != amop.ReplyText || p.Text != "hi" {
		t.Errorf("empty chain policy = %+v", p)
	}
}

func TestParseRuleErrors(t *testing.T) {
	if _, err := ParseRule(`(`, "x", tmpl.Options{}); err == nil || !strings.Contains(err.Error(), "regexp") {
		t.Errorf("bad regexp: %v", err)
	}
	if _, err := ParseRule(`x`, "{{.Seq", tmpl.Options{}); err == nil || !strings.Contains(err.Error(), "template") {
		t.Errorf("bad template: %v", err)
	}
	r, _ := ParseRule(`x`, "{{file \"/nonexistent/amoptui\"}}", tmpl.Options{})
	if _, err := (&Chain{Rules: []Rule{r}}).Respond(amop.Request{Data: []byte("x")}); err == nil {
		t.Error("a template that fails to render answered")
	}
}

// TestParseRuleMatchBeyondGroups: {{.Match N}} past the regexp's groups is
// refused when the rule is made, wherever it stands in the template; the
// groups it has are accepted.
func TestParseRuleMatchBeyondGroups(t *testing.T) {
	for _, c := range []struct {
		re, reply, want string
	}{
		{`^ping (\d+)$`, "pong {{.Match 2}}", "{{.Match 2}} names a group the regexp /^ping (\\d+)$/ does not have: it has 1 (…) group, {{.Match 1}}"},
		{`^ping$`, "{{.Match 1}}", "it has no (…) group; {{.Match 0}} is the whole match"},
		{`(a)(b)(c)`, "{{if .Data}}{{printf \"%s\" (.Match 4)}}{{end}}", "{{.Match 4}}"},
		{`(a)`, "{{range $i, $x := .Matches}}{{$.Match 3}}{{end}}", "{{.Match 3}}"},
		{`(a)`, "{{with .Data}}x{{else}}{{.Match -1}}{{end}}", "{{.Match -1}}"},
	} {
		_, err := ParseRule(c.re, c.reply, tmpl.Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want %q", c.re, c.reply, err, c.want)
		}
	}
	for _, c := range [][2]string{{`(a)(b)`, "{{.Match 0}}{{.Match 1}}{{.Match 2}}"}, {`x`, "{{.Match 0}} {{.Data}}"}, {`(a)`, "{{.Match .Seq}}"}} {
		if _, err := ParseRule(c[0], c[1], tmpl.Options{}); err != nil {
			t.Errorf("%s %s: %v", c[0], c[1], err)
		}
	}
}

// TestExecBackgroundChild: a command that leaves a child in the background
// holding its stdout (`sleep 100 & echo bg`) is answered with what it
// printed until it exited, after a short grace for the pipe; the child dies
// with the command's group; a failing one says how it failed, never
// exec's "WaitDelay expired before I/O complete".
func TestExecBackgroundChild(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "outlived")
	e := newExec(t, ExecOptions{Command: "(sleep 1; touch " + marker + ") & echo bg", Shell: true})
	start := time.Now()
	out, err := e.Respond(amop.Request{})
	if took := time.Since(start); err != nil || string(out) != "bg\n" || took > 2*time.Second {
		t.Fatalf("reply %q, err %v after %v; want \"bg\\n\" at once", out, err, took)
	}
	e = newExec(t, ExecOptions{Command: "sleep 100 & echo bg", Shell: true})
	if out, err := e.Respond(amop.Request{}); err != nil || string(out) != "bg\n" {
		t.Fatalf("sleep 100 & echo bg: %q, %v", out, err)
	}
	e = newExec(t, ExecOptions{Command: "sleep 100 & echo bg; exit 3", Shell: true})
	if _, err := e.Respond(amop.Request{}); err == nil || !strings.Contains(err.Error(), "exit status 3") || strings.Contains(err.Error(), "WaitDelay") {
		t.Fatalf("a failing command with a background child: %v", err)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the background child outlived the command")
	}
}

// TestExecEnvironmentIsEnvNames: the AMOP_ variables a command gets are
// exactly EnvNames, the list the help texts print.
func TestExecEnvironmentIsEnvNames(t *testing.T) {
	e := newExec(t, ExecOptions{Command: "env"})
	out, err := e.Respond(amop.Request{Topic: "t", Data: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(string(out), "\n") {
		if name, _, ok := strings.Cut(l, "="); ok && strings.HasPrefix(name, "AMOP_") {
			got = append(got, name)
		}
	}
	if strings.Join(got, ",") != strings.Join(EnvNames, ",") {
		t.Fatalf("AMOP_ variables %v, EnvNames %v", got, EnvNames)
	}
}

// TestNewExecBoundsSayTheRange: the timeout and output bounds are refused
// with the range that is accepted.
func TestNewExecBoundsSayTheRange(t *testing.T) {
	for _, c := range []struct {
		o    ExecOptions
		want string
	}{
		{ExecOptions{Command: "cat", Timeout: -time.Second}, "responder: timeout -1s: want a duration above 0 and at most 9s (a FISCO BCOS 2.x node waits 5s for a reply)"},
		{ExecOptions{Command: "cat", Timeout: 31 * time.Second, Line: amop.Line3}, "responder: timeout 31s: want a duration above 0 and at most 30s (a FISCO BCOS 3.x node waits 30s for a reply)"},
		{ExecOptions{Command: "cat", MaxOutput: -1}, "responder: max output -1: want 1 to 8388608 bytes"},
		{ExecOptions{Command: "cat", MaxOutput: OutputLimit + 1}, "responder: max output 8388609: want 1 to 8388608 bytes"},
	} {
		if _, _, err := NewExec(c.o); err == nil || err.Error() != c.want {
			t.Errorf("NewExec(%+v): %v, want %q", c.o, err, c.want)
		}
	}
}
