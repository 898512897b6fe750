// Package statusbar is the two status lines at the top of the screen: the
// connection (state, node, version, chain, group, reconnect attempts, last
// error) and the session (auto-reply policy, counters). Everything in it
// that came from the network goes through sanitize.
package statusbar

import (
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
	extra    string // a short note appended to the second line

	app, ok, wait, down paint.Paint
	label, value, alert paint.Paint
}

// New returns a status bar showing st.
func New(s Styles, st amop.Status) Model {
	return Model{
		status: st,
		app:    paint.From(s.App), ok: paint.From(s.Connected), wait: paint.From(s.Connecting),
		down: paint.From(s.Down), label: paint.From(s.Label), value: paint.From(s.Value),
		alert: paint.From(s.Alert),
	}
}

// Height is the number of lines the bar takes.
const Height = 2

// SetWidth sets the width of the lines.
func (m *Model) SetWidth(w int) { m.width = w }

// SetStatus records a connection state.
func (m *Model) SetStatus(st amop.Status) { m.status = st }

// Status is the connection state shown.
func (m Model) Status() amop.Status { return m.status }

// SetPolicy records the auto-reply policy.
func (m *Model) SetPolicy(p amop.ReplyPolicy) { m.policy = p }

// SetCounters records the counters.
func (m *Model) SetCounters(c Counters) { m.counters = c }

// SetExtra sets a short note for the end of the second line ("" for none).
func (m *Model) SetExtra(s string) { m.extra = s }

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
	// The connection line has a long and a compact form; the compact one
	// is used when the long one does not fit.
	conn := m.connLine(false)
	if spansWidth(conn) > m.width {
		conn = m.connLine(true)
	}
	return append(dst, m.line(conn), m.line(m.sessionLine()))
}

func spansWidth(ss []span) int {
	n := 0
	for _, s := range ss {
		n += paint.Width(s.text)
	}
	return n
}

func (m Model) connLine(compact bool) []span {
	st := m.status
	sep := span{" · ", m.label}
	out := []span{{" amoptui", m.app}, sep}
	if compact {
		out = []span{{" ", m.label}}
	}
	switch st.State {
	case amop.StateConnected:
		out = append(out, span{"● connected", m.ok})
	case amop.StateConnecting:
		out = append(out, span{"◌ connecting", m.wait})
	case amop.StateReconnecting:
		t := "◐ reconnecting"
		if st.Attempt > 0 {
			t += " (attempt " + strconv.Itoa(st.Attempt) + ")"
		}
		out = append(out, span{t, m.wait})
	default:
		out = append(out, span{"○ down", m.down})
	}
	if st.Endpoint != "" {
		if !compact {
			out = append(out, sep, span{"node ", m.label})
		} else {
			out = append(out, sep)
		}
		out = append(out, span{sanitize.String(st.Endpoint), m.value})
	}
	if st.State == amop.StateConnected {
		n := st.Node
		if n.Version != "" {
			v := "FISCO BCOS " + sanitize.String(n.Version)
			if compact {
				v = "v" + sanitize.String(n.Version)
			}
			out = append(out, sep, span{v, m.value})
		}
		// amoptui's local network says which character it has: the ideal
		// one is kinder than real nodes, the faithful one is not.
		if mode := n.LocalMode(); mode != "" {
			lm := "local · " + mode
			if mode == "local" {
				lm = "local"
			}
			out = append(out, sep, span{lm, m.value})
		}
		if n.Chain != "" || n.Group != "" {
			// FISCO BCOS 3.x ids are names ("chain0", "group0"): shown as
			// the node gives them.
			out = append(out, sep, span{sanitize.String(n.Chain), m.value}, sep, span{sanitize.String(n.Group), m.value})
		} else {
			out = append(out, sep, span{"chain ", m.label}, span{strconv.FormatInt(n.ChainID, 10), m.value},
				sep, span{"group ", m.label}, span{strconv.Itoa(n.GroupID), m.value})
		}
		if n.SM {
			out = append(out, sep, span{"SM", m.value})
		}
	} else if st.LastErr != "" {
		out = append(out, sep, span{sanitize.String(st.LastErr), m.alert})
	}
	return out
}

func (m Model) sessionLine() []span {
	c := m.counters
	sep := span{" · ", m.label}
	out := []span{{" auto-reply: ", m.label}, {sanitize.String(PolicyText(m.policy)), m.value}}
	// Words, never abbreviations; below 100 columns the counters of
	// trouble show only once there is some (no "malformed 0" crowding out
	// what matters at 80 columns).
	wide := m.width >= 100
	count := func(label string, n uint64, alarm bool) {
		if alarm && n == 0 && !wide {
			return
		}
		p := m.value
		if alarm && n > 0 {
			p = m.alert
		}
		out = append(out, sep, span{label + " ", m.label}, span{paint.Count(n), p})
	}
	count("received", c.Received, false)
	count("sent", c.Sent, false)
	count("failed", c.Failed, true)
	count("dropped", c.Dropped, true)
	count("malformed", c.Malformed, true)
	if c.Oversize > 0 {
		count("oversize", c.Oversize, true)
	}
	if c.NotJoined > 0 {
		count("not joined", c.NotJoined, true)
	}
	if m.status.State == amop.StateConnected && m.status.Resubscribed > 0 {
		out = append(out, sep, span{"re-subscribed " + strconv.Itoa(m.status.Resubscribed) + topicsWord(m.status.Resubscribed), m.ok})
	}
	if m.extra != "" {
		out = append(out, sep, span{m.extra, m.label})
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
