// Package paint holds the small rendering helpers every ui component shares:
// pre-split styles, fitting plain text to a width, and the box frame around
// lists and panes.
//
// Why not lipgloss.Style.Render everywhere: Render re-resolves adaptive
// colours and re-parses its input on every call, which is a large part of a
// frame's cost when a pane repaints dozens of lines. A Paint is a style
// resolved once into the escape sequences that open and close it, so
// colouring a span costs one string concatenation. Only inline attributes
// (colours, bold, faint, reverse, underline) survive the split; padding,
// margins and widths must not be used with it.
package paint

import (
	"regexp"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Paint is a style split into the sequence that opens it and the one that
// closes it. The zero Paint leaves text unchanged.
type Paint struct {
	pre, post string
}

// From resolves s (with the renderer it was made with) into a Paint.
func From(s lipgloss.Style) Paint {
	// The marker is a plain letter: it cannot occur inside an SGR sequence,
	// which only holds digits, ';', '[' and 'm'.
	out := s.Render("X")
	i := strings.IndexByte(out, 'X')
	if i < 0 {
		return Paint{}
	}
	return Paint{pre: out[:i], post: out[i+1:]}
}

// S wraps text, which must already be safe for the terminal, in the paint.
func (p Paint) S(text string) string {
	if text == "" || (p.pre == "" && p.post == "") {
		return text
	}
	return p.pre + text + p.post
}

// Width is the number of terminal cells s occupies, escape sequences
// excluded: the same measure lipgloss uses.
func Width(s string) int { return ansi.StringWidth(s) }

// Fit cuts plain (already sanitised) text to at most w cells, ending it with
// "…" when something was cut, and returns the result with its width.
func Fit(s string, w int) (string, int) {
	if w <= 0 {
		return "", 0
	}
	sw := ansi.StringWidth(s)
	if sw <= w {
		return s, sw
	}
	out := ansi.Truncate(s, w, "…")
	return out, ansi.StringWidth(out)
}

// Wrap breaks plain (sanitised) text into lines of at most w cells: at
// spaces where it can, inside a word where it must. It returns at least
// one line. Notes, hints and errors wrap rather than end in "…": they are
// the program talking to the user.
func Wrap(s string, w int) []string {
	if w <= 0 || ansi.StringWidth(s) <= w {
		return []string{s}
	}
	// A number stays on the line of the word before it ("AMOP 104",
	// "attempt 9"): the space between them does not break.
	// A hyphen is not a place to break either (ansi.Wrap takes every "-"
	// for one): "--node" and "a->b" stay whole.
	s = wordNumber.ReplaceAllString(s, "$1\u00a0$2")
	s = numberUnit.ReplaceAllString(s, "$1\u00a0$2")
	s = strings.ReplaceAll(s, "-", "\u2011")
	out := strings.Split(ansi.Wrap(s, w, ""), "\n")
	for i, l := range out {
		out[i] = strings.NewReplacer("\u00a0", " ", "\u2011", "-").Replace(l)
	}
	return out
}

// wordNumber is a word and the number after it ("AMOP 104", "attempt
// 9"): a letter, a space, digits and the end of the number (an address
// such as 127.0.0.1:20200 is not glued to the word before it).
// numberUnit is a number and its unit ("30 s", "1.8 ms", "20 B").
var numberUnit = regexp.MustCompile(`(\d) (s|ms|µs|B|KiB|MiB|GiB)\b`)

var wordNumber = regexp.MustCompile(`(\pL) (\d[\d,]*(?:[\s),;]|$))`)

// Pad appends spaces to s, whose width is sw, until it is w cells wide.
func Pad(s string, sw, w int) string {
	if sw >= w {
		return s
	}
	return s + strings.Repeat(" ", w-sw)
}

// FitPad is Fit followed by Pad: plain text made exactly w cells wide.
func FitPad(s string, w int) string {
	out, ow := Fit(s, w)
	return Pad(out, ow, w)
}

// Clamp returns v limited to [lo, hi]; when hi < lo it returns lo.
func Clamp(v, lo, hi int) int {
	if v > hi {
		v = hi
	}
	if v < lo {
		v = lo
	}
	return v
}
