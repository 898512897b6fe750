package topicpane

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
)

// Needle is a search text prepared for Find, CountMatches and SetFilter:
// lower-cased, so that a search ignores case.
type Needle []byte

// NewNeedle prepares text for a search that ignores case.
func NewNeedle(text string) Needle { return Needle(strings.ToLower(text)) }

// shows reports whether the line of e shows n, ignoring case: the payload
// and the reply in full, the failure in its short and long words, and what
// the line puts around them — the timestamp as formatted, the direction
// (← →), the mode label (uni, multi), the size and the outcome ("✓ reply
// …", "accepted by the node" or on 3.x "written to the node", "✗ no
// subscriber", the round trip), and the hex a binary payload is shown as.
// /filter and /find both use it: a user searches for what they see.
func (m *Model) shows(n Needle, e *entry) bool {
	if len(n) == 0 {
		return true
	}
	// The payload and the reply can be large: matched in place, ASCII
	// case folded, before anything is built.
	if containsFold(e.data, n) || containsFold(e.aux, n) {
		return true
	}
	if e.err != nil && (containsFold([]byte(amop.ShortError(e.err)), n) || containsFold([]byte(errText(e.err)), n)) {
		return true
	}
	return strings.Contains(strings.ToLower(m.lineMeta(e)), string(n))
}

// lineMeta is the text of e's line around the payload, without colours.
func (m *Model) lineMeta(e *entry) string {
	var sb strings.Builder
	sb.WriteString(time.Unix(0, e.at).Format(m.tf))
	if e.kind == KindSystem || e.kind == KindError {
		sb.WriteString(" · ")
		sb.WriteString(sanitize.Bytes(e.data))
		return sb.String()
	}
	if e.kind == KindSent {
		sb.WriteString(" → ")
	} else {
		sb.WriteString(" ← ")
	}
	sb.WriteString(modeLabel(e.mode))
	sb.WriteByte(' ')
	switch {
	case len(e.data) == 0:
		sb.WriteString("(empty)")
	case e.flags&flagBinary != 0:
		sb.WriteString("hex " + sanitize.Hex(e.data, 256))
	default:
		sb.WriteString(sanitize.Bytes(e.data[:min(len(e.data), 4096)]))
	}
	sb.WriteByte(' ')
	s, _ := m.suffix(e, metaWidth, "")
	sb.WriteString(ansi.Strip(s))
	return sb.String()
}

// metaWidth is wide enough for the longest outcome text.
const metaWidth = 512

// Find returns the nearest line the pane lists (after its filter) that
// shows n, searching from the line after `from` towards older lines
// (older) or newer ones; without from it starts at the newest (older) or
// the oldest line.
func (m *Model) Find(n Needle, from uint64, hasFrom, older bool) (uint64, bool) {
	total := m.rows.count()
	if total == 0 || len(n) == 0 {
		return 0, false
	}
	p, step := total-1, -1
	if !older {
		p, step = 0, 1
	}
	if hasFrom {
		q := m.rows.posOf(from)
		if older {
			p = q - 1 // posOf is the first row at or after from
		} else if q < total && m.rows.seqAt(q) == from {
			p = q + 1
		} else {
			p = q
		}
	}
	for ; p >= 0 && p < total; p += step {
		seq := m.rows.seqAt(p)
		if e := m.ring.at(seq); e != nil && m.shows(n, e) {
			return seq, true
		}
	}
	return 0, false
}

// CountMatches is the number of listed lines that show n.
func (m *Model) CountMatches(n Needle) int {
	c := 0
	for p, total := 0, m.rows.count(); p < total; p++ {
		if e := m.ring.at(m.rows.seqAt(p)); e != nil && m.shows(n, e) {
			c++
		}
	}
	return c
}

// SelectSeq selects the line seq and scrolls it into view; false when it
// is no longer listed.
func (m *Model) SelectSeq(seq uint64) bool {
	p := m.rows.posOf(seq)
	if p >= m.rows.count() || m.rows.seqAt(p) != seq {
		return false
	}
	m.expanded, m.detail = false, nil
	m.selectPos(p)
	return true
}

// SelectedData returns the selected line's payload, if any.
func (m *Model) SelectedData() ([]byte, bool) {
	seq, ok := m.Selected()
	if !ok {
		return nil, false
	}
	return m.ring.at(seq).data, true
}

// SelectedSize is the size of the selected line's payload: more than
// len(SelectedData()) when the pane kept only its head (budget.go).
func (m *Model) SelectedSize() int {
	seq, ok := m.Selected()
	if !ok {
		return 0
	}
	return m.ring.at(seq).dataSize()
}

// Width is the pane's outer width.
func (m *Model) Width() int { return m.width }

// SelectRow selects the line shown on body row i (0 = the first line
// inside the frame), as a mouse click does; false when the row is empty
// or the detail view is open.
func (m *Model) SelectRow(i int) bool {
	if m.expanded {
		return false
	}
	top, n, skip := m.window()
	if i < 0 || i >= m.bodyHeight() {
		return false
	}
	// Rows differ in height: find the row whose lines include line i.
	line := -skip
	for p := top; p < top+n; p++ {
		line += m.lineH(p)
		if i < line {
			m.sel, m.hasSel, m.selNewest = m.rows.seqAt(p), true, false
			return true
		}
	}
	return false
}
