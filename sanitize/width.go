package sanitize

import (
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/text/width"
)

// ambiguousWide mirrors x/ansi (and so lipgloss): with RUNEWIDTH_EASTASIAN
// set to a true value, East Asian ambiguous characters take two cells. Our
// model must follow the same switch or every ambiguous character (Greek,
// Cyrillic, "…") would disagree and be replaced.
var ambiguousWide = func() bool {
	v, err := strconv.ParseBool(os.Getenv("RUNEWIDTH_EASTASIAN"))
	return err == nil && v
}()

// Width is the display width of s in terminal cells, measured the way a
// wcwidth-based terminal advances its cursor: code point by code point, 0
// for combining and format characters, 2 for East Asian wide and fullwidth
// characters, 1 otherwise. ANSI escape sequences are skipped and, as in
// lipgloss.Width, the widest line counts.
//
// For every string this package returns, Width equals lipgloss.Width: the
// sanitiser replaces whatever would make the two disagree. For other strings
// they may differ, and then Width is the one that matches the terminal.
func Width(s string) int {
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = ansi.Strip(s)
	}
	max := 0
	for {
		line, rest, more := strings.Cut(s, "\n")
		if w := lineWidth(line); w > max {
			max = w
		}
		if !more {
			return max
		}
		s = rest
	}
}

// lineWidth sums runeWidth over s without any escape handling.
func lineWidth(s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x80 {
			if c >= 0x20 && c < 0x7f {
				w++
			}
			continue
		}
		// Multi-byte rune: decode it (range over the rest would restart).
		r, n := utf8.DecodeRuneInString(s[i:])
		w += runeWidth(r)
		i += n - 1
	}
	return w
}

// runeWidth is the terminal model: glibc/xterm wcwidth rules on Unicode 15
// tables (the version of Go's unicode package and of x/text/width). Runes
// whose width changed in later Unicode versions are exactly the ones where
// terminals disagree with each other and with lipgloss (which uses newer
// tables); the sanitiser detects and replaces them.
func runeWidth(r rune) int {
	switch {
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		return 0
	case r < 0x300:
		if r == 0xad { // soft hyphen, a format character
			return 0
		}
		return 1
	case r >= 0x1160 && r <= 0x11ff, r >= 0xd7b0 && r <= 0xd7ff:
		// Hangul medial vowels and final consonants: glibc draws them
		// inside the preceding syllable block.
		return 0
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	case width.EastAsianAmbiguous:
		if ambiguousWide {
			return 2
		}
	}
	return 1
}
