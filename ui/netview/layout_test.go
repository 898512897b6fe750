package netview

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/amoptui/amoptui/amop/netobs"
	"github.com/amoptui/amoptui/ui/internal/paint"
)

// manyTopics is a 3.x-titled view of two nodes, n topics with one
// subscriber each and a few decisions, like a service with dozens of
// topics (outside report 3, finding 5).
func manyTopics(n int) (netobs.View, []netobs.Decision) {
	sref := func(node int, id uint64) netobs.SessionRef { return netobs.SessionRef{Node: node, ID: id} }
	v := netobs.View{Nodes: []netobs.NodeView{
		{Index: 0, Addr: "127.0.0.1:20200", Up: true, Sessions: []netobs.SessionView{{ID: 1}}},
		{Index: 1, Addr: "127.0.0.1:20201", Up: true, Sessions: []netobs.SessionView{{ID: 2}}},
	}}
	for i := 1; i <= n; i++ {
		v.Topics = append(v.Topics, netobs.TopicView{Topic: fmt.Sprintf("topic%02d", i), Subscribers: []netobs.SessionRef{sref(1, 2)}})
	}
	v.Topics[0].Counts.Unicast = 5
	var ds []netobs.Decision
	for i := range 5 {
		ds = append(ds, netobs.Decision{At: t0.Add(time.Duration(i) * time.Millisecond), Kind: netobs.Routed, Topic: "topic01",
			From: sref(0, 1), To: sref(1, 2), Latency: time.Duration(100+i) * time.Microsecond})
	}
	return v, ds
}

const title3 = "FISCO BCOS 3.x · chain chain0 · group group0 · like FISCO BCOS 3.16.4"

// checkSize fails unless s is exactly h lines of at most w cells.
func checkSize(t *testing.T, s string, w, h int) []string {
	t.Helper()
	ls := strings.Split(s, "\n")
	if len(ls) != h {
		t.Fatalf("%d lines, want %d:\n%s", len(ls), h, s)
	}
	for i, l := range ls {
		if lw := paint.Width(l); lw > w {
			t.Fatalf("line %d is %d wide in a %d-wide window: %q", i, lw, w, l)
		}
	}
	return ls
}

// TestManyTopicsKeepTheDecisions: with 50 topics the decisions keep rows,
// and the topics that do not fit are counted, not cut silently.
func TestManyTopicsKeepTheDecisions(t *testing.T) {
	for _, sz := range [][2]int{{100, 20}, {120, 40}, {80, 30}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := New(nil, ascii(), title3)
			m.SetSize(sz[0], sz[1])
			v, ds := manyTopics(50)
			m.apply(v, ds, 5, 0, t0)
			out := m.View()
			ls := checkSize(t, out, sz[0], sz[1])
			if !strings.Contains(out, "Last routing decisions") || strings.Count(out, "unicast 'topic01' from s1@node0 → s2@node1") < 2 {
				t.Fatalf("decisions crowded out:\n%s", out)
			}
			shown := strings.Count(out, "→  s2@node1")
			more := fmt.Sprintf("… %d more topics", 50-shown)
			if shown == 0 || shown == 50 || !strings.Contains(out, more) {
				t.Fatalf("%d topics shown, no %q:\n%s", shown, more, out)
			}
			// The topics take at most about half of the body, unless the
			// decisions have all they need.
			if shown > (len(ls)-2)/2 && strings.Count(out, "unicast 'topic01' from") < len(ds) {
				t.Fatalf("%d topic rows in %d:\n%s", shown, len(ls)-2, out)
			}
			if sz[0] == 100 {
				golden.RequireEqual(t, []byte(out))
			}
		})
	}
}

// TestFewTopicsAllShown: when everything fits, nothing is counted away.
func TestFewTopicsAllShown(t *testing.T) {
	m := New(nil, ascii(), title3)
	m.SetSize(100, 40)
	v, ds := manyTopics(5)
	m.apply(v, ds, 5, 0, t0)
	out := m.View()
	if strings.Contains(out, "more topic") || strings.Count(out, "→  s2@node1") != 5 || strings.Count(out, "unicast 'topic01'") != 5 {
		t.Fatalf("not all shown:\n%s", out)
	}
}

