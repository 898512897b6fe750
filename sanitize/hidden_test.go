package sanitize

import (
	"reflect"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestHidden(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"plain text\nwith lines\tand tabs", nil},
		{"héllo 世界 👍", nil},
		{"rm -rf ~ \x1b[2K\r echo harmless\n", []string{"ESC", "CR"}},
		{"a\x07b\x1b]0;t\x07", []string{"BEL", "ESC"}},
		{"\u202eevil\u202c", []string{"U+202E", "U+202C"}},
		{"zero\u200bwidth", []string{"U+200B"}},
		{"\x9b2J", []string{"invalid UTF-8"}},
		{"c1 \u009b2J", []string{"U+009B"}},
		{"\x00\x01\x02\x03\x04\x05", []string{"NUL", "SOH", "STX", "ETX"}},
		{"del\x7f", []string{"DEL"}},
	}
	for _, c := range cases {
		if got := Hidden([]byte(c.in), 4); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Hidden(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Every control, format character and separator (but line feed and
	// tab) is named; letters, digits and punctuation are not, but for the
	// invisible fillers and prepended marks String replaces too.
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r == '\n' || r == '\t' || !utf8.ValidRune(r) {
			continue
		}
		hidden := Hidden([]byte(string(r)), 1) != nil
		switch {
		case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) && !hidden:
			t.Errorf("%U not named", r)
		case unicode.In(r, unicode.L, unicode.N, unicode.P) && hidden && !isPrepend(r) && !isInvisible(r):
			t.Errorf("%U named", r)
		}
	}
}
