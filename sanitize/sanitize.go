// Package sanitize is the one place where untrusted text — AMOP payloads,
// topic names, error strings that came over the network — becomes text that
// is safe to hand to a terminal. Nothing else in the program may print such
// text without passing it through here.
//
// # Guarantees
//
// Every string returned by String, Bytes and Preview:
//   - is one line of valid UTF-8;
//   - contains no C0 control (no byte < 0x20, so no ESC, CR, LF, BS, NUL or
//     tab), no DEL, no C1 control (U+0080–U+009F), no format character
//     (category Cf: bidi overrides and isolates, zero-width characters, BOM,
//     soft hyphen, tags), no line or paragraph separator and no code point
//     unassigned in Unicode 15;
//   - is a fixed point: String(String(x)) == String(x);
//   - has Width(s) == lipgloss.Width(s): the width a wcwidth-style terminal
//     gives it equals the width lipgloss lays it out with.
//
// # Placeholder scheme
//
// Nothing is dropped silently; what cannot be shown becomes visible text:
//   - C0 controls and DEL become their Unicode Control Pictures, one cell
//     each: ESC → ␛, CR → ␍, LF → ␊, BS → ␈, NUL → ␀, DEL → ␡.
//   - A tab becomes spaces up to the next multiple of TabWidth columns.
//   - Invalid UTF-8 becomes `\xNN` per byte (lowercase hex): `\xff`.
//   - Any other code point that is not shown as itself becomes `<U+XXXX>`
//     (uppercase hex, at least four digits): C1 controls (U+009B → <U+009B>),
//     format characters (<U+202E>, <U+200B>, <U+FEFF>), separators,
//     unassigned code points, prepended concatenation marks, invisible
//     fillers (U+115F, U+3164, …) and the width-ambiguous runes below.
//
// The placeholders are ordinary text, so a payload that literally contains
// "\xff" or "<U+202E>" looks the same as one that contained the raw byte or
// rune; the expanded view (HexDump) tells them apart. Escaping the backslash
// instead would break idempotence.
//
// # Width agreement
//
// Terminals advance the cursor per code point (wcwidth); lipgloss measures
// per grapheme cluster. They agree on almost all text, including CJK (two
// cells), combining accents (zero) and most emoji. Where they do not, the
// offending rune becomes a placeholder, because a wrong width shifts every
// border drawn after it:
//   - runes whose width changed after Unicode 15 (e.g. U+2630 ☰, wide for
//     lipgloss's Unicode 17 tables, narrow for most terminals);
//   - VS16 (U+FE0F) after a narrow base (❤️: lipgloss 2 cells, wcwidth 1);
//   - emoji skin-tone modifiers after a base (👍🏽: lipgloss 2, wcwidth 4);
//   - the second regional indicator of a flag, halfwidth katakana voicing
//     marks, and Indic spacing vowel signs and conjuncts (lipgloss counts one
//     cluster, terminals draw every letter); for a conjunct the virama is
//     replaced so that both letters stay readable;
//   - more than MaxZeroWidthRun zero-width runes in a row ("Zalgo" text),
//     and grapheme clusters longer than 128 bytes, which bound the work per
//     cell of output.
//
// These properties hold for each returned string. Concatenating two of them
// can join a cluster across the seam when the second starts with a combining
// mark; keep a space or other ASCII between pieces, or measure the whole.
package sanitize

