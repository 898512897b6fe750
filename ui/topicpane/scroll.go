package topicpane

// Scrolling and selection. The window is anchored by the sequence number of
// its top row, not by a position, so that it stays on the same lines while
// new ones arrive below and old ones are dropped above.
//
// A row is one entry. A message takes one line (a long payload is cut and
// expands on enter); a note — the program talking: a hint, a warning, an
// error — wraps onto as many lines as it needs (lineH), up to the pane's
// height. When following, the oldest row on screen may show only its last
// lines; scrolled up, the top row shows from its first.

// bodyHeight is the number of lines inside the frame.
func (m *Model) bodyHeight() int { return max(0, m.height-2) }

// lineH is the number of lines of the row at pos.
func (m *Model) lineH(pos int) int {
	e := m.ring.at(m.rows.seqAt(pos))
	if e == nil {
		return 1
	}
	return m.entryH(e)
}

// followTop is the top row when following: the newest rows that fill the
// pane, and how many lines of that top row are above the pane. (0, 0):
// everything fits.
func (m *Model) followTop() (top, skip int) {
	total, h := m.rows.count(), m.bodyHeight()
	used := 0
	for p := total - 1; p >= 0; p-- {
		used += m.lineH(p)
		if used >= h {
			return p, used - h
		}
	}
	return 0, 0
}

// window is the first shown row, the number of rows shown and the lines of
// the first one that are above the pane.
func (m *Model) window() (top, n, skip int) {
	total, h := m.rows.count(), m.bodyHeight()
	if h == 0 || total == 0 {
		return 0, 0, 0
	}
	ft, fskip := m.followTop()
	top, skip = ft, fskip
	if !m.follow {
		if p := m.rows.posOf(m.anchor); p <= ft {
			top, skip = p, 0
		}
	}
	for used, p := -skip, top; p < total && used < h; p++ {
		used += m.lineH(p)
		n++
	}
	return top, n, skip
}

// ScrollUp moves the window k rows towards older lines and stops
// following.
func (m *Model) ScrollUp(k int) {
	if ft, fskip := m.followTop(); ft == 0 && fskip == 0 {
		return // nothing above: keep following
	}
	top, _, _ := m.window()
	if m.follow {
		// The selection stays on the line it is on.
		m.follow, m.newCnt, m.selNewest = false, 0, false
	}
	m.anchor = m.rows.seqAt(max(0, top-k))
}

// ScrollDown moves the window k rows towards newer lines; reaching the
// bottom resumes following.
func (m *Model) ScrollDown(k int) {
	if m.follow {
		return
	}
	top, _, _ := m.window()
	if ft, _ := m.followTop(); top+k >= ft {
		m.follow, m.newCnt = true, 0
		return
	}
	m.anchor = m.rows.seqAt(top + k)
}

// PageUp scrolls up by one pane height less a line of context.
func (m *Model) PageUp() { m.ScrollUp(max(1, m.bodyHeight()-1)) }

// PageDown scrolls down by one pane height less a line of context.
func (m *Model) PageDown() { m.ScrollDown(max(1, m.bodyHeight()-1)) }

// Top shows the oldest line the pane lists (after its filter) and selects
// it, so that enter opens the line the highlight is on. With nothing listed
// (an empty pane, a filter that matches nothing) nothing is selected.
func (m *Model) Top() {
	m.selNewest = false
	if m.rows.count() == 0 {
		m.hasSel = false
		return
	}
	m.sel, m.hasSel = m.rows.seqAt(0), true
	if ft, fskip := m.followTop(); ft == 0 && fskip == 0 {
		return // everything fits: keep following
	}
	m.follow, m.newCnt = false, 0
	m.anchor = m.sel
}

// Bottom shows the newest line, follows again and selects the newest line.
// While the pane follows, the selection moves on to each new line listed
// (keepNewest): a selection left on the line that was newest would scroll
// away under a flood, and enter would open a line no longer on screen.
func (m *Model) Bottom() {
	m.follow, m.newCnt, m.selNewest = true, 0, true
	m.keepNewest()
}

// keepNewest moves a selection made by Bottom to the newest line listed,
// while the pane follows.
func (m *Model) keepNewest() {
	if !m.selNewest || !m.follow {
		return
	}
	if n := m.rows.count(); n > 0 {
		m.sel, m.hasSel = m.rows.seqAt(n-1), true
	} else {
		m.hasSel = false
	}
}

// SelectPrev selects the line above the selection (the last visible line
// when nothing is selected), scrolling when needed.
func (m *Model) SelectPrev() {
	top, n, _ := m.window()
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
	top, n, _ := m.window()
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
	m.sel, m.hasSel, m.selNewest = m.rows.seqAt(p), true, false
	if top, _, _ := m.window(); p < top {
		m.ScrollUp(top - p)
		return
	}
	// Down one row at a time until p is whole on screen (rows differ in
	// height); following shows the newest rows, p among them.
	for i := 0; i < total && !m.follow && !m.wholeOnScreen(p); i++ {
		m.ScrollDown(1)
	}
}

// wholeOnScreen reports whether every line of row p is in the window.
func (m *Model) wholeOnScreen(p int) bool {
	top, n, skip := m.window()
	if p < top || p >= top+n || (p == top && skip > 0) {
		return false
	}
	used := -skip
	for q := top; q <= p; q++ {
		used += m.lineH(q)
	}
	return used <= m.bodyHeight()
}

// Unselect closes the detail view if open, else drops the selection.
func (m *Model) Unselect() {
	if m.expanded {
		m.expanded, m.detail = false, nil
		return
	}
	m.hasSel, m.selNewest = false, false
}

// Expand opens the selected message (the newest when none is selected) in
// the detail view, or closes it.
func (m *Model) Expand() {
	if m.expanded {
		m.expanded, m.detail = false, nil
		return
	}
	if !m.hasSel || m.ring.at(m.sel) == nil {
		top, n, _ := m.window()
		if n == 0 {
			return
		}
		m.sel, m.hasSel = m.rows.seqAt(top+n-1), true
	}
	// The selection stays on the opened line when newer ones arrive.
	m.selNewest = false
	m.expanded, m.detail, m.detailSeq, m.detailTop = true, nil, m.sel, 0
}

// Selected returns the selected entry's sequence number, if any.
func (m *Model) Selected() (uint64, bool) {
	if !m.hasSel || m.ring.at(m.sel) == nil {
		return 0, false
	}
	return m.sel, true
}
