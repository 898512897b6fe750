// Package statusbar is the two status lines at the top of the screen: the
// connection (state, node, version, chain, group, reconnect attempts, the
// cause of a failure) and the session (counters, losses, auto-reply
// policy). Everything in it that came from the network goes through
// sanitize.
//
// Narrow terminals get shorter forms, never a cut of what matters: the
// connection line gives up words ("amoptui", "node", "FISCO BCOS",
// "connected") before numbers (port, version, chain, group), and keeps a
// failure's cause by shortening the addresses in it; the session line
// shows every counter (in short words if it must) before the auto-reply
// policy, which is summed up ("match (1 rule)") and cut last.
package statusbar

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
)

// Styles are the status bar's inline styles.
type Styles struct {
	App        lipgloss.Style // "amoptui"
	Connected  lipgloss.Style
	Connecting lipgloss.Style // connecting and reconnecting
	Down       lipgloss.Style
	Label      lipgloss.Style // separators and labels
	Value      lipgloss.Style
	Alert      lipgloss.Style // non-zero dropped/malformed/failed, errors
}

// Counters are the running totals shown on the second line.
type Counters struct {
	Received  uint64 // messages received
	Dropped   uint64 // messages lost: the UI could not keep up, or the client fell behind the node
	Malformed uint64 // frames from the node discarded as malformed
	Oversize  uint64 // frames from the node over the incoming limit, discarded (shown when not 0)
	NotJoined uint64 // pushes from the node on topics never joined, discarded (shown when not 0)
	Failed    uint64 // sends that failed
	Sent      uint64 // sends that succeeded
}

// Model is the status bar.
type Model struct {
	status   amop.Status
	policy   amop.ReplyPolicy
	counters Counters
	width    int
	extra    string // a short note after the counters
	resub    int    // topics re-subscribed on the last reconnect, shown while not 0
	// conn is the connection line, laid out when the status or the width
	// changes rather than on every frame (finding the form that fits
	// takes a few tries).
	conn []span

	app, ok, wait, down paint.Paint
	label, value, alert paint.Paint
}

// New returns a status bar showing st.
func New(s Styles, st amop.Status) Model {
	m := Model{
		status: st,
		app:    paint.From(s.App), ok: paint.From(s.Connected), wait: paint.From(s.Connecting),
		down: paint.From(s.Down), label: paint.From(s.Label), value: paint.From(s.Value),
		alert: paint.From(s.Alert),
	}
	m.conn = m.connLine()
	return m
}

// Height is the number of lines the bar takes.
const Height = 2

// SetWidth sets the width of the lines.
func (m *Model) SetWidth(w int) {
	if w != m.width {
		m.width = w
		m.conn = m.connLine()
	}
}

// SetStatus records a connection state.
func (m *Model) SetStatus(st amop.Status) {
	m.status = st
	m.conn = m.connLine()
}

// Status is the connection state shown.
func (m Model) Status() amop.Status { return m.status }

// SetPolicy records the auto-reply policy.
func (m *Model) SetPolicy(p amop.ReplyPolicy) { m.policy = p }

// SetCounters records the counters.
func (m *Model) SetCounters(c Counters) { m.counters = c }

// SetExtra sets a short note for after the counters ("" for none).
func (m *Model) SetExtra(s string) { m.extra = s }

// SetResubscribed shows "re-subscribed n topics" (0: nothing). The root
// shows it for a while after a reconnect, then sets 0: the panes keep the
// record.
func (m *Model) SetResubscribed(n int) { m.resub = n }

// span is a piece of a line: plain text (already safe) and its paint.
type span struct {
	text string
	p    paint.Paint
}

// View renders the bar as one string.
func (m Model) View() string { return strings.Join(m.Render(nil), "\n") }

// Render appends the bar's lines, each exactly the width.
func (m Model) Render(dst []string) []string {
	if m.width <= 0 {
		return dst
	}
	return append(dst, m.line(m.conn), m.line(m.sessionLine()))
}

