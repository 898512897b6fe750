// Package netview shows what a local AMOP network is doing, for an
// audience: its nodes and their sessions, every topic with its subscribers
// and rates, and the last routing decisions in words ("unicast 'svc' from
// s3@node0 → s7@node1, 0.4 ms", "dropped 'svc' from s3@node0: own node (2.9
// semantics)"). `amoptui node` runs it on a terminal (App), and the TUI that
// started the embedded network opens it with /network (Model).
//
// It polls the network (a snapshot and the decisions since the last poll)
// four times a second from a Cmd; the network only keeps a bounded ring of
// decisions, so a slow view loses old ones (and says how many), never
// slows the routing.
package netview

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/amop/netobs"
	"github.com/amoptui/amoptui/amop/wire"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
)

// Source is what the view watches: a *local.Network or a *local3.Network.
type Source interface {
	View() netobs.View
	Decisions(since uint64) (ds []netobs.Decision, next, lost uint64)
}

// PollInterval is how often the view asks the network.
const PollInterval = 250 * time.Millisecond

// keep is how many decisions the view remembers for display.
const keep = 200

// Styles are the view's styles.
type Styles struct {
	Frame, Title, Head, Text, Dim, OK, Warn, Err lipgloss.Style
}

// DefaultStyles builds the styles with renderer r from adaptive colours
// (the same palette as the TUI's).
func DefaultStyles(r *lipgloss.Renderer) Styles {
	fg := func(light, dark string) lipgloss.Style {
		return r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: light, Dark: dark})
	}
	return Styles{
		Frame: fg("#5B3CC4", "#A991F7"),
		Title: fg("#5B3CC4", "#A991F7").Bold(true),
		Head:  fg("#5B3CC4", "#A991F7").Bold(true),
		Text:  fg("#1C1C1C", "#E4E4E4"),
		Dim:   fg("#6B6B6B", "#8F8F8F"),
		OK:    fg("#17803D", "#5FD38D"),
		Warn:  fg("#A15C00", "#F2B84B"),
		Err:   fg("#C4242B", "#FF6B6B"),
	}
}

type paints struct {
	frame                                paint.FrameStyle
	head, text, dim, ok, warn, err, titl paint.Paint
}

// pollMsg carries one poll's result.
type pollMsg struct {
	id   int
	at   time.Time
	view netobs.View
	ds   []netobs.Decision
	next uint64
	lost uint64
}

// Model is the view. It is a concrete component: the TUI composes it, and
// App wraps it as a program of its own.
type Model struct {
	src   Source
	p     paints
	id    int // tags this model's polls
	since uint64
	lost  uint64

	view   netobs.View
	recent []netobs.Decision // newest last, at most keep
	// rates: per topic, messages per second over the last poll window.
	prev     map[string]netobs.TopicCounts
	prevAt   time.Time
	rates    map[string]float64
	now      func() time.Time
	width    int
	height   int
	polls    int
	stopped  bool
	subtitle string
	note     string // in the bottom edge: how to close or quit
	top      int    // the first topic shown (the App scrolls the list)
	scrolls  string // how to scroll, when the keys do (the App)
}

// nextID tags models so that a closed view's polls are ignored by a new one.
var nextID int

// New returns a view of src; subtitle goes in the frame (e.g. "FISCO BCOS
// 2.9 faithful · chain 1").
func New(src Source, st Styles, subtitle string) Model {
	nextID++
	return Model{
		src: src, id: nextID, subtitle: subtitle, now: time.Now,
		prev: map[string]netobs.TopicCounts{}, rates: map[string]float64{},
		p: paints{
			frame: paint.FrameStyle{Border: paint.Heavy, Line: paint.From(st.Frame), Title: paint.From(st.Title)},
			head:  paint.From(st.Head), text: paint.From(st.Text), dim: paint.From(st.Dim),
			ok: paint.From(st.OK), warn: paint.From(st.Warn), err: paint.From(st.Err), titl: paint.From(st.Title),
		},
	}
}

