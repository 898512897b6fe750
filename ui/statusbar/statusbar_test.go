package statusbar

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/amop"
)

func TestStatesAndCounters(t *testing.T) {
	cases := map[string]struct {
		st   amop.Status
		want []string
	}{
		"connected": {amop.Status{State: amop.StateConnected, Endpoint: "127.0.0.1:20200", Node: amop.NodeInfo{Version: "2.9.0", ChainID: 1, GroupID: 1}},
			[]string{"● connected", "node 127.0.0.1:20200", "FISCO BCOS 2.9.0", "chain 1", "group 1"}},
		"connected 3.x": {amop.Status{State: amop.StateConnected, Endpoint: "127.0.0.1:20200",
			Node: amop.NodeInfo{Version: "3.16.4", Line: amop.Line3, Chain: "chain0", Group: "group\x1b[2J0"}},
			[]string{"FISCO BCOS 3.16.4 · chain0 · group␛[2J0"}},
		"connecting":   {amop.Status{State: amop.StateConnecting, Endpoint: "10.0.0.1:20200"}, []string{"◌ connecting", "10.0.0.1:20200"}},
		"reconnecting": {amop.Status{State: amop.StateReconnecting, Attempt: 7, LastErr: "EOF"}, []string{"◐ reconnecting (attempt 7)", "EOF"}},
		"down":         {amop.Status{State: amop.StateDown, LastErr: "chain id 2, want 1"}, []string{"○ down", "chain id 2, want 1"}},
		"resubscribed": {amop.Status{State: amop.StateConnected, Resubscribed: 3}, []string{"re-subscribed 3 topics"}},
	}
	for name, c := range cases {
		m := New(Styles{}, c.st)
		m.SetWidth(140)
		m.SetPolicy(amop.ParseReplyPolicy("echo"))
		m.SetCounters(Counters{Received: 12345, Dropped: 2, Malformed: 1, Failed: 3, Sent: 9})
		v := m.View()
		for _, w := range append(c.want, "auto-reply: echo", "received 12,345", "dropped 2", "malformed 1", "failed 3", "sent 9") {
			if !strings.Contains(v, w) {
				t.Errorf("%s: %q lacks %q", name, v, w)
			}
		}
	}
}

// TestSessionLineWording: "off" is worded as what go-sdk does (an empty
// reply); below 100 columns the counters are still words, and the trouble
// counters show only once there is trouble (no "bad 0" at 80×24).
func TestSessionLineWording(t *testing.T) {
	m := New(Styles{}, amop.Status{State: amop.StateConnected})
	m.SetPolicy(amop.ParseReplyPolicy("off"))
	m.SetCounters(Counters{Received: 5, Sent: 2})
	m.SetWidth(80)
	if got := strings.TrimRight(m.Render(nil)[1], " "); got != " auto-reply: empty reply · received 5 · sent 2" {
		t.Errorf("80 columns, no trouble: %q", got)
	}
	m.SetCounters(Counters{Received: 5, Sent: 2, Failed: 1, Malformed: 3})
	if got := strings.TrimRight(m.Render(nil)[1], " "); got != " auto-reply: empty reply · received 5 · sent 2 · failed 1 · malformed 3" {
		t.Errorf("80 columns, trouble: %q", got)
	}
	m.SetWidth(120)
	m.SetCounters(Counters{Received: 5, Sent: 2})
	if got := strings.TrimRight(m.Render(nil)[1], " "); got != " auto-reply: empty reply · received 5 · sent 2 · failed 0 · dropped 0 · malformed 0" {
		t.Errorf("120 columns: %q", got)
	}
	for p, want := range map[string]string{"echo": "echo", "pong": `"pong"`} {
		if got := PolicyText(amop.ParseReplyPolicy(p)); got != want {
			t.Errorf("PolicyText(%s) = %q", p, got)
		}
	}
}

func TestUntrustedTextIsSanitisedAndCut(t *testing.T) {
	m := New(Styles{}, amop.Status{State: amop.StateReconnecting, Endpoint: "evil\x1b]0;pwned\x07:1", LastErr: "boom\x1b[2J\r\n" + strings.Repeat("x", 500)})
	for _, w := range []int{1, 30, 60, 200} {
		m.SetWidth(w)
		for _, l := range m.Render(nil) {
			if strings.ContainsAny(l, "\x1b\r\n\a") {
				t.Fatalf("control characters in %q", l)
			}
			if lipgloss.Width(l) != w {
				t.Fatalf("width %d: %d", w, lipgloss.Width(l))
			}
		}
	}
	m.SetWidth(0)
	if len(m.Render(nil)) != 0 {
		t.Fatal("zero width")
	}
}
