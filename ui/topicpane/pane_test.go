package topicpane

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/amop"
)

var t0 = time.Date(2024, 5, 17, 21, 21, 50, 123_000_000, time.Local)

func newPane(cap, w, h int) *Model {
	p := New("hello", Options{Cap: cap}, Styles{})
	p.SetSize(w, h)
	return p
}

func recv(p *Model, data string) {
	p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: []byte(data), Mode: amop.Multicast, At: t0})
}

func view(p *Model) string { return p.View("*") }

func TestCapDropsOldestAndSays(t *testing.T) {
	p := newPane(100, 80, 12)
	for i := 0; i < 250; i++ {
		recv(p, fmt.Sprintf("msg %d", i))
	}
	if p.Len() != 100 || p.Dropped() != 150 {
		t.Fatalf("len %d dropped %d", p.Len(), p.Dropped())
	}
	v := view(p)
	if !strings.Contains(v, "150 older dropped") || !strings.Contains(v, "msg 249") {
		t.Fatalf("view:\n%s", v)
	}
	p.Top()
	if v := view(p); !strings.Contains(v, "msg 150 ") {
		t.Fatalf("oldest retained is not msg 150:\n%s", v)
	}
	es := p.Entries()
	if len(es) != 100 || string(es[0].Data) != "msg 150" || string(es[99].Data) != "msg 249" {
		t.Fatalf("entries %d %q %q", len(es), es[0].Data, es[99].Data)
	}
}

func TestFollowPausesAndCountsNew(t *testing.T) {
	p := newPane(1000, 80, 12) // 10 rows
	for i := 0; i < 50; i++ {
		recv(p, fmt.Sprintf("msg %d", i))
	}
	p.PageUp()
	if p.Following() {
		t.Fatal("still following after pgup")
	}
	top := view(p)
	for i := 50; i < 55; i++ {
		recv(p, fmt.Sprintf("msg %d", i))
	}
	if p.NewCount() != 5 || !strings.Contains(view(p), "5 new ↓") {
		t.Fatalf("new %d\n%s", p.NewCount(), view(p))
	}
	// The window does not move while paused.
	if strings.Split(view(p), "\n")[1] != strings.Split(top, "\n")[1] {
		t.Fatal("paused window moved")
	}
	p.Bottom()
	if !p.Following() || p.NewCount() != 0 || !strings.Contains(view(p), "msg 54") {
		t.Fatalf("end does not follow:\n%s", view(p))
	}
	// Scrolling down to the bottom resumes following too.
	p.ScrollUp(3)
	p.ScrollDown(3)
	if !p.Following() {
		t.Fatal("scrolling back to the bottom does not follow")
	}
	// Nothing to scroll: stays following.
	q := newPane(1000, 80, 12)
	recv(q, "one")
	q.PageUp()
	if !q.Following() {
		t.Fatal("pgup on a short pane pauses")
	}
}

func TestPausedWindowSurvivesDrops(t *testing.T) {
	p := newPane(20, 80, 7)
	for i := 0; i < 20; i++ {
		recv(p, fmt.Sprintf("msg %d", i))
	}
	p.Top()
	for i := 20; i < 60; i++ {
		recv(p, fmt.Sprintf("msg %d", i))
	}
	v := view(p)
	if !strings.Contains(v, "msg 40 ") || len(strings.Split(v, "\n")) != 7 {
		t.Fatalf("window after drops:\n%s", v)
	}
}

