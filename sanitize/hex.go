package sanitize

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// binarySample is how much of a payload IsBinary inspects for control
// characters: enough to judge, cheap on a huge payload.
const binarySample = 4096

// IsBinary reports whether b is better shown as hex than as text: it is not
// valid UTF-8, it contains NUL, or more than 30 % of its first 4 KiB are
// control characters other than tab, LF, CR and the ESC, BEL and BS of
// terminal escape sequences (which are text, shown escaped). Empty input is
// text.
func IsBinary(b []byte) bool {
	if !utf8.Valid(b) {
		return true
	}
	sample := b
	if len(sample) > binarySample {
		sample = sample[:binarySample]
	}
	total, ctrl := 0, 0
	for len(sample) > 0 {
		r, n := utf8.DecodeRune(sample)
		sample = sample[n:]
		if r == utf8.RuneError && n <= 1 {
			break // a rune cut by the sample limit, not invalid data
		}
		total++
		switch {
		case r == 0:
			return true // text never carries NUL; serialised data often does
		case r == '\t', r == '\n', r == '\r', r == 0x1b, r == 0x07, r == 0x08:
			// Line breaks, and the bytes of terminal escape sequences: a
			// payload full of them is text trying to drive the terminal, and
			// the reader should see what it says, escaped.
		case r < 0x20, r >= 0x7f && r < 0xa0:
			ctrl++
		}
	}
	return ctrl*10 > total*3
}

// Hex returns at most maxBytes bytes of b as lowercase hex pairs separated
// by spaces, "48 65 6c 6c 6f", followed by " …" when b is longer.
func Hex(b []byte, maxBytes int) string {
	if maxBytes < 0 {
		maxBytes = 0
	}
	n := min(len(b), maxBytes)
	var sb strings.Builder
	sb.Grow(3*n + len(Ellipsis) + 1)
	for i, c := range b[:n] {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteByte(hexDigits[c>>4])
		sb.WriteByte(hexDigits[c&0xf])
	}
	if len(b) > n {
		if n > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(Ellipsis)
	}
	return sb.String()
}

// HexDump returns b in the format of `hexdump -C`: per 16 bytes an 8-digit
// offset, two groups of eight hex bytes and the bytes as ASCII between bars
// (anything outside 0x20–0x7e shows as '.'). Runs of identical lines
// collapse into one "*" line, and a last line gives the length, exactly as
// hexdump does, so the output can be checked against the real tool. Empty
// input gives no lines.
func HexDump(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	lines := make([]string, 0, (len(b)+15)/16+1)
	var prev []byte
	starred := false
	for off := 0; off < len(b); off += 16 {
		row := b[off:min(off+16, len(b))]
		if len(row) == 16 && prev != nil && bytes.Equal(row, prev) {
			if !starred {
				lines = append(lines, "*")
				starred = true
			}
			continue
		}
		prev, starred = row, false
		lines = append(lines, dumpLine(off, row))
	}
	return append(lines, hexOffset(len(b)))
}

// dumpLine formats one hexdump -C line for up to 16 bytes at offset off.
func dumpLine(off int, row []byte) string {
	var sb strings.Builder
	sb.Grow(78)
	sb.WriteString(hexOffset(off))
	sb.WriteString("  ")
	for i := range 16 {
		if i == 8 {
			sb.WriteByte(' ')
		}
		if i < len(row) {
			sb.WriteByte(hexDigits[row[i]>>4])
			sb.WriteByte(hexDigits[row[i]&0xf])
			sb.WriteByte(' ')
		} else {
			sb.WriteString("   ")
		}
	}
	sb.WriteString(" |")
	for _, c := range row {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		sb.WriteByte(c)
	}
	sb.WriteByte('|')
	return sb.String()
}

// hexOffset formats an offset as hexdump does: at least eight hex digits.
func hexOffset(off int) string {
	var buf [16]byte
	i := len(buf)
	for v := uint64(off); v > 0 || i > len(buf)-8; v >>= 4 {
		i--
		buf[i] = hexDigits[v&0xf]
	}
	return string(buf[i:])
}