func spansWidth(ss []span) int {
	n := 0
	for _, s := range ss {
		n += paint.Width(s.text)
	}
	return n
}

// connParts are the pieces of the connection line that narrow terminals
// shorten, one step at a time (see connLine).
type connParts struct {
	app      bool   // " amoptui" first
	nodeWord bool   // "node " before the endpoint
	state    string // "● connected"; "●" at the last steps
	attempt  int    // reconnect attempt shown after the state, 0: none
	short    int    // 0: "(attempt 3)", 1: "#3", 2: the state's word dropped too
	endpoint string
	version  string // "FISCO BCOS 2.9.0", then "v2.9.0", then ""
	mode     string // "local · ideal", then "ideal", then ""
	chain    []span // chain and group
	sm       bool
	cause    string // a failure's cause, addresses shortened
}

// connLine is the connection line in the longest form that fits: the
// steps give up words first, then the least telling values; the cause of
// a failure is never given up (it is cut last, and then only at its end —
// the panes have it whole).
func (m Model) connLine() []span {
	st := m.status
	p := m.connParts()
	out := m.connSpans(p)
	if spansWidth(out) <= m.width {
		return out // the usual case, every frame: no steps to build
	}
	steps := []func(){
		func() { p.app = false },
		func() { p.nodeWord = false },
		func() {
			if st.Node.Version != "" {
				p.version = "v" + sanitize.String(st.Node.Version)
			}
		},
		func() {
			if _, after, ok := strings.Cut(p.mode, " · "); ok {
				p.mode = after
			}
		},
		func() {
			if len(p.chain) > 0 {
				p.chain = m.chainSpans(true)
			}
		},
		func() { p.mode = "" },
		func() { p.version = "" },
		func() { p.sm = false },
		func() { p.endpoint = shortEndpoint(p.endpoint) },
		func() { p.short = 1 },
		func() { p.short = 2 },
	}
	for _, step := range steps {
		if spansWidth(out) <= m.width {
			break
		}
		step()
		out = m.connSpans(p)
	}
	return out
}

func (m Model) connParts() connParts {
	st := m.status
	p := connParts{app: true, nodeWord: true, endpoint: sanitize.String(st.Endpoint)}
	switch st.State {
	case amop.StateConnected:
		p.state = "● connected"
	case amop.StateConnecting:
		p.state = "◌ connecting"
	case amop.StateReconnecting:
		p.state = "◐ reconnecting"
	default:
		p.state = "○ down"
	}
	if st.State == amop.StateConnecting || st.State == amop.StateReconnecting {
		if st.Attempt > 1 || (st.State == amop.StateReconnecting && st.Attempt > 0) {
			p.attempt = st.Attempt
		}
	}
	if st.State != amop.StateConnected {
		if st.LastErr != "" {
			p.cause = ShortCause(st.LastErr, st.Endpoint)
		}
		return p
	}
	n := st.Node
	if n.Version != "" {
		p.version = "FISCO BCOS " + sanitize.String(n.Version)
	}
	// amoptui's local network says which character it has: the ideal one
	// is kinder than real nodes, the faithful one is not.
	if mode := n.LocalMode(); mode == "local" {
		p.mode = "local"
	} else if mode != "" {
		p.mode = "local · " + mode
	}
	p.chain = m.chainSpans(false)
	p.sm = n.SM
	return p
}

// chainSpans are the chain and the group: FISCO BCOS 3.x ids are names
// ("chain0", "group0"), shown as the node gives them; 2.x ids are numbers
// after a word, which short abbreviates (never the number).
func (m Model) chainSpans(short bool) []span {
	n := m.status.Node
	sep := span{" · ", m.label}
	if n.Chain != "" || n.Group != "" {
		return []span{{sanitize.String(n.Chain), m.value}, sep, {sanitize.String(n.Group), m.value}}
	}
	chain, group := "chain ", "group "
	if short {
		chain, group = "ch ", "gr "
	}
	return []span{{chain, m.label}, {strconv.FormatInt(n.ChainID, 10), m.value}, sep, {group, m.label}, {strconv.Itoa(n.GroupID), m.value}}
}

