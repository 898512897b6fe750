package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/history"
	"github.com/amoptui/amoptui/responder"
	"github.com/amoptui/amoptui/tmpl"
)

func TestTemplatesInTheInput(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 100, 30)
	m = do(m, "n={{.Seq}} {{.Topic}} {{.Mode}}")
	m = do(m, "n={{.Seq}}")
	m = do(m, "plain {text}")
	m = do(m, "/raw {{.Seq}} as typed")
	m = do(m, "//{{.Seq}}")
	var got []string
	for _, s := range c.Sends() {
		got = append(got, string(s.Data))
	}
	want := []string{"n=1 hello unicast", "n=2", "plain {text}", "{{.Seq}} as typed", "/3"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sent %q, want %q", got, want)
	}
	// A template error sends nothing and gives the text back to fix.
	m = do(m, "bad {{.Seq")
	if len(c.Sends()) != len(want) {
		t.Fatal("a broken template was sent")
	}
	if m.InputValue() != "bad {{.Seq" || !strings.Contains(m.Notice(), "template") || !strings.Contains(m.Notice(), `{{"{{"}}`) {
		t.Fatalf("input %q, notice %q", m.InputValue(), m.Notice())
	}
}

// doAll is do, settling the Cmds of the Cmds' msgs too (a /reply exec
// checks the command in one Cmd, then installs it in another).
func doAll(m Model, line string) Model {
	m = typeText(m, line)
	m, cmd := updateCmd(m, keyEnter())
	for i := 0; i < 3 && cmd != nil; i++ {
		var next []tea.Cmd
		for _, msg := range runCmd(cmd) {
			switch msg.(type) {
			case eventsMsg, disconnectedMsg:
				continue
			}
			var c tea.Cmd
			m, c = updateCmd(m, msg)
			next = append(next, c)
		}
		cmd = tea.Batch(next...)
	}
	return m
}

func TestReplyExecAndMatch(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello", "other"), 100, 30)
	m = doAll(m, "/reply exec tr a-z A-Z")
	p := c.AutoReply("")
	if p.Mode != amop.ReplyFunc || !strings.Contains(m.View(), "auto-reply: exec tr a-z A-Z") {
		t.Fatalf("default %v\n%s", p, m.View())
	}
	if out, err := p.Answer(amop.Request{Data: []byte("abc")}); err != nil || string(out) != "ABC" {
		t.Fatalf("exec answered %q, %v", out, err)
	}
	m = do(m, `/reply match "^ping (\d+)$" 'pong {{.Match 1}}'`)
	m = do(m, `/reply match ^time now`)
	if !strings.Contains(m.Notice(), "rule 2 on hello") {
		t.Fatalf("notice %q", m.Notice())
	}
	hp := c.AutoReply("hello")
	for in, want := range map[string]string{"ping 42": "pong 42", "time?": "now", "xyz": "XYZ"} {
		if out, err := hp.Answer(amop.Request{Topic: "hello", Data: []byte(in)}); err != nil || string(out) != want {
			t.Errorf("hello: %q → %q, %v; want %q", in, out, err, want)
		}
	}
	// Rules are per topic.
	if out, _ := c.AutoReply("other").Answer(amop.Request{Data: []byte("ping 1")}); string(out) != "PING 1" {
		t.Errorf("other topic used hello's rules: %q", out)
	}
	// /reply echo replaces the exec; hello keeps its rules over echo.
	m = do(m, "/reply echo")
	if out, _ := c.AutoReply("hello").Answer(amop.Request{Data: []byte("xyz")}); string(out) != "xyz" {
		t.Errorf("after /reply echo: %q", out)
	}
	if out, _ := c.AutoReply("hello").Answer(amop.Request{Data: []byte("ping 7")}); string(out) != "pong 7" {
		t.Errorf("rule lost: %q", out)
	}
	m = do(m, "/reply nomatch")
	if out, _ := c.AutoReply("hello").Answer(amop.Request{Data: []byte("ping 7")}); string(out) != "ping 7" {
		t.Errorf("after nomatch: %q", out)
	}
	m = do(m, "/reply off")
	if c.AutoReply("hello").Mode != amop.ReplyOff {
		t.Errorf("hello did not follow the default after nomatch: %v", c.AutoReply("hello"))
	}
	// Errors.
	for _, line := range []string{"/reply exec no-such-command-amoptui", `/reply match "( x`, "/reply match ( x", "/reply match x {{.Seq", "/reply exec"} {
		m = doAll(m, line)
		if m.noticeErr == false {
			t.Errorf("%s: notice %q", line, m.Notice())
		}
	}
}

