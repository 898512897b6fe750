package cli

import (
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/netview"
)

// networkTitle describes the 2.x network in the view's frame.
func networkTitle(n *local.Network) string {
	o := n.Options()
	kind := "ideal nodes"
	if o.Like == local.Like291 {
		kind = "like FISCO BCOS 2.9.1"
	}
	return fmt.Sprintf("FISCO BCOS 2.x · chain %d · group %d · %s", o.ChainID, o.GroupID, kind)
}

// networkTitle3 describes the 3.x network in the view's frame. Its chain
// and group are names from the command line: shown, never obeyed by the
// terminal.
func networkTitle3(n *local3.Network) string {
	o := n.Options()
	kind := "ideal nodes"
	if o.Like == local3.Like3164 {
		kind = "like FISCO BCOS 3.16.4"
	}
	return fmt.Sprintf("FISCO BCOS 3.x · chain %s · group %s · %s", sanitize.String(o.ChainID), sanitize.String(o.GroupID), kind)
}

// nodeViewFooter is what the banner of --log says, in short, the most
// useful first (a small window drops the last): what a second terminal
// runs to join (join), where the certificates are, and how to get lines
// instead (node, the node command as typed). How to quit is in the view's
// frame.
func nodeViewFooter(certDir, join, node string) []string {
	return []string{
		"a second terminal: " + sanitize.String(join),
		"certificates: " + sanitize.String(certDir),
		node + " --log prints lines instead of this view",
	}
}

// runNodeView shows the live routing view of src until q, ctrl+c or a
// signal, title in its frame and footer under it.
func runNodeView(std stdio, term *terminal, src netview.Source, title string, footer []string) error {
	app := netview.NewApp(src, netview.DefaultStyles(lipgloss.NewRenderer(std.out)), title, footer)
	p := tea.NewProgram(app, tea.WithAltScreen(), tea.WithoutSignalHandler(), tea.WithInput(std.in), tea.WithOutput(std.out))
	_, _, err := runOwned(p, term)
	return err
}
