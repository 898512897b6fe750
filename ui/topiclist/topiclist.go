// Package topiclist is the list of joined topics at the left of the screen:
// one row per topic with its unread count; the selected topic is the one the
// input sends to.
package topiclist

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
)

// Styles are the list's inline styles.
type Styles struct {
	Border       lipgloss.Style
	BorderActive lipgloss.Style // frame while the list has the keyboard
	Title        lipgloss.Style
	Item         lipgloss.Style
	Selected     lipgloss.Style // the selected topic's row
	Unread       lipgloss.Style // the unread count
}

// KeyMap are the keys of a focused list.
type KeyMap struct {
	Up   key.Binding
	Down key.Binding
}

// DefaultKeyMap returns arrows and vi keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "previous topic")),
		Down: key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "next topic")),
	}
}

type item struct {
	name   string // as joined
	title  string // sanitised
	tag    string // short status shown before the count (private topics)
	unread int
}

// Model is the topic list.
type Model struct {
	items   []item
	sel     int
	focused bool
	keys    KeyMap

	width, height int
	frame, active paint.FrameStyle
	item, selP    paint.Paint
	unread        paint.Paint
}

// New returns an empty list.
func New(st Styles) Model {
	return Model{
		keys:   DefaultKeyMap(),
		frame:  paint.FrameStyle{Border: paint.Light, Line: paint.From(st.Border), Title: paint.From(st.Title)},
		active: paint.FrameStyle{Border: paint.Heavy, Line: paint.From(st.BorderActive), Title: paint.From(st.Title.Bold(true))},
		item:   paint.From(st.Item),
		selP:   paint.From(st.Selected),
		unread: paint.From(st.Unread),
	}
}

// SetKeyMap replaces the list's keys.
func (m *Model) SetKeyMap(k KeyMap) { m.keys = k }

// SetSize sets the outer size, frame included.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// Focus gives the list the keyboard.
func (m *Model) Focus() { m.focused = true }

// Blur takes the keyboard away.
func (m *Model) Blur() { m.focused = false }

// Len is the number of topics.
func (m Model) Len() int { return len(m.items) }

// Names lists the topics in order.
func (m Model) Names() []string {
	out := make([]string, len(m.items))
	for i, it := range m.items {
		out[i] = it.name
	}
	return out
}

// Index is the position of topic, or -1.
func (m Model) Index(topic string) int {
	for i, it := range m.items {
		if it.name == topic {
			return i
		}
	}
	return -1
}

// Selected is the selected topic, "" when the list is empty.
func (m Model) Selected() string {
	if m.sel < 0 || m.sel >= len(m.items) {
		return ""
	}
	return m.items[m.sel].name
}

// SelectedIndex is the position of the selected topic.
func (m Model) SelectedIndex() int { return m.sel }

// Add appends topic unless present and reports whether it was added.
func (m *Model) Add(topic string) bool {
	if m.Index(topic) >= 0 {
		return false
	}
	m.items = append(m.items, item{name: topic, title: sanitize.String(topic)})
	return true
}

// Remove deletes topic; the selection moves to a neighbour.
func (m *Model) Remove(topic string) {
	i := m.Index(topic)
	if i < 0 {
		return
	}
	m.items = append(m.items[:i:i], m.items[i+1:]...)
	if m.sel > i || m.sel >= len(m.items) {
		m.sel--
	}
	if m.sel < 0 {
		m.sel = 0
	}
}

// Select selects the topic at i (clamped) and clears its unread count.
func (m *Model) Select(i int) {
	if len(m.items) == 0 {
		m.sel = 0
		return
	}
	m.sel = paint.Clamp(i, 0, len(m.items)-1)
	m.items[m.sel].unread = 0
}

// Next selects the next topic, wrapping around.
func (m *Model) Next() {
	if n := len(m.items); n > 0 {
		m.Select((m.sel + 1) % n)
	}
}

// Prev selects the previous topic, wrapping around.
func (m *Model) Prev() {
	if n := len(m.items); n > 0 {
		m.Select((m.sel - 1 + n) % n)
	}
}

// AddUnread adds n to topic's unread count.
func (m *Model) AddUnread(topic string, n int) {
	if i := m.Index(topic); i >= 0 {
		m.items[i].unread += n
	}
}

// SetTag sets the short status shown at the right of topic's row, before
// its unread count, such as a private topic's verification state; "" shows
// none. The caller passes trusted text (not from the network).
func (m *Model) SetTag(topic, tag string) {
	if i := m.Index(topic); i >= 0 {
		m.items[i].tag = tag
	}
}

// Tag is topic's tag.
func (m Model) Tag(topic string) string {
	if i := m.Index(topic); i >= 0 {
		return m.items[i].tag
	}
	return ""
}

// ClearUnread zeroes topic's unread count.
func (m *Model) ClearUnread(topic string) {
	if i := m.Index(topic); i >= 0 {
		m.items[i].unread = 0
	}
}

// Unread is topic's unread count.
func (m Model) Unread(topic string) int {
	if i := m.Index(topic); i >= 0 {
		return m.items[i].unread
	}
	return 0
}

// Update moves the selection with the list's keys while it has the
// keyboard.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok || !m.focused {
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Up):
		m.Prev()
	case key.Matches(k, m.keys.Down):
		m.Next()
	}
	return m, nil
}

// View renders the list as one string.
func (m Model) View() string { return strings.Join(m.Render(nil), "\n") }

// Render appends exactly the set height of lines, each the set width.
func (m Model) Render(dst []string) []string {
	if m.width < 4 || m.height < 3 {
		return dst
	}
	inner := m.width - 2
	h := m.height - 2
	top := m.top(h)
	body := make([]string, 0, h)
	for i := top; i < len(m.items) && len(body) < h; i++ {
		body = append(body, m.row(m.items[i], i == m.sel, inner))
	}
	fs := m.frame
	if m.focused {
		fs = m.active
	}
	title := "topics"
	if len(m.items) > h {
		title += " " + strconv.Itoa(m.sel+1) + "/" + strconv.Itoa(len(m.items))
	}
	return paint.Frame(dst, body, m.width, m.height, title, "", fs)
}

// top is the first item shown in h rows: the selection stays in view.
func (m Model) top(h int) int {
	if m.sel >= h {
		return m.sel - h + 1
	}
	return 0
}

// ItemAt is the topic on body row i (0 = the first row inside the frame),
// as a mouse click finds it; "" for an empty row.
func (m Model) ItemAt(i int) string {
	h := m.height - 2
	if i < 0 || i >= h {
		return ""
	}
	if j := m.top(h) + i; j < len(m.items) {
		return m.items[j].name
	}
	return ""
}

// row is "▸ name  tag 12": the marker, the tag and the count stay visible
// without colour.
func (m Model) row(it item, selected bool, w int) string {
	mark, p := "  ", m.item
	if selected {
		mark, p = "▸ ", m.selP
	}
	count, cw := "", 0
	if it.tag != "" {
		count = " " + it.tag
	}
	if it.unread > 0 {
		n := strconv.Itoa(it.unread)
		if it.unread > 9999 {
			n = "9999+"
		}
		count += " " + n
	}
	if count != "" {
		cw = paint.Width(count)
	}
	name, nw := paint.Fit(it.title, max(0, w-2-cw))
	line := p.S(mark+name) + strings.Repeat(" ", max(0, w-2-nw-cw))
	if cw > 0 && w-2 >= cw {
		line += m.unread.S(count)
	}
	return line
}
