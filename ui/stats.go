package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
	"github.com/amoptui/amoptui/ui/latency"
)

// topicCounts are a topic's sends for /stats.
type topicCounts struct {
	sent, ok, failed uint64
}

// statsState is what "latency at a glance" is computed from: per topic the
// recent round trips, and for /stats every round trip in a histogram, the
// rates in and out, and the failures by kind. Everything is bounded (see
// package latency). A round trip is a unicast's, to its reply: a
// multicast's success is a 2.x node's acknowledgement or, on 3.x, only the
// write, neither of which a reply's time can be compared with.
type statsState struct {
	lat    map[string]*latency.Window
	counts map[string]*topicCounts
	hist   latency.Histogram
	in     latency.Rate
	out    latency.Rate
	fails  latency.Failures
	ok     uint64 // sends that succeeded, multicasts included
	late   uint64 // answers after their send had timed out (client.Stats)
	show   bool   // the /stats overlay is open
	tickID int
}

func newStatsState() statsState {
	return statsState{lat: map[string]*latency.Window{}, counts: map[string]*topicCounts{}}
}

func (s *statsState) topic(t string) (*latency.Window, *topicCounts) {
	w, c := s.lat[t], s.counts[t]
	if w == nil {
		w, c = &latency.Window{}, &topicCounts{}
		s.lat[t], s.counts[t] = w, c
	}
	return w, c
}

// sent counts a send going out.
func (s *statsState) sent(now time.Time) { s.out.Add(now, 1) }

// received counts a message coming in.
func (s *statsState) received(now time.Time) { s.in.Add(now, 1) }

// resolved records a send's outcome on topic; only a unicast's reply is a
// round trip.
func (s *statsState) resolved(topic string, mode amop.Mode, err error, rtt time.Duration) {
	w, c := s.topic(topic)
	c.sent++
	if err != nil {
		c.failed++
		s.fails.Add(err)
		return
	}
	c.ok++
	s.ok++
	if mode != amop.Unicast {
		return
	}
	w.Add(rtt)
	s.hist.Add(rtt)
}

// forget drops a topic that was left.
func (s *statsState) forget(topic string) {
	delete(s.lat, topic)
	delete(s.counts, topic)
}

// title is the latency part of topic's pane title for a pane w cells wide:
// "▁▂▅▃ p50 1.2 ms p99 3.4 ms", shorter forms when narrow, "" before the
// first answer.
func (s *statsState) title(topic string, w int) string {
	win := s.lat[topic]
	if win == nil || win.Len() == 0 {
		return ""
	}
	p50, p99 := paint.RTT(win.Percentile(50)), paint.RTT(win.Percentile(99))
	switch {
	case w >= 70:
		return win.Spark(paint.Clamp((w-50)/3, 4, 24)) + " p50 " + p50 + " p99 " + p99
	case w >= 50:
		return win.Spark(4) + " p50 " + p50
	}
	return ""
}

// statsTickMsg refreshes the open /stats overlay once a second, with the
// client's count of late answers.
type statsTickMsg struct {
	id   int
	late uint64
}

func statsTickCmd(c amop.Client, id int) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return statsTickMsg{id: id, late: c.Stats().Late} })
}

// openStats shows the overlay and starts its refresh.
func (m *Model) openStats() tea.Cmd {
	m.stats.show = true
	m.stats.tickID++
	id := m.stats.tickID
	c := m.client
	return func() tea.Msg { return statsTickMsg{id: id, late: c.Stats().Late} }
}

// updateStatsTick takes the late count and re-arms while the overlay is
// open (a tick of a closed overlay ends the chain).
func (m Model) updateStatsTick(msg statsTickMsg) (tea.Model, tea.Cmd) {
	if msg.id != m.stats.tickID || !m.stats.show {
		return m, nil
	}
	m.stats.late = msg.late
	return m, statsTickCmd(m.client, msg.id)
}

