package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop/local"
)

// TestMatchArgs: /reply match splits its arguments as a shell does and
// refuses what it would otherwise have to guess (M3).
func TestMatchArgs(t *testing.T) {
	for _, c := range []struct {
		in, pattern, reply string
		problem            string // a part of the refusal; "" = accepted
	}{
		// config.example.toml's rule, typed as a shell user would.
		{in: `'^ping (\d+)$' 'pong {{.Match 1}}'`, pattern: `^ping (\d+)$`, reply: `pong {{.Match 1}}`},
		// Double quotes keep \d (a shell does) and are removed from both.
		{in: `"^ping (\d+)$" "pong {{.Match 1}}"`, pattern: `^ping (\d+)$`, reply: `pong {{.Match 1}}`},
		{in: `^time now`, pattern: `^time`, reply: `now`},
		{in: `'^say "hi"$' "it's {{.Match 0}}"`, pattern: `^say "hi"$`, reply: `it's {{.Match 0}}`},
		{in: `^a\ b x`, pattern: `^a b`, reply: `x`},
		{in: `"^a\\d" x`, pattern: `^a\d`, reply: `x`},
		// The report's line: five words, not a different rule.
		{in: `^ping (\d+)$ pong {{.Match 1}}`, problem: "takes 2 arguments, REGEX and TEMPLATE, not 5: quote each one"},
		{in: `^ping(\d+)$ pong`, problem: "put the REGEX in single quotes"},
		{in: `'^ping (\d+)$'`, problem: "needs a REGEX and a TEMPLATE"},
		{in: `'^ping x`, problem: "a ' quote is not closed"},
		{in: `"^ping x`, problem: `a " quote is not closed`},
		{in: `x y\`, problem: `ends in a \`},
	} {
		p, r, problem := matchArgs(c.in)
		switch {
		case c.problem == "" && (problem != "" || p != c.pattern || r != c.reply):
			t.Errorf("%s: got %q %q %q, want %q %q", c.in, p, r, problem, c.pattern, c.reply)
		case c.problem != "" && !strings.Contains(problem, c.problem):
			t.Errorf("%s: problem %q, want %q", c.in, problem, c.problem)
		case c.problem != "" && !strings.Contains(problem, matchExample):
			t.Errorf("%s: problem %q lacks the example", c.in, problem)
		}
	}
}

// TestCommandsSplitNamesLikeAShell: topics and file names with spaces are
// quoted; an unquoted one is refused with a hint, not cut or joined.
func TestCommandsSplitNamesLikeAShell(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions(), 100, 30)
	m = do(m, `/join 'my topic' "b c" plain`)
	if got := strings.Join(m.Topics(), "|"); got != "my topic|b c|plain" {
		t.Fatalf("topics %q", got)
	}
	m = do(m, `/leave "b c"`)
	if got := strings.Join(m.Topics(), "|"); got != "my topic|plain" {
		t.Fatalf("after /leave \"b c\": %q", got)
	}
	m = do(m, `/leave my topic`)
	if !m.noticeErr || !strings.Contains(m.Notice(), "usage: /leave [TOPIC]") || !strings.Contains(m.Notice(), "quote a name that has spaces") {
		t.Fatalf("two words for /leave: %q", m.Notice())
	}
	if len(m.Topics()) != 2 {
		t.Fatalf("a refused /leave left something: %q", m.Topics())
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "a b.jsonl")
	m = doIO(m, "/save '"+file+"'")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("/save with a quoted name with a space: %v (notice %q)", err, m.Notice())
	}
	m = do(m, "/save "+filepath.Join(dir, "x y.jsonl"))
	if !m.noticeErr || !strings.Contains(m.Notice(), "usage: /save FILE") {
		t.Fatalf("/save with an unquoted space: %q", m.Notice())
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Fatal("/save wrote the first word as a file")
	}
	m = do(m, "/join-private secret '"+filepath.Join(dir, "no such key.pem")+"'")
	if !strings.Contains(m.Notice(), "no such key.pem") {
		t.Fatalf("/join-private did not take the quoted file name: %q", m.Notice())
	}
	m = do(m, `/join 'open`)
	if !m.noticeErr || !strings.Contains(m.Notice(), "a ' quote is not closed") {
		t.Fatalf("unclosed quote: %q", m.Notice())
	}
}

// TestTopicErrorReasonFirst: a refused topic's footer starts with why, and
// the next command that works takes the error away (M5).
func TestTopicErrorReasonFirst(t *testing.T) {
	m := newModel(t, newFake(), testOptions(), 60, 15)
	m = do(m, "/join "+strings.Repeat("t", 255))
	ls := lines(m.View())
	if len(ls) != 15 || !strings.HasPrefix(ls[13], " topic too long: 255 bytes, at most 254") || !strings.HasPrefix(ls[14], ` "ttttt`) {
		t.Fatalf("footer:\n%s", strings.Join(ls, "\n"))
	}
	m = do(m, "/join ok")
	if m.noticeErr || strings.Contains(m.View(), "too long") {
		t.Fatalf("the error stayed after a command that worked: %q", m.Notice())
	}
}

// TestRawNeedsText: /raw alone sends nothing (an empty message is not
// something to send by accident).
func TestRawNeedsText(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 100, 30)
	m = do(m, "/raw")
	if len(c.Sends()) != 0 || !m.noticeErr || !strings.Contains(m.Notice(), "usage: /raw TEXT") {
		t.Fatalf("sends %d, notice %q", len(c.Sends()), m.Notice())
	}
	m = do(m, "/raw  two spaces")
	if s := c.Sends(); len(s) != 1 || string(s[0].Data) != " two spaces" {
		t.Fatalf("sends %+v", s)
	}
}

// TestReplyMatchEndToEnd: the rule of config.example.toml typed in B's TUI
// answers A's request through the real adapters and the local network; a
// {{.Match 2}} the regexp has no group for is refused when typed.
func TestReplyMatchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local network")
	}
	n := local.RunT(t, local.Options{})
	b := start(t, New(realClient(t, n, 1), Options{Topics: []string{"svc"}, Renderer: asciiRenderer()}), 120, 30)
	waitFor(t, b, "● connected", "joined svc")
	b.tm.Type(`/reply match '^ping (\d+)$' 'pong {{.Match 2}}'`)
	b.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, b, "{{.Match 2}} names a group the regexp")
	b.tm.Type(`/reply match '^ping (\d+)$' 'pong {{.Match 1}}'`)
	b.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, b, "rule 1 on svc")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "svc", 1); err != nil {
		t.Fatal(err)
	}
	a := start(t, New(realClient(t, n, 0), Options{Topics: []string{"svc"}, Renderer: asciiRenderer()}), 120, 30)
	waitFor(t, a, "● connected", "joined svc")
	a.tm.Type("ping 42")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, `✓ reply "pong 42"`)
}

// TestJoinThenLeaveAtOnce: /join T and at once /leave T race in the
// client; whichever lands first, no "leave failed" and T ends up left, in
// the real adapter too.
func TestJoinThenLeaveAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local network")
	}
	n := local.RunT(t, local.Options{})
	c := realClient(t, n, 0)
	s := start(t, New(c, Options{Renderer: asciiRenderer()}), 120, 30)
	waitFor(t, s, "● connected")
	for i := range 10 {
		topic := "q" + itoa(i+1)
		s.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/join " + topic), Paste: true})
		s.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		s.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/leave " + topic), Paste: true})
		s.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	}
	s.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/join done"), Paste: true})
	s.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, s, "joined done")
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Topics()) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("topics still joined: %q", c.Topics())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := finalModel(t, s)
	if i := strings.Index(s.out.String(), "failed:"); i >= 0 {
		t.Fatalf("a failure was shown: %q", s.out.String()[max(0, i-200):min(s.out.Len(), i+100)])
	}
	if got := strings.Join(m.Topics(), "|"); got != "done" {
		t.Fatalf("panes %q", got)
	}
}
