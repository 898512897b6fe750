package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/ui/internal/fakeclient"
)

// realStatus is a connected 2.9.1 node that is not the ideal local network.
func realStatus(build string) amop.Status {
	return amop.Status{State: amop.StateConnected, Endpoint: "127.0.0.1:20200",
		Node: amop.NodeInfo{Version: "2.9.1", BuildType: build, ChainID: 1, GroupID: 1}}
}

// onRealChain makes the fake reconnect to a real 2.9.1 node and tells the
// model.
func onRealChain(m Model, c *fakeclient.Client, build string) Model {
	st := realStatus(build)
	c.SetStatus(st)
	m = update(m, events(&amop.StateEvent{Status: amop.Status{State: amop.StateReconnecting, Endpoint: st.Endpoint}}))
	m, cmd := updateCmd(m, events(&amop.StateEvent{Status: st}))
	return settle(m, cmd)
}

// paneTitle is the first line of the pane whose title starts with
// "# topic".
func paneTitle(v, topic string) string {
	for _, l := range lines(v) {
		if i := strings.Index(l, "# "+topic+" "); i >= 0 {
			return l[i:]
		}
		if i := strings.Index(l, "# "+topic+"━"); i >= 0 {
			return l[i:]
		}
	}
	return ""
}

// TestPublishOpensASendOnlyPane: /publish sends without joining; /join and
// /leave change the pane's role, never its history; leaving a send-only
// pane closes it. The list and the title say the role.
func TestPublishOpensASendOnlyPane(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 120, 30)
	m = do(m, "/publish svc")
	if m.ActiveTopic() != "svc" || m.TopicTag("svc") != "→" || !strings.Contains(paneTitle(m.View(), "svc"), "sending") {
		t.Fatalf("after /publish: active %q tag %q\n%s", m.ActiveTopic(), m.TopicTag("svc"), m.View())
	}
	for _, j := range c.Joins() {
		if j == "svc" {
			t.Fatal("/publish joined the topic")
		}
	}
	m = do(m, "first")
	if s := c.Sends(); len(s) != 1 || s[0].Topic != "svc" {
		t.Fatalf("sends %+v", s)
	}
	m = do(m, "/join svc")
	if m.TopicTag("svc") != "⇄" || !strings.Contains(paneTitle(m.View(), "svc"), "listening and sending") {
		t.Fatalf("after /join: tag %q\n%s", m.TopicTag("svc"), m.View())
	}
	if j := c.Joins(); j[len(j)-1] != "svc" {
		t.Fatalf("joins %q", j)
	}
	m = do(m, "/leave svc")
	if m.Pane("svc") == nil || m.TopicTag("svc") != "→" || !strings.Contains(m.View(), "first") {
		t.Fatalf("leaving a pane that sends must keep it, with its history:\n%s", m.View())
	}
	if l := c.Leaves(); len(l) != 1 || l[0] != "svc" {
		t.Fatalf("leaves %q", l)
	}
	m = do(m, "/leave svc")
	if m.Pane("svc") != nil {
		t.Fatal("a second /leave did not close the send-only pane")
	}
	if l := c.Leaves(); len(l) != 1 {
		t.Fatalf("closing a send-only pane unsubscribed: %q", l)
	}
	// Sending from a pane that listens makes it both.
	if m.TopicTag("hello") != "←" {
		t.Fatalf("hello tag %q", m.TopicTag("hello"))
	}
	m = do(m, "hi")
	if m.TopicTag("hello") != "⇄" {
		t.Fatalf("after a send, hello tag %q", m.TopicTag("hello"))
	}
}

// TestPublishFromOptions: Options.Publish gives send-only panes at start.
func TestPublishFromOptions(t *testing.T) {
	c := newFake()
	opts := testOptions()
	opts.Publish = []string{"svc"}
	m := newModel(t, c, opts, 100, 24)
	m = settle(m, m.Init())
	if m.Pane("svc") == nil || m.TopicTag("svc") != "→" || len(c.Joins()) != 0 {
		t.Fatalf("publish at start: tag %q joins %q", m.TopicTag("svc"), c.Joins())
	}
}

// TestOwnNodeWarning: the first unicast on a topic this client listens to,
// against a 2.8–2.11 node that is not the ideal local network, warns once
// in the pane, with the way out; never from a send-only pane, never on the
// ideal network, never for multicast.
func TestOwnNodeWarning(t *testing.T) {
	const warn = "⚠"
	c := newFake()
	m := newModel(t, c, testOptions("svc"), 160, 30)
	m = do(m, "ideal")
	if strings.Contains(m.View(), warn) {
		t.Fatalf("warned on the ideal network:\n%s", m.View())
	}
	m = onRealChain(m, c, "amoptui local network · like 2.9.1")
	m = update(m, keyCtrlT())
	m = do(m, "multi")
	if strings.Contains(m.View(), warn) {
		t.Fatalf("warned for a multicast:\n%s", m.View())
	}
	m = update(m, keyCtrlT())
	m = do(m, "uni 1")
	v := m.View()
	if !strings.Contains(v, "⚠ this client listens to \"svc\", so a FISCO BCOS 2.9.1 node may pick its own node") ||
		!strings.Contains(v, "⚠ avoid it: /leave svc here") || !strings.Contains(m.Notice(), "own node") {
		t.Fatalf("no own-node warning:\n%s", v)
	}
	if n := strings.Count(v, "⚠ this client listens"); n != 1 {
		t.Fatalf("%d warnings", n)
	}
	m = do(m, "uni 2")
	if n := strings.Count(m.View(), "⚠ this client listens"); n != 1 {
		t.Fatalf("warned again: %d", n)
	}
	// The remedy it names works: leave, and the pane keeps sending, quietly.
	m = do(m, "/leave svc")
	m = do(m, "/publish other")
	m = do(m, "uni 3")
	if strings.Count(m.View(), "⚠") != len(amop.OwnNodeRisk("svc", amop.NodeInfo{}))+1 { // the one warning: its lines and the remedy
		t.Fatalf("a send-only pane was warned:\n%s", m.View())
	}
	if p := m.Pane("svc"); p == nil || m.TopicTag("svc") != "→" {
		t.Fatal("svc's pane did not stay as a sending pane")
	}
}

