package netview

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/netobs"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

func ascii() Styles {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return DefaultStyles(r)
}

var t0 = time.Date(2026, 5, 17, 21, 21, 50, 123_000_000, time.UTC)

// demoModel is a two-node network with four sessions, three topics and a
// mix of decisions, the faithful mode's own-node drop among them.
func demoModel(w, h int) Model {
	m := New(nil, ascii(), "chain 1 · group 1 · like FISCO BCOS 2.9.1")
	m.SetSize(w, h)
	v := netobs.View{Like: "2.9", Nodes: []netobs.NodeView{
		{Index: 0, Addr: "127.0.0.1:20200", Up: true, Sessions: []netobs.SessionView{{ID: 1, Topics: []string{"news"}}, {ID: 3}}},
		{Index: 1, Addr: "127.0.0.1:20201", Up: true, Sessions: []netobs.SessionView{{ID: 2, Topics: []string{"news", "svc"}}, {ID: 4, Topics: []string{"svc"}}}},
	}}
	sref := func(node int, id uint64) netobs.SessionRef { return netobs.SessionRef{Node: node, ID: id} }
	v.Topics = []netobs.TopicView{
		{Topic: "news", Subscribers: []netobs.SessionRef{sref(0, 1), sref(1, 2)}},
		{Topic: "svc", Subscribers: []netobs.SessionRef{sref(1, 2), sref(1, 4)}},
		{Topic: "\x1b[2Jevil", Counts: netobs.TopicCounts{Failed: 1}},
	}
	m.apply(v, nil, 0, 0, t0)
	v.Topics[0].Counts = netobs.TopicCounts{Multicast: 4}
	v.Topics[1].Counts = netobs.TopicCounts{Unicast: 10, Failed: 1}
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ds := []netobs.Decision{
		{At: at(100), Kind: netobs.Routed, Topic: "svc", From: sref(0, 3), To: sref(1, 4), Latency: 420 * time.Microsecond},
		{At: at(200), Kind: netobs.Routed, Topic: "svc", From: sref(0, 3), To: sref(1, 2), Latency: 1300 * time.Microsecond},
		{At: at(300), Kind: netobs.Multicast, Topic: "news", From: sref(0, 3), Targets: 2},
		{At: at(400), Kind: netobs.OwnNodeDropped, Topic: "news", From: sref(0, 3)},
		{At: at(500), Kind: netobs.NoSubscriber, Topic: "\x1b[2Jevil", From: sref(0, 3)},
		{At: at(600), Kind: netobs.Retried, Topic: "svc", From: sref(0, 3), To: sref(1, 4)},
		{At: at(700), Kind: netobs.PushFailed, Topic: "svc", From: sref(0, 3)},
	}
	m.apply(v, ds, 7, 0, t0.Add(2*time.Second))
	return m
}

func TestGolden(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := demoModel(sz[0], sz[1])
			v := m.View()
			ls := strings.Split(v, "\n")
			if len(ls) != sz[1] {
				t.Fatalf("%d lines", len(ls))
			}
			for i, l := range ls {
				if w := lipgloss.Width(l); w != sz[0] {
					t.Fatalf("line %d is %d wide: %q", i, w, l)
				}
			}
			if strings.Contains(v, "\x1b") {
				t.Fatal("an escape sequence from a topic reached the screen")
			}
			for _, want := range []string{"unicast 'svc' from s3@node0 → s4@node1, 420 µs", "dropped 'news' from s3@node0: own node (2.9 semantics)", "s1@node0 s2@node1", "5.0/s"} {
				if !strings.Contains(v, want) {
					t.Fatalf("view lacks %q:\n%s", want, v)
				}
			}
			golden.RequireEqual(t, []byte(v))
		})
	}
}

