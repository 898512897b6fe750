package paint

import "strings"

// Border is a set of box-drawing characters.
type Border struct {
	TL, TR, BL, BR, H, V string
}

// Light is the border of a pane that is not the active one.
var Light = Border{TL: "┌", TR: "┐", BL: "└", BR: "┘", H: "─", V: "│"}

// Heavy marks the active pane: the difference stays visible without colour
// (NO_COLOR, monochrome terminals).
var Heavy = Border{TL: "┏", TR: "┓", BL: "┗", BR: "┛", H: "━", V: "┃"}

// FrameStyle is how a frame is drawn.
type FrameStyle struct {
	Border Border
	Line   Paint // the border characters
	Title  Paint // the title and the footnote
}

// Frame draws a box of exactly w×h cells around body, whose lines must each
// be exactly w-2 cells wide (missing lines are blank). title sits in the top
// edge, note in the bottom edge at the right; both are plain text and are cut
// to fit. It appends to dst and returns it. Nothing is drawn when w < 2 or
// h < 2.
func Frame(dst []string, body []string, w, h int, title, note string, st FrameStyle) []string {
	if w < 2 || h < 2 {
		return dst
	}
	inner := w - 2
	b := st.Border
	dst = append(dst, edge(b.TL, b.TR, b.H, title, inner, false, st))
	v := st.Line.S(b.V)
	blank := strings.Repeat(" ", inner)
	for i := 0; i < h-2; i++ {
		line := blank
		if i < len(body) {
			line = body[i]
		}
		dst = append(dst, v+line+v)
	}
	return append(dst, edge(b.BL, b.BR, b.H, note, inner, true, st))
}

// edge draws a top or bottom border with text embedded: left-aligned after
// one border character for the top, right-aligned before the last one for
// the bottom.
func edge(l, r, h, text string, inner int, right bool, st FrameStyle) string {
	var sb strings.Builder
	sb.Grow(inner*3 + 32)
	if text == "" || inner < 5 {
		sb.WriteString(st.Line.S(l + strings.Repeat(h, inner) + r))
		return sb.String()
	}
	t, tw := Fit(" "+text+" ", inner-2)
	rest := inner - tw - 1
	if right {
		sb.WriteString(st.Line.S(l + strings.Repeat(h, rest)))
		sb.WriteString(st.Title.S(t))
		sb.WriteString(st.Line.S(h + r))
		return sb.String()
	}
	sb.WriteString(st.Line.S(l + h))
	sb.WriteString(st.Title.S(t))
	sb.WriteString(st.Line.S(strings.Repeat(h, rest) + r))
	return sb.String()
}
