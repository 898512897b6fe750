package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/fisco3"
	"github.com/amoptui/amoptui/amop/local3"
)

// client3 is a real 3.x client on node i of n, up when it returns.
func client3(t *testing.T, n *local3.Network, i int, reply string) *fisco3.Client {
	t.Helper()
	dir := n.CertDir()
	c, err := fisco3.New(fisco3.Config{Config: amop.Config{
		Endpoints: []string{n.Addr(i)}, SendTimeout: 5 * time.Second, AutoReply: amop.ParseReplyPolicy(reply),
		CAFile: filepath.Join(dir, local3.CAFile), CertFile: filepath.Join(dir, local3.SDKCertFile), KeyFile: filepath.Join(dir, local3.SDKKeyFile),
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNetworkOverlay3x: the TUI that started a 3.x network opens the same
// routing view with /network: its client's unicast, answered by a
// subscriber on the other node, is counted and shown in words.
func TestNetworkOverlay3x(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local 3.x network")
	}
	n := local3.RunT(t, local3.Options{})
	b := client3(t, n, 1, "pong")
	if err := b.Join("svc"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "svc", 1); err != nil {
		t.Fatal(err)
	}
	opts := Options{Topics: []string{"svc"}, Renderer: asciiRenderer(), Network: n, NetworkTitle: "3.x test network"}
	a := start(t, New(client3(t, n, 0, ""), opts), 120, 30)
	waitFor(t, a, "● connected", "joined svc")
	a.tm.Type("/network")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, "network · 3.x test network", "@node1", "nothing routed yet")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	a.tm.Type("first")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, `✓ reply`)
	a.tm.Type("/network")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, "uni 1  multi 0  fail 0", "unicast 'svc' from s", "@node0 → s")
	finalModel(t, a)
}

// TestMulticast3xSaysWritten: a 3.x node acknowledges no multicast, so its
// success says the message was written, not accepted (outside report 3,
// finding 9), and its write time stays out of the round trips: the pane
// title's percentiles and /stats count only the unicast's reply.
func TestMulticast3xSaysWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local 3.x network")
	}
	n := local3.RunT(t, local3.Options{})
	b := client3(t, n, 1, "pong")
	if err := b.Join("svc"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "svc", 1); err != nil {
		t.Fatal(err)
	}
	a := start(t, New(client3(t, n, 0, ""), Options{Topics: []string{"svc"}, Renderer: asciiRenderer()}), 120, 30)
	waitFor(t, a, "● connected", "joined svc")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlT})
	a.tm.Type("to all")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, "✓ written to the node · ")
	a.tm.Type("/stats")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, "Round trips (unicast)  0 answered", "no unicast answered yet")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	a.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlT})
	a.tm.Type("ask")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, `✓ reply "pong"`)
	a.tm.Type("/stats")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, "Round trips (unicast)  1 answered", "0 of 2 sends")
	m := finalModel(t, a)
	if v := m.View(); strings.Contains(v, "accepted") {
		t.Fatalf("a 3.x multicast said accepted:\n%s", v)
	}
}
