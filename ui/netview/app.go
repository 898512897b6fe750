package netview

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/ui/internal/paint"
)

// KeyMap is the keys of the App.
type KeyMap struct {
	Quit, Down, Up, PageDown, PageUp key.Binding
}

// DefaultKeyMap returns the App's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c", "esc"), key.WithHelp("q or ctrl+c", "stops the network")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "next topic")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "previous topic")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "space"), key.WithHelp("pgdn", "topics further down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "topics further up")),
	}
}

// pageStep is how many topics a page key scrolls.
const pageStep = 10

// App is the view as a program of its own: `amoptui node` on a terminal.
// It is the root model of that program (the only tea.Model here).
type App struct {
	m      Model
	footer []string // trusted text: where the certificates are, how to join
	keys   KeyMap
	w, h   int
	// quitting blanks the last frame. A terminal (tmux among them) that
	// grew while the alternate screen was on keeps the rows below the
	// old height when the program leaves it: a frame still drawn there
	// stays on the shell as a column of borders.
	quitting bool
}

// NewApp returns the program's model; footer lines are shown under the
// view, the most useful first: a small window drops them from the end.
// How to quit is in the frame's bottom edge, which stays.
func NewApp(src Source, st Styles, subtitle string, footer []string) App {
	a := App{
		m:      New(src, st, subtitle),
		footer: footer,
		keys:   DefaultKeyMap(),
	}
	a.m.SetNote(a.keys.Quit.Help().Key + " " + a.keys.Quit.Help().Desc)
	a.m.scrolls = " · " + a.keys.Down.Help().Key + " " + a.keys.PageDown.Help().Key + " scroll"
	return a
}

// Init starts polling.
func (a App) Init() tea.Cmd { return a.m.Start() }

// Update implements tea.Model.
func (a App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.w, a.h = msg.Width, msg.Height
		a.m.SetSize(a.w, max(0, a.h-len(a.footerLines())))
		return a, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, a.keys.Quit):
			a.quitting = true
			return a, tea.Quit
		case key.Matches(msg, a.keys.Down):
			a.m.ScrollTopics(1)
		case key.Matches(msg, a.keys.Up):
			a.m.ScrollTopics(-1)
		case key.Matches(msg, a.keys.PageDown):
			a.m.ScrollTopics(pageStep)
		case key.Matches(msg, a.keys.PageUp):
			a.m.ScrollTopics(-pageStep)
		}
		return a, nil
	}
	var cmd tea.Cmd
	a.m, cmd = a.m.Update(msg)
	return a, cmd
}

// View implements tea.Model.
func (a App) View() string {
	if a.w <= 0 || a.quitting {
		return ""
	}
	lines := a.m.Lines()
	if lines == nil {
		// Too small for the frame: still say how to quit.
		t, _ := paint.Fit(a.keys.Quit.Help().Key+" quits · window too small", a.w)
		return t
	}
	for _, f := range a.footerLines() {
		lines = append(lines, paint.FitPad(f, a.w))
	}
	return strings.Join(lines, "\n")
}

// footerLines are the footer wrapped to the width: a hint such as "a
// second terminal joins with: amoptui --node 127.0.0.1:20201" keeps its
// port on a narrow terminal. They take at most a quarter of the rows and
// leave the view at least 8: a line that does not fit whole is dropped,
// the later ones first.
func (a App) footerLines() []string {
	room := max(0, min(a.h/4, a.h-8))
	var out []string
	for _, f := range a.footer {
		ls := paint.Wrap(f, a.w-1)
		if len(out)+len(ls) > room {
			continue
		}
		for _, l := range ls {
			out = append(out, " "+l)
		}
	}
	return out
}
