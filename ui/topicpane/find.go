package topicpane

import (
	"github.com/amoptui/amoptui/amop"
)

// Needle is a search text prepared for Find and CountMatches.
type Needle []byte

// NewNeedle prepares text for a search that ignores ASCII case.
func NewNeedle(text string) Needle { return Needle(lowerASCII([]byte(text))) }

// matches reports whether e's payload, reply or error shows n.
func (n Needle) matches(e *entry) bool {
	if len(n) == 0 {
		return false
	}
	if containsFold(e.data, n) || containsFold(e.aux, n) {
		return true
	}
	return e.err != nil && (containsFold([]byte(amop.ShortError(e.err)), n) || containsFold([]byte(errText(e.err)), n))
}

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
		if e := m.ring.at(seq); e != nil && n.matches(e) {
			return seq, true
		}
	}
	return 0, false
}

// CountMatches is the number of listed lines that show n.
func (m *Model) CountMatches(n Needle) int {
	c := 0
	for p, total := 0, m.rows.count(); p < total; p++ {
		if e := m.ring.at(m.rows.seqAt(p)); e != nil && n.matches(e) {
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

// Width is the pane's outer width.
func (m *Model) Width() int { return m.width }

// SelectRow selects the line shown on body row i (0 = the first line
// inside the frame), as a mouse click does; false when the row is empty
// or the detail view is open.
func (m *Model) SelectRow(i int) bool {
	if m.expanded {
		return false
	}
	top, n := m.window()
	if i < 0 || i >= n {
		return false
	}
	m.sel, m.hasSel = m.rows.seqAt(top+i), true
	return true
}
