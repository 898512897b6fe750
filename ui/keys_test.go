package ui

import (
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
)

// parsed is what Bubble Tea v1.3.10's input parser makes of text typed or
// pasted without bracketed paste: each run of non-space runes is one
// KeyMsg of those runes, each space a KeySpace.
func parsed(text string) []tea.KeyMsg {
	var out []tea.KeyMsg
	for i, w := range strings.Split(text, " ") {
		if i > 0 {
			out = append(out, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
		}
		if w != "" {
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(w)})
		}
	}
	return out
}

// quits reports whether cmd (or a batch of them) quits the program.
func quits(cmd tea.Cmd) bool {
	for _, msg := range runCmd(cmd) {
		if isQuit(msg) {
			return true
		}
	}
	return false
}

// TestWordsThatAreKeyNamesAreText: issue 12's reproductions. Words such as
// "enter", "ctrl+c", "up" and "tab" arriving in one message are text in the
// input; nothing is sent, nothing quits, the focus stays.
func TestWordsThatAreKeyNamesAreText(t *testing.T) {
	for _, text := range []string{"please press enter to continue", "press ctrl+c now", "a up b", "tab", "esc", "f1 ctrl+t ctrl+n ctrl+l pgup shift+tab"} {
		c := newFake()
		m := newModel(t, c, testOptions("hello", "other"), 100, 30)
		for _, k := range parsed(text) {
			var cmd tea.Cmd
			m, cmd = updateCmd(m, k)
			if quits(cmd) {
				t.Fatalf("%q: %q quit the program", text, k.String())
			}
		}
		if m.InputValue() != text || len(c.Sends()) != 0 || m.Focus() != FocusInput || m.HelpVisible() ||
			m.ActiveTopic() != "hello" || m.Layout() != LayoutTiled || m.Mode().String() != "unicast" {
			t.Errorf("%q: input %q, %d sends, focus %v, help %v, topic %q, layout %v, mode %v",
				text, m.InputValue(), len(c.Sends()), m.Focus(), m.HelpVisible(), m.ActiveTopic(), m.Layout(), m.Mode())
		}
	}
}

// TestPasteIsText: a bracketed paste is text wherever the focus is (it
// lands in the input), including one whose text is a key's name.
func TestPasteIsText(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 100, 30)
	m = update(m, kp("tab")) // the pane has the keyboard
	if m.Focus() != FocusPane {
		t.Fatal("tab")
	}
	m = update(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("enter"), Paste: true})
	m = update(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q"), Paste: true})
	if m.Focus() != FocusInput || m.InputValue() != "enterq" || len(c.Sends()) != 0 {
		t.Fatalf("focus %v, input %q, %d sends", m.Focus(), m.InputValue(), len(c.Sends()))
	}
	// A real single key still is one: enter sends.
	m, cmd := updateCmd(m, keyEnter())
	settle(m, cmd)
	if s := c.Sends(); len(s) != 1 || string(s[0].Data) != "enterq" {
		t.Fatalf("sends %+v", s)
	}
}

// TestMultiLinePasteIsOneMessage: a bracketed paste with line breaks is held
// as a block, shown with its line count, and the footer asks; enter sends it
// as one message with its line breaks (CRLF and CR become LF), esc drops it
// and ctrl+z brings it back.
func TestMultiLinePasteIsOneMessage(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 100, 30)
	m = typeText(m, "say: ")
	m = update(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("line one\r\nline two\rline three\r"), Paste: true})
	want := "say: line one\nline two\nline three"
	v := m.View()
	if m.InputValue() != want || !strings.Contains(v, "[3 lines, 33 B] say: line one ⏎ line two ⏎ line three") ||
		!strings.Contains(v, "enter send the 3 lines as one message · esc drop the paste") {
		t.Fatalf("input %q, view:\n%s", m.InputValue(), v)
	}
	// Typing does not edit a block; esc drops it, ctrl+z brings it back.
	m = typeText(m, "x")
	m = update(m, kp("esc"))
	if m.InputValue() != "" || !strings.Contains(m.Notice(), "input cleared · ctrl+z or /undo brings it back") {
		t.Fatalf("after esc: %q, notice %q", m.InputValue(), m.Notice())
	}
	m = update(m, tea.KeyMsg{Type: tea.KeyCtrlZ})
	if m.InputValue() != want {
		t.Fatalf("after ctrl+z: %q", m.InputValue())
	}
	m, cmd := updateCmd(m, keyEnter())
	settle(m, cmd)
	if s := c.Sends(); len(s) != 1 || string(s[0].Data) != want {
		t.Fatalf("sends %+v", s)
	}
}