func TestReplyConfigFromOptions(t *testing.T) {
	c := newFake()
	opts := testOptions("hello", "svc")
	r, err := responder.ParseRule("^a", "A", tmplOpts())
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := responder.NewExec(responder.ExecOptions{Command: "cat"})
	if err != nil {
		t.Fatal(err)
	}
	opts.Replies = ReplyConfig{
		Topics: map[string]amop.ReplyPolicy{"svc": amop.ParseReplyPolicy("svc says hi")},
		Rules:  map[string][]responder.Rule{"": {r}},
		Exec:   map[string]*responder.Exec{"": x},
	}
	m := newModel(t, c, opts, 100, 30)
	settle(m, m.Init())
	for topic, want := range map[string]string{"hello": "zzz", "svc": "svc says hi"} {
		out, _ := c.AutoReply(topic).Answer(amop.Request{Data: []byte("zzz")})
		if string(out) != want {
			t.Errorf("%s: %q, want %q", topic, out, want)
		}
		if out, _ := c.AutoReply(topic).Answer(amop.Request{Data: []byte("abc")}); string(out) != "A" {
			t.Errorf("%s: the rule for every topic gave %q", topic, out)
		}
	}
}

func TestFindAcrossPanes(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("a", "b"), 100, 30)
	m = update(m, events(
		msgEvent("a", "the needle one", amop.Unicast, time.Second),
		msgEvent("a", "hay", amop.Unicast, 2*time.Second),
		msgEvent("b", "NEEDLE two", amop.Multicast, 3*time.Second),
		msgEvent("b", "more hay", amop.Multicast, 4*time.Second),
	))
	m = do(m, "/find needle")
	sel := func() string {
		p := m.Pane(m.ActiveTopic())
		d, _ := p.SelectedData()
		return m.ActiveTopic() + ":" + string(d)
	}
	if sel() != "a:the needle one" || m.Focus() != FocusPane || !strings.Contains(m.Notice(), "2 hits") {
		t.Fatalf("first hit %q, focus %v, notice %q", sel(), m.Focus(), m.Notice())
	}
	m = update(m, kp("n"))
	if sel() != "b:NEEDLE two" {
		t.Fatalf("next hit %q", sel())
	}
	m = update(m, kp("N"))
	if sel() != "a:the needle one" {
		t.Fatalf("previous hit %q", sel())
	}
	m = update(m, kp("esc"))
	m = update(m, kp("esc"))
	m = do(m, "/find nothing-like-it")
	if !m.noticeErr || !strings.Contains(m.Notice(), "no hits") {
		t.Fatalf("notice %q", m.Notice())
	}
}

func TestStatsAndSparkline(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(sizeName(sz[0], sz[1]), func(t *testing.T) {
			m := statsDemo(t, sz[0], sz[1])
			if !strings.Contains(lines(m.View())[2], "p50") {
				t.Fatalf("no percentiles in the pane title:\n%s", m.View())
			}
			golden.RequireEqual(t, []byte(m.View()))
		})
		t.Run(sizeName(sz[0], sz[1])+"_stats", func(t *testing.T) {
			m := statsDemo(t, sz[0], sz[1])
			m = do(m, "/stats")
			m = update(m, statsTickMsg{id: m.stats.tickID, late: 2})
			v := m.View()
			for _, want := range []string{"Round trips", "no subscriber (100) 1", "push failed (104) 1", "timeout 1", "late 2", "Per topic"} {
				if !strings.Contains(v, want) {
					t.Fatalf("/stats lacks %q:\n%s", want, v)
				}
			}
			golden.RequireEqual(t, []byte(v))
			m = update(m, kp("esc"))
			if m.stats.show {
				t.Fatal("esc did not close /stats")
			}
		})
	}
}

// statsDemo sends a series of unicasts with growing round trips and a few
// failures, on a clock that moves one second per send.
func statsDemo(t *testing.T, w, h int) Model {
	c := newFake()
	clk := &clock{t: t0}
	opts := testOptions("hello", "orders")
	opts.Now = clk.Now
	m := newModel(t, c, opts, w, h)
	rtts := []time.Duration{400 * time.Microsecond, 800 * time.Microsecond, 1200 * time.Microsecond, 2 * time.Millisecond,
		900 * time.Microsecond, 3 * time.Millisecond, 12 * time.Millisecond, 1100 * time.Microsecond, 700 * time.Microsecond, 45 * time.Millisecond}
	errs := []error{&amop.CodeError{Code: amop.CodeNoSubscriber}, &amop.CodeError{Code: amop.CodeSendFailed}, amop.ErrTimeout, &amop.CodeError{Code: amop.CodeNoSubscriber}}
	at := time.Duration(0)
	send := func(text string, reply string, err error, rtt time.Duration) {
		at += time.Second
		clk.Set(t0.Add(at))
		m = typeText(m, text)
		m = update(m, keyEnter())
		for id := range m.pending {
			m = update(m, sentMsg{id: id, reply: []byte(reply), err: err, rtt: rtt})
		}
	}
	for i, d := range rtts {
		send("ping {{.Seq}}", "pong", nil, d)
		if i%3 == 2 {
			send("lost", "", errs[i/3], 2*time.Millisecond)
		}
	}
	m = update(m, events(msgEvent("hello", "in", amop.Multicast, at-time.Second), msgEvent("orders", "in", amop.Multicast, at-time.Second)))
	return m
}

