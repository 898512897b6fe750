package topicpane

import "github.com/charmbracelet/bubbles/key"

// KeyMap are the keys a focused pane understands.
type KeyMap struct {
	Up       key.Binding // select the previous message
	Down     key.Binding // select the next message
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding // oldest retained message
	Bottom   key.Binding // newest message; resumes following
	Expand   key.Binding // open or close the selected message
	Close    key.Binding // close the expanded message, then drop the selection
}

// DefaultKeyMap returns the pane keys: arrows and vi keys, page keys,
// home/end, enter and esc.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "select up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "select down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "scroll up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "scroll down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "oldest")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "follow")),
		Expand:   key.NewBinding(key.WithKeys("enter", " "), key.WithHelp("enter", "expand")),
		Close:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close / unselect")),
	}
}