// TestEscWipeUndo: esc clears a draft; ctrl+z and /undo bring it back.
func TestEscWipeUndo(t *testing.T) {
	m := newModel(t, newFake(), testOptions("hello"), 100, 30)
	m = typeText(m, "a long draft")
	m = update(m, kp("esc"))
	if m.InputValue() != "" {
		t.Fatal("esc did not clear")
	}
	m = update(m, tea.KeyMsg{Type: tea.KeyCtrlZ})
	if m.InputValue() != "a long draft" {
		t.Fatalf("ctrl+z: %q", m.InputValue())
	}
	m = update(m, kp("esc"))
	m = do(m, "/undo")
	if m.InputValue() != "a long draft" {
		t.Fatalf("/undo: %q", m.InputValue())
	}
	m = update(m, kp("esc"))
	m = update(m, kp("esc")) // an empty input: nothing new to keep
	m = update(m, tea.KeyMsg{Type: tea.KeyCtrlZ})
	if m.InputValue() != "a long draft" {
		t.Fatalf("esc on an empty input lost the draft: %q", m.InputValue())
	}
}

// TestJoinedOnlyOnceTheNodeHasIt: a join while no node session is up says
// "joining… (not connected)"; "joined" comes when the session does, and
// once.
func TestJoinedOnlyOnceTheNodeHasIt(t *testing.T) {
	c := newFake()
	c.SetStatus(amop.Status{State: amop.StateConnecting, Endpoint: "127.0.0.1:20200"})
	m := newModel(t, c, testOptions("hello"), 100, 30)
	m = do(m, "/join later")
	v := m.View()
	if !strings.Contains(v, "joining later… (not connected") || strings.Contains(v, "joined later") {
		t.Fatalf("before the session:\n%s", v)
	}
	up := amop.Status{State: amop.StateConnected, Endpoint: "127.0.0.1:20200", Node: amop.NodeInfo{Version: "2.9.0", ChainID: 1, GroupID: 1}}
	m = update(m, events(&amop.StateEvent{Status: up}))
	m = update(m, events(&amop.StateEvent{Status: up}))
	if v := m.View(); strings.Count(v, "joined later") != 1 {
		t.Fatalf("after the session, want one \"joined later\":\n%s", v)
	}
}

// TestPlurals: counts read as English ("1 public key", "2 lines").
func TestPlurals(t *testing.T) {
	for _, c := range [][2]string{
		{plural(1, "public key", "public keys"), "1 public key"},
		{plural(2, "public key", "public keys"), "2 public keys"},
		{plural(0, "line", "lines"), "0 lines"},
		{keysPhrase(1), "its public key"},
		{keysPhrase(3), "one of its 3 public keys"},
	} {
		if c[0] != c[1] {
			t.Errorf("%q, want %q", c[0], c[1])
		}
	}
}

// TestHelpNamesEveryKey: every key a binding of the help overlay reacts to
// is named in its label (f2 for the layout and space for expand were not).
func TestHelpNamesEveryKey(t *testing.T) {
	shown := map[string]string{"up": "↑", "down": "↓", "pgdown": "pgdn", " ": "space"}
	for _, g := range DefaultKeyMap().HelpGroups() {
		for _, b := range g.Keys {
			label := b.Help().Key
			for _, k := range b.Keys() {
				name := k
				if s, ok := shown[k]; ok {
					name = s
				}
				if label != name && !slices.Contains(strings.Split(label, "/"), name) {
					t.Errorf("%s: %q (%s) does not name the key %q", g.Title, label, b.Help().Desc, name)
				}
			}
		}
	}
	m := update(demo(t, 100, 30, demoOptions()), kp("f1"))
	for _, want := range []string{"ctrl+l/f2", "enter/space"} {
		if !strings.Contains(m.View(), want) {
			t.Errorf("help overlay lacks %q", want)
		}
	}
}

// TestTypingAfterABlockIsRefused: text typed while a pasted block waits —
// one key or a fast run of them — is not added to the block (the preview
// is cut at the screen's edge, so it would be sent unseen); the footer
// says what enter and esc do. A second paste joins the block.
func TestTypingAfterABlockIsRefused(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 100, 30)
	m = update(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a\nb"), Paste: true})
	for _, k := range []tea.KeyMsg{
		{Type: tea.KeyRunes, Runes: []rune("typed after")}, // a fast run, as tmux send-keys delivers
		{Type: tea.KeyRunes, Runes: []rune("x")},
		{Type: tea.KeySpace, Runes: []rune(" ")},
		{Type: tea.KeyBackspace},
	} {
		m = update(m, k)
		if m.InputValue() != "a\nb" {
			t.Fatalf("%v changed the block: %q", k, m.InputValue())
		}
		if !m.noticeErr || !strings.Contains(m.Notice(), "a pasted block of 2 lines waits: enter sends it as one message, esc drops it") {
			t.Fatalf("%v: notice %q", k, m.Notice())
		}
	}
	m = update(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("\nc"), Paste: true})
	m, cmd := updateCmd(m, keyEnter())
	settle(m, cmd)
	if s := c.Sends(); len(s) != 1 || string(s[0].Data) != "a\nb\nc" {
		t.Fatalf("sends %+v", s)
	}
}