func TestMouseSelectsAndCopies(t *testing.T) {
	c := newFake()
	var term bytes.Buffer
	opts := testOptions("hello", "orders")
	opts.Clipboard = Clipboard{Terminal: &term, File: filepath.Join(t.TempDir(), "clip")}
	m := newModel(t, c, opts, 100, 30)
	m = update(m, events(msgEvent("orders", "copy me", amop.Multicast, time.Second)))
	// The topic list starts on row 3 (two status lines, the frame).
	m = update(m, tea.MouseMsg{X: 3, Y: 4, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	if m.ActiveTopic() != "orders" {
		t.Fatalf("click on the second topic: active %q", m.ActiveTopic())
	}
	// In the single orders pane (tiled: hello on top), find the message row.
	row := -1
	for y, l := range lines(m.View()) {
		if strings.Contains(l, "copy me") {
			row = y
		}
	}
	if row < 0 {
		t.Fatalf("message not on screen:\n%s", m.View())
	}
	m = update(m, tea.MouseMsg{X: 40, Y: row, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	if d, ok := m.Pane("orders").SelectedData(); !ok || string(d) != "copy me" || m.Focus() != FocusPane {
		t.Fatalf("click on the message: %q %v, focus %v", d, ok, m.Focus())
	}
	m, cmd := updateCmd(m, kp("y"))
	m = settle(m, cmd)
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte("copy me")) + "\x07"
	if term.String() != want {
		t.Fatalf("terminal got %q, want %q", term.String(), want)
	}
	if !strings.Contains(m.Notice(), "copied 7 B · OSC 52") {
		t.Fatalf("notice %q", m.Notice())
	}
	// The wheel scrolls the pane under the pointer.
	for i := 0; i < 40; i++ {
		m = update(m, events(msgEvent("orders", "filler", amop.Multicast, 2*time.Second)))
	}
	m = update(m, tea.MouseMsg{X: 40, Y: row, Button: tea.MouseButtonWheelUp})
	if m.Pane("orders").Following() {
		t.Fatal("the wheel did not scroll the pane")
	}
	// Clicking the input line gives it the keyboard.
	m = update(m, tea.MouseMsg{X: 10, Y: 28, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	if m.Focus() != FocusInput {
		t.Fatalf("focus %v after a click on the input", m.Focus())
	}
}

// TestCopyWarnsOfControlCharacters: y copies the payload's real bytes, and
// when they hold escape sequences or other controls the notice says which
// and warns about pasting them.
func TestCopyWarnsOfControlCharacters(t *testing.T) {
	var term bytes.Buffer
	opts := testOptions("hello")
	opts.Clipboard = Clipboard{Terminal: &term}
	m := newModel(t, newFake(), opts, 200, 30)
	evil := "rm -rf ~ \x1b[2K\r echo harmless\n"
	m = update(m, events(msgEvent("hello", evil, amop.Multicast, time.Second)))
	m = update(m, kp("tab"))
	m = update(m, kp("up"))
	m, cmd := updateCmd(m, kp("y"))
	m = settle(m, cmd)
	if want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(evil)) + "\x07"; term.String() != want {
		t.Fatalf("terminal got %q, want the real bytes %q", term.String(), want)
	}
	want := "copied 29 B · OSC 52 · careful: it holds control characters (ESC, CR) that a terminal or a shell would act on when it is pasted"
	if m.Notice() != want || !m.noticeErr {
		t.Fatalf("notice %q\nwant   %q", m.Notice(), want)
	}
	// Plain text, even over several lines, copies without a warning.
	term.Reset()
	m = update(m, events(msgEvent("hello", "line one\nline two", amop.Multicast, 2*time.Second)))
	m = update(m, kp("down"))
	m, cmd = updateCmd(m, kp("y"))
	m = settle(m, cmd)
	if m.Notice() != "copied 17 B · OSC 52" || m.noticeErr {
		t.Fatalf("notice %q", m.Notice())
	}
}

func TestCopyWithoutSelectionAndFallbackFile(t *testing.T) {
	c := newFake()
	opts := testOptions("hello")
	file := filepath.Join(t.TempDir(), "sub", "clip")
	opts.Clipboard = Clipboard{File: file}
	m := newModel(t, c, opts, 100, 30)
	m = update(m, events(msgEvent("hello", strings.Repeat("x", 100<<10), amop.Multicast, time.Second)))
	m = update(m, kp("tab"))
	m, cmd := updateCmd(m, kp("y"))
	m = settle(m, cmd)
	if !m.noticeErr || !strings.Contains(m.Notice(), "select a message first") {
		t.Fatalf("notice %q", m.Notice())
	}
	m = update(m, kp("up"))
	m, cmd = updateCmd(m, kp("y"))
	m = settle(m, cmd)
	if !strings.Contains(m.Notice(), "saved to "+file) {
		t.Fatalf("notice %q", m.Notice())
	}
}

func TestHistoryLastsAcrossRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.json")
	store := history.Open(path, history.Options{})
	opts := testOptions("hello")
	opts.HistoryStore = store
	m := newModel(t, newFake(), opts, 100, 30)
	m = do(m, "first")
	m = do(m, "second {{.Seq}}")
	_ = m
	// The next run loads what was typed (templates as typed).
	loaded, err := history.Open(path, history.Options{}).Load()
	if err != nil {
		t.Fatal(err)
	}
	opts2 := testOptions("hello")
	opts2.HistoryLoaded = loaded
	m2 := newModel(t, newFake(), opts2, 100, 30)
	m2 = update(m2, kp("up"))
	if m2.InputValue() != "second {{.Seq}}" {
		t.Fatalf("up gave %q", m2.InputValue())
	}
	m2 = update(m2, kp("up"))
	if m2.InputValue() != "first" {
		t.Fatalf("up up gave %q", m2.InputValue())
	}
}

func TestHistorySaveFailureToldOnce(t *testing.T) {
	opts := testOptions("hello")
	// A directory where the file should be: every save fails.
	dir := t.TempDir()
	opts.HistoryStore = history.Open(dir, history.Options{})
	m := newModel(t, newFake(), opts, 100, 30)
	m = do(m, "one")
	if !m.noticeErr || !strings.Contains(m.Notice(), "input history not saved") {
		t.Fatalf("notice %q", m.Notice())
	}
	m = update(m, noticeExpiredMsg{id: m.noticeID})
	m = do(m, "two")
	if strings.Contains(m.Notice(), "history") {
		t.Fatalf("told again: %q", m.Notice())
	}
}

func tmplOpts() tmpl.Options { return tmpl.Options{} }

func TestNetworkOverlay(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 100, 30)
	m = do(m, "/network")
	if !m.noticeErr || !strings.Contains(m.Notice(), "embedded network this TUI started") {
		t.Fatalf("without a network: %q", m.Notice())
	}
	n := local.RunT(t, local.Options{})
	opts := testOptions("hello")
	opts.Network, opts.NetworkTitle = n, "test network"
	m = newModel(t, newFake(), opts, 100, 30)
	m = do(m, "/network")
	v := m.View()
	for _, want := range []string{"network · test network", "Nodes  0 sessions", "node0", "node1", "nothing routed yet", "esc close"} {
		if !strings.Contains(v, want) {
			t.Fatalf("/network lacks %q:\n%s", want, v)
		}
	}
	m = update(m, kp("esc"))
	if strings.Contains(m.View(), "Nodes  0 sessions") {
		t.Fatal("esc did not close /network")
	}
}

func TestResponderFailureShownInThePane(t *testing.T) {
	m := newModel(t, newFake(), testOptions("svc"), 100, 30)
	ev := msgEvent("svc", "req", amop.Unicast, time.Second)
	ev.ReplyErr = "responder: exit status 3: \x1b[31mbad"
	m = update(m, events(ev))
	v := m.View()
	if !strings.Contains(v, "auto-reply failed: responder: exit status 3: ␛[31mbad") {
		t.Fatalf("no failure note:\n%s", v)
	}
}

// TestNetworkCountsTrafficBeforeOpening: a unicast routed before /network
// was first opened is in its counts, and the view does not claim nothing
// was routed (M10).
func TestNetworkCountsTrafficBeforeOpening(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local network")
	}
	n := local.RunT(t, local.Options{})
	b := realClient(t, n, 1)
	if err := b.Join("svc"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "svc", 1); err != nil {
		t.Fatal(err)
	}
	opts := Options{Topics: []string{"svc"}, Renderer: asciiRenderer(), Network: n}
	a := start(t, New(realClient(t, n, 0), opts), 120, 30)
	waitFor(t, a, "● connected", "joined svc")
	a.tm.Type("first")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, "✓ reply")
	a.tm.Type("/network")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, "uni 1  multi 0  fail 0", "no routing decision since this view first opened")
	m := finalModel(t, a)
	if v := m.View(); strings.Contains(v, "nothing routed yet") {
		t.Fatalf("claims nothing was routed:\n%s", v)
	}
}
