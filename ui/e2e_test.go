package ui

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// realClient connects the real adapter (go-sdk behind the guard) to one
// node of n, as main does.
func realClient(t *testing.T, n *local.Network, node int) *amop.SDK {
	t.Helper()
	dir := n.CertDir()
	a, err := amop.New(amop.Config{
		Endpoints: []string{n.Addr(node)},
		CAFile:    filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key"),
		SendTimeout: 5 * time.Second,
		Guard: amop.GuardTuning{
			HeartbeatInterval: 200 * time.Millisecond, HeartbeatTimeout: 1500 * time.Millisecond,
			BackoffMin: 50 * time.Millisecond, BackoffMax: 400 * time.Millisecond, DialTimeout: 2 * time.Second,
		},
	})
	if err != nil {
		t.Fatalf("amop.New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// stamp is a line with a millisecond timestamp and the given rest.
func stamp(rest string) *regexp.Regexp {
	return regexp.MustCompile(`\d\d:\d\d:\d\d\.\d\d\d ` + regexp.QuoteMeta(rest))
}

// TestEndToEndTwoTerminals is the two-terminal demo against the embedded
// local network: A on node 0 sends unicast and multicast, B on node 1
// auto-replies and shows both with timestamps; A shows the reply and the
// round-trip time. Then B's node restarts and B's pane says it
// re-subscribed.
func TestEndToEndTwoTerminals(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local network")
	}
	n := local.RunT(t, local.Options{})
	optsB := Options{Topics: []string{"hello"}, Renderer: asciiRenderer()}
	pong := amop.ParseReplyPolicy("pong")
	optsB.AutoReply = &pong
	b := start(t, New(realClient(t, n, 1), optsB), 100, 30)
	waitFor(t, b, "● connected", "joined hello")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "hello", 1); err != nil {
		t.Fatal(err)
	}

	a := start(t, New(realClient(t, n, 0), Options{Topics: []string{"hello"}, Renderer: asciiRenderer()}), 100, 30)
	waitFor(t, a, "● connected", "joined hello", n.Addr(0))
	a.tm.Type("ping")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, `✓ reply "pong" · `)
	waitFor(t, b, "← uni   ping", `↩ "pong"`)

	a.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlT})
	a.tm.Type("to everyone")
	a.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, a, "✓ accepted by the node · ")
	waitFor(t, b, "← multi to everyone")

	// B's node goes away and comes back: the adapter reconnects and
	// re-subscribes, and B's pane says so.
	if err := n.StopNode(1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "reconnecting")
	if err := n.StartNode(1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "re-subscribed 1 topic")

	ma, mb := finalModel(t, a), finalModel(t, b)
	va, vb := ma.View(), mb.View()
	for _, re := range []*regexp.Regexp{stamp("→ uni   ping"), stamp("→ multi to everyone"), regexp.MustCompile(`✓ reply "pong" · [\d.]+ (µs|ms)`)} {
		if !re.MatchString(va) {
			t.Errorf("A lacks %v:\n%s", re, va)
		}
	}
	for _, re := range []*regexp.Regexp{stamp("← uni   ping"), stamp("← multi to everyone")} {
		if !re.MatchString(vb) {
			t.Errorf("B lacks %v:\n%s", re, vb)
		}
	}
	if !strings.Contains(vb, "re-subscribed 1 topic") {
		t.Errorf("B:\n%s", vb)
	}
}

// TestEndToEndNodeDownAtStart: the UI comes up at once with no node and
// shows the connection state.
func TestEndToEndNodeDownAtStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local network")
	}
	n := local.RunT(t, local.Options{Nodes: 1})
	if err := n.StopNode(0); err != nil {
		t.Fatal(err)
	}
	c := realClient(t, n, 0)
	began := time.Now()
	s := start(t, New(c, Options{Topics: []string{"hello"}, Renderer: asciiRenderer()}), 80, 24)
	waitFor(t, s, "UNICAST")
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("first frame after %v", d)
	}
	waitFor(t, s, "◌ connecting", "connection refused")
	if err := n.StartNode(0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, "● connected")
	finalModel(t, s)
}
