package statusbar

import (
	"strconv"
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
		m.SetResubscribed(c.st.Resubscribed)
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
	if got := strings.TrimRight(m.Render(nil)[1], " "); got != " received 5 · sent 2 · auto-reply: empty reply" {
		t.Errorf("80 columns, no trouble: %q", got)
	}
	m.SetCounters(Counters{Received: 5, Sent: 2, Failed: 1, Malformed: 3})
	if got := strings.TrimRight(m.Render(nil)[1], " "); got != " received 5 · sent 2 · failed 1 · malformed 3 · auto-reply: empty reply" {
		t.Errorf("80 columns, trouble: %q", got)
	}
	m.SetWidth(120)
	m.SetCounters(Counters{Received: 5, Sent: 2})
	if got := strings.TrimRight(m.Render(nil)[1], " "); got != " received 5 · sent 2 · failed 0 · dropped 0 · malformed 0 · auto-reply: empty reply" {
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

// TestCauseOfAFailureStays: a connection error's cause stays readable at
// every width from 60 columns: the addresses in it go, then the words of
// the line, never the cause; the port of the endpoint stays (M5, M11).
func TestCauseOfAFailureStays(t *testing.T) {
	err := "TLS handshake with 127.0.0.1:27101: read tcp 127.0.0.1:44444->127.0.0.1:27101: i/o timeout"
	for _, st := range []amop.Status{
		{State: amop.StateConnecting, Endpoint: "127.0.0.1:27101", LastErr: err},
		{State: amop.StateConnecting, Endpoint: "127.0.0.1:27101", LastErr: err, Attempt: 4},
		{State: amop.StateReconnecting, Endpoint: "127.0.0.1:27101", LastErr: err, Attempt: 12},
	} {
		m := New(Styles{}, st)
		for _, w := range []int{160, 120, 100, 80, 60} {
			m.SetWidth(w)
			l := m.Render(nil)[0]
			for _, want := range []string{"TLS handshake: no answer", ":27101"} {
				if !strings.Contains(l, want) {
					t.Errorf("%v at %d: %q lacks %q", st.State, w, l, want)
				}
			}
			if st.Attempt > 1 && !strings.Contains(l, strconv.Itoa(st.Attempt)) {
				t.Errorf("%v at %d: %q lost the attempt", st.State, w, l)
			}
		}
	}
}

// TestShortCauseTakesTheNodeWord: a cause that begins with "node ADDR: "
// loses the word with the address, not the address alone ("node the port
// did not answer …" read as nonsense on the status line).
func TestShortCauseTakesTheNodeWord(t *testing.T) {
	got := ShortCause("node 127.0.0.1:33410: the port did not answer a WebSocket upgrade in HTTP", "127.0.0.1:33410")
	if want := "the port did not answer a WebSocket upgrade in HTTP"; got != want {
		t.Errorf("ShortCause: %q, want %q", got, want)
	}
}

// TestNarrowKeepsNumbers: at 60 columns the connected line keeps the
// endpoint with its port, the version, the chain and the group, giving up
// words (M11).
func TestNarrowKeepsNumbers(t *testing.T) {
	st := amop.Status{State: amop.StateConnected, Endpoint: "127.0.0.1:20200",
		Node: amop.NodeInfo{Version: "2.9.0", ChainID: 1, GroupID: 1, BuildType: "amoptui local network · ideal"}}
	m := New(Styles{}, st)
	m.SetWidth(60)
	l := m.Render(nil)[0]
	for _, want := range []string{"● connected", "127.0.0.1:20200", "v2.9.0", "ch 1", "gr 1"} {
		if !strings.Contains(l, want) {
			t.Errorf("%q lacks %q", l, want)
		}
	}
	if strings.Contains(l, "…") {
		t.Errorf("%q is cut", l)
	}
	m.SetWidth(120)
	if l := m.Render(nil)[0]; !strings.Contains(l, "amoptui · ● connected · node 127.0.0.1:20200 · FISCO BCOS 2.9.0 · local · ideal · chain 1 · group 1") {
		t.Errorf("120 columns: %q", l)
	}
}

// summed is a responder with a long String and a short Summary.
type summed struct{}

func (summed) Respond(amop.Request) ([]byte, error) { return nil, nil }
func (summed) String() string {
	return `match /^ping (\d+)$/ → "pong {{.Match 1}} {{file \"resp.json\"}}", else exec ./a-long-command --with flags`
}
func (summed) Summary() string { return "match (1 rule), else exec ./a-long-command --with flags" }

// TestCountersNeverHidden: the counters show whole at every width; the
// policy is summed up and cut after them (M5).
func TestCountersNeverHidden(t *testing.T) {
	m := New(Styles{}, amop.Status{State: amop.StateConnected})
	m.SetPolicy(amop.ReplyPolicy{Mode: amop.ReplyFunc, Responder: summed{}})
	m.SetCounters(Counters{Received: 12345, Sent: 9, Failed: 3, Dropped: 2, Malformed: 1, Oversize: 4, NotJoined: 5})
	m.SetExtra("transcript lost 3")
	for _, w := range []int{160, 120, 80, 60} {
		m.SetWidth(w)
		l := m.Render(nil)[1]
		for _, n := range []string{"12,345", "9", "3", "2", "1", "4", "5"} {
			if !strings.Contains(l, " "+n) {
				t.Errorf("%d: %q lacks the counter %s", w, l, n)
			}
		}
		if w >= 100 && !strings.Contains(l, "received 12,345 · sent 9 · failed 3") {
			t.Errorf("%d: %q", w, l)
		}
		if w >= 160 && !strings.Contains(l, "auto-reply: match (1 rule)") {
			t.Errorf("%d: %q lacks the policy's summary", w, l)
		}
		if strings.Contains(l, "resp.json") {
			t.Errorf("%d: the whole rule in the status: %q", w, l)
		}
	}
}

// BenchmarkRender is the bar's cost per frame at 80 columns, connected.
func BenchmarkRender(b *testing.B) {
	m := New(Styles{}, amop.Status{State: amop.StateConnected, Endpoint: "127.0.0.1:20200",
		Node: amop.NodeInfo{Version: "2.9.0", ChainID: 1, GroupID: 1, BuildType: "amoptui local network · ideal"}})
	m.SetWidth(80)
	m.SetCounters(Counters{Received: 12345, Sent: 9})
	b.ReportAllocs()
	var dst []string
	for i := 0; i < b.N; i++ {
		dst = m.Render(dst[:0])
	}
}
