// Package input is the message line at the bottom of the screen: the send
// mode (UNICAST or MULTICAST, always visible), the topic it sends to, and a
// text input with a history per topic.
package input

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
)

// DefaultHistoryCap is the number of lines remembered per topic when
// Options.HistoryCap is not set.
const DefaultHistoryCap = 100

// noTopic is the history key for lines typed while no topic is joined.
const noTopic = "\x00"

// Styles are the input's inline styles.
type Styles struct {
	Unicast   lipgloss.Style // the mode badge in unicast
	Multicast lipgloss.Style // the mode badge in multicast
	Topic     lipgloss.Style
	Prompt    lipgloss.Style
	Text      lipgloss.Style
	Hint      lipgloss.Style // placeholder
}

// KeyMap are the input's own keys; everything else goes to the text input.
type KeyMap struct {
	HistoryPrev key.Binding
	HistoryNext key.Binding
}

// DefaultKeyMap returns up and down for the history.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		HistoryPrev: key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "older input")),
		HistoryNext: key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "newer input")),
	}
}

// Options configure the input.
type Options struct {
	HistoryCap  int
	Mode        amop.Mode
	Placeholder string
}

// history is one topic's past lines, oldest first, with a browsing cursor.
type history struct {
	lines []string
	pos   int    // len(lines) when not browsing
	draft string // what was typed before browsing started
}

// Model is the input line. It holds one line of text, or a block: text
// with line breaks (a multi-line paste), which the text input cannot hold
// and which is sent as one message with its line breaks.
type Model struct {
	ti      textinput.Model
	block   string // multi-line text; "" when the text input holds the value
	mode    amop.Mode
	topic   string
	title   string // sanitised topic
	hist    map[string]*history
	histCap int
	keys    KeyMap
	width   int

	uni, multi, topicP, prompt paint.Paint
}

// New returns a blurred input.
func New(opts Options, st Styles) Model {
	if opts.HistoryCap <= 0 {
		opts.HistoryCap = DefaultHistoryCap
	}
	ti := textinput.New()
	ti.Prompt = ""
	ti.Placeholder = opts.Placeholder
	ti.PlaceholderStyle = st.Hint
	ti.TextStyle = st.Text
	// The input is for one line of payload; a paste far beyond what a node
	// accepts is cut here instead of being carried around.
	ti.CharLimit = 1 << 20
	// ctrl+n/ctrl+p switch topics and tab cycles focus: the suggestion keys
	// that share them stay unbound.
	ti.KeyMap.AcceptSuggestion = key.NewBinding()
	ti.KeyMap.NextSuggestion = key.NewBinding()
	ti.KeyMap.PrevSuggestion = key.NewBinding()
	return Model{
		ti:      ti,
		mode:    opts.Mode,
		hist:    make(map[string]*history),
		histCap: opts.HistoryCap,
		keys:    DefaultKeyMap(),
		uni:     paint.From(st.Unicast),
		multi:   paint.From(st.Multicast),
		topicP:  paint.From(st.Topic),
		prompt:  paint.From(st.Prompt),
	}
}

// SetKeyMap replaces the input's own keys.
func (m *Model) SetKeyMap(k KeyMap) { m.keys = k }

// Mode is the send mode.
func (m Model) Mode() amop.Mode { return m.mode }

// SetMode sets the send mode.
func (m *Model) SetMode(md amop.Mode) { m.mode = md }

// ToggleMode switches between unicast and multicast.
func (m *Model) ToggleMode() {
	if m.mode == amop.Unicast {
		m.mode = amop.Multicast
	} else {
		m.mode = amop.Unicast
	}
}

// SetTopic sets the topic shown and whose history up/down browse.
func (m *Model) SetTopic(t string) {
	if t == m.topic {
		return
	}
	if h := m.hist[m.key()]; h != nil {
		h.pos, h.draft = len(h.lines), ""
	}
	m.topic, m.title = t, sanitize.String(t)
	m.layout()
}

// Value is the text typed (or the block).
func (m Model) Value() string {
	if m.block != "" {
		return m.block
	}
	return m.ti.Value()
}

// Lines is the number of lines of the value: more than 1 for a block.
func (m Model) Lines() int { return strings.Count(m.Value(), "\n") + 1 }

// SetValue replaces the text and puts the cursor at its end. Text with line
// breaks becomes a block.
func (m *Model) SetValue(s string) {
	if strings.Contains(s, "\n") {
		m.block = s
		m.ti.Reset()
		return
	}
	m.block = ""
	m.ti.SetValue(s)
	m.ti.CursorEnd()
}

// InsertText inserts s at the cursor as text, whatever it contains: it is
// never matched against a key binding (a pasted or fast-typed word such as
// "enter" or "up" is text). Line breaks (CR, LF or CRLF) make the value a
// block; trailing ones are dropped, as a copied line usually ends in one.
func (m *Model) InsertText(s string) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	if m.block != "" {
		m.block = strings.TrimRight(m.block+s, "\n")
		return
	}
	if t := strings.TrimRight(s, "\n"); strings.Contains(t, "\n") {
		r := []rune(m.ti.Value())
		pos := m.ti.Position()
		m.SetValue(string(r[:pos]) + t + string(r[pos:]))
		return
	}
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return
	}
	// As a paste, the text input inserts the runes without matching them
	// against its own bindings (a KeyMsg's String is then "[…]").
	m.ti, _ = m.ti.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true})
}

