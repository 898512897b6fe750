package topicpane

// Scrolling and selection. The window is anchored by the sequence number of
// its top row, not by a position, so that it stays on the same lines while
// new ones arrive below and old ones are dropped above.

// bodyHeight is the number of rows inside the frame.
func (m *Model) bodyHeight() int { return max(0, m.height-2) }

// window is the first shown row and the number of rows shown.
func (m *Model) window() (top, n int) {
	total, h := m.rows.count(), m.bodyHeight()
	if h == 0 || total == 0 {
		return 0, 0
	}
	maxTop := max(0, total-h)
	top = maxTop
	if !m.follow {
		top = min(m.rows.posOf(m.anchor), maxTop)
	}
	return top, min(h, total-top)
}

// ScrollUp moves the window k rows towards older lines and stops
// following.
func (m *Model) ScrollUp(k int) {
	top, _ := m.window()
	total, h := m.rows.count(), m.bodyHeight()
	if total <= h || h == 0 {
		return // nothing above: keep following
	}
	if m.follow {
		m.follow, m.newCnt = false, 0
	}
	m.anchor = m.rows.seqAt(max(0, top-k))
}

// ScrollDown moves the window k rows towards newer lines; reaching the
// bottom resumes following.
func (m *Model) ScrollDown(k int) {
	if m.follow {
		return
	}
	top, _ := m.window()
	total, h := m.rows.count(), m.bodyHeight()
	if top+k >= total-h {
		m.follow, m.newCnt = true, 0
		return
	}
	m.anchor = m.rows.seqAt(top + k)
}

// PageUp scrolls up by one pane height less a line of context.
func (m *Model) PageUp() { m.ScrollUp(max(1, m.bodyHeight()-1)) }

// PageDown scrolls down by one pane height less a line of context.
func (m *Model) PageDown() { m.ScrollDown(max(1, m.bodyHeight()-1)) }

// Top shows the oldest retained line.
func (m *Model) Top() {
	if m.rows.count() <= m.bodyHeight() {
		return
	}
	m.follow, m.newCnt = false, 0
	m.anchor = m.ring.first
}

// Bottom shows the newest line, follows again and drops the selection.
func (m *Model) Bottom() {
	m.follow, m.newCnt, m.hasSel = true, 0, false
}

// SelectPrev selects the line above the selection (the last visible line
// when nothing is selected), scrolling when needed.
func (m *Model) SelectPrev() {
	top, n := m.window()
	if n == 0 {
		return
	}
	p := top + n - 1
	if m.hasSel && m.ring.at(m.sel) != nil {
		p = max(0, m.rows.posOf(m.sel)-1)
	}
	m.selectPos(p)
}

// SelectNext selects the line below the selection.
func (m *Model) SelectNext() {
	top, n := m.window()
	if n == 0 {
		return
	}
	p := top + n - 1
	if m.hasSel && m.ring.at(m.sel) != nil {
		p = min(m.rows.count()-1, m.rows.posOf(m.sel)+1)
	}
	m.selectPos(p)
}

// selectPos selects the row at p and scrolls it into view.
func (m *Model) selectPos(p int) {
	total := m.rows.count()
	if total == 0 {
		return
	}
	p = max(0, min(p, total-1))
	m.sel, m.hasSel = m.rows.seqAt(p), true
	top, _ := m.window()
	h := m.bodyHeight()
	switch {
	case p < top:
		m.ScrollUp(top - p)
	case p >= top+h:
		m.ScrollDown(p - (top + h - 1))
	}
}

// Unselect closes the detail view if open, else drops the selection.
func (m *Model) Unselect() {
	if m.expanded {
		m.expanded, m.detail = false, nil
		return
	}
	m.hasSel = false
}

// Expand opens the selected message (the newest when none is selected) in
// the detail view, or closes it.
func (m *Model) Expand() {
	if m.expanded {
		m.expanded, m.detail = false, nil
		return
	}
	if !m.hasSel || m.ring.at(m.sel) == nil {
		top, n := m.window()
		if n == 0 {
			return
		}
		m.sel, m.hasSel = m.rows.seqAt(top+n-1), true
	}
	m.expanded, m.detail, m.detailSeq, m.detailTop = true, nil, m.sel, 0
}

// Selected returns the selected entry's sequence number, if any.
func (m *Model) Selected() (uint64, bool) {
	if !m.hasSel || m.ring.at(m.sel) == nil {
		return 0, false
	}
	return m.sel, true
}