// SetNote puts note (trusted text: a key hint such as "esc close") in the
// frame's bottom edge, where it stays however small the view.
func (m *Model) SetNote(note string) { m.note = note }

// ScrollTopics moves the first topic shown by n (down when positive),
// within the list.
func (m *Model) ScrollTopics(n int) {
	m.top = paint.Clamp(m.top+n, 0, len(m.view.Topics)-1)
}

// SetClock replaces the clock of the rates (tests).
func (m *Model) SetClock(now func() time.Time) { m.now = now }

// SetSize sets the outer size.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// Start polls at once and then every PollInterval.
func (m *Model) Start() tea.Cmd {
	m.stopped = false
	return m.poll(0)
}

// Stop ends the polling (the next poll is ignored).
func (m *Model) Stop() { m.stopped = true; nextID++; m.id = nextID }

func (m Model) poll(d time.Duration) tea.Cmd {
	src, id, since := m.src, m.id, m.since
	do := func() tea.Msg {
		ds, next, lost := src.Decisions(since)
		return pollMsg{id: id, at: time.Now(), view: src.View(), ds: ds, next: next, lost: lost}
	}
	if d == 0 {
		return do
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return do() })
}

// Update takes a poll's result and schedules the next one.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	p, ok := msg.(pollMsg)
	if !ok || p.id != m.id || m.stopped {
		return m, nil
	}
	m.apply(p.view, p.ds, p.next, p.lost, m.now())
	return m, m.poll(PollInterval)
}

// apply folds a snapshot and new decisions into the model.
func (m *Model) apply(v netobs.View, ds []netobs.Decision, next, lost uint64, now time.Time) {
	m.polls++
	m.view = v
	m.since, m.lost = next, m.lost+lost
	m.recent = append(m.recent, ds...)
	if len(m.recent) > keep {
		m.recent = append(m.recent[:0:0], m.recent[len(m.recent)-keep:]...)
	}
	if dt := now.Sub(m.prevAt).Seconds(); !m.prevAt.IsZero() && dt > 0 {
		for _, t := range v.Topics {
			before := m.prev[t.Topic]
			n := (t.Counts.Unicast - before.Unicast) + (t.Counts.Multicast - before.Multicast)
			// Smooth a little, so the figure reads as a rate, not noise.
			r := float64(n) / dt
			if old, ok := m.rates[t.Topic]; ok {
				r = 0.5*old + 0.5*r
			}
			m.rates[t.Topic] = r
		}
	}
	clear(m.prev)
	for _, t := range v.Topics {
		m.prev[t.Topic] = t.Counts
	}
	m.prevAt = now
}

// Lines renders the view, exactly the set size.
func (m Model) Lines() []string {
	w, h := m.width, m.height
	if w < 20 || h < 5 {
		return nil
	}
	inner := w - 2
	nodes, topics, decisions := m.nodesSection(inner), m.topicsSection(inner), m.decisionsSection(inner)
	_, rt, rd := share(h-2, nodes.need(), topics.need(), decisions.need())
	// Items are shown whole: rows a section could not use go to the
	// topics, then to the nodes.
	dl := decisions.render(rd)
	tl := topics.render(rt + rd - len(dl))
	nl := nodes.render(h - 2 - len(dl) - len(tl))
	body := slices.Concat(nl, tl, dl)
	lines := make([]string, 0, h-2)
	for _, l := range body {
		if len(lines) == h-2 {
			break
		}
		lines = append(lines, paint.FitPad(l, inner))
	}
	for len(lines) < h-2 {
		lines = append(lines, strings.Repeat(" ", inner))
	}
	parts := []string{"network"}
	if m.subtitle != "" {
		parts = append(parts, strings.Split(m.subtitle, " · ")...)
	}
	// The top edge shows " title " after one border cell.
	return paint.Frame(nil, lines, w, h, fitTitle(parts, inner-4), m.note, m.p.frame)
}

