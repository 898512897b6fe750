package ui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/topicpane"
)

// findState is the search of /find across every pane's scrollback: the
// text, and the hit shown last.
type findState struct {
	text   string
	needle topicpane.Needle
	topic  string // the hit's topic, "" before the first hit
	seq    uint64
}

// active reports whether a search is in force (n and N move through it).
func (f findState) active() bool { return f.text != "" }

// cmdFind starts a search (/find TEXT) or moves to the next hit (/find).
func (m *Model) cmdFind(arg string) tea.Cmd {
	if arg == "" {
		if !m.find.active() {
			return m.setNotice("usage: /find TEXT (then n/N in the pane, or /find, for the next hit)", true)
		}
		return m.findNext(true)
	}
	m.find = findState{text: arg, needle: topicpane.NewNeedle(arg)}
	return m.findNext(true)
}

// findNext jumps to the next hit towards older lines (older) or newer
// ones: in the hit's pane first, then in the other panes in list order
// (backwards for newer), wrapping around once.
func (m *Model) findNext(older bool) tea.Cmd {
	f := &m.find
	names := m.list.Names()
	if len(names) == 0 {
		return m.setNotice("join a topic first: /join TOPIC", true)
	}
	start := m.list.Index(f.topic)
	hasFrom := start >= 0
	if !hasFrom {
		start = max(0, m.list.SelectedIndex())
	}
	step := 1
	if !older {
		step = -1
	}
	for i := 0; i <= len(names); i++ {
		t := names[((start+step*i)%len(names)+len(names))%len(names)]
		p := m.panes[t]
		if p == nil {
			continue
		}
		from := hasFrom && i == 0
		seq, ok := p.Find(f.needle, f.seq, from, older)
		if !ok {
			continue
		}
		f.topic, f.seq = t, seq
		m.list.Select(m.list.Index(t))
		m.activate()
		p.SelectSeq(seq)
		m.setFocus(FocusPane)
		return m.setNotice(m.findSummary(t), false)
	}
	if f.topic != "" {
		return m.setNotice("find \""+sanitize.String(f.text)+"\": no more hits · n/N wrap around", false)
	}
	m.find = findState{}
	return m.setNotice("find \""+sanitize.String(strings.TrimSpace(f.text))+"\": no hits in any pane", true)
}

// findSummary says how many hits there are and where this one is.
func (m *Model) findSummary(topic string) string {
	total := 0
	for _, p := range m.panes {
		total += p.CountMatches(m.find.needle)
	}
	return "find \"" + sanitize.String(m.find.text) + "\": " + plural(total, "hit", "hits") + " · this one in " + sanitize.String(topic) + " · n older · N newer"
}