// TestAppSmallWindows: at 60x15 and 40x8 the footer gives way to the view:
// the decisions show, the title keeps the semantics, how to quit stays,
// and nothing is wider than the window.
func TestAppSmallWindows(t *testing.T) {
	footer := []string{"a second terminal: /tmp/ot3/amoptui --fisco 3 --node 127.0.0.1:33421 --certs /tmp/ot3-home/state/amoptui/network3",
		"certificates: /tmp/ot3-home/state/amoptui/network3", "/tmp/ot3/amoptui node --fisco 3 --log prints lines instead of this view"}
	for _, sz := range [][2]int{{60, 15}, {40, 8}, {100, 20}, {30, 5}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			app := NewApp(nil, ascii(), title3, footer)
			v, ds := manyTopics(50)
			app.m.apply(v, ds, 5, 0, t0)
			var model tea.Model = app
			model, _ = model.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			out := model.View()
			ls := checkSize(t, out, sz[0], sz[1])
			for _, want := range []string{"like FISCO BCOS 3.16.4", "Last routing decisions", "unicast 'topic01'", "more topics", "q or ctrl+c"} {
				if sz[1] < 8 && want == "unicast 'topic01'" {
					continue // three rows in the frame: the headings
				}
				if !strings.Contains(out, want) {
					t.Errorf("lacks %q:\n%s", want, out)
				}
			}
			foot := 0
			for _, l := range ls {
				if !strings.HasPrefix(l, "┏") && !strings.HasPrefix(l, "┃") && !strings.HasPrefix(l, "┗") {
					foot++
				}
			}
			if foot > sz[1]/4 {
				t.Errorf("the footer takes %d of %d rows:\n%s", foot, sz[1], out)
			}
			if sz == [2]int{100, 20} && !strings.Contains(out, "a second terminal:") {
				t.Errorf("the join command is dropped at 100x20:\n%s", out)
			}
		})
	}
	// Below the frame's minimum: one line that still says how to quit.
	var model tea.Model = NewApp(nil, ascii(), title3, footer)
	model, _ = model.Update(tea.WindowSizeMsg{Width: 18, Height: 4})
	if out := model.View(); !strings.Contains(out, "q") || paint.Width(out) > 18 || strings.Contains(out, "\n") {
		t.Fatalf("tiny window: %q", out)
	}
}

// TestAppQuitBlanksTheFrame: the last frame drawn on q is empty, so a
// terminal grown meanwhile keeps no border on the shell.
func TestAppQuitBlanksTheFrame(t *testing.T) {
	var model tea.Model = NewApp(nil, ascii(), title3, nil)
	model, _ = model.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if !strings.Contains(model.View(), "┃") {
		t.Fatal("no frame before q")
	}
	model, cmd := model.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	if cmd == nil || model.View() != "" {
		t.Fatalf("after q: %q", model.View())
	}
}

// TestWording: one session, one more topic; long topics with the same
// prefix stay apart; a topic of spaces is visible.
func TestWording(t *testing.T) {
	sref := func(node int, id uint64) netobs.SessionRef { return netobs.SessionRef{Node: node, ID: id} }
	v := netobs.View{Nodes: []netobs.NodeView{{Index: 0, Addr: "127.0.0.1:20200", Up: true, Sessions: []netobs.SessionView{{ID: 4}}}},
		Topics: []netobs.TopicView{
			{Topic: "amoptui-bench-d41d8cd98f00b204-unicast-1", Subscribers: []netobs.SessionRef{sref(0, 4)}},
			{Topic: "amoptui-bench-d41d8cd98f00b204-unicast-2", Subscribers: []netobs.SessionRef{sref(0, 4)}},
			{Topic: "   ", Subscribers: []netobs.SessionRef{sref(0, 4)}},
		}}
	ds := []netobs.Decision{{At: t0, Kind: netobs.Multicast, Topic: "   ", From: sref(0, 4), Targets: 1}}
	for _, w := range []int{160, 80, 60} {
		m := New(nil, ascii(), "")
		m.SetSize(w, 24)
		m.apply(v, ds, 1, 0, t0)
		out := m.View()
		checkSize(t, out, w, 24)
		for _, want := range []string{"Nodes  1 session ", "→ 1 session ", `"   "`, "-1 ", "-2 "} {
			if !strings.Contains(out, want) {
				t.Errorf("%d columns: lacks %q:\n%s", w, want, out)
			}
		}
		if w == 160 && !strings.Contains(out, "amoptui-bench-d41d8cd98f00b204-unicast-1") {
			t.Errorf("cut although there is room:\n%s", out)
		}
	}
	// Two topics still fitting in 1 more row: "… 1 more topic".
	m := New(nil, ascii(), "")
	m.SetSize(80, 12)
	v2, ds2 := manyTopics(50)
	m.apply(v2, ds2, 5, 0, t0)
	if out := m.View(); !strings.Contains(out, "more topics") {
		t.Fatalf("no count of the hidden topics:\n%s", out)
	}
	if got := (section{head: "h", items: [][]string{{"a"}, {"b"}, {"c"}}, more: func(n int) string { return fmt.Sprint("… ", n, " more") }}).render(3); strings.Join(got, "|") != "h|a|… 2 more" {
		t.Fatalf("render: %q", got)
	}
}

