package ui

import (
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/ui/internal/fakeclient"
)

func TestMain(m *testing.M) {
	// Golden files must not depend on the terminal running the tests.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// t0 is the fixed clock of the tests.
var t0 = time.Date(2024, 5, 17, 21, 21, 50, 123_000_000, time.Local)

func fixedNow() time.Time { return t0 }

// clock is a settable test clock; Now is safe for the Cmd goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// asciiRenderer renders without colour, whatever the environment.
func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	return r
}

// testOptions are Options with the fixed clock and the ASCII renderer.
func testOptions(topics ...string) Options {
	return Options{Topics: topics, Now: fixedNow, Renderer: asciiRenderer()}
}

// newModel builds a model for client sized w×h.
func newModel(t testing.TB, c amop.Client, opts Options, w, h int) Model {
	t.Helper()
	m := New(c, opts)
	return update(m, tea.WindowSizeMsg{Width: w, Height: h})
}

// update applies msg and returns the model, dropping the Cmd.
func update(m Model, msg tea.Msg) Model {
	nm, _ := m.Update(msg)
	return nm.(Model)
}

// updateCmd applies msg and returns the model and the Cmd.
func updateCmd(m Model, msg tea.Msg) (Model, tea.Cmd) {
	nm, cmd := m.Update(msg)
	return nm.(Model), cmd
}

// typeText types s into the model key by key.
func typeText(m Model, s string) Model {
	for _, r := range s {
		m = update(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return m
}

// press sends one special key.
func press(m Model, k tea.KeyType) Model { return update(m, tea.KeyMsg{Type: k}) }

// msgEvent is a received message at t0+d.
func msgEvent(topic, data string, mode amop.Mode, d time.Duration) *amop.MessageEvent {
	return &amop.MessageEvent{Topic: topic, Data: []byte(data), Mode: mode, At: t0.Add(d)}
}

// events wraps events into one batch msg.
func events(evs ...amop.Event) eventsMsg { return eventsMsg{events: evs, at: t0} }

func newFake() *fakeclient.Client { return fakeclient.New(64) }

func keyEnter() tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyEnter} }
func keyCtrlT() tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyCtrlT} }

// runCmd executes cmd and the Cmds of any batch it returns, concurrently,
// and returns the msgs that came back within a short deadline, in batch
// order, batches flattened. Timers (notices, send expiry, cursor blink)
// miss the deadline and are left out.
// runCmd runs cmd for up to 60 ms: long enough for a Cmd that computes,
// short enough that those that wait (the event listener, timers) cost
// little. A Cmd that writes a file can take longer: see doIO.
func runCmd(cmd tea.Cmd) []tea.Msg { return runUntil(cmd, time.Now().Add(60*time.Millisecond)) }

func runUntil(cmd tea.Cmd, deadline time.Time) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-ch:
	case <-time.After(time.Until(deadline)):
		return nil
	}
	b, ok := msg.(tea.BatchMsg)
	if !ok {
		if msg == nil {
			return nil
		}
		return []tea.Msg{msg}
	}
	results := make([][]tea.Msg, len(b))
	var wg sync.WaitGroup
	for i, c := range b {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runUntil(c, deadline)
		}()
	}
	wg.Wait()
	var out []tea.Msg
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

// settle runs cmd and feeds the msgs it yields back into the model, once,
// skipping the event listener (tests push events themselves) and spinner
// ticks.
func settle(m Model, cmd tea.Cmd) Model { return settleMsgs(m, runCmd(cmd)) }

// settleMsgs feeds msgs into the model, skipping the event listener's.
func settleMsgs(m Model, msgs []tea.Msg) Model {
	for _, msg := range msgs {
		switch msg.(type) {
		case eventsMsg, disconnectedMsg:
			continue
		}
		m = update(m, msg)
	}
	return m
}

// do types line, presses enter and settles the result.
func do(m Model, line string) Model {
	m = typeText(m, line)
	m, cmd := updateCmd(m, keyEnter())
	return settle(m, cmd)
}

// doIO is do for a command whose one Cmd writes a file and returns (a /save
// that gets as far as the file): under -race on a loaded machine the write
// and its fsync have taken longer than do's 60 ms, and do then drops the
// result, as if nothing had been saved. It waits up to 10 s for the Cmd, so
// it is not for commands whose Cmds include a timer (a usage error's notice).
func doIO(m Model, line string) Model {
	m = typeText(m, line)
	m, cmd := updateCmd(m, keyEnter())
	return settleMsgs(m, runUntil(cmd, time.Now().Add(10*time.Second)))
}

// kp builds a KeyMsg from its string name.
func kp(name string) tea.KeyMsg {
	switch name {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "pgup":
		return tea.KeyMsg{Type: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "home":
		return tea.KeyMsg{Type: tea.KeyHome}
	case "end":
		return tea.KeyMsg{Type: tea.KeyEnd}
	case "f1":
		return tea.KeyMsg{Type: tea.KeyF1}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "ctrl+t":
		return tea.KeyMsg{Type: tea.KeyCtrlT}
	case "ctrl+n":
		return tea.KeyMsg{Type: tea.KeyCtrlN}
	case "ctrl+p":
		return tea.KeyMsg{Type: tea.KeyCtrlP}
	case "ctrl+l":
		return tea.KeyMsg{Type: tea.KeyCtrlL}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

// lines splits a view into its lines.
func lines(v string) []string { return strings.Split(v, "\n") }

func tea_size(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

func isQuit(msg any) bool { _, ok := msg.(tea.QuitMsg); return ok }
