package ui

import (
	"strconv"
	"strings"

	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
	"github.com/amoptui/amoptui/ui/statusbar"
)

// Layout constants, in terminal cells.
const (
	listMinWidth  = 72  // narrower terminals hide the topic list
	listMaxWidth  = 24  // the list never takes more than this
	twoColumnsAt  = 120 // pane area width from which tiles go side by side
	minTileHeight = 6   // frame plus four lines
)

// grid is the computed layout of the middle of the screen.
type grid struct {
	tooSmall  bool
	mainH     int       // rows between the status bar and the input
	listW     int       // 0 when the list is hidden
	listShown bool      //
	areaW     int       // width of the pane area
	rows      []gridRow // top to bottom
}

// gridRow is one row of tiles.
type gridRow struct {
	h      int
	topics []string
	widths []int
}

// relayout recomputes the grid and gives every component its size. It runs
// on resize and whenever topics, the active topic or the layout change.
func (m *Model) relayout() {
	g := grid{}
	w, h := m.width, m.height
	if w < MinWidth || h < MinHeight {
		g.tooSmall = true
		m.grid = g
		return
	}
	m.status.SetWidth(w)
	m.input.SetWidth(w)
	m.help.Width = w - 2
	g.mainH = h - statusbar.Height - 1 - m.footerHeight() // input and footer
	names := m.list.Names()
	if w >= listMinWidth && len(names) > 0 {
		longest := 0
		for _, n := range names {
			longest = max(longest, paint.Width(n))
		}
		g.listW = paint.Clamp(longest+8, 14, listMaxWidth)
		g.listShown = true
		m.list.SetSize(g.listW, g.mainH)
	}
	g.areaW = w - g.listW
	for t := range m.visible {
		delete(m.visible, t)
	}
	active := m.list.SelectedIndex()
	switch {
	case len(names) == 0:
	case m.layout == LayoutSingle:
		g.rows = []gridRow{{h: g.mainH, topics: []string{names[active]}, widths: []int{g.areaW}}}
	default:
		g.rows = m.tile(names, active, g.areaW, g.mainH)
	}
	for _, r := range g.rows {
		for i, t := range r.topics {
			m.visible[t] = true
			m.list.ClearUnread(t)
			if p := m.panes[t]; p != nil {
				p.SetSize(r.widths[i], r.h)
			}
		}
	}
	m.grid = g
	m.updateNotes()
	if m.focus == FocusTopics && !g.listShown {
		m.setFocus(FocusInput)
	}
}

// tile lays out as many panes as fit (at least minTileHeight rows each; two
// columns when the area is wide), keeping the active topic on screen.
func (m *Model) tile(names []string, active, w, h int) []gridRow {
	cols := 1
	if w >= twoColumnsAt {
		cols = 2
	}
	rowsFit := max(1, h/minTileHeight)
	n := min(len(names), rowsFit*cols)
	// Slide the window of shown topics only as far as needed to include
	// the active one, so that switching topics does not reshuffle tiles.
	from := paint.Clamp(m.tileFrom, 0, len(names)-n)
	if active < from {
		from = active
	} else if active >= from+n {
		from = active - n + 1
	}
	m.tileFrom = from
	shown := names[from : from+n]
	nrows := (n + cols - 1) / cols
	rows := make([]gridRow, 0, nrows)
	for r := 0; r < nrows; r++ {
		rh := h / nrows
		if r == nrows-1 {
			rh = h - rh*(nrows-1)
		}
		lo, hi := r*cols, min(n, (r+1)*cols)
		row := gridRow{h: rh, topics: shown[lo:hi]}
		k := hi - lo
		for c := 0; c < k; c++ {
			cw := w / k
			if c == k-1 {
				cw = w - cw*(k-1)
			}
			row.widths = append(row.widths, cw)
		}
		rows = append(rows, row)
	}
	return rows
}

// updateNotes puts what the hidden topic list would show into the frames of
// the panes on screen: the topic's position, and on the active pane the
// unread count of the topics not on screen.
func (m *Model) updateNotes() {
	names := m.list.Names()
	active := m.list.Selected()
	now := m.opts.Now()
	hidden := 0
	for _, t := range names {
		if !m.visible[t] {
			hidden += m.list.Unread(t)
		}
	}
	for i, t := range names {
		p := m.panes[t]
		if p == nil {
			continue
		}
		var role, stats, pos string
		if pi := m.private[t]; pi != nil {
			role = pi.note()
		} else {
			role = m.roleNote(t, now)
		}
		stats = m.stats.title(t, p.Width())
		if !m.grid.listShown && len(names) > 1 {
			pos = strconv.Itoa(i+1) + "/" + strconv.Itoa(len(names))
			if t == active && hidden > 0 {
				pos += " · " + strconv.Itoa(hidden) + " unread"
			}
		}
		// The frame's title has "# topic · " and a few border cells
		// besides; when it is too narrow, the sparkline goes first, then
		// the position and unread count come before the role's words (the
		// edge cuts at its end).
		room := p.Width() - 6 - paint.Width("# "+sanitize.String(t)+" · ")
		join := func(ss ...string) string {
			var out []string
			for _, s := range ss {
				if s != "" {
					out = append(out, s)
				}
			}
			return strings.Join(out, " · ")
		}
		note := join(role, stats, pos)
		if paint.Width(note) > room {
			note = join(role, pos)
		}
		if paint.Width(note) > room {
			note = join(pos, role)
		}
		p.SetNote(note)
	}
}
