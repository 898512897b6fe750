package input

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/amop"
)

func typed(m Model, s string) Model {
	for _, r := range s {
		m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return m
}

func press(m Model, k tea.KeyType) Model {
	m, _ = m.Update(tea.KeyMsg{Type: k})
	return m
}

func TestModeAlwaysVisible(t *testing.T) {
	m := New(Options{}, Styles{})
	m.SetTopic("hello")
	for _, w := range []int{8, 20, 60, 120} {
		m.SetWidth(w)
		for _, md := range []amop.Mode{amop.Unicast, amop.Multicast} {
			m.SetMode(md)
			v := m.View()
			want := strings.ToUpper(md.String())
			if w >= 20 && !strings.Contains(v, want) {
				t.Errorf("width %d: %q lacks %s", w, v, want)
			}
			if lipgloss.Width(v) != w {
				t.Errorf("width %d: view is %d wide: %q", w, lipgloss.Width(v), v)
			}
		}
	}
	m.ToggleMode()
	if m.Mode() != amop.Unicast {
		t.Fatal("toggle from multicast")
	}
}

func TestHistoryPerTopicWithDraft(t *testing.T) {
	m := New(Options{HistoryCap: 3}, Styles{})
	m.SetWidth(80)
	m.Focus()
	m.SetTopic("a")
	for _, s := range []string{"1", "2", "2", "3", "4"} {
		m.Commit(s)
	}
	if got := strings.Join(m.History(), ","); got != "2,3,4" {
		t.Fatalf("history %s (cap 3, no repeats)", got)
	}
	m = typed(m, "dra")
	m = press(m, tea.KeyUp)
	m = press(m, tea.KeyUp)
	if m.Value() != "3" {
		t.Fatalf("up up %q", m.Value())
	}
	m = press(m, tea.KeyUp)
	m = press(m, tea.KeyUp)
	if m.Value() != "2" {
		t.Fatalf("stops at the oldest: %q", m.Value())
	}
	m = press(m, tea.KeyDown)
	m = press(m, tea.KeyDown)
	m = press(m, tea.KeyDown)
	if m.Value() != "dra" {
		t.Fatalf("back to the draft: %q", m.Value())
	}
	m.SetTopic("b")
	m.Commit("")
	m = press(m, tea.KeyUp)
	if m.Value() != "" || len(m.History()) != 0 {
		t.Fatalf("topic b has its own history: %q %v", m.Value(), m.History())
	}
}

func TestBlurredIgnoresKeys(t *testing.T) {
	m := New(Options{}, Styles{})
	m.SetWidth(80)
	m = typed(m, "abc")
	if m.Value() != "" {
		t.Fatalf("blurred input took %q", m.Value())
	}
}

func TestTopicIsSanitised(t *testing.T) {
	m := New(Options{}, Styles{})
	m.SetWidth(80)
	m.SetTopic("evil\u202etopic")
	if v := m.View(); strings.Contains(v, "\u202e") {
		t.Fatalf("raw bidi override in %q", v)
	}
}