// TestViewOfARealNetwork polls a running local network while a real client
// sends, through the App as `amoptui node` runs it.
func TestViewOfARealNetwork(t *testing.T) {
	n := local.RunT(t, local.Options{})
	dir := n.CertDir()
	mk := func(i int) *amop.SDK {
		a, err := amop.New(amop.Config{Endpoints: []string{n.Addr(i)}, AutoReply: amop.ParseReplyPolicy("pong"),
			CAFile: filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
		return a
	}
	sub, pub := mk(1), mk(0)
	app := NewApp(n, ascii(), "test", []string{"footer line"})
	var model tea.Model = app
	model, _ = model.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	step := func(cmd tea.Cmd) {
		for i := 0; cmd != nil && i < 1; i++ {
			msg := cmd()
			model, cmd = model.Update(msg)
		}
	}
	step(model.(App).Init())
	if err := sub.Join("svc"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "svc", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Unicast(ctx, "svc", []byte("ping")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		step(model.(App).m.poll(0))
		v := model.View()
		if strings.Contains(v, "unicast 'svc' from s") && strings.Contains(v, "@node1") && strings.Contains(v, "footer line") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the view never showed the unicast:\n%s", v)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, cmd := model.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}); cmd == nil {
		t.Fatal("q does not quit")
	}
}

// TestLongTopicKeepsTheOutcome: at 80 columns a long topic is shortened,
// never the destination, the latency or the verdict (M5).
func TestLongTopicKeepsTheOutcome(t *testing.T) {
	m := New(nil, ascii(), "")
	m.SetSize(80, 24)
	long := "a-rather-long-topic-name-for-display"
	sref := func(node int, id uint64) netobs.SessionRef { return netobs.SessionRef{Node: node, ID: id} }
	v := netobs.View{Topics: []netobs.TopicView{{Topic: long, Subscribers: []netobs.SessionRef{sref(1, 7)}, Counts: netobs.TopicCounts{Unicast: 1, Failed: 1}}}}
	ds := []netobs.Decision{
		{At: t0, Kind: netobs.Routed, Topic: long, From: sref(0, 3), To: sref(1, 7), Latency: 400 * time.Microsecond},
		{At: t0, Kind: netobs.OwnNodeDropped, Topic: long, From: sref(0, 3)},
	}
	m.apply(v, ds, 2, 0, t0)
	out := m.View()
	for _, want := range []string{"→ s7@node1, 400 µs", "from s3@node0: own node (2.9 semantics)", "'a-rather-"} {
		found := false
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, want) && strings.Contains(l, "21:21:50.123") {
				found = true
			}
		}
		if !found {
			t.Errorf("no decision line with %q:\n%s", want, out)
		}
	}
}

// TestNothingRoutedOnlyWhenNothingWas: a view opened after traffic says
// its decisions start now, not "nothing routed yet" (M10).
func TestNothingRoutedOnlyWhenNothingWas(t *testing.T) {
	m := New(nil, ascii(), "")
	m.SetSize(80, 24)
	m.apply(netobs.View{Topics: []netobs.TopicView{{Topic: "svc"}}}, nil, 0, 0, t0)
	if v := m.View(); !strings.Contains(v, "nothing routed yet") {
		t.Fatalf("idle network:\n%s", v)
	}
	m.apply(netobs.View{Topics: []netobs.TopicView{{Topic: "svc", Counts: netobs.TopicCounts{Unicast: 1}}}}, nil, 0, 0, t0)
	v := m.View()
	if strings.Contains(v, "nothing routed yet") || !strings.Contains(v, "no routing decision since this view first opened") || !strings.Contains(v, "uni 1") {
		t.Fatalf("after traffic:\n%s", v)
	}
}

// TestAppFooterWraps: the footer hint keeps its port at 60 columns.
func TestAppFooterWraps(t *testing.T) {
	var model tea.Model = NewApp(nil, ascii(), "", []string{"a second terminal joins with: ./amoptui --node 127.0.0.1:20201"})
	model, _ = model.Update(tea.WindowSizeMsg{Width: 60, Height: 15})
	ls := strings.Split(model.View(), "\n")
	if len(ls) != 15 || !strings.Contains(strings.Join(ls, "\n"), "127.0.0.1:20201") {
		t.Fatalf("%d lines:\n%s", len(ls), strings.Join(ls, "\n"))
	}
}

// TestNarrowViewKeepsTheSubscribers: at 60 columns a topic's subscribers
// go on a line of their own rather than being cut.
func TestNarrowViewKeepsTheSubscribers(t *testing.T) {
	m := demoModel(60, 30)
	v := m.View()
	if !strings.Contains(v, "→  s1@node0 s2@node1") || !strings.Contains(v, "→  s2@node1 s4@node1") {
		t.Fatalf("subscribers cut:\n%s", v)
	}
}