func TestSelectionAndExpand(t *testing.T) {
	p := newPane(1000, 80, 12)
	for i := 0; i < 30; i++ {
		recv(p, fmt.Sprintf(`{"n":%d}`, i))
	}
	p.Focus()
	p.SelectPrev()
	seq, ok := p.Selected()
	if !ok || seq != 29 {
		t.Fatalf("first up selects the newest: %d %v", seq, ok)
	}
	for i := 0; i < 15; i++ {
		p.SelectPrev()
	}
	if seq, _ := p.Selected(); seq != 14 || p.Following() {
		t.Fatalf("selection %d following %v", seq, p.Following())
	}
	if v := view(p); !strings.Contains(v, `▸21:21:50.123 ← multi {"n":14}`) {
		t.Fatalf("selection not visible:\n%s", v)
	}
	p.Expand()
	v := view(p)
	if !p.Expanded() || !strings.Contains(v, `"n": 14`) {
		t.Fatalf("expanded:\n%s", v)
	}
	p.Unselect()
	if p.Expanded() {
		t.Fatal("unselect closes the detail first")
	}
	p.Unselect()
	if _, ok := p.Selected(); ok {
		t.Fatal("second unselect drops the selection")
	}
}

func TestDetailOfLongPayloadScrolls(t *testing.T) {
	p := newPane(10, 60, 12)
	p.Focus()
	recv(p, strings.Repeat("x", 100_000))
	p.Expand()
	v := view(p)
	if !strings.Contains(v, "1–10 of") {
		t.Fatalf("detail:\n%s", v)
	}
	for _, l := range strings.Split(v, "\n") {
		if lipgloss.Width(l) != 60 {
			t.Fatalf("line width %d", lipgloss.Width(l))
		}
	}
}

func TestFilter(t *testing.T) {
	p := newPane(1000, 80, 12)
	for _, s := range []string{"apple", "banana", "Apple pie", "cherry"} {
		recv(p, s)
	}
	p.SetFilter("APPLE")
	if p.Shown() != 2 {
		t.Fatalf("shown %d", p.Shown())
	}
	recv(p, "pineapple")
	recv(p, "kiwi")
	if p.Shown() != 3 {
		t.Fatalf("shown after new %d", p.Shown())
	}
	v := view(p)
	if strings.Contains(v, "banana") || strings.Contains(v, "kiwi") || !strings.Contains(v, `filter "APPLE" 3/6`) {
		t.Fatalf("filtered:\n%s", v)
	}
	// A reply can make a sent line match.
	seq := p.AddSent(t0, amop.Line2, amop.Unicast, []byte("question"))
	p.Resolve(seq, []byte("an apple"), nil, time.Millisecond)
	if p.Shown() != 4 {
		t.Fatalf("resolved reply not matched: %d", p.Shown())
	}
	p.SetFilter("")
	if p.Shown() != 7 {
		t.Fatalf("unfiltered %d", p.Shown())
	}
	p.SetFilter("zzz")
	if !strings.Contains(view(p), "nothing matches") {
		t.Fatal("empty filter result")
	}
}

func TestResolveAfterClearIsIgnored(t *testing.T) {
	p := newPane(1000, 80, 12)
	seq := p.AddSent(t0, amop.Line2, amop.Unicast, []byte("q"))
	p.Clear()
	recv(p, "other")
	if p.Resolve(seq, []byte("r"), nil, 0) {
		t.Fatal("resolved a cleared line")
	}
	if strings.Contains(view(p), "✓") {
		t.Fatal("the answer landed on another line")
	}
}

func TestSentLineStates(t *testing.T) {
	p := newPane(1000, 100, 8)
	a := p.AddSent(t0, amop.Line2, amop.Unicast, []byte("ping"))
	b := p.AddSent(t0, amop.Line2, amop.Multicast, []byte("hi all"))
	c := p.AddSent(t0, amop.Line2, amop.Unicast, []byte("lost"))
	p.AddSent(t0, amop.Line2, amop.Unicast, []byte("waiting"))
	p.Resolve(a, []byte("pong"), nil, 1800*time.Microsecond)
	p.Resolve(b, nil, nil, 900*time.Microsecond)
	p.Resolve(c, nil, fmt.Errorf("wrapped: %w", &amop.CodeError{Code: 102, Topic: "hello"}), 3*time.Second)
	v := view(p)
	for _, want := range []string{`✓ reply "pong" · 1.8 ms`, "✓ accepted by the node · 900 µs", "✗ node timeout (AMOP 102) · 3.00 s", "* sending"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, v)
		}
	}
	_ = errors.New
}

