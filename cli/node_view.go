package cli

import (
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/ui/netview"
)

// networkTitle describes the network in the view's frame.
func networkTitle(n *local.Network) string {
	o := n.Options()
	kind := "ideal nodes"
	if o.Like == local.Like291 {
		kind = "like FISCO BCOS 2.9.1"
	}
	return fmt.Sprintf("chain %d · group %d · %s", o.ChainID, o.GroupID, kind)
}

// runNodeView shows the live routing view of n until q, ctrl+c or a
// signal; the footer says what the banner of --log says in short.
func runNodeView(std stdio, term *terminal, n *local.Network, customDir bool) error {
	addrs := n.Addrs()
	certsFlag := ""
	if customDir {
		certsFlag = " --certs " + n.CertDir()
	}
	footer := []string{
		fmt.Sprintf("certificates: %s · a second terminal: %s --node %s%s", n.CertDir(), selfCommand(), reachable(addrs[len(addrs)-1]), certsFlag),
		"q or ctrl+c stops the network · " + selfCommand() + " node --log prints lines instead of this view",
	}
	app := netview.NewApp(n, netview.DefaultStyles(lipgloss.NewRenderer(std.out)), networkTitle(n), footer)
	p := tea.NewProgram(app, tea.WithAltScreen(), tea.WithoutSignalHandler(), tea.WithInput(std.in), tea.WithOutput(std.out))
	_, _, err := runOwned(p, term)
	return err
}
