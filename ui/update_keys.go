package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/transcript"
)

// isText reports whether k is text rather than one key press: a paste, or
// several runes in one message (typed faster than the program reads, or
// pasted without bracketed paste). Bubble Tea gives such runes the String
// of their text, so without this the word "enter" in a paste would send,
// "ctrl+c" would quit and "tab" would move the focus.
func isText(k tea.KeyMsg) bool {
	return k.Type == tea.KeyRunes && (k.Paste || len(k.Runes) > 1)
}

// updateKey routes a key: text first (it only ever goes to the input), then
// ctrl+c, then the help overlay, then the global bindings, then only the
// focused part. A key the input receives is never seen by a pane and the
// other way round.
func (m Model) updateKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if isText(k) {
		return m.updateText(k)
	}
	if key.Matches(k, m.keys.Quit) {
		return m.quit()
	}
	if m.grid.tooSmall {
		return m, nil
	}
	if m.showHelp {
		return m.updateHelpKey(k), nil
	}
	if m.net.show {
		m.closeNetwork()
		return m, nil
	}
	if m.stats.show {
		// Any key closes the overlay (esc by habit); it has nothing to
		// scroll or select.
		m.stats.show = false
		return m, nil
	}
	inInput := m.focus == FocusInput
	switch {
	case key.Matches(k, m.keys.HelpInput), !inInput && key.Matches(k, m.keys.Help):
		m.showHelp, m.helpTop = true, 0
		return m, nil
	case key.Matches(k, m.keys.ToggleMode):
		m.input.ToggleMode()
		return m, nil
	case key.Matches(k, m.keys.NextTopic):
		m.list.Next()
		m.activate()
		return m, nil
	case key.Matches(k, m.keys.PrevTopic):
		m.list.Prev()
		m.activate()
		return m, nil
	case key.Matches(k, m.keys.FocusNext):
		return m, m.cycleFocus(+1)
	case key.Matches(k, m.keys.FocusPrev):
		return m, m.cycleFocus(-1)
	case key.Matches(k, m.keys.Layout):
		m.layout = toggleLayout(m.layout)
		m.relayout()
		return m, nil
	}
	switch m.focus {
	case FocusPane:
		return m.updatePaneKey(k)
	case FocusTopics:
		return m.updateListKey(k)
	}
	return m.updateInputKey(k)
}

// updateText puts text into the input, wherever the focus was: a paste
// over the help or a pane lands where text belongs, and is never a key.
func (m Model) updateText(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.grid.tooSmall {
		return m, nil
	}
	m.showHelp = false
	var cmd tea.Cmd
	if m.focus != FocusInput {
		cmd = m.setFocus(FocusInput)
	}
	if m.input.Lines() > 1 && !k.Paste {
		return m, tea.Batch(cmd, m.blockWaits())
	}
	m.input.InsertText(string(k.Runes))
	return m, cmd
}

// blockWaits refuses typing while a multi-line block waits in the input.
// The block is shown as a one-line preview cut at the screen's edge, so
// text typed after it would be sent with it unseen; a second paste is
// added to its end (what a paste in two pieces means).
func (m *Model) blockWaits() tea.Cmd {
	return m.setNotice("a pasted block of "+plural(m.input.Lines(), "line", "lines")+" waits: enter sends it as one message, esc drops it · typing is not added to it", true)
}

// updateHelpKey scrolls or closes the help overlay; other keys are ignored
// while it is open.
func (m Model) updateHelpKey(k tea.KeyMsg) Model {
	switch {
	case key.Matches(k, m.keys.Back), key.Matches(k, m.keys.Help), k.String() == "q":
		m.showHelp = false
	case key.Matches(k, m.keys.Pane.Up):
		m.helpTop--
	case key.Matches(k, m.keys.Pane.Down):
		m.helpTop++
	case key.Matches(k, m.keys.Pane.PageUp):
		m.helpTop -= m.grid.mainH - 3
	case key.Matches(k, m.keys.Pane.PageDown):
		m.helpTop += m.grid.mainH - 3
	}
	// Bound the scroll here, not only when drawing: past the end, every
	// further key press would have to be undone before up moved again.
	m.helpTop = max(0, min(m.helpTop, len(m.helpBody(m.width))-(m.grid.mainH-2)))
	return m
}

// updateInputKey: enter submits, page keys scroll the active pane, esc
// clears the line (ctrl+z brings it back), everything else is typing.
func (m Model) updateInputKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	p := m.panes[m.list.Selected()]
	switch {
	case key.Matches(k, m.keys.Send):
		return m.submit()
	case key.Matches(k, m.keys.Pane.PageUp):
		if p != nil {
			p.PageUp()
		}
		return m, nil
	case key.Matches(k, m.keys.Pane.PageDown):
		if p != nil {
			p.PageDown()
		}
		return m, nil
	case key.Matches(k, m.keys.Back):
		return m, m.wipeDraft()
	case key.Matches(k, m.keys.Undo):
		return m, m.undoWipe()
	case m.input.Lines() > 1 && !key.Matches(k, m.keys.Input.HistoryPrev, m.keys.Input.HistoryNext):
		return m, m.blockWaits()
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	return m, cmd
}