// TestPropagationWindow: after a join on a real chain the pane title counts
// the 5 s in which other nodes may not know the topic, and clears; not on
// the ideal local network.
func TestPropagationWindow(t *testing.T) {
	c := newFake()
	clk := &clock{t: t0}
	opts := testOptions()
	opts.Now = clk.Now
	m := newModel(t, c, opts, 120, 30)
	m = do(m, "/join calm")
	if strings.Contains(m.View(), "learn of it") {
		t.Fatalf("a window on the ideal network:\n%s", m.View())
	}
	m = onRealChain(m, c, "Linux/clang/Release")
	// The new session opened the window of the topic already joined.
	if !strings.Contains(paneTitle(m.View(), "calm"), "other nodes learn of it within 5 s") {
		t.Fatalf("no window after the connect:\n%s", m.View())
	}
	m = typeText(m, "/join svc")
	m, cmd := updateCmd(m, keyEnter())
	m = settle(m, cmd)
	v := m.View()
	if !strings.Contains(v, "joined svc · other nodes learn of it within 5 s") || !strings.Contains(paneTitle(v, "svc"), "within 5 s") {
		t.Fatalf("no window after the join:\n%s", v)
	}
	clk.Set(t0.Add(2100 * time.Millisecond))
	m = update(m, syncTickMsg{})
	if !strings.Contains(paneTitle(m.View(), "svc"), "within 3 s") {
		t.Fatalf("not counting down:\n%s", m.View())
	}
	clk.Set(t0.Add(5 * time.Second))
	m, cmd = updateCmd(m, syncTickMsg{})
	if v := m.View(); strings.Contains(paneTitle(v, "svc"), "within") || strings.Contains(paneTitle(v, "calm"), "within") || cmd != nil {
		t.Fatalf("the window did not clear (cmd %v):\n%s", cmd != nil, m.View())
	}
}

// TestLateReplyOnTheSendsLine: a send that timed out keeps its line; the
// answer that comes later shows there, with how late it was.
func TestLateReplyOnTheSendsLine(t *testing.T) {
	c := newFake()
	c.Reply = func(topic string, data []byte) ([]byte, error) {
		return nil, &amop.TimeoutError{ID: 7, Topic: topic, After: 10 * time.Second}
	}
	m := newModel(t, c, testOptions("svc"), 120, 30)
	m = do(m, "ping")
	if !strings.Contains(m.View(), "✗ timeout") {
		t.Fatalf("no timeout:\n%s", m.View())
	}
	m = update(m, events(&amop.LateReplyEvent{ID: 8, Topic: "svc", Reply: []byte("other")}))
	if strings.Contains(m.View(), "other") {
		t.Fatal("an unknown send's late reply was shown")
	}
	m = update(m, events(&amop.LateReplyEvent{ID: 7, Topic: "svc", Mode: amop.Unicast, Reply: []byte("pong"), After: 31200 * time.Millisecond}))
	if v := m.View(); !strings.Contains(v, `✓ reply "pong" 31.2 s later`) || strings.Contains(v, "✗ timeout") {
		t.Fatalf("late reply not on the send's line:\n%s", v)
	}
	// A late failure of the node is shown the same way.
	c.Reply = func(topic string, data []byte) ([]byte, error) {
		return nil, &amop.TimeoutError{ID: 9, Topic: topic, After: 10 * time.Second}
	}
	m = do(m, "again")
	m = update(m, events(&amop.LateReplyEvent{ID: 9, Topic: "svc", Err: &amop.CodeError{Code: 100, Topic: "svc"}, After: 30 * time.Second}))
	if v := m.View(); !strings.Contains(v, "✗ no subscriber (AMOP 100) 30.0 s later") {
		t.Fatalf("late failure not shown:\n%s", v)
	}
}

// TestStatusLineSaysWhichLocalNetwork: amoptui's local network says
// "local · ideal" or "local · like 2.9"; a real chain says nothing of it.
func TestStatusLineSaysWhichLocalNetwork(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 120, 30)
	if !strings.Contains(lines(m.View())[0], "local · ideal") {
		t.Fatalf("status: %s", lines(m.View())[0])
	}
	m = onRealChain(m, c, "amoptui local network · like 2.9.1")
	if !strings.Contains(lines(m.View())[0], "local · like 2.9") {
		t.Fatalf("status: %s", lines(m.View())[0])
	}
	m = onRealChain(m, c, "Linux/clang/Release")
	if strings.Contains(lines(m.View())[0], "local") {
		t.Fatalf("status: %s", lines(m.View())[0])
	}
}