// nodesSection is every node with its sessions.
func (m Model) nodesSection(inner int) section {
	sessions := 0
	for _, nd := range m.view.Nodes {
		sessions += len(nd.Sessions)
	}
	s := section{
		head: " " + m.p.head.S("Nodes  "+plural(sessions, "session")),
		more: func(n int) string { return "   " + m.p.dim.S("… "+strconv.Itoa(n)+" more "+nodesWord(n)) },
	}
	for _, nd := range m.view.Nodes {
		state, stateW := m.p.ok.S("●"), 1
		if !nd.Up {
			state, stateW = m.p.err.S("○ stopped"), 9
		}
		name, addr := "node"+strconv.Itoa(nd.Index), sanitize.String(nd.Addr)
		ss := make([]string, 0, len(nd.Sessions))
		for _, se := range nd.Sessions {
			ss = append(ss, "s"+strconv.FormatUint(se.ID, 10))
		}
		list := "no sessions"
		if len(ss) > 0 {
			// Many sessions end in "… +N more", not in a silent cut.
			lead := 3 + paint.Width(name) + 1 + paint.Width(addr) + 1 + stateW + 2
			list = wrapList(ss, max(12, inner-lead), 1)[0]
		}
		s.items = append(s.items, []string{fmt.Sprintf("   %s %s %s  %s", m.p.text.S(name), m.p.dim.S(addr), state, m.p.dim.S(list))})
	}
	return s
}

func nodesWord(n int) string {
	if n == 1 {
		return "node"
	}
	return "nodes"
}

// topicsSection is every topic with its counts, rate and subscribers. The
// name column is as wide as the longest name the width allows.
func (m Model) topicsSection(inner int) section {
	s := section{
		head: " " + m.p.head.S("Topics"),
		more: func(n int) string {
			word := " more topics"
			if n == 1 {
				word = " more topic"
			}
			return "   " + m.p.dim.S("… "+strconv.Itoa(n)+word+m.scrolls)
		},
	}
	type row struct{ name, counts, who string }
	var rows []row
	nameW, countsW := 0, 0
	for _, t := range m.view.Topics {
		if strings.HasPrefix(t.Topic, wire.BlockNotifyPrefix) {
			continue // go-sdk's block notifications: every session has one
		}
		var subs []string
		for _, r := range t.Subscribers {
			subs = append(subs, r.String())
		}
		r := row{name: topicLabel(t.Topic), who: strings.Join(subs, " "),
			counts: fmt.Sprintf("%6s/s  uni %d  multi %d  fail %d", rateText(m.rates[t.Topic]), t.Counts.Unicast, t.Counts.Multicast, t.Counts.Failed)}
		if r.who == "" {
			r.who = "no subscriber"
		}
		nameW, countsW = max(nameW, paint.Width(r.name)), max(countsW, paint.Width(r.counts))
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		s.pre = []string{"   " + m.p.dim.S("no topic subscribed yet")}
		return s
	}
	if top := min(m.top, len(rows)-1); top > 0 {
		word := " topics above"
		if top == 1 {
			word = " topic above"
		}
		s.pre = []string{"   " + m.p.dim.S("… "+strconv.Itoa(top)+word)}
		rows = rows[top:]
	}
	// The subscribers wrap under themselves (three lines at most, then
	// "… +N more"); on a narrow view they start on a line of their own.
	nameW = min(nameW, max(16, inner/2))
	wide := inner - (3 + 1 + countsW + 5) - 16
	narrow := wide < min(nameW, 12)
	if !narrow {
		nameW = min(nameW, wide)
	} else {
		nameW = max(8, min(nameW, inner-4-countsW))
	}
	lead := 3 + nameW + 1 + countsW + 5
	for _, r := range rows {
		name := fitMiddle(r.name, nameW)
		name = paint.Pad(name, paint.Width(name), nameW)
		counts := paint.Pad(r.counts, paint.Width(r.counts), countsW)
		var it []string
		if narrow {
			it = append(it, fmt.Sprintf("   %s %s", m.p.text.S(name), m.p.dim.S(counts)))
			for i, l := range wrapList(strings.Fields(r.who), max(8, inner-8), 3) {
				arrow := "     " + m.p.dim.S("→") + "  "
				if i > 0 {
					arrow = strings.Repeat(" ", 8)
				}
				it = append(it, arrow+m.p.text.S(l))
			}
		} else {
			for i, l := range wrapList(strings.Fields(r.who), inner-lead, 3) {
				if i == 0 {
					it = append(it, fmt.Sprintf("   %s %s  %s  %s", m.p.text.S(name), m.p.dim.S(counts), m.p.dim.S("→"), m.p.text.S(l)))
				} else {
					it = append(it, strings.Repeat(" ", lead)+m.p.text.S(l))
				}
			}
		}
		s.items = append(s.items, it)
	}
	return s
}