// TestManySessionsCounted: a node with more sessions than fit on its line
// ends in "… +N more".
func TestManySessionsCounted(t *testing.T) {
	nd := netobs.NodeView{Index: 0, Addr: "127.0.0.1:20200", Up: true}
	for i := 1; i <= 60; i++ {
		nd.Sessions = append(nd.Sessions, netobs.SessionView{ID: uint64(i)})
	}
	m := New(nil, ascii(), "")
	m.SetSize(80, 24)
	m.apply(netobs.View{Nodes: []netobs.NodeView{nd}}, nil, 0, 0, t0)
	out := m.View()
	checkSize(t, out, 80, 24)
	if !strings.Contains(out, "Nodes  60 sessions") || !strings.Contains(out, "more ") || strings.Contains(out, "s60") {
		t.Fatalf("sessions:\n%s", out)
	}
	var ls []string
	for _, l := range wrapList([]string{"s1", "s2", "s3", "s4", "s5"}, 12, 1) {
		ls = append(ls, l)
	}
	if len(ls) != 1 || ls[0] != "s1 … +4 more" {
		t.Fatalf("wrapList: %q", ls)
	}
}

// TestFitTitle: the semantics go last.
func TestFitTitle(t *testing.T) {
	parts := append([]string{"network"}, strings.Split(title3, " · ")...)
	for w, want := range map[int]string{
		200: "network · " + title3,
		60:  "network · FISCO BCOS 3.x · like FISCO BCOS 3.16.4",
		40:  "FISCO BCOS 3.x · like FISCO BCOS 3.16.4",
		30:  "like FISCO BCOS 3.16.4",
	} {
		if got := fitTitle(parts, w); got != want {
			t.Errorf("%d: %q, want %q", w, got, want)
		}
	}
}

// TestAppScrollsTopics: the keys move the topic list; what is above is
// counted too, and the list stops at its ends.
func TestAppScrollsTopics(t *testing.T) {
	app := NewApp(nil, ascii(), title3, nil)
	v, ds := manyTopics(50)
	app.m.apply(v, ds, 5, 0, t0)
	var model tea.Model = app
	model, _ = model.Update(tea.WindowSizeMsg{Width: 100, Height: 20})
	press := func(k tea.KeyMsg, n int) string {
		for range n {
			model, _ = model.Update(k)
		}
		return model.View()
	}
	out := model.View()
	if !strings.Contains(out, "more topics · ↓/j pgdn scroll") || strings.Contains(out, "above") {
		t.Fatalf("top:\n%s", out)
	}
	out = press(tea.KeyMsg{Type: tea.KeyPgDown}, 1)
	if !strings.Contains(out, "… 10 topics above") || !strings.Contains(out, "topic11 ") || strings.Contains(out, "topic10 ") {
		t.Fatalf("pgdown:\n%s", out)
	}
	out = press(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("k")}, 1)
	if !strings.Contains(out, "… 9 topics above") || !strings.Contains(out, "topic10 ") {
		t.Fatalf("k:\n%s", out)
	}
	out = press(tea.KeyMsg{Type: tea.KeyDown}, 100)
	if !strings.Contains(out, "… 49 topics above") || !strings.Contains(out, "topic50 ") || strings.Contains(out, "more topic") {
		t.Fatalf("end:\n%s", out)
	}
	checkSize(t, out, 100, 20)
	if !strings.Contains(out, "unicast 'topic01'") {
		t.Fatalf("the decisions went:\n%s", out)
	}
	out = press(tea.KeyMsg{Type: tea.KeyUp}, 100)
	if strings.Contains(out, "above") || !strings.Contains(out, "topic01 ") {
		t.Fatalf("back to the top:\n%s", out)
	}
}
