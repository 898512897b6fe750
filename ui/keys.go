package ui

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/amoptui/amoptui/ui/input"
	"github.com/amoptui/amoptui/ui/topiclist"
	"github.com/amoptui/amoptui/ui/topicpane"
)

// KeyMap is every key binding of the UI: the global ones here, and those of
// the components that have the keyboard in turn. The help overlay and the
// footer are generated from it, so it is the one place a key is named.
type KeyMap struct {
	Send       key.Binding // send the input (or run a /command)
	ToggleMode key.Binding // unicast ⇄ multicast
	NextTopic  key.Binding
	PrevTopic  key.Binding
	FocusNext  key.Binding // input → pane → topics
	FocusPrev  key.Binding
	Layout     key.Binding // tiled ⇄ single
	Help       key.Binding // outside the input, where ? is not text
	HelpInput  key.Binding // in the input: f1 only
	Command    key.Binding // outside the input: start a /command
	Back       key.Binding // close the help, leave a pane or the list
	Quit       key.Binding // always works

	Input input.KeyMap
	Pane  topicpane.KeyMap
	List  topiclist.KeyMap
}

// DefaultKeyMap follows the conventions of chat TUIs (weechat, mqttui) and
// of Bubble Tea programs: ctrl+c quits, tab cycles focus, ctrl+n/ctrl+p
// switch topics, page keys scroll. Global keys are ctrl-chords or function
// keys so they never take a character away from the input.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Send:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send")),
		ToggleMode: key.NewBinding(key.WithKeys("ctrl+t"), key.WithHelp("ctrl+t", "uni/multi")),
		NextTopic:  key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("ctrl+n", "next topic")),
		PrevTopic:  key.NewBinding(key.WithKeys("ctrl+p"), key.WithHelp("ctrl+p", "previous topic")),
		FocusNext:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "focus")),
		FocusPrev:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "focus back")),
		Layout:     key.NewBinding(key.WithKeys("ctrl+l", "f2"), key.WithHelp("ctrl+l", "layout")),
		Help:       key.NewBinding(key.WithKeys("?", "f1"), key.WithHelp("?/f1", "help")),
		HelpInput:  key.NewBinding(key.WithKeys("f1"), key.WithHelp("f1", "help")),
		Command:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "command")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to input")),
		Quit:       key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Input:      input.DefaultKeyMap(),
		Pane:       topicpane.DefaultKeyMap(),
		List:       topiclist.DefaultKeyMap(),
	}
}

// bindings is a fixed list of bindings shown by help.Model.
type bindings struct {
	short []key.Binding
	full  [][]key.Binding
}

// ShortHelp implements help.KeyMap.
func (b bindings) ShortHelp() []key.Binding { return b.short }

// FullHelp implements help.KeyMap.
func (b bindings) FullHelp() [][]key.Binding { return b.full }

// ShortHelp is the footer for the focused part: what the keys do right now.
func (k KeyMap) ShortHelp(f Focus) []key.Binding {
	// The page keys scroll the active pane from the input too; their help
	// text says "scroll", which holds in both places.
	scroll := key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", "scroll"))
	topics := key.NewBinding(key.WithKeys("ctrl+n", "ctrl+p"), key.WithHelp("ctrl+n/p", "topic"))
	updown := key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "select"))
	// Most useful first: the help view cuts the list at the screen width.
	switch f {
	case FocusPane:
		return []key.Binding{updown, k.Pane.Expand, k.Pane.Bottom, k.Help, k.Back, k.Command, k.FocusNext, k.Quit}
	case FocusTopics:
		return []key.Binding{updown, k.Help, k.Back, k.FocusNext, k.Quit}
	}
	return []key.Binding{k.Send, k.ToggleMode, k.HelpInput, topics, k.FocusNext, k.Quit, k.Layout, scroll}
}

// FullHelp is every binding in columns, for the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Send, k.ToggleMode, k.Input.HistoryPrev, k.Input.HistoryNext, k.NextTopic, k.PrevTopic},
		{k.FocusNext, k.FocusPrev, k.Layout, k.Pane.PageUp, k.Pane.PageDown, k.Command, k.Help, k.Back, k.Quit},
		{k.Pane.Up, k.Pane.Down, k.Pane.Top, k.Pane.Bottom, k.Pane.Expand, k.Pane.Close},
	}
}