func TestNarrowRowsKeepTheOutcome(t *testing.T) {
	p := newPane(1000, 48, 4) // the narrowest pane of the tiled layout
	c := p.AddSent(t0, amop.Line2, amop.Unicast, []byte(strings.Repeat("long payload ", 10)))
	p.Resolve(c, nil, &amop.CodeError{Code: 100, Topic: "hello"}, time.Millisecond)
	v := view(p)
	if !strings.Contains(v, "✗ no subscriber") {
		t.Fatalf("outcome cut away:\n%s", v)
	}
	for w := 2; w < 40; w++ {
		p.SetSize(w, 4)
		for _, l := range strings.Split(view(p), "\n") {
			if lipgloss.Width(l) != w {
				t.Fatalf("width %d: line %q is %d", w, l, lipgloss.Width(l))
			}
		}
	}
}

func TestContainsFold(t *testing.T) {
	cases := map[string]struct {
		hay, needle string
		want        bool
	}{
		"empty needle": {"abc", "", true},
		"exact":        {"abc", "abc", true},
		"case":         {"xAbCx", "abc", true},
		"absent":       {"abd", "abc", false},
		"short hay":    {"ab", "abc", false},
		"utf8":         {"日本語 OK", "ok", true},
	}
	for name, c := range cases {
		if got := containsFold([]byte(c.hay), lowerASCII([]byte(c.needle))); got != c.want {
			t.Errorf("%s: got %v", name, got)
		}
	}
}

// TestFilterOnAHiddenPaneStaysBounded: matches of dropped lines are
// forgotten as lines drop, not only when the pane is drawn (a pane behind
// another topic or the help overlay is never drawn).
func TestFilterOnAHiddenPaneStaysBounded(t *testing.T) {
	p := newPane(100, 80, 12)
	p.SetFilter("m")
	for i := 0; i < 10000; i++ {
		recv(p, "m")
	}
	if n := len(p.rows.matches); n > 100 {
		t.Fatalf("%d matches kept for a 100-line pane", n)
	}
}

// TestFilterMatchesTheErrorShown: /filter finds a failed send by the words
// the pane shows for it ("timeout", "no subscriber"), not only by the error's
// own text.
func TestFilterMatchesTheErrorShown(t *testing.T) {
	p := newPane(100, 80, 12)
	a := p.AddSent(t0, amop.Line2, amop.Unicast, []byte("q1"))
	p.Resolve(a, nil, amop.ErrTimeout, time.Second)
	b := p.AddSent(t0, amop.Line2, amop.Unicast, []byte("q2"))
	p.Resolve(b, nil, &amop.CodeError{Code: amop.CodeNoSubscriber, Topic: "hello"}, time.Millisecond)
	for needle, want := range map[string]int{"timeout": 1, "no subscriber": 1, "nobody is subscribed": 1, "AMOP 100": 1} {
		p.SetFilter(needle)
		if got := p.Shown(); got != want {
			t.Errorf("filter %q shows %d lines, want %d", needle, got, want)
		}
	}
}

