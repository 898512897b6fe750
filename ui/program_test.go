package ui

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/ui/internal/fakeclient"
)

// session is a running program and everything it has written so far.
type session struct {
	tm  *teatest.TestModel
	out bytes.Buffer
}

func start(t *testing.T, m Model, w, h int) *session {
	return &session{tm: teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))}
}

// drain appends what the program wrote since the last call.
func (s *session) drain() {
	_, _ = io.Copy(&s.out, s.tm.Output())
}

// waitFor waits until the output so far contains every one of subs.
func waitFor(t *testing.T, s *session, subs ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.drain()
		ok := true
		for _, sub := range subs {
			if !bytes.Contains(s.out.Bytes(), []byte(sub)) {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output never showed %q; last frame:\n%s", subs, tail(s.out.Bytes(), 4000))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func tail(b []byte, n int) []byte { return b[max(0, len(b)-n):] }

// finalModel quits the program and returns its last model; the output is
// complete afterwards.
func finalModel(t *testing.T, s *session) Model {
	t.Helper()
	s.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	m := s.tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	s.drain()
	return m
}

// TestProgram drives the real Bubble Tea program: typing, sending in both
// modes, events pushed on the client's channel, and the final screen.
func TestProgram(t *testing.T) {
	c := fakeclient.New(64)
	tm := start(t, New(c, testOptions("hello", "orders")), 100, 30)
	waitFor(t, tm, "# hello", "# orders", "UNICAST")

	tm.tm.Type("ping")
	tm.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, `✓ reply "pong"`)

	tm.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlT})
	waitFor(t, tm, "MULTICAST")
	tm.tm.Type("to everyone")
	tm.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "✓ accepted")

	c.Push(&amop.MessageEvent{Topic: "orders", Data: []byte(`{"order":1}`), Mode: amop.Multicast, At: t0.Add(time.Second)})
	req := &amop.MessageEvent{Topic: "hello", Data: []byte("question"), Mode: amop.Unicast, At: t0.Add(2 * time.Second), Reply: []byte("answer"), Replied: true}
	c.Push(req)
	waitFor(t, tm, `{"order":1}`, `↩ "answer"`)

	tm.tm.Type("/mode unicast")
	tm.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "mode UNICAST")

	m := finalModel(t, tm)
	if s := c.Sends(); len(s) != 2 || s[0].Mode != amop.Unicast || s[1].Mode != amop.Multicast || string(s[1].Data) != "to everyone" {
		t.Fatalf("sends %+v", s)
	}
	golden.RequireEqual(t, []byte(m.View()))
}

// TestProgramClientClosed: the event stream ends, the UI says so and keeps
// running.
func TestProgramClientClosed(t *testing.T) {
	c := fakeclient.New(4)
	tm := start(t, New(c, testOptions("hello")), 80, 24)
	waitFor(t, tm, "● connected")
	c.Close()
	waitFor(t, tm, "○ down", "closed its event stream")
	tm.tm.Type("still typing")
	waitFor(t, tm, "still typing")
	finalModel(t, tm)
}

// injection is the terminal-injection corpus of issue 6.
var injection = []string{
	"\x1b]0;pwned\x07title",                                  // OSC 0 window title
	"\x1b]2;pwned\x1b\\title",                                // OSC 2, ST-terminated
	"\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", // OSC 8 link
	"\x1b]52;c;cHduZWQ=\x07clip",                             // OSC 52 clipboard
	"\x1b[2J\x1b[Hcleared",                                   // CSI clear + home
	"\x1b[10;10Hmoved\x1b[5A\x1b[3C",                         // cursor moves
	"\x1bP1$tpwned\x1b\\dcs",                                 // DCS
	"\x1b_apc payload\x1b\\",                                 // APC
	"\x1bc reset",                                            // RIS
	"\u009b31mC1 CSI",                                        // C1 CSI
	"\x9b31m raw C1 byte",                                    // invalid UTF-8 C1
	"safe text\rOVERWRITE",                                   // CR overwrite
	"abc\b\b\bXYZ",                                           // BS overwrite
	"\u202eevil\u202c bidi \u2066isolate\u2069",              // bidi overrides
	"zero\u200bwidth\u200d\ufeffchars",                       // zero-width
	"bell\x07 and nul\x00 and del\x7f",                       // C0 + DEL
	"\xff\xfe invalid utf8 \xc3\x28",                         // invalid UTF-8
	strings.Repeat("A", 100*1024),                            // a 100 KB line
}

// forbidden are byte strings that must never reach the terminal.
var forbidden = []string{
	"\x1b]", "\x1bP", "\x1b_", "\x1bc", "\x1b[2J", "\x1b[10;10H", "\x1b[5A", "\u009b", "\rOVERWRITE",
	"pwned\x07", "\x07", "\x08", "\x00", "\x7f", "\u202e", "\u202c", "\u2066", "\u200b", "\u200d", "\ufeff",
}

