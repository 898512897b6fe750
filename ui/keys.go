package ui

import (
	"strconv"

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
	Back       key.Binding // close the help, leave a pane or the list; clears the input
	Undo       key.Binding // in the input: bring back what esc cleared
	Copy       key.Binding // pane: copy the selected payload
	FindNext   key.Binding // pane, during /find: the next (older) hit
	FindPrev   key.Binding // pane, during /find: the previous (newer) hit
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
		Undo:       key.NewBinding(key.WithKeys("ctrl+z"), key.WithHelp("ctrl+z", "undo clear")),
		Copy:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy payload")),
		FindNext:   key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next /find hit")),
		FindPrev:   key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "previous /find hit")),
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

// ShortHelp is the footer for the focused part: what the keys do right now,
// most useful first (the footer cuts the list at the screen width, and
// help and quit come early so that they stay at 80 columns). block is the
// number of lines of a multi-line paste waiting in the input (0: none).
func (k KeyMap) ShortHelp(f Focus, block int) []key.Binding {
	// The page keys scroll the active pane from the input too; their help
	// text says "scroll", which holds in both places.
	scroll := key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", "scroll"))
	topics := key.NewBinding(key.WithKeys("ctrl+n", "ctrl+p"), key.WithHelp("ctrl+n/p", "topic"))
	updown := key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "select"))
	switch f {
	case FocusPane:
		return []key.Binding{updown, k.Pane.Expand, k.Copy, k.Help, k.Quit, k.Back, k.Pane.Bottom, k.Command, k.FocusNext}
	case FocusTopics:
		return []key.Binding{updown, k.Help, k.Quit, k.Back, k.FocusNext}
	}
	if block > 1 {
		send := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send the "+plural(block, "line", "lines")+" as one message"))
		drop := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "drop the paste"))
		return []key.Binding{send, drop, k.HelpInput, k.Quit}
	}
	return []key.Binding{k.Send, k.ToggleMode, k.HelpInput, k.Quit, k.FocusNext, topics, k.Layout, scroll}
}

// HelpGroup is a heading of the help overlay and the bindings under it.
type HelpGroup struct {
	Title string
	Keys  []key.Binding
}

// HelpGroups is every binding, grouped by where it works, for the help
// overlay. A key that does different things in different places ("enter",
// "esc") is listed under each with what it does there.
func (k KeyMap) HelpGroups() []HelpGroup {
	with := func(b key.Binding, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
	}
	// The footer names a binding by its first key, to stay short; the
	// overlay names every key that works (TestHelpNamesEveryKey).
	every := func(b key.Binding, keys string) key.Binding {
		return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(keys, b.Help().Desc))
	}
	return []HelpGroup{
		{"Anywhere", []key.Binding{k.Quit, k.HelpInput, k.ToggleMode, k.NextTopic, k.PrevTopic, k.FocusNext, k.FocusPrev,
			every(k.Layout, "ctrl+l/f2")}},
		{"Input", []key.Binding{k.Send, k.Input.HistoryPrev, k.Input.HistoryNext, k.Pane.PageUp, k.Pane.PageDown,
			with(k.Back, "clear the input"), k.Undo}},
		{"Pane", []key.Binding{k.Pane.Up, k.Pane.Down, k.Pane.Top, k.Pane.Bottom, k.Pane.PageUp, k.Pane.PageDown,
			every(k.Pane.Expand, "enter/space"), with(k.Pane.Close, "close, unselect, back to input"), k.Copy, k.FindNext, k.FindPrev, k.Command, with(k.Help, "help")}},
		{"Topic list", []key.Binding{k.List.Up, k.List.Down, with(k.Send, "back to the input"), with(k.Back, "back to the input"),
			k.Command}},
		{"Mouse (unless --no-mouse)", []key.Binding{
			key.NewBinding(key.WithKeys("click"), key.WithHelp("click", "select topic or message")),
			key.NewBinding(key.WithKeys("wheel"), key.WithHelp("wheel", "scroll a pane"))}},
		{"Help", []key.Binding{with(k.Pane.Up, "scroll up"), with(k.Pane.Down, "scroll down"),
			key.NewBinding(key.WithKeys("esc", "?", "q"), key.WithHelp("esc/?/q", "close"))}},
	}
}

// FullHelp is the help groups as columns (help.KeyMap).
func (k KeyMap) FullHelp() [][]key.Binding {
	var cols [][]key.Binding
	for _, g := range k.HelpGroups() {
		cols = append(cols, g.Keys)
	}
	return cols
}

// plural is "1 line", "2 lines".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