func (m Model) connSpans(p connParts) []span {
	sep := span{" · ", m.label}
	out := []span{{" ", m.label}}
	if p.app {
		out = []span{{" amoptui", m.app}, sep}
	}
	sp := m.down
	switch m.status.State {
	case amop.StateConnected:
		sp = m.ok
	case amop.StateConnecting, amop.StateReconnecting:
		sp = m.wait
	}
	state := p.state
	if p.short > 1 {
		state, _, _ = strings.Cut(state, " ")
	}
	switch {
	case p.attempt > 0 && p.short > 0:
		state += " #" + strconv.Itoa(p.attempt)
	case p.attempt > 0:
		state += " (attempt " + strconv.Itoa(p.attempt) + ")"
	}
	out = append(out, span{state, sp})
	if p.endpoint != "" {
		out = append(out, sep)
		if p.nodeWord {
			out = append(out, span{"node ", m.label})
		}
		out = append(out, span{p.endpoint, m.value})
	}
	for _, s := range []string{p.version, p.mode} {
		if s != "" {
			out = append(out, sep, span{s, m.value})
		}
	}
	if len(p.chain) > 0 {
		out = append(append(out, sep), p.chain...)
	}
	if p.sm {
		out = append(out, sep, span{"SM", m.value})
	}
	if p.cause != "" {
		out = append(out, sep, span{p.cause, m.alert})
	}
	return out
}

// shortEndpoint keeps an endpoint's port and as much of its host as a
// narrow line needs least: "…:20200".
func shortEndpoint(ep string) string {
	if i := strings.LastIndexByte(ep, ':'); i > 0 {
		return "…" + ep[i:]
	}
	return ep
}

// netOp is Go's "read tcp 127.0.0.1:44444->127.0.0.1:27101: " (or write,
// dial), whose addresses say nothing the status line does not.
var netOp = regexp.MustCompile(`\b(read|write|dial) (?:tcp|tcp4|tcp6|udp|unix)(?: \S+?)?(?:->\S+?)?: `)

// ShortCause is a connection error with its addresses taken out — the
// status line names the endpoint already — so that a narrow line still
// shows why: "TLS handshake with 127.0.0.1:27101: read tcp
// 127.0.0.1:44444->127.0.0.1:27101: i/o timeout" becomes "TLS handshake:
// no answer". It is also what makes two errors "the
// same" (the local port changes on every attempt).
func ShortCause(err, endpoint string) string {
	s := sanitize.String(err)
	s = netOp.ReplaceAllStringFunc(s, func(op string) string {
		return strings.Fields(op)[0] + ": "
	})
	if ep := sanitize.String(endpoint); ep != "" {
		// "node 127.0.0.1:20200: the port did not answer …" (the 3.x
		// client's sentences) — the word goes with its address.
		s = strings.ReplaceAll(s, "node "+ep+": ", "")
		for _, w := range []string{" with ", " to ", " on ", " from ", " at "} {
			s = strings.ReplaceAll(s, w+ep, "")
		}
		s = strings.ReplaceAll(s, ep+": ", "")
	}
	s = strings.ReplaceAll(s, "read: i/o timeout", "no answer")
	s = strings.ReplaceAll(s, "write: i/o timeout", "write timed out")
	return s
}

