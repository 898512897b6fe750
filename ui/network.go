package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/ui/netview"
)

// netState is the /network overlay: the routing view of the embedded
// network this TUI started (Options.Network).
type netState struct {
	view  netview.Model
	ready bool // view was built
	show  bool
}

// cmdNetwork opens the network view.
func (m *Model) cmdNetwork() tea.Cmd {
	if m.opts.Network == nil {
		return m.setNotice("/network shows the embedded network this TUI started; this one joined another (run `amoptui node` on a terminal for its view)", true)
	}
	if !m.net.ready {
		m.net.view = netview.New(m.opts.Network, netview.DefaultStyles(m.opts.Renderer), m.opts.NetworkTitle)
		// Any key closes it; esc is the one people reach for.
		m.net.view.SetNote("esc close")
		m.net.ready = true
	}
	m.net.show = true
	m.net.view.SetSize(m.width, m.grid.mainH)
	return m.net.view.Start()
}

// closeNetwork closes the overlay and stops its polling.
func (m *Model) closeNetwork() {
	m.net.show = false
	m.net.view.Stop()
}

// updateNetwork routes a poll's result to the view.
func (m Model) updateNetwork(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	m.net.view, cmd = m.net.view.Update(msg)
	return m, cmd
}