// TestDetailOfAHugePayloadIsCapped: expanding a 1 MiB binary message (kept
// whole) lays out its first 64 KiB and says how much more there is,
// instead of a quarter of a million hex lines built inside View; a 4 MiB
// one, more than the pane keeps whole, says how much was not kept, at the
// end and in the header (outside report 2, finding 8).
func TestDetailOfAHugePayloadIsCapped(t *testing.T) {
	for size, want := range map[int]string{
		1 << 20: "… 960.0 KiB more not shown (/save writes the whole payload)",
		4 << 20: "… 3.9 MiB more not kept: the pane keeps the first 64.0 KiB of a payload its memory budget cannot hold whole (--transcript records every byte)",
	} {
		header := map[int]string{
			1 << 20: "← received multicast push · 1.0 MiB ",
			4 << 20: "← received multicast push · 4.0 MiB (the first 64.0 KiB kept) ",
		}[size]
		p := newPane(10, 200, 12)
		p.Focus()
		p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: make([]byte, size), Mode: amop.Multicast, At: t0})
		p.Expand()
		v := view(p)
		if n := len(p.detail); n > 5000 {
			t.Fatalf("%d detail lines for a capped payload", n)
		}
		last := p.detail[len(p.detail)-1]
		if !strings.Contains(last, want) {
			t.Fatalf("no note of what is left out: %q\n%s", last, v)
		}
		if !strings.Contains(p.detail[0], header) {
			t.Fatalf("header %q, want %q", p.detail[0], header)
		}
	}
}

func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// TestFilterMatchesWhatTheLineShows: /filter finds the mode label, the
// direction, the timestamp as shown, the outcome and a binary payload's hex
// as well as the payload and the reply, ignoring case (M8).
func TestFilterMatchesWhatTheLineShows(t *testing.T) {
	p := newPane(1000, 100, 20)
	at := time.Date(2026, 12, 1, 23, 38, 0, 330_000_000, time.Local)
	p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: []byte("m1"), Mode: amop.Multicast, At: at})
	p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: []byte("u1"), Mode: amop.Unicast, At: at.Add(time.Minute)})
	p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: []byte{0xde, 0xad, 0xbe, 0xef, 0}, Mode: amop.Multicast, At: at.Add(2 * time.Minute)})
	ok := p.AddSent(at.Add(3*time.Minute), amop.Line2, amop.Unicast, []byte("q1"))
	p.Resolve(ok, []byte("p1"), nil, 1800*time.Microsecond)
	acc := p.AddSent(at.Add(4*time.Minute), amop.Line2, amop.Multicast, []byte("q2"))
	p.Resolve(acc, nil, nil, time.Millisecond)
	bad := p.AddSent(at.Add(5*time.Minute), amop.Line2, amop.Unicast, []byte("q3"))
	p.Resolve(bad, nil, &amop.CodeError{Code: amop.CodeNoSubscriber, Topic: "hello"}, time.Millisecond)
	p.AddNote(at.Add(6*time.Minute), "joined hello", false)
	p.AddReceived(&amop.MessageEvent{Topic: "hello", Data: []byte("Привет"), Mode: amop.Unicast, At: at.Add(7 * time.Minute)})
	for _, c := range []struct {
		filter string
		want   string // the payloads shown, in order
	}{
		{"MULTI", "m1 de-ad q2"},
		{"uni", "u1 q1 q3 Привет"},
		{"23:38", "m1"},
		{"23:38:00.330", "m1"},
		{"23:4", "de-ad q1 q2 q3 joined Привет"},
		{"→", "q1 q2 q3"},
		{"← uni", "u1 Привет"},
		{`reply "p1"`, "q1"},
		{"accepted by the node", "q2"},
		{"no subscriber", "q3"},
		{"de ad be", "de-ad"},
		{"1.8 ms", "q1"},
		{"· joined", "joined"},
		{"привет", "Привет"},
		{"5 B", "de-ad"},
	} {
		p.SetFilter(c.filter)
		var got []string
		for _, e := range p.Entries() {
			switch {
			case e.Kind == KindSystem:
				got = append(got, "joined")
			case e.Data[0] == 0xde:
				got = append(got, "de-ad")
			default:
				got = append(got, string(e.Data))
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("/filter %q shows %q, want %q", c.filter, got, c.want)
		}
	}
}