import (
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

const (
	// TabWidth is the tab stop distance used when a tab becomes spaces.
	// Columns count from the start of the sanitised text.
	TabWidth = 4

	// MaxZeroWidthRun is the number of zero-width runes (combining marks)
	// kept in a row; the next one becomes a placeholder. Real scripts stack
	// at most a handful, and the limit keeps Preview's work per output cell
	// bounded.
	MaxZeroWidthRun = 16

	// Ellipsis marks the end of text cut by Preview.
	Ellipsis = "…"

	// clusterWindow is the most bytes of one grapheme cluster looked at; a
	// longer cluster is broken with a placeholder.
	clusterWindow = 128
	// lookahead is how much sanitised text must be available to segment one
	// cluster: the window plus one rune to see where it ends.
	lookahead = clusterWindow + utf8.UTFMax
	// maxPlaceholder is the length of the longest placeholder, <U+10FFFF>.
	maxPlaceholder = 10
)

// String returns s as safe one-line text (see the package documentation).
// Printable ASCII is returned as is, without copying.
func String(s string) string {
	if plainASCII(s) {
		return s
	}
	e := engine{in: s, limit: -1}
	e.run()
	return string(e.out)
}

// Bytes is String for a byte slice; invalid UTF-8 bytes show as \xNN.
func Bytes(b []byte) string {
	return String(string(b))
}

// Preview returns b as safe text of at most maxWidth cells. When b does not
// fit, it is cut at a grapheme boundary and ends with Ellipsis, and cut is
// true. Only a prefix of b proportional to maxWidth is examined, so a
// megabyte-long line costs no more than a short one.
func Preview(b []byte, maxWidth int) (text string, cut bool) {
	return preview(len(b), func(n int) string { return string(b[:n]) }, maxWidth)
}

// PreviewString is Preview for a string, without copying it first.
func PreviewString(s string, maxWidth int) (text string, cut bool) {
	return preview(len(s), func(n int) string { return s[:n] }, maxWidth)
}

// preview runs the engine on growing prefixes of the input: the first guess
// covers ordinary text (at most four bytes per cell); only input made of
// zero-width runes or long clusters needs a bigger prefix.
func preview(size int, prefix func(n int) string, maxWidth int) (string, bool) {
	maxWidth = max(maxWidth, 0)
	n := size
	if maxWidth < size {
		n = (maxWidth+1)*utf8.UTFMax + 2*lookahead
	}
	for {
		if n > size {
			n = size
		}
		e := engine{in: prefix(n), more: n < size, limit: maxWidth, ellW: Width(Ellipsis)}
		if !e.run() {
			return e.preview()
		}
		n *= 2
	}
}

// plainASCII reports whether s needs no work at all.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// engine sanitises in two stages. Stage 1 (fill) maps each input rune on its
// own: controls to pictures, forbidden runes to placeholders, invalid bytes
// to \xNN. Stage 2 (run) walks the result by grapheme cluster exactly as
// lipgloss measures it and breaks clusters whose lipgloss width differs from
// the per-code-point width. Stage 1 runs only as far as stage 2 needs, which
// is what makes Preview cheap.
type engine struct {
	in   string // input, or a prefix of it when more is set
	more bool   // the input continues beyond in
	i    int    // stage 1: next byte of in

	cand []byte // stage 1 output
	p    int    // stage 2: next byte of cand

	out   []byte
	width int // Width of out
	zr    int // zero-width runes at the end of out

	limit   int // maximum width wanted, -1 for all
	ellW    int // width of the ellipsis Preview appends
	keepLen int // longest prefix of out that leaves room for the ellipsis
	cut     bool
}

// final reports whether stage 1 has consumed the whole input.
func (e *engine) final() bool { return e.i >= len(e.in) && !e.more }

// fill runs stage 1 until need bytes are ready past p or the input ends. With
// more set it stops before a rune split at the end of in.
func (e *engine) fill(need int) {
	for len(e.cand)-e.p < need && e.i < len(e.in) {
		c := e.in[e.i]
		if c < 0x80 {
			switch {
			case c >= 0x20 && c < 0x7f, c == '\t':
				e.cand = append(e.cand, c)
			case c == 0x7f:
				e.cand = append(e.cand, "␡"...)
			default:
				e.cand = utf8.AppendRune(e.cand, 0x2400+rune(c))
			}
			e.i++
			continue
		}
		r, n := utf8.DecodeRuneInString(e.in[e.i:])
		if r == utf8.RuneError && n <= 1 {
			if e.more && !utf8.FullRuneInString(e.in[e.i:]) {
				return // the rest of this rune is beyond the prefix
			}
			e.cand = append(e.cand, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			e.i++
			continue
		}
		if replaced(r) {
			e.cand = appendPlaceholder(e.cand, r)
		} else {
			e.cand = append(e.cand, e.in[e.i:e.i+n]...)
		}
		e.i += n
	}
}

// run is stage 2. It returns true when it stopped because in is only a
// prefix and more input is needed to decide; the caller retries with more.
func (e *engine) run() (needMore bool) {
	for {
		if e.limit >= 0 && e.width > e.limit {
			e.cut = true
			return false
		}
		e.fill(maxPlaceholder)
		if e.p >= len(e.cand) {
			return !e.final()
		}
		if c := e.cand[e.p]; c < 0x80 {
			e.zr = 0
			if n := placeholderLen(e.cand[e.p:]); n > 0 {
				// One unit, so Preview never shows half of one.
				e.out = append(e.out, e.cand[e.p:e.p+n]...)
				e.p += n
				e.advance(n)
				continue
			}
			e.p++
			if c != '\t' {
				e.out = append(e.out, c)
				e.advance(1)
				continue
			}
			for n := TabWidth - e.width%TabWidth; n > 0; n-- {
				e.out = append(e.out, ' ')
				e.advance(1)
			}
			continue
		}
		e.fill(lookahead)
		if len(e.cand)-e.p < lookahead && !e.final() {
			return true
		}
		e.cluster()
	}
}

// advance records that w cells were appended as one unit: Preview may cut
// after any unit.
func (e *engine) advance(w int) {
	e.width += w
	if e.limit >= 0 && e.width <= e.limit-e.ellW {
		e.keepLen = len(e.out)
	}
}

// cluster handles the grapheme cluster starting at p (a non-ASCII rune).
func (e *engine) cluster() {
	end := e.p + clusterWindow
	if end >= len(e.cand) {
		end = len(e.cand)
	} else {
		for end > e.p && !utf8.RuneStart(e.cand[end]) {
			end--
		}
	}
	window := e.cand[e.p:end]
	cl, lw := ansi.FirstGraphemeCluster(window, ansi.GraphemeWidth)
	// A cluster filling the whole window may go on beyond it: break it.
	open := len(cl) == len(window) && end < len(e.cand)

	// Fast path: the whole cluster agrees and can be kept.
	sum, zr := 0, e.zr
	zrOK := true
	for off := 0; off < len(cl); {
		r, n := utf8.DecodeRune(cl[off:])
		w := runeWidth(r)
		sum += w
		if w == 0 {
			zr++
			zrOK = zrOK && zr <= MaxZeroWidthRun
		} else {
			zr = 0
		}
		off += n
	}
	if !open && zrOK && sum == lw {
		e.out = append(e.out, cl...)
		e.p += len(cl)
		e.zr = zr
		e.advance(sum)
		return
	}

	// Slow path: find the first rune at which the prefix stops agreeing
	// (or the zero-width run overflows, or the window ends) and replace it.
	type state struct{ off, sum, zr int }
	prev, cur := state{-1, 0, e.zr}, state{0, 0, e.zr}
	bad := -1 // offset of the rune to replace
	for cur.off < len(cl) {
		r, n := utf8.DecodeRune(cl[cur.off:])
		w := runeWidth(r)
		next := state{cur.off + n, cur.sum + w, 0}
		if w == 0 {
			next.zr = cur.zr + 1
		}
		if next.zr > MaxZeroWidthRun {
			bad = cur.off
			break
		}
		if r < 0x80 || ansi.StringWidth(string(cl[:next.off])) != next.sum {
			bad = cur.off
			// An Indic conjunct (consonant, virama, consonant) is one
			// cluster to lipgloss but two letters on a terminal: show
			// the virama as a placeholder, keeping both letters.
			if r >= 0x80 && w > 0 && prev.off > 0 && isVirama(cl[prev.off:cur.off]) {
				bad, cur = prev.off, prev
			}
			if r < 0x80 {
				// Only a prepended mark can pull ASCII into a cluster,
				// and stage 1 replaces those; stay safe regardless.
				bad, cur = 0, state{0, 0, e.zr}
			}
			break
		}
		prev, cur = cur, next
	}
	if bad < 0 { // every prefix agrees: the cluster is only too long
		bad, cur = prev.off, prev
	}
	e.out = append(e.out, cl[:bad]...)
	e.zr = cur.zr
	e.advance(cur.sum)
	r, n := utf8.DecodeRune(cl[bad:])
	start := len(e.out)
	e.out = appendPlaceholder(e.out, r)
	e.zr = 0
	e.advance(len(e.out) - start)
	e.p += bad + n
}

// preview turns a finished engine into Preview's result.
func (e *engine) preview() (string, bool) {
	if !e.cut {
		return string(e.out), false
	}
	if e.limit < e.ellW {
		return "", true
	}
	return string(e.out[:e.keepLen]) + Ellipsis, true
}

const hexDigits = "0123456789abcdef"

// placeholderLen returns the length of the placeholder (<U+XXXX> or \xNN)
// at the start of b, or 0. Input that merely looks like one is treated the
// same way, which is harmless: it is ASCII either way.
func placeholderLen(b []byte) int {
	switch {
	case len(b) >= 4 && b[0] == '\\' && b[1] == 'x' && isHex(b[2]) && isHex(b[3]):
		return 4
	case len(b) >= 8 && b[0] == '<' && b[1] == 'U' && b[2] == '+':
		n := 3
		for n < len(b) && n < 9 && isHex(b[n]) {
			n++
		}
		if n >= 7 && n < len(b) && b[n] == '>' {
			return n + 1
		}
	}
	return 0
}

// isHex reports whether c is a hex digit of either case.
func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// appendPlaceholder appends <U+XXXX> for r.
func appendPlaceholder(dst []byte, r rune) []byte {
	const upper = "0123456789ABCDEF"
	dst = append(dst, '<', 'U', '+')
	digits := 4
	for v := r >> 16; v > 0; v >>= 4 {
		digits++
	}
	for shift := (digits - 1) * 4; shift >= 0; shift -= 4 {
		dst = append(dst, upper[(r>>shift)&0xf])
	}
	return append(dst, '>')
}

// replaced reports whether stage 1 shows a valid rune (≥ U+0080) as a
// placeholder regardless of its neighbours.
func replaced(r rune) bool {
	switch {
	case r < 0xa0: // C1 controls
		return true
	case r < 0x300:
		return r == 0xad // soft hyphen, category Cf
	case unicode.IsGraphic(r):
		return isPrepend(r) || isInvisible(r)
	}
	// Not graphic: Cf, Zl, Zp, Cn (and Cc, handled above). Private-use
	// characters are one cell everywhere and harmless; keep them.
	return !unicode.Is(unicode.Co, r)
}

// isPrepend lists the graphic runes with Grapheme_Cluster_Break=Prepend in
// the Unicode 17 tables of the segmenter lipgloss uses (the format ones are
// Cf and replaced anyway). A prepended mark joins whatever follows it, even
// ASCII or the Ellipsis, so it can never be shown safely.
// TestPrependTable checks this list against the segmenter.
func isPrepend(r rune) bool {
	switch {
	case r == 0x0d4e, r == 0x111c2, r == 0x111c3, r == 0x1193f, r == 0x11941,
		r >= 0x11a84 && r <= 0x11a89, r == 0x11d46, r == 0x11f02:
		return true
	}
	return false
}

// isInvisible lists graphic runes that draw nothing (default-ignorable
// fillers and selectors): shown as themselves they would let two different
// topics or payloads look identical.
func isInvisible(r rune) bool {
	switch r {
	case 0x034f, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180b, 0x180c, 0x180d,
		0x180f, 0x3164, 0xffa0:
		return true
	}
	return false
}

// isVirama reports whether b encodes a virama that links Indic conjuncts
// (Indic_Conjunct_Break=Linker).
func isVirama(b []byte) bool {
	r, _ := utf8.DecodeRune(b)
	switch r {
	case 0x094d, 0x09cd, 0x0acd, 0x0b4d, 0x0c4d, 0x0d4d:
		return true
	}
	return false
}
