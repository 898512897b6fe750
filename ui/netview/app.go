package netview

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/ui/internal/paint"
)

// App is the view as a program of its own: `amoptui node` on a terminal.
// It is the root model of that program (the only tea.Model here).
type App struct {
	m      Model
	footer []string // trusted text: where the certificates are, how to join
	quit   key.Binding
	w, h   int
	// quitting blanks the last frame. A terminal (tmux among them) that
	// grew while the alternate screen was on keeps the rows below the
	// old height when the program leaves it: a frame still drawn there
	// stays on the shell as a column of borders.
	quitting bool
}

// NewApp returns the program's model; footer lines are shown under the
// view.
func NewApp(src Source, st Styles, subtitle string, footer []string) App {
	return App{
		m:      New(src, st, subtitle),
		footer: footer,
		quit:   key.NewBinding(key.WithKeys("q", "ctrl+c", "esc"), key.WithHelp("q", "stop the network")),
	}
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
		if key.Matches(msg, a.quit) {
			a.quitting = true
			return a, tea.Quit
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
	for _, f := range a.footerLines() {
		lines = append(lines, paint.FitPad(f, a.w))
	}
	return strings.Join(lines, "\n")
}

// footerLines are the footer wrapped to the width: a hint such as "a
// second terminal joins with: amoptui --node 127.0.0.1:20201" keeps its
// port on a narrow terminal.
func (a App) footerLines() []string {
	var out []string
	for _, f := range a.footer {
		for _, l := range paint.Wrap(f, a.w-1) {
			out = append(out, " "+l)
		}
	}
	return out
}
