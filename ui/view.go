package ui

import (
	"fmt"
	"strings"

	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
)

// View implements tea.Model: status bar, topic list and panes, input line,
// footer — exactly the terminal's size, every line exactly its width.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return "" // no size yet: the first WindowSizeMsg is on its way
	}
	if m.grid.tooSmall {
		return m.tooSmallView()
	}
	lines := make([]string, 0, m.height)
	lines = m.status.Render(lines)
	lines = append(lines, m.middle()...)
	lines = append(lines, m.input.View())
	lines = append(lines, m.footer()...)
	return strings.Join(lines, "\n")
}

// tooSmallView is the whole screen below MinWidth×MinHeight.
func (m Model) tooSmallView() string {
	t := fmt.Sprintf("terminal too small: %d×%d, need %d×%d · ctrl+c quits", m.width, m.height, MinWidth, MinHeight)
	s, _ := paint.Fit(t, m.width)
	return m.pt.dim.S(s)
}

// middle is the topic list beside the pane grid, or the help overlay.
func (m Model) middle() []string {
	g := m.grid
	if m.showHelp {
		return m.helpView(m.width, g.mainH)
	}
	if m.stats.show {
		return m.statsView(m.width, g.mainH)
	}
	if m.net.show {
		nv := m.net.view
		nv.SetSize(m.width, g.mainH)
		return nv.Lines()
	}
	left := make([]string, 0, g.mainH)
	if g.listShown {
		left = m.list.Render(left)
	}
	right := m.panesView(g)
	out := make([]string, g.mainH)
	for i := range out {
		var l, r string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		out[i] = l + r
	}
	return out
}

// panesView renders the grid of panes, or a hint when no topic is joined.
func (m Model) panesView(g grid) []string {
	if len(g.rows) == 0 {
		return m.emptyView(g.areaW, g.mainH)
	}
	spin := m.spin.View()
	out := make([]string, 0, g.mainH)
	for _, r := range g.rows {
		if len(r.topics) == 1 {
			if p := m.panes[r.topics[0]]; p != nil {
				out = p.Render(out, spin)
			}
			continue
		}
		cols := make([][]string, len(r.topics))
		for i, t := range r.topics {
			if p := m.panes[t]; p != nil {
				cols[i] = p.Render(nil, spin)
			}
		}
		for y := 0; y < r.h; y++ {
			var sb strings.Builder
			for i, c := range cols {
				if y < len(c) {
					sb.WriteString(c[y])
				} else {
					sb.WriteString(strings.Repeat(" ", r.widths[i]))
				}
			}
			out = append(out, sb.String())
		}
	}
	return out
}

// emptyView is shown until a topic is joined: how to join one, the
// banner (where the embedded network listens, how a second terminal joins
// it) and why the connection fails, if it does — wrapped, never cut, so
// that a hint keeps its port at 60 columns.
func (m Model) emptyView(w, h int) []string {
	blank := strings.Repeat(" ", w-2)
	wrap := func(p paint.Paint, ss ...string) []string {
		var out []string
		for _, s := range ss {
			for _, l := range paint.Wrap(s, w-4) {
				out = append(out, "  "+p.S(paint.FitPad(l, w-4)))
			}
		}
		return out
	}
	// Sections, the most urgent first: how to start, why the connection
	// fails, the banner. Blank lines between them only while they fit.
	sections := [][]string{wrap(m.pt.dim, "No topic joined yet.", "Type /join TOPIC and press enter (the go-sdk examples use \"hello\").")}
	if m.cause != "" {
		sections = append(sections, wrap(m.pt.alert, m.cause))
	}
	var banner []string
	for _, b := range m.opts.Banner {
		banner = append(banner, sanitize.String(b))
	}
	if len(banner) > 0 {
		sections = append(sections, wrap(m.pt.dim, banner...))
	}
	n := 0
	for _, s := range sections {
		n += len(s)
	}
	spaced := n+len(sections) <= h-2
	var lines []string
	for _, s := range sections {
		if spaced {
			lines = append(lines, blank)
		}
		lines = append(lines, s...)
	}
	return paint.Frame(nil, lines, w, h, "amoptui", "", m.pt.empty)
}

// maxFooter is the most lines a notice takes; past them its last line is
// cut (the notices that long also went into a pane, whole).
const maxFooter = 3

// noticeLines is the notice wrapped to the width, at most maxFooter lines
// (none without a notice).
func (m Model) noticeLines() []string {
	if m.notice == "" || m.width < 2 {
		return nil
	}
	ls := paint.Wrap(m.notice, m.width-1)
	if len(ls) > maxFooter {
		last, _ := paint.Fit(strings.Join(ls[maxFooter-1:], " "), m.width-1)
		ls = append(ls[:maxFooter-1:maxFooter-1], last)
	}
	return ls
}

// footerHeight is the footer's number of lines: the notice's, else 1.
func (m Model) footerHeight() int { return max(1, len(m.noticeLines())) }

