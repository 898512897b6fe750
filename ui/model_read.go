package ui

// What the command line and the tests read of the model: each a value, so
// that nothing outside the package changes it.

import (
	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/ui/statusbar"
	"github.com/amoptui/amoptui/ui/topicpane"
)

// Focus is the part that has the keyboard.
func (m Model) Focus() Focus { return m.focus }

// Layout is the current layout.
func (m Model) Layout() Layout { return m.layout }

// Mode is the current send mode.
func (m Model) Mode() amop.Mode { return m.input.Mode() }

// Topics lists the topics with a pane, in list order.
func (m Model) Topics() []string { return m.list.Names() }

// ActiveTopic is the topic Enter sends to, "" when none is joined.
func (m Model) ActiveTopic() string { return m.list.Selected() }

// Pane returns the pane of topic, or nil.
func (m Model) Pane(topic string) *topicpane.Model { return m.panes[topic] }

// Unread is topic's unread count.
func (m Model) Unread(topic string) int { return m.list.Unread(topic) }

// HelpVisible reports whether the help overlay is open.
func (m Model) HelpVisible() bool { return m.showHelp }

// Notice is the footer notice, if any.
func (m Model) Notice() string { return m.notice }

// Counters are the totals shown in the status bar.
func (m Model) Counters() statusbar.Counters { return m.counters }

// InputValue is the text in the input line.
func (m Model) InputValue() string { return m.input.Value() }
