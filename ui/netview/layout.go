package netview

import (
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
)

// section is one part of the body: its heading, lines always shown under
// it (a warning), and its items, each one or more lines shown whole or
// not at all.
type section struct {
	head  string
	pre   []string
	items [][]string
	// more is the line that stands for n items not shown ("… 12 more
	// topics"); nil for a list that is the last few of many anyway (the
	// decisions), whose cut needs no line.
	more func(n int) string
}

// need is how many rows s takes whole.
func (s section) need() int {
	n := 1 + len(s.pre)
	for _, it := range s.items {
		n += len(it)
	}
	return n
}

// render is s in at most rows lines. Items that do not fit are counted in
// the "more" line rather than cut silently; with a single row, the count
// goes on the heading.
func (s section) render(rows int) []string {
	if rows <= 0 {
		return nil
	}
	out := []string{s.head}
	for _, l := range s.pre {
		if len(out) == rows {
			break
		}
		out = append(out, l)
	}
	for i, it := range s.items {
		left := rows - len(out)
		last := i == len(s.items)-1
		if len(it) <= left && (last || s.more == nil || len(it) < left) {
			out = append(out, it...)
			continue
		}
		if s.more == nil && i == 0 && left > 0 {
			// Not even the newest decision fits whole: its beginning,
			// marked as cut, rather than an empty section.
			out = append(out, it[:left]...)
			out[len(out)-1] += "…"
		}
		if s.more != nil {
			if left > 0 {
				out = append(out, s.more(len(s.items)-i))
			} else {
				out[0] += "  " + strings.TrimSpace(s.more(len(s.items)-i))
			}
		}
		break
	}
	return out
}

// share splits rows between the nodes, the topics and the decisions. When
// all do not fit, the nodes get about a quarter (few nodes: all of them),
// the topics at most half of what is left, the decisions the rest: a
// service with dozens of topics keeps its decisions on screen.
func share(rows, nodes, topics, decisions int) (n, t, d int) {
	if nodes+topics+decisions <= rows {
		return nodes, topics, decisions
	}
	n = min(nodes, max(3, rows/4))
	if rows < 8 {
		n = min(nodes, 1)
	}
	rest := rows - n
	t = min(topics, max(2, rest/2))
	if rest < 4 {
		t = min(topics, 1)
	}
	d = min(decisions, rest-t)
	t = min(topics, rest-d)
	return n, t, d
}

// plural is n and the noun, in the plural unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// wrapList packs words into at most maxLines lines of w cells; words that
// do not fit are counted on the last line ("… +5 more") rather than lost
// silently.
func wrapList(words []string, w, maxLines int) []string {
	width := func(ws []string) int { return paint.Width(strings.Join(ws, " ")) }
	var rows [][]string
	for _, wd := range words {
		if n := len(rows); n > 0 && width(append(slices.Clip(rows[n-1]), wd)) <= w {
			rows[n-1] = append(rows[n-1], wd)
			continue
		}
		rows = append(rows, []string{wd})
	}
	if maxLines > 0 && len(rows) > maxLines {
		hidden := 0
		for _, r := range rows[maxLines:] {
			hidden += len(r)
		}
		rows = rows[:maxLines]
		last := rows[maxLines-1]
		for {
			tail := "… +" + strconv.Itoa(hidden) + " more"
			if len(last) == 0 || width(append(slices.Clip(last), tail)) <= w {
				rows[maxLines-1] = append(slices.Clip(last), tail)
				break
			}
			last = last[:len(last)-1]
			hidden++
		}
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, strings.Join(r, " "))
	}
	return out
}

// fitMiddle cuts plain (sanitised) text to at most w cells with "…" in the
// middle: two long topics that share a prefix ("amoptui-bench-…-1",
// "amoptui-bench-…-2") stay apart.
func fitMiddle(s string, w int) string {
	sw := paint.Width(s)
	if sw <= w {
		return s
	}
	if w < 6 {
		out, _ := paint.Fit(s, w)
		return out
	}
	tail := (w - 1) / 2
	head := w - 1 - tail
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, sw-tail, "")
}

// topicLabel is a topic as the view shows it: sanitised, and quoted when
// spaces at its ends (or nothing at all) would otherwise not be seen.
func topicLabel(topic string) string {
	s := sanitize.String(topic)
	if s == "" || strings.TrimSpace(s) != s {
		return `"` + s + `"`
	}
	return s
}

// fitTitle is the frame's title in w cells: the parts joined by " · ",
// dropping the middle ones first (chain, group), then the first
// ("network"), then the line: the last part, which says which semantics
// are on screen ("ideal nodes", "like FISCO BCOS 3.16.4"), goes last.
func fitTitle(parts []string, w int) string {
	join := func(ps []string) string { return strings.Join(ps, " · ") }
	wide := func() bool { return len(parts) > 1 && paint.Width(join(parts)) > w }
	for len(parts) > 3 && wide() {
		parts = slices.Delete(slices.Clone(parts), len(parts)-2, len(parts)-1)
	}
	if wide() {
		parts = parts[1:]
	}
	if wide() {
		parts = parts[len(parts)-1:]
	}
	return join(parts)
}
