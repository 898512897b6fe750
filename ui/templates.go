package ui

import (
	"errors"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/history"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/tmpl"
)

// render turns what was typed for topic into the payload: a text with
// "{{" is a payload template (package tmpl), numbered per topic by
// {{.Seq}}; any other text is sent exactly as typed. Rendering may read a
// {{file}}: a bounded read of a file the user named, accepted in Update
// like the clock, because an error must be shown before anything is sent.
func (m *Model) render(topic, text string) ([]byte, error) {
	if !tmpl.IsTemplate(text) {
		return []byte(text), nil
	}
	t, err := tmpl.Parse(text, tmpl.Options{Now: m.opts.Now})
	if err != nil {
		return nil, err
	}
	seq := m.seqs[topic] + 1
	b, err := t.Render(tmpl.Data{Seq: seq, Topic: topic, Mode: m.input.Mode().String(), Now: tmpl.Time{Time: m.opts.Now()}})
	if err != nil {
		return nil, err
	}
	m.seqs[topic] = seq
	return b, nil
}

// sendText renders text and sends it; on a template error nothing is sent,
// the text goes back into the input to be fixed and the footer says why.
func (m *Model) sendText(text string) tea.Cmd {
	topic := m.list.Selected()
	if m.panes[topic] == nil {
		return m.setNotice("join a topic first: /join TOPIC", true)
	}
	data, err := m.render(topic, text)
	if err != nil {
		m.input.SetValue(text)
		return m.setNotice(sanitize.String(err.Error()), true)
	}
	return m.send(data)
}

// historySavedMsg is the outcome of saving the input history.
type historySavedMsg struct{ err error }

// saveHistoryCmd records line for topic in the lasting history and writes
// it (nil when the history is not kept across runs).
func saveHistoryCmd(s *history.Store, topic, line string) tea.Cmd {
	if s == nil {
		return nil
	}
	return func() tea.Msg {
		s.Add(topic, line)
		return historySavedMsg{err: s.Save()}
	}
}

// updateHistorySaved tells about the first failure to save the history
// only: the history is a convenience, and a read-only home must not turn
// every send into an error notice.
//
// A file that could not be read and was replaced was announced when the
// history was loaded; the lines are saved, and the command's own notice
// stays.
func (m Model) updateHistorySaved(msg historySavedMsg) (tea.Model, tea.Cmd) {
	if msg.err == nil || m.histWarned || errors.Is(msg.err, history.ErrReplaced) {
		return m, nil
	}
	m.histWarned = true
	return m, m.setNotice("input history not saved: "+sanitize.String(msg.err.Error()), true)
}