// csiSeqs returns the escape sequences in out, with digits folded, so that a
// run can be compared with a baseline, and any non-CSI escape found.
func csiSeqs(out []byte) (map[string]bool, []string) {
	seqs := map[string]bool{}
	var other []string
	for i := 0; i < len(out); i++ {
		if out[i] != 0x1b {
			continue
		}
		if i+1 >= len(out) || out[i+1] != '[' {
			end := min(len(out), i+8)
			other = append(other, string(out[i:end]))
			continue
		}
		j := i + 2
		var sb strings.Builder
		sb.WriteString("ESC[")
		for j < len(out) && out[j] >= 0x20 && out[j] <= 0x3f {
			if out[j] >= '0' && out[j] <= '9' {
				if !strings.HasSuffix(sb.String(), "N") {
					sb.WriteByte('N')
				}
			} else {
				sb.WriteByte(out[j])
			}
			j++
		}
		if j < len(out) {
			sb.WriteByte(out[j])
		}
		seqs[sb.String()] = true
		i = j
	}
	return seqs, other
}

// runInjection pushes payloads through the program and returns its output.
// mustShow are waited for on screen before any key is typed: events and
// keys that land within one frame would otherwise never be rendered in
// between, and a check of the output stream would flake under load.
func runInjection(t *testing.T, payloads []string, topics []string, st amop.Status, mustShow ...string) ([]byte, Model) {
	t.Helper()
	c := fakeclient.New(256)
	c.Reply = func(string, []byte) ([]byte, error) { return []byte(payloads[0]), nil }
	tm := start(t, New(c, testOptions(topics...)), 100, 30)
	waitFor(t, tm, "UNICAST")
	c.Push(&amop.StateEvent{Status: st})
	for i, p := range payloads {
		ev := &amop.MessageEvent{Topic: topics[i%len(topics)], Data: []byte(p), Mode: amop.Mode(i % 2), At: t0}
		if i%3 == 0 {
			ev.Reply, ev.Replied = []byte(p), true
		}
		c.Push(ev)
		// Also a message for a topic that was never joined.
		c.Push(&amop.MessageEvent{Topic: p, Data: []byte(p), At: t0})
	}
	for _, want := range mustShow {
		waitFor(t, tm, want)
	}
	// A send whose reply is hostile, and the expanded view of the last
	// message.
	tm.tm.Type("x")
	tm.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.tm.Send(tea.KeyMsg{Type: tea.KeyUp})
	tm.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "esc close")
	m := finalModel(t, tm)
	return tm.out.Bytes(), m
}

// TestInjection pushes the corpus through the real program, in payloads,
// replies, topic names and connection status, and checks that none of it
// reaches the terminal and the layout holds.
func TestInjection(t *testing.T) {
	evilTopics := []string{"hello", "evil\u202etopic", "zw\u200btopic", strings.Repeat("长", 80)}
	evilStatus := amop.Status{
		State: amop.StateConnected, Endpoint: "\x1b]0;pwned\x07node:1", LastErr: "\x1b[2Jboom",
		Node: amop.NodeInfo{Version: "2.9.0\x1b]52;c;eA==\x07", ChainID: 1, GroupID: 1},
	}
	escaped := []string{"evil<U+202E>topic", "␛", "<U+009B>31mC1", "␍OVERWRITE"}
	out, m := runInjection(t, injection, evilTopics, evilStatus, escaped...)

	benign := make([]string, len(injection))
	for i, p := range injection {
		benign[i] = strings.Repeat("b", min(len(p), 200))
	}
	base, _ := runInjection(t, benign, []string{"hello", "other", "third", "fourth"}, amop.Status{State: amop.StateConnected, Endpoint: "n:1"})

	// The corpus was on screen, escaped.
	for _, want := range escaped {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("escaped form %q never shown\n%s", want, m.View())
		}
	}
	for _, f := range forbidden {
		if i := bytes.Index(out, []byte(f)); i >= 0 {
			t.Errorf("%q reached the terminal at %d: …%q…", f, i, out[max(0, i-40):min(len(out), i+40)])
		}
	}
	if !utf8.Valid(out) {
		t.Error("invalid UTF-8 reached the terminal")
	}
	seqs, other := csiSeqs(out)
	baseSeqs, baseOther := csiSeqs(base)
	if len(other) > len(baseOther) {
		t.Errorf("non-CSI escapes: %q (baseline %q)", other, baseOther)
	}
	for s := range seqs {
		if !baseSeqs[s] {
			t.Errorf("escape sequence %q is not one the renderer uses", s)
		}
	}
	// The 100 KB line is cut for display, not written out.
	if len(out) > 2<<20 {
		t.Errorf("output is %d bytes", len(out))
	}
	// The layout holds: every line of the last frame has the full width.
	ls := strings.Split(m.View(), "\n")
	if len(ls) != 30 {
		t.Fatalf("%d lines", len(ls))
	}
	for i, l := range ls {
		if w := lipgloss.Width(l); w != 100 {
			t.Errorf("line %d is %d wide: %q", i, w, l)
		}
	}
}