// Commit remembers line in the current topic's history and empties the
// input. Repeating the previous line does not add it twice.
func (m *Model) Commit(line string) {
	h := m.hist[m.key()]
	if h == nil {
		h = &history{}
		m.hist[m.key()] = h
	}
	if line != "" && (len(h.lines) == 0 || h.lines[len(h.lines)-1] != line) {
		h.lines = append(h.lines, line)
		if len(h.lines) > m.histCap {
			h.lines = append(h.lines[:0:0], h.lines[len(h.lines)-m.histCap:]...)
		}
	}
	h.pos, h.draft = len(h.lines), ""
	m.block = ""
	m.ti.Reset()
}

// LoadHistory sets topic's remembered lines (oldest first), as kept from
// an earlier run; the newest histCap of them are kept.
func (m *Model) LoadHistory(topic string, lines []string) {
	if topic == "" {
		topic = noTopic
	}
	if len(lines) > m.histCap {
		lines = lines[len(lines)-m.histCap:]
	}
	m.hist[topic] = &history{lines: append([]string(nil), lines...), pos: len(lines)}
}

// History returns the current topic's remembered lines, oldest first.
func (m Model) History() []string {
	if h := m.hist[m.key()]; h != nil {
		return append([]string(nil), h.lines...)
	}
	return nil
}

func (m Model) key() string {
	if m.topic == "" {
		return noTopic
	}
	return m.topic
}

// Focus gives the input the keyboard.
func (m *Model) Focus() tea.Cmd { return m.ti.Focus() }

// Blur takes the keyboard away.
func (m *Model) Blur() { m.ti.Blur() }

// Focused reports whether the input has the keyboard.
func (m Model) Focused() bool { return m.ti.Focused() }

// SetWidth sets the width of the whole line.
func (m *Model) SetWidth(w int) {
	m.width = w
	m.layout()
}

// layout gives the text input what the prefix leaves.
func (m *Model) layout() {
	_, pw := m.prefix()
	m.ti.Width = max(1, m.width-pw-1)
}

// Update handles history keys and passes everything else to the text
// input. A blurred input ignores keys; a block takes no editing keys (the
// root sends or drops it).
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && m.ti.Focused() {
		switch {
		case key.Matches(k, m.keys.HistoryPrev):
			m.browse(-1)
			return m, nil
		case key.Matches(k, m.keys.HistoryNext):
			m.browse(+1)
			return m, nil
		case m.block != "":
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.ti, cmd = m.ti.Update(msg)
	return m, cmd
}

// browse moves through the history; going past the newest line brings back
// what was being typed.
func (m *Model) browse(d int) {
	h := m.hist[m.key()]
	if h == nil || len(h.lines) == 0 {
		return
	}
	if h.pos == len(h.lines) {
		h.draft = m.Value()
	}
	h.pos = paint.Clamp(h.pos+d, 0, len(h.lines))
	if h.pos == len(h.lines) {
		m.SetValue(h.draft)
		return
	}
	m.SetValue(h.lines[h.pos])
}

// prefix is the mode badge, the topic and the prompt, painted, with width.
func (m Model) prefix() (string, int) {
	badge, p := " UNICAST ", m.uni
	if m.mode == amop.Multicast {
		badge, p = " MULTICAST ", m.multi
	}
	topic := m.title
	if topic == "" {
		topic = "(no topic)"
	}
	// The topic gets at most a third of the line so the text keeps room.
	t, tw := paint.Fit(topic, max(4, m.width/3))
	s := p.S(badge) + " ▸ " + m.topicP.S(t) + m.prompt.S(" ❯ ")
	return s, len(badge) + 3 + tw + 3
}

// View renders the line, exactly the width set.
func (m Model) View() string {
	if m.width <= 0 {
		return ""
	}
	pre, pw := m.prefix()
	if pw >= m.width {
		s, w := paint.Fit(strings.TrimSpace(badgeText(m.mode)), m.width)
		return paint.Pad(s, w, m.width)
	}
	if m.block != "" {
		b, bw := paint.Fit(m.blockPreview(), m.width-pw)
		return pre + m.prompt.S(b) + strings.Repeat(" ", max(0, m.width-pw-bw))
	}
	v := m.ti.View()
	vw := paint.Width(v)
	return pre + v + strings.Repeat(" ", max(0, m.width-pw-vw))
}

// blockPreview is a block on one line: its size, then its lines joined by
// "⏎", each sanitised (a paste can hold anything).
func (m Model) blockPreview() string {
	lines := strings.Split(m.block, "\n")
	safe := make([]string, len(lines))
	for i, l := range lines {
		safe[i] = sanitize.String(l)
	}
	return "[" + strconv.Itoa(len(lines)) + " lines, " + strconv.Itoa(len(m.block)) + " B] " + strings.Join(safe, " ⏎ ")
}

func badgeText(md amop.Mode) string {
	if md == amop.Multicast {
		return "MULTICAST"
	}
	return "UNICAST"
}
