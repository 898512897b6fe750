package ui

import (
	"strings"
	"testing"

	"github.com/amoptui/amoptui/amop"
)

// TestResubscribedLeavesTheStatusLine: "re-subscribed 1 topic" shows after
// a reconnect for a while, then leaves the status line; the pane keeps the
// record.
func TestResubscribedLeavesTheStatusLine(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 120, 30)
	m = update(m, joinedMsg{topic: "hello"})
	st := amop.Status{State: amop.StateConnected, Endpoint: "127.0.0.1:20200", Resubscribed: 1, Node: amop.NodeInfo{Version: "2.9.0", ChainID: 1, GroupID: 1}}
	m = update(m, events(&amop.StateEvent{Status: amop.Status{State: amop.StateReconnecting, Endpoint: st.Endpoint}}))
	m, cmd := updateCmd(m, events(&amop.StateEvent{Status: st}))
	status := func(m Model) string { return strings.Join(lines(m.View())[:2], "\n") }
	if !strings.Contains(status(m), "re-subscribed 1 topic") {
		t.Fatalf("after the reconnect:\n%s", m.View())
	}
	if cmd == nil {
		t.Fatal("no timer to take it off")
	}
	// A later status (the same session) does not bring it back, and a
	// stale timer does nothing.
	m = update(m, resubExpiredMsg{id: m.resubID - 1})
	if !strings.Contains(status(m), "re-subscribed") {
		t.Fatal("a stale timer took it off")
	}
	m = update(m, resubExpiredMsg{id: m.resubID})
	if strings.Contains(status(m), "re-subscribed") {
		t.Fatalf("still on the status line:\n%s", status(m))
	}
	if !strings.Contains(m.View(), "re-subscribed 1 topic") {
		t.Fatalf("the pane lost the record:\n%s", m.View())
	}
}

// TestConnectionErrorNotedOncePerCause: every distinct connection error is
// written out whole in the panes once; retries that fail the same way
// (their local port differs) add nothing (M5).
func TestConnectionErrorNotedOncePerCause(t *testing.T) {
	c := newFake()
	c.SetStatus(amop.Status{State: amop.StateConnecting, Endpoint: "127.0.0.1:27101"})
	m := newModel(t, c, testOptions("hello"), 160, 40)
	fail := func(attempt int, err string) {
		m = update(m, events(&amop.StateEvent{Status: amop.Status{State: amop.StateConnecting, Endpoint: "127.0.0.1:27101", Attempt: attempt, LastErr: err}}))
	}
	fail(1, "TLS handshake with 127.0.0.1:27101: read tcp 127.0.0.1:40001->127.0.0.1:27101: i/o timeout")
	fail(2, "TLS handshake with 127.0.0.1:27101: read tcp 127.0.0.1:40002->127.0.0.1:27101: i/o timeout")
	fail(3, "connection refused")
	fail(4, "connection refused")
	v := m.View()
	var notes []string
	for _, e := range m.Pane("hello").Entries() {
		if strings.HasPrefix(string(e.Data), "cannot connect") {
			notes = append(notes, string(e.Data))
		}
	}
	want := []string{
		"cannot connect to 127.0.0.1:27101: TLS handshake with 127.0.0.1:27101: read tcp 127.0.0.1:40001->127.0.0.1:27101: i/o timeout · retrying",
		"cannot connect to 127.0.0.1:27101: connection refused · retrying",
	}
	if strings.Join(notes, "\n") != strings.Join(want, "\n") {
		t.Fatalf("notes %q, want %q", notes, want)
	}
	if !strings.Contains(lines(v)[0], "◌ connecting (attempt 4) · node 127.0.0.1:27101 · connection refused") {
		t.Fatalf("status %q", lines(v)[0])
	}
}

// TestLongNoticeWraps: a notice wider than the screen takes more footer
// lines, the panes fewer, and gives them back when it goes.
func TestLongNoticeWraps(t *testing.T) {
	m := newModel(t, newFake(), testOptions("hello"), 60, 15)
	m = do(m, "/reply")
	ls := lines(m.View())
	if len(ls) != 15 {
		t.Fatalf("%d lines", len(ls))
	}
	foot := strings.Join(ls[len(ls)-3:], " ")
	for _, want := range []string{"auto-reply: empty reply", "/reply exec CMD"} {
		if !strings.Contains(foot, want) {
			t.Fatalf("the footer lacks %q:\n%s", want, strings.Join(ls, "\n"))
		}
	}
	m = update(m, noticeExpiredMsg{id: m.noticeID})
	ls = lines(m.View())
	if len(ls) != 15 || !strings.Contains(ls[14], "enter send") || !strings.Contains(ls[13], "UNICAST") {
		t.Fatalf("after the notice:\n%s", strings.Join(ls, "\n"))
	}
}
