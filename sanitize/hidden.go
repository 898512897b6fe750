package sanitize

import (
	"strconv"
	"unicode/utf8"
)

// c0Names are the usual abbreviations of the C0 controls.
var c0Names = [32]string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
	"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"}

// Hidden names what in b a terminal would act on or not draw, should the
// raw bytes ever reach one (pasted into a shell, say): C0 controls but
// line feed and tab, DEL, C1 controls, format characters (bidi overrides,
// zero-width characters) and the other runes String replaces, and invalid
// UTF-8. It returns at most max distinct names in the order met — "ESC",
// "CR", "U+202E", "invalid UTF-8" — and nil for text that is what it looks
// like.
func Hidden(b []byte, max int) []string {
	var names []string
	add := func(n string) bool {
		for _, have := range names {
			if have == n {
				return len(names) < max
			}
		}
		names = append(names, n)
		return len(names) < max
	}
	for i := 0; i < len(b) && max > 0; {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '\n' || c == '\t':
			case c < 0x20:
				if !add(c0Names[c]) {
					return names
				}
			case c == 0x7f:
				if !add("DEL") {
					return names
				}
			}
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			if !add("invalid UTF-8") {
				return names
			}
		case replaced(r):
			if !add("U+" + hex4(r)) {
				return names
			}
		}
	}
	return names
}

// hex4 is r in uppercase hex, at least four digits.
func hex4(r rune) string {
	s := strconv.FormatInt(int64(r), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
