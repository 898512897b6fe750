package topicpane

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestTopAndBottomSelect: home/g selects the oldest line listed and end/G
// the newest, so that enter opens the line the highlight is on (outside
// report 2, finding 4: g scrolled to the top and enter opened the newest
// line, or one in the middle of a long pane).
func TestTopAndBottomSelect(t *testing.T) {
	key := func(p *Model, s string) {
		t.Helper()
		k := map[string]tea.KeyMsg{"home": {Type: tea.KeyHome}, "end": {Type: tea.KeyEnd}, "enter": {Type: tea.KeyEnter}, "esc": {Type: tea.KeyEsc}}[s]
		if k.Type == 0 {
			k = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
		}
		p.Update(k)
	}
	opened := func(p *Model, want string) {
		t.Helper()
		key(p, "enter")
		v := view(p)
		if !p.Expanded() || !strings.Contains(p.detail[len(p.detail)-1], want+" ") {
			t.Fatalf("enter opened the wrong line, want %q:\n%s", want, v)
		}
		key(p, "esc")
	}

	// All on screen: g selects the oldest, and keeps following.
	p := newPane(1000, 80, 30)
	p.Focus()
	for i := 0; i < 20; i++ {
		recv(p, fmt.Sprintf("msg %d", i))
	}
	key(p, "g")
	if seq, ok := p.Selected(); !ok || seq != 0 || !p.Following() {
		t.Fatalf("g: selection %d %v, following %v", seq, ok, p.Following())
	}
	if v := view(p); !strings.Contains(v, "▸21:21:50.123 ← multi msg 0 ") {
		t.Fatalf("oldest not shown selected:\n%s", v)
	}
	opened(p, "msg 0")
	key(p, "j")
	opened(p, "msg 1")

	// A long pane with a selection in the middle: home selects the oldest
	// and shows it.
	for i := 20; i < 200; i++ {
		recv(p, fmt.Sprintf("msg %d", i))
	}
	p.SetSize(80, 12)
	for i := 0; i < 50; i++ {
		key(p, "k")
	}
	key(p, "home")
	if seq, _ := p.Selected(); seq != 0 || p.Following() || !strings.Contains(view(p), "▸21:21:50.123 ← multi msg 0 ") {
		t.Fatalf("home: selection %d following %v:\n%s", seq, p.Following(), view(p))
	}
	opened(p, "msg 0")

	// end selects the newest, follows, and the selection stays on the
	// newest line as lines arrive; a key that moves it pins it.
	key(p, "end")
	if seq, ok := p.Selected(); !ok || seq != 199 || !p.Following() {
		t.Fatalf("end: selection %d %v, following %v", seq, ok, p.Following())
	}
	recv(p, "msg 200")
	if seq, _ := p.Selected(); seq != 200 || !strings.Contains(view(p), "▸21:21:50.123 ← multi msg 200 ") {
		t.Fatalf("end: the selection did not stay on the newest line (%d):\n%s", seq, view(p))
	}
	opened(p, "msg 200") // enter pins the opened line
	recv(p, "msg 201")
	if seq, _ := p.Selected(); seq != 200 {
		t.Fatalf("after enter the selection moved to %d", seq)
	}
	key(p, "G")
	key(p, "k")
	recv(p, "msg 202")
	if seq, _ := p.Selected(); seq != 200 || !p.Following() {
		t.Fatalf("k after G: selection %d following %v", seq, p.Following())
	}
	key(p, "G")
	p.PageUp() // scrolling away pins the selection too
	recv(p, "msg 203")
	if seq, _ := p.Selected(); seq != 202 {
		t.Fatalf("pgup after G: selection %d", seq)
	}
}

// TestTopAndBottomUnderAFilter: g and G select among the lines the filter
// lists; with nothing listed (an empty pane, a filter that matches
// nothing) they select nothing and enter opens nothing; a selection the
// filter hides is dropped.
func TestTopAndBottomUnderAFilter(t *testing.T) {
	p := newPane(1000, 80, 12)
	p.Focus()
	for _, k := range []func(){p.Top, p.Bottom} {
		k()
		p.Expand()
		if _, ok := p.Selected(); ok || p.Expanded() || p.Consumes(tea.KeyMsg{Type: tea.KeyEsc}) {
			t.Fatal("an empty pane has a selection")
		}
	}
	for i := 0; i < 40; i++ {
		recv(p, fmt.Sprintf("%s %d", map[bool]string{true: "even", false: "odd"}[i%2 == 0], i))
	}
	p.SelectSeq(2) // "even 2"
	p.SetFilter("odd")
	if _, ok := p.Selected(); ok {
		t.Fatal("the selection the filter hides is kept")
	}
	p.Top()
	if seq, _ := p.Selected(); seq != 1 {
		t.Fatalf("g under a filter selects %d", seq)
	}
	p.Expand()
	if v := view(p); !strings.Contains(p.detail[len(p.detail)-1], "odd 1") {
		t.Fatalf("opened:\n%s", v)
	}
	p.Expand()
	p.Bottom()
	recv(p, "even 40") // not listed: the selection stays
	if seq, _ := p.Selected(); seq != 39 {
		t.Fatalf("G under a filter selects %d", seq)
	}
	recv(p, "odd 41")
	if seq, _ := p.Selected(); seq != 41 {
		t.Fatalf("G under a filter: a new listed line is not selected (%d)", seq)
	}

	p.SetFilter("nothing matches this")
	for _, k := range []func(){p.Top, p.Bottom} {
		k()
		p.Expand()
		if _, ok := p.Selected(); ok || p.Expanded() {
			t.Fatalf("a filter that matches nothing: selection %v, expanded %v", ok, p.Expanded())
		}
	}
	if v := view(p); strings.Contains(v, "▸") {
		t.Fatalf("a selection shows:\n%s", v)
	}
}