// counterSpans are the counters. Below 100 columns the counters of trouble
// show only once there is some (no "malformed 0" crowding out what matters
// at 80 columns); short abbreviates the words (never the numbers) for a
// line too narrow for them.
func (m Model) counterSpans(short bool) []span {
	c := m.counters
	sep := span{" · ", m.label}
	if short {
		sep = span{", ", m.label}
	}
	var out []span
	wide := m.width >= 100
	count := func(long, abbr string, n uint64, alarm bool) {
		if alarm && n == 0 && !wide {
			return
		}
		p := m.value
		if alarm && n > 0 {
			p = m.alert
		}
		label := long
		if short {
			label = abbr
		}
		if len(out) > 0 {
			out = append(out, sep)
		} else {
			out = append(out, span{" ", m.label})
		}
		out = append(out, span{label + " ", m.label}, span{paint.Count(n), p})
	}
	count("received", "recv", c.Received, false)
	count("sent", "sent", c.Sent, false)
	count("failed", "fail", c.Failed, true)
	count("dropped", "drop", c.Dropped, true)
	count("malformed", "bad", c.Malformed, true)
	if c.Oversize > 0 {
		count("oversize", "big", c.Oversize, true)
	}
	if c.NotJoined > 0 {
		count("not joined", "unj", c.NotJoined, true)
	}
	return out
}

// sessionLine is the counters (always whole), then what else was lost,
// the auto-reply policy and a recent re-subscription, each given what
// room is left (the policy and the losses cut at their end, the
// re-subscription dropped).
func (m Model) sessionLine() []span {
	out := m.counterSpans(false)
	if spansWidth(out) > m.width {
		out = m.counterSpans(true)
	}
	sep := span{" · ", m.label}
	add := func(parts []span, cut bool) {
		room := m.width - spansWidth(out) - 3
		w := spansWidth(parts)
		switch {
		case w <= room:
		case cut && room >= 12:
			parts = fitSpans(parts, room)
		default:
			return
		}
		out = append(append(out, sep), parts...)
	}
	if m.extra != "" {
		add([]span{{m.extra, m.label}}, true)
	}
	add([]span{{"auto-reply: ", m.label}, {sanitize.String(PolicySummary(m.policy)), m.value}}, true)
	if m.resub > 0 && m.status.State == amop.StateConnected {
		add([]span{{"re-subscribed " + strconv.Itoa(m.resub) + topicsWord(m.resub), m.ok}}, false)
	}
	return out
}

// fitSpans cuts spans to w cells, the last one ending in "…".
func fitSpans(ss []span, w int) []span {
	var out []span
	used := 0
	for _, s := range ss {
		t, tw := paint.Fit(s.text, w-used)
		if tw == 0 {
			break
		}
		out = append(out, span{t, s.p})
		used += tw
	}
	return out
}

// line joins spans and cuts them to the width, padding with spaces.
func (m Model) line(spans []span) string {
	var sb strings.Builder
	used := 0
	for _, s := range spans {
		t, tw := paint.Fit(s.text, m.width-used)
		if tw == 0 {
			break
		}
		sb.WriteString(s.p.S(t))
		used += tw
	}
	return paint.Pad(sb.String(), used, m.width)
}

// topicsWord is " topic" or " topics" for n.
func topicsWord(n int) string {
	if n == 1 {
		return " topic"
	}
	return " topics"
}

// PolicyText is the auto-reply policy in words: "empty reply" for off,
// since go-sdk answers every unicast request, with an empty reply when
// there is nothing to say; "echo"; a fixed text in quotes.
func PolicyText(p amop.ReplyPolicy) string {
	if p.Mode == amop.ReplyOff {
		return "empty reply"
	}
	return p.String()
}

// Summarizer is a responder that can sum itself up in a few words for the
// status line ("match (1 rule)"); its String is the whole of it, for
// /reply and the notices.
type Summarizer interface {
	Summary() string
}

// PolicySummary is PolicyText in a few words: a responder's summary when
// it has one.
func PolicySummary(p amop.ReplyPolicy) string {
	if s, ok := p.Responder.(Summarizer); ok && p.Mode == amop.ReplyFunc {
		return s.Summary()
	}
	return PolicyText(p)
}
