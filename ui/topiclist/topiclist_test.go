package topiclist

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

func TestListOps(t *testing.T) {
	m := New(Styles{})
	for _, n := range []string{"a", "b", "c"} {
		m.Add(n)
	}
	if m.Add("b") {
		t.Fatal("added twice")
	}
	m.AddUnread("b", 3)
	m.AddUnread("c", 1)
	if m.Unread("b") != 3 || m.Unread("c") != 1 {
		t.Fatal("unread counts")
	}
	m.Next()
	if m.Selected() != "b" || m.Unread("b") != 0 {
		t.Fatalf("next: %s %d", m.Selected(), m.Unread("b"))
	}
	m.Prev()
	m.Prev()
	if m.Selected() != "c" {
		t.Fatalf("prev wraps: %s", m.Selected())
	}
	m.Remove("c")
	if m.Selected() != "b" {
		t.Fatalf("after removing the selected last one: %s", m.Selected())
	}
	m.Remove("a")
	m.Remove("b")
	if m.Selected() != "" || m.Len() != 0 {
		t.Fatal("empty")
	}
	m.Next()
	m.Prev()
	m.Select(5)
}

func TestRenderFits(t *testing.T) {
	m := New(Styles{})
	for i := 0; i < 30; i++ {
		m.Add(strings.Repeat("x", i) + "\u200b")
		m.AddUnread(strings.Repeat("x", i)+"\u200b", i*1000)
	}
	m.Select(25)
	for _, sz := range [][2]int{{14, 10}, {24, 40}, {4, 3}, {3, 2}} {
		m.SetSize(sz[0], sz[1])
		out := m.Render(nil)
		if sz[0] >= 4 && sz[1] >= 3 && len(out) != sz[1] {
			t.Fatalf("%v: %d lines", sz, len(out))
		}
		for _, l := range out {
			if lipgloss.Width(l) != sz[0] {
				t.Fatalf("%v: %q", sz, l)
			}
			if strings.Contains(l, "\u200b") {
				t.Fatal("zero-width char not sanitised")
			}
		}
	}
	m.SetSize(20, 8)
	if v := m.View(); !strings.Contains(v, "▸") {
		t.Fatalf("selection not in view:\n%s", v)
	}
}

// TestTagBeforeTheCount: a private topic's tag sits at the right of its
// row, before the unread count, and the name gives way to both.
func TestTagBeforeTheCount(t *testing.T) {
	m := New(Styles{})
	m.Add("vault-of-secrets")
	m.Add("other")
	m.SetTag("vault-of-secrets", "◆✓")
	m.AddUnread("vault-of-secrets", 3)
	m.SetSize(16, 5)
	rows := strings.Split(m.View(), "\n")
	if got := rows[1]; !strings.HasSuffix(got, " ◆✓ 3│") || lipgloss.Width(got) != 16 {
		t.Fatalf("row %q", got)
	}
	if m.Tag("vault-of-secrets") != "◆✓" || m.Tag("other") != "" || m.Tag("nope") != "" {
		t.Fatal("Tag")
	}
}