// TestNotesWrap: a note (the program talking) wraps onto as many lines as
// it needs, aligned under its first line; messages keep one line. Scrolling,
// the selection and clicks count a wrapped note as one row (M5).
func TestNotesWrap(t *testing.T) {
	p := newPane(1000, 60, 12) // 10 lines inside
	warn := "⚠ avoid it: /leave svc here and send from another node, or listen from a node no publisher uses (the --like 2.9 nodes drop a unicast for a subscriber on the sender's node)"
	recv(p, "before "+strings.Repeat("x", 200))
	p.AddNote(t0, warn, true)
	recv(p, "after")
	v := view(p)
	ls := strings.Split(v, "\n")
	for i, l := range ls {
		if w := lipgloss.Width(l); w != 60 {
			t.Fatalf("line %d is %d wide: %q", i, w, l)
		}
	}
	var text []string
	for _, l := range ls[1 : len(ls)-1] {
		text = append(text, strings.Trim(l, "│┃ "))
	}
	joined := strings.Join(text, " ")
	for _, word := range strings.Fields(warn) {
		if !strings.Contains(joined, word) {
			t.Fatalf("the note lost %q:\n%s", word, v)
		}
	}
	if strings.Contains(strings.Join(text[1:len(text)-1], ""), "…") {
		t.Fatalf("the note is cut:\n%s", v)
	}
	if !strings.Contains(ls[1], "before xxx") || !strings.Contains(ls[1], "…") {
		t.Fatalf("a message is one cut line:\n%s", v)
	}
	// The continuation lines start under the text, after the timestamp.
	if !strings.HasPrefix(strings.TrimLeft(ls[3], "│┃"), strings.Repeat(" ", 1+12+3)) {
		t.Fatalf("continuation not aligned: %q", ls[3])
	}
	// A click on a continuation line selects the note; up from "after"
	// selects the note too, as one row.
	if !p.SelectRow(2) {
		t.Fatal("no row at line 2")
	}
	if seq, _ := p.Selected(); string(p.ring.at(seq).data) != warn {
		t.Fatalf("line 2 selected %q", p.ring.at(seq).data)
	}
	p.Bottom() // selects the newest
	p.SelectPrev()
	if seq, _ := p.Selected(); string(p.ring.at(seq).data) != warn {
		t.Fatalf("up selected %q", p.ring.at(seq).data)
	}
	// Many more lines: following shows the newest; the note is reachable
	// by scrolling and shows whole from its first line.
	for i := 0; i < 30; i++ {
		recv(p, fmt.Sprintf("msg %d", i))
	}
	p.Bottom()
	if v := view(p); !strings.Contains(v, "msg 29") || strings.Contains(v, "avoid it") {
		t.Fatalf("following:\n%s", v)
	}
	p.Top()
	if v := view(p); !strings.Contains(v, "⚠ avoid it") || !strings.Contains(v, "node)") {
		t.Fatalf("from the top:\n%s", v)
	}
	for i := 0; i < 40 && !p.Following(); i++ {
		p.ScrollDown(1)
	}
	if !p.Following() {
		t.Fatal("scrolling down never reached the bottom")
	}
}

// TestNoteTallerThanThePane: a note longer than the pane shows as many
// lines as the pane has, the last ending in "…"; enter shows it whole.
func TestNoteTallerThanThePane(t *testing.T) {
	p := newPane(1000, 40, 6) // 4 lines inside
	long := strings.Repeat("word ", 60) + "END"
	p.AddNote(t0, long, false)
	v := view(p)
	ls := strings.Split(v, "\n")
	if len(ls) != 6 || !strings.Contains(ls[4], "…") || strings.Contains(v, "END") {
		t.Fatalf("tall note:\n%s", v)
	}
	p.Focus()
	p.SelectRow(0)
	p.Expand()
	view(p) // lays the message out
	p.Update(tea.KeyMsg{Type: tea.KeyEnd})
	if v := view(p); !strings.Contains(v, "END") {
		t.Fatalf("expanded:\n%s", v)
	}
}