// wipeDraft empties the input, keeping what it held for undoWipe.
func (m *Model) wipeDraft() tea.Cmd {
	v := m.input.Value()
	if v == "" {
		return nil
	}
	m.wiped = v
	m.input.SetValue("")
	return m.setNotice("input cleared · "+m.keys.Undo.Help().Key+" or /undo brings it back", false)
}

// undoWipe brings back the draft esc wiped; what the input holds now takes
// its place, so a second undo swaps back.
func (m *Model) undoWipe() tea.Cmd {
	if m.wiped == "" {
		return m.setNotice("nothing to undo", false)
	}
	cur := m.input.Value()
	m.input.SetValue(m.wiped)
	m.wiped = cur
	return nil
}

// updatePaneKey: / starts a command, esc goes back to the input once the
// pane has nothing left to close, the rest is the pane's.
func (m Model) updatePaneKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	p := m.panes[m.list.Selected()]
	if p == nil {
		return m, m.setFocus(FocusInput)
	}
	switch {
	case key.Matches(k, m.keys.Command) && !p.Expanded():
		cmd := m.setFocus(FocusInput)
		m.input.SetValue("/")
		return m, cmd
	case key.Matches(k, m.keys.Back) && !p.Consumes(k):
		return m, m.setFocus(FocusInput)
	case key.Matches(k, m.keys.Copy):
		return m, m.copySelected()
	case m.find.active() && key.Matches(k, m.keys.FindNext):
		return m, m.findNext(true)
	case m.find.active() && key.Matches(k, m.keys.FindPrev):
		return m, m.findNext(false)
	}
	return m, p.Update(k)
}

// updateListKey: arrows change the active topic; enter and esc go back to
// the input.
func (m Model) updateListKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Send), key.Matches(k, m.keys.Back):
		return m, m.setFocus(FocusInput)
	case key.Matches(k, m.keys.Command):
		cmd := m.setFocus(FocusInput)
		m.input.SetValue("/")
		return m, cmd
	}
	before := m.list.SelectedIndex()
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(k)
	if m.list.SelectedIndex() != before {
		m.activate()
	}
	return m, cmd
}

// submit handles enter in the input: a /command, or a message for the
// active topic. "//text" sends "/text". A block (a multi-line paste) is
// always a message, sent as one with its line breaks.
func (m Model) submit() (tea.Model, tea.Cmd) {
	line := m.input.Value()
	if strings.TrimSpace(line) == "" {
		return m, nil
	}
	m.input.Commit(line)
	if strings.Contains(line, "\n") {
		return m, m.send([]byte(line))
	}
	save := saveHistoryCmd(m.opts.HistoryStore, m.list.Selected(), line)
	if strings.HasPrefix(line, "/") && !strings.HasPrefix(line, "//") {
		nm, cmd := m.runCommand(line)
		return nm, tea.Batch(cmd, save)
	}
	if strings.HasPrefix(line, "//") {
		line = line[1:]
	}
	return m, tea.Batch(m.sendText(line), save)
}

// send puts a pending line in the active pane and starts the send of data.
func (m *Model) send(data []byte) tea.Cmd {
	topic := m.list.Selected()
	p := m.panes[topic]
	if p == nil {
		return m.setNotice("join a topic first: /join TOPIC", true)
	}
	mode := m.input.Mode()
	var cmds []tea.Cmd
	if m.private[topic] == nil {
		// A pane that sends is a sending pane, whatever else it does.
		m.setRole(topic, func(r *topicRole) { r.send = true })
	}
	if mode == amop.Unicast {
		cmds = append(cmds, m.ownNodeCheck(topic))
	}
	now := m.opts.Now()
	m.stats.sent(now)
	seq := p.AddSent(now, m.line, mode, data)
	m.nextID++
	id := m.nextID
	m.pending[id] = pendingSend{id: id, pane: p, topic: topic, seq: seq, mode: mode, data: data}
	rec := transcript.Sent(id, topic, mode, data)
	rec.Time, rec.Private = now, m.private[topic] != nil
	m.record(rec)
	cmds = append(cmds,
		sendCmd(m.ctx, m.client, id, topic, m.private[topic] != nil, mode, data, m.opts.SendTimeout, m.opts.Now),
		expireCmd(id, m.opts.SendTimeout+sendGrace),
	)
	if !m.spinning {
		m.spinning = true
		cmds = append(cmds, m.spin.Tick)
	}
	return tea.Batch(cmds...)
}

// quit ends the program: sends in flight are cancelled.
func (m Model) quit() (tea.Model, tea.Cmd) {
	m.cancel()
	return m, tea.Quit
}

// modeName is the word the notices use for a mode.
func modeName(md amop.Mode) string { return strings.ToUpper(md.String()) }

// toggleLayout switches between tiled and single.
func toggleLayout(l Layout) Layout {
	if l == LayoutSingle {
		return LayoutTiled
	}
	return LayoutSingle
}