// statsView is the /stats overlay, w×h.
func (m Model) statsView(w, h int) []string {
	s := &m.stats
	now := m.opts.Now()
	inner := w - 2
	var body []string
	add := func(line string) { body = append(body, line) }
	title, key, desc := m.pt.helpTitle, m.pt.helpKey, m.pt.helpDesc

	// Rates and failures first: they fit on a line each.
	rate := func(r *latency.Rate) string {
		return fmt.Sprintf("%s/s now · %s/s over 1 min · %s in all",
			rateText(r.PerSecond(now, 5)), rateText(r.PerSecond(now, 59)), paint.Count(r.Total()))
	}
	add(" " + title.S("Messages"))
	add("   " + key.S("in  ") + " " + desc.S(rate(&s.in)))
	add("   " + key.S("out ") + " " + desc.S(rate(&s.out)))
	f := s.fails
	add(" " + title.S("Failures") + desc.S(fmt.Sprintf("  %s of %s sends", paint.Count(f.Total()), paint.Count(f.Total()+s.ok))))
	items := []string{
		fmt.Sprintf("no subscriber (100) %d", f.NoSubscriber), fmt.Sprintf("rejected (103) %d", f.Rejected),
		fmt.Sprintf("push failed (104) %d", f.PushFailed), fmt.Sprintf("timeout %d", f.Timeout),
		fmt.Sprintf("late %d", s.late), fmt.Sprintf("other %d", f.Other),
	}
	for _, l := range wrapItems(items, " · ", inner-3) {
		add("   " + desc.S(l))
	}

	// The histogram: one row per bucket from the first to the last used.
	add(" " + title.S("Round trips (unicast)") + desc.S("  "+paint.Count(s.hist.Total)+" answered"+maxText(s.hist.Max)))
	lo, hi := -1, -1
	for i, c := range s.hist.Counts {
		if c > 0 {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	if lo < 0 {
		add("   " + desc.S("no unicast answered yet"))
	} else {
		peak := slices.Max(s.hist.Counts[:])
		barW := paint.Clamp(inner-30, 4, 60)
		for i := lo; i <= hi; i++ {
			c := s.hist.Counts[i]
			n := int(float64(barW) * float64(c) / float64(peak))
			if c > 0 && n == 0 {
				n = 1
			}
			label := "> " + paint.RTT(latency.Bounds[len(latency.Bounds)-1])
			if i < len(latency.Bounds) {
				label = "≤ " + paint.RTT(latency.Bounds[i])
			}
			add(fmt.Sprintf("   %s %s %s", key.S(fmt.Sprintf("%9s", label)), m.pt.bar.S(strings.Repeat("█", n)), desc.S(paint.Count(c))))
		}
	}

	// Per topic: counts, percentiles of the recent window, a sparkline.
	add(" " + title.S("Per topic") + desc.S("  (p50/p99 of the last "+strconv.Itoa(latency.WindowSize)+" unicast replies)"))
	add("   " + key.S(fmt.Sprintf("%-16s %6s %6s %6s %9s %9s  %s", "topic", "sent", "ok", "failed", "p50", "p99", "recent")))
	for _, t := range m.list.Names() {
		c := s.counts[t]
		if c == nil {
			c = &topicCounts{}
		}
		p50, p99, spark := "–", "–", ""
		if win := s.lat[t]; win != nil && win.Len() > 0 {
			p50, p99 = paint.RTT(win.Percentile(50)), paint.RTT(win.Percentile(99))
			spark = win.Spark(max(0, min(32, inner-72)))
		}
		name := paint.FitPad(sanitize.String(t), 16)
		add("   " + desc.S(fmt.Sprintf("%s %6d %6d %6d %9s %9s  ", name, c.sent, c.ok, c.failed, p50, p99)) + m.pt.bar.S(spark))
	}

	lines := make([]string, 0, h-2)
	for _, l := range body {
		if len(lines) == h-2 {
			break
		}
		s, sw := paint.Fit(l, inner)
		lines = append(lines, paint.Pad(s, sw, inner))
	}
	for len(lines) < h-2 {
		lines = append(lines, strings.Repeat(" ", inner))
	}
	return paint.Frame(nil, lines, w, h, "stats", "esc close · refreshed every second", m.pt.helpFrame)
}

func rateText(r float64) string {
	if r >= 100 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}

func maxText(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return " · slowest " + paint.RTT(d)
}

// wrapItems joins items with sep into lines of at most w cells, breaking
// only between items.
func wrapItems(items []string, sep string, w int) []string {
	var out []string
	cur := ""
	for _, it := range items {
		switch {
		case cur == "":
			cur = it
		case paint.Width(cur+sep+it) <= w:
			cur += sep + it
		default:
			out = append(out, cur)
			cur = it
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}