// footer is the transient notice, whole (wrapped), else the short help of
// the focused part.
func (m Model) footer() []string {
	if ls := m.noticeLines(); len(ls) > 0 {
		p := m.pt.notice
		if m.noticeErr {
			p = m.pt.alert
		}
		out := make([]string, len(ls))
		for i, l := range ls {
			s, sw := paint.Fit(" "+l, m.width)
			out[i] = paint.Pad(p.S(s), sw, m.width)
		}
		return out
	}
	h := m.help
	h.ShowAll = false
	h.Width = m.width - 1
	block := 0
	if m.focus == FocusInput {
		block = m.input.Lines()
	}
	s := " " + h.View(bindings{short: m.keys.ShortHelp(m.focus, block)})
	s, sw := paint.Fit(s, m.width)
	return []string{paint.Pad(s, sw, m.width)}
}

// helpBody is the help overlay's text for width w: the bindings (from the
// KeyMap) under a heading per place they work, the commands and the banner.
// Wide screens get the groups in two columns. Update uses it too, to bound
// the scroll.
func (m Model) helpBody(w int) []string {
	var body []string
	add := func(s string) { body = append(body, " "+s) }
	title := m.pt.helpTitle
	groups := m.keys.HelpGroups()
	render := func(g HelpGroup, colW int) []string {
		out := []string{title.S(g.Title)}
		for _, b := range g.Keys {
			out = append(out, m.pt.helpKey.S(fmt.Sprintf("  %-11s", b.Help().Key))+" "+m.pt.helpDesc.S(b.Help().Desc))
		}
		out = append(out, "")
		if colW > 0 {
			for i, l := range out {
				l, lw := paint.Fit(l, colW)
				out[i] = paint.Pad(l, lw, colW)
			}
		}
		return out
	}
	const colW = 46
	if w-4 >= 2*colW {
		// Two columns: the input's side left, the pane's and the list's right.
		var left, right []string
		for i, g := range groups {
			if i < 2 {
				left = append(left, render(g, colW)...)
			} else {
				right = append(right, render(g, colW)...)
			}
		}
		for i := 0; i < max(len(left), len(right)); i++ {
			l := strings.Repeat(" ", colW)
			if i < len(left) {
				l = left[i]
			}
			r := ""
			if i < len(right) {
				r = right[i]
			}
			add(l + r)
		}
	} else {
		for _, g := range groups {
			for _, l := range render(g, 0) {
				add(l)
			}
		}
	}
	add(title.S("Commands"))
	// A description wraps under itself rather than being cut at the frame
	// (the frame is w-2 wide, a line starts with a space).
	const keyW = 25
	descW := max(20, w-2-1-keyW-1)
	for _, c := range commandHelp {
		for i, d := range paint.Wrap(c[1], descW) {
			k := strings.Repeat(" ", keyW)
			if i == 0 {
				k = fmt.Sprintf("%-*s", keyW, c[0])
			}
			add(m.pt.helpKey.S(k) + " " + m.pt.helpDesc.S(d))
		}
	}
	if len(m.opts.Banner) > 0 {
		add("")
		for _, b := range m.opts.Banner {
			for _, l := range paint.Wrap(sanitize.String(b), w-3) {
				add(l)
			}
		}
	}
	return body
}

func (m Model) helpView(w, h int) []string {
	body := m.helpBody(w)
	inner := h - 2
	top := paint.Clamp(m.helpTop, 0, max(0, len(body)-inner))
	lines := make([]string, 0, inner)
	for i := top; i < len(body) && len(lines) < inner; i++ {
		s, sw := paint.Fit(body[i], w-2)
		lines = append(lines, paint.Pad(s, sw, w-2))
	}
	note := "esc close"
	if len(body) > inner {
		note = "↑/↓ scroll · esc close"
	}
	return paint.Frame(nil, lines, w, h, "help", note, m.pt.helpFrame)
}

// viewPaints are the root's own styles, resolved once (see package paint).
type viewPaints struct {
	dim, notice, alert, bar      paint.Paint
	helpTitle, helpKey, helpDesc paint.Paint
	helpFrame, empty             paint.FrameStyle
}

func newViewPaints(st Styles) viewPaints {
	return viewPaints{
		dim:       paint.From(st.Dim),
		notice:    paint.From(st.Notice),
		alert:     paint.From(st.Alert),
		bar:       paint.From(st.Pane.OK),
		helpTitle: paint.From(st.HelpTitle),
		helpKey:   paint.From(st.Help.FullKey),
		helpDesc:  paint.From(st.Help.FullDesc),
		helpFrame: paint.FrameStyle{Border: paint.Heavy, Line: paint.From(st.HelpFrame), Title: paint.From(st.HelpTitle)},
		empty:     paint.FrameStyle{Border: paint.Light, Line: paint.From(st.Pane.Border), Title: paint.From(st.Pane.Title)},
	}
}