// decisionsSection is the last routing decisions, newest first.
func (m Model) decisionsSection(inner int) section {
	s := section{head: " " + m.p.head.S("Last routing decisions")}
	if m.lost > 0 {
		s.pre = append(s.pre, "   "+m.p.warn.S(paint.Count(m.lost)+" older decisions not shown (too many to keep)"))
	}
	var routed uint64
	for _, t := range m.view.Topics {
		routed += t.Counts.Unicast + t.Counts.Multicast + t.Counts.Failed
	}
	switch {
	case len(m.recent) > 0:
	case routed == 0:
		s.pre = append(s.pre, "   "+m.p.dim.S("nothing routed yet: send something"))
	default:
		// The counts above are since the network started; decisions are
		// kept from when a view first watched.
		for _, l := range paint.Wrap("no routing decision since this view first opened (decisions are kept from then on; the counts above are since the network started)", max(8, inner-3)) {
			s.pre = append(s.pre, "   "+m.p.dim.S(l))
		}
	}
	for i := len(m.recent) - 1; i >= 0; i-- {
		d := m.recent[i]
		p := m.p.text
		switch d.Kind {
		case netobs.NoSubscriber, netobs.PushFailed, netobs.Refused:
			p = m.p.err
		case netobs.OwnNodeDropped, netobs.Retried:
			p = m.p.warn
		}
		var it []string
		for j, l := range decisionLines(d, inner-16) {
			lead := "   " + m.p.dim.S(d.At.Format("15:04:05.000")) + " "
			if j > 0 {
				lead = strings.Repeat(" ", 16)
			}
			it = append(it, lead+p.S(l))
		}
		s.items = append(s.items, it)
	}
	return s
}

// View renders the view as one string.
func (m Model) View() string { return strings.Join(m.Lines(), "\n") }

// decisionLines is d in words in lines of at most w cells: the topic is
// shortened first (down to 8 cells), so that what happened — the
// destination and latency, the verdict — stays; what still does not fit
// wraps onto more lines.
func decisionLines(d netobs.Decision, w int) []string {
	topic := sanitize.String(d.Topic)
	d.Topic = topic
	text := sanitize.String(d.String())
	if over := paint.Width(text) - w; over > 0 && paint.Width(topic) > 8 {
		d.Topic = fitMiddle(topic, max(8, paint.Width(topic)-over))
		text = sanitize.String(d.String())
	}
	return paint.Wrap(text, max(8, w))
}

func rateText(r float64) string {
	if r >= 100 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}

// Topics lists the topics shown (tests).
func (m Model) Topics() []string {
	var out []string
	for _, t := range m.view.Topics {
		out = append(out, t.Topic)
	}
	slices.Sort(out)
	return out
}

// IsMsg reports whether msg belongs to a view (a poll's result), so that a
// composing model can route it to its Model.
func IsMsg(msg tea.Msg) bool {
	_, ok := msg.(pollMsg)
	return ok
}
