package sanitize

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// checkSafe asserts every guarantee of the package on out, the sanitised
// form of some input.
func checkSafe(t testing.TB, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("output is not valid UTF-8: %q", out)
	}
	for i := 0; i < len(out); i++ {
		if c := out[i]; c < 0x20 || c == 0x7f {
			t.Fatalf("control byte %#x at %d in %q", c, i, out)
		}
	}
	for _, r := range out {
		switch {
		case r >= 0x80 && r < 0xa0:
			t.Fatalf("C1 control %U in %q", r, out)
		case unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			t.Fatalf("format or separator %U in %q", r, out)
		case !unicode.IsGraphic(r) && !unicode.Is(unicode.Co, r):
			t.Fatalf("non-graphic %U in %q", r, out)
		}
	}
	if again := String(out); again != out {
		t.Fatalf("not idempotent:\n once %q\ntwice %q", out, again)
	}
	if w, lw := Width(out), lipgloss.Width(out); w != lw {
		t.Fatalf("Width %d != lipgloss.Width %d for %q", w, lw, out)
	}
}

// The terminal-injection corpus of issue 6 item 5.
var injection = []struct {
	name, in, want string
}{
	{"plain", "hello, FISCO BCOS", "hello, FISCO BCOS"},
	{"OSC 0 title", "\x1b]0;pwned\x07after", "␛]0;pwned␇after"},
	{"OSC 2 title ST", "\x1b]2;pwned\x1b\\after", "␛]2;pwned␛\\after"},
	{"OSC 8 link", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "␛]8;;https://evil.example␛\\click␛]8;;␛\\"},
	{"OSC 52 clipboard", "\x1b]52;c;cm0gLXJmIH4=\x07", "␛]52;c;cm0gLXJmIH4=␇"},
	{"CSI clear", "\x1b[2J\x1b[H", "␛[2J␛[H"},
	{"CSI cursor moves", "\x1b[10;10H\x1b[5A\x1b[3C", "␛[10;10H␛[5A␛[3C"},
	{"SGR", "\x1b[31mred\x1b[0m", "␛[31mred␛[0m"},
	{"DCS", "\x1bPq#0;2;0;0;0\x1b\\", "␛Pq#0;2;0;0;0␛\\"},
	{"APC", "\x1b_Gf=24;AAAA\x1b\\", "␛_Gf=24;AAAA␛\\"},
	{"ESC c reset", "\x1bc", "␛c"},
	{"C1 CSI", "\u009b2J\u009d0;t\u009c", "<U+009B>2J<U+009D>0;t<U+009C>"},
	{"raw 8-bit CSI", "\x9b2J", `\x9b2J`},
	{"CR overwrite", "rm -rf /\rls", "rm -rf /␍ls"},
	{"BS overwrite", "good\b\b\b\bevil", "good␈␈␈␈evil"},
	{"LF", "line1\nline2\r\n", "line1␊line2␍␊"},
	{"NUL and DEL", "a\x00b\x7fc", "a␀b␡c"},
	{"tab", "a\tbc\tdefg\th", "a   bc  defg    h"},
	{"bidi override", "abc\u202edcba\u202c", "abc<U+202E>dcba<U+202C>"},
	{"bidi isolates and marks", "\u2066x\u2069\u2067\u2068\u200e\u200f\u202a\u202b\u202d",
		"<U+2066>x<U+2069><U+2067><U+2068><U+200E><U+200F><U+202A><U+202B><U+202D>"},
	{"zero width", "a\u200bb\u200cc\u200dd\u2060e\ufeff", "a<U+200B>b<U+200C>c<U+200D>d<U+2060>e<U+FEFF>"},
	{"invisible operators", "\u2061\u2062\u2063\u2064", "<U+2061><U+2062><U+2063><U+2064>"},
	{"soft hyphen and tags", "a\u00adb\U000E0041", "a<U+00AD>b<U+E0041>"},
	{"line separators", "a\u2028b\u2029c\u0085", "a<U+2028>b<U+2029>c<U+0085>"},
	{"invalid UTF-8", "ok\xff\xfe\xc3(", `ok\xff\xfe\xc3(`},
	{"truncated rune at end", "ab\xe4\xb8", `ab\xe4\xb8`},
	{"surrogate encoding", "\xed\xa0\x80", `\xed\xa0\x80`},
	{"overlong", "\xc0\xaf", `\xc0\xaf`},
	{"unassigned and noncharacter", "\U000E0080\uffff", "<U+E0080><U+FFFF>"},
	{"Hangul filler", "a\u3164b\u115fc", "a<U+3164>b<U+115F>c"},
	{"CJK kept", "你好，世界", "你好，世界"},
	{"combining kept", "e\u0301 cafe\u0301", "e\u0301 cafe\u0301"},
	{"wide emoji kept", "ok 😀👍", "ok 😀👍"},
	{"VS16 on narrow base", "I \u2764\ufe0f you", "I \u2764<U+FE0F> you"},
	{"VS16 on wide base kept", "\U0001F600\ufe0f", "\U0001F600\ufe0f"},
	{"skin tone", "\U0001F44D\U0001F3FD", "\U0001F44D<U+1F3FD>"},
	{"ZWJ family", "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\U0001F468<U+200D>\U0001F469<U+200D>\U0001F467"},
	{"halfwidth voiced", "\uff76\uff9e", "\uff76<U+FF9E>"},
	{"Devanagari conjunct", "\u0915\u094d\u0937", "\u0915<U+094D>\u0937"},
	{"Devanagari spacing vowel", "\u0915\u093e", "\u0915<U+093E>"},
	{"width changed after Unicode 15", "\u2630", "<U+2630>"},
	{"prepend mark", "\u0d4ea", "<U+0D4E>a"},
	{"combining at start kept", "\u0301x", "\u0301x"},
	{"control picture literal", "␛[2J", "␛[2J"},
}

func TestStringInjectionCorpus(t *testing.T) {
	for _, tc := range injection {
		t.Run(tc.name, func(t *testing.T) {
			got := String(tc.in)
			if got != tc.want {
				t.Fatalf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			checkSafe(t, got)
			if b := Bytes([]byte(tc.in)); b != got {
				t.Fatalf("Bytes differs from String: %q vs %q", b, got)
			}
		})
	}
}

func TestStringPlainASCIINotCopied(t *testing.T) {
	s := strings.Repeat("hello ", 100)
	if n := testing.AllocsPerRun(10, func() { _ = String(s) }); n != 0 {
		t.Fatalf("String allocated %v times on plain ASCII", n)
	}
}

func TestZalgoCapped(t *testing.T) {
	in := "e" + strings.Repeat("\u0301", 40) + "x"
	got := String(in)
	checkSafe(t, got)
	// The run restarts after each placeholder: 16 kept, one shown, 16
	// kept, one shown, the last 6 kept.
	m := strings.Repeat("\u0301", MaxZeroWidthRun)
	want := "e" + m + "<U+0301>" + m + "<U+0301>" + strings.Repeat("\u0301", 40-2*MaxZeroWidthRun-2) + "x"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestLongClustersBroken(t *testing.T) {
	// Hangul leading consonants join without limit; each extra one also
	// disagrees in width, and the work must stay linear.
	in := strings.Repeat("\u1100", 50000)
	got := String(in)
	checkSafe(t, got)
	if !strings.HasPrefix(got, "\u1100<U+1100>\u1100<U+1100>") {
		t.Fatalf("unexpected %q", got[:40])
	}
}

func TestWidthOfStyledText(t *testing.T) {
	s := String("你好 \x1b[31m")
	styled := lipgloss.NewStyle().Bold(true).Render(s)
	if Width(styled) != lipgloss.Width(styled) || Width(styled) != Width(s) {
		t.Fatalf("Width(styled)=%d lipgloss=%d plain=%d", Width(styled), lipgloss.Width(styled), Width(s))
	}
	if got := Width("ab\n你好你"); got != 6 {
		t.Fatalf("multi-line width %d, want the widest line, 6", got)
	}
}

// TestEverySingleRune checks the guarantees for every code point on its
// own, after ASCII and after a wide base, which covers each table the
// sanitiser relies on.
func TestEverySingleRune(t *testing.T) {
	if testing.Short() {
		t.Skip("walks all of Unicode")
	}
	step := rune(1)
	if raceEnabled {
		step = 7 // the race detector makes the full walk slow; sample it
	}
	for r := rune(0); r <= unicode.MaxRune; r += step {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		if !unicode.IsGraphic(r) && r%251 != 0 {
			continue // unassigned, private use and controls: a sample will do
		}
		s := string(r)
		for _, in := range []string{"a" + s + "b", "中" + s + s + "a", s + "\u0301"} {
			checkSafe(t, String(in))
		}
	}
}

// TestPrependTable checks isPrepend against the segmenter lipgloss uses: a
// kept rune must never join the ASCII that follows it.
func TestPrependTable(t *testing.T) {
	for r := rune(0xa0); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff || !unicode.IsGraphic(r) {
			continue
		}
		s := string(r)
		cl, _ := ansi.FirstGraphemeCluster(s+"a", ansi.GraphemeWidth)
		if joins := len(cl) > len(s); joins != isPrepend(r) {
			t.Errorf("%U: joins following ASCII %v, isPrepend %v", r, joins, isPrepend(r))
		}
	}
}

func TestPreview(t *testing.T) {
	cases := []struct {
		in     string
		max    int
		want   string
		wantCt bool
	}{
		{"hello", 10, "hello", false},
		{"hello", 5, "hello", false},
		{"hello!", 5, "hell…", true},
		{"你好世界", 5, "你好…", true},
		{"你好世界", 8, "你好世界", false},
		{"你好世界", 7, "你好世…", true},
		{"a\x1bb", 3, "a␛b", false},
		{"a\u202eb", 6, "a…", true}, // placeholders are never split
		{"abc", 0, "", true},
		{"", 0, "", false},
		{"\u0301", 0, "\u0301", false}, // zero width fits in zero cells
		{"abc", -3, "", true},
		{"", 5, "", false},
		{"ab", 1, "…", true},
		{"e\u0301e\u0301e\u0301", 2, "e\u0301…", true},
		{"a\tb", 4, "a  …", true},
	}
	for _, tc := range cases {
		got, cut := Preview([]byte(tc.in), tc.max)
		if got != tc.want || cut != tc.wantCt {
			t.Errorf("Preview(%q, %d) = %q, %v; want %q, %v", tc.in, tc.max, got, cut, tc.want, tc.wantCt)
			continue
		}
		if tc.in != "" || got != "" {
			checkSafe(t, got)
		}
		if w := Width(got); w > max(tc.max, 0) {
			t.Errorf("Preview(%q, %d) width %d", tc.in, tc.max, w)
		}
	}
}

func TestPreviewMatchesString(t *testing.T) {
	inputs := []string{
		strings.Repeat("ab\x1b[2J你\u202e\xff", 50),
		strings.Repeat("e\u0301", 300),
		strings.Repeat("\u0301", 5000) + "tail",
		strings.Repeat("\u1100", 3000),
		"x" + strings.Repeat("\u0915\u094d\u0937", 200),
	}
	for _, in := range inputs {
		full := String(in)
		for _, max := range []int{1, 2, 3, 10, 79, 200, 1 << 20} {
			got, cut := PreviewString(in, max)
			checkSafe(t, got)
			if Width(got) > max {
				t.Fatalf("width %d > %d", Width(got), max)
			}
			if !cut {
				if got != full {
					t.Fatalf("uncut preview differs from String")
				}
				continue
			}
			prefix := strings.TrimSuffix(got, Ellipsis)
			if !strings.HasPrefix(full, prefix) {
				t.Fatalf("preview %q is not a prefix of String", got)
			}
			if b, _ := Preview([]byte(in), max); b != got {
				t.Fatalf("Preview and PreviewString differ")
			}
		}
	}
}

// TestPreviewIsCheap checks the input is cut before processing: a 100 KB
// line costs about what its first screenful costs.
func TestPreviewIsCheap(t *testing.T) {
	line := bytes.Repeat([]byte("0123456789"), 10_000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 100
	for range runs {
		if _, cut := Preview(line, 120); !cut {
			t.Fatal("not cut")
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 8<<10 {
		t.Fatalf("Preview of a 100 KB line allocated %d bytes per call", per)
	}
}

func TestIsBinary(t *testing.T) {
	cases := []struct {
		in   []byte
		want bool
	}{
		{nil, false},
		{[]byte("hello\tworld\r\n"), false},
		{[]byte("\xff\xfe"), true},
		{[]byte{0, 1, 2, 3, 'a'}, true},
		{[]byte("a long line of text with one escape \x1b[0m in it"), false},
		{[]byte("你好，世界"), false},
		{append(bytes.Repeat([]byte("text "), 2000), 0xff), true},
	}
	for _, tc := range cases {
		if got := IsBinary(tc.in); got != tc.want {
			t.Errorf("IsBinary(%q) = %v", tc.in, got)
		}
	}
}

func TestHex(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"Hello", 10, "48 65 6c 6c 6f"},
		{"Hello", 5, "48 65 6c 6c 6f"},
		{"Hello", 2, "48 65 …"},
		{"Hello", 0, "…"},
		{"", 4, ""},
		{"\x00\xff", 8, "00 ff"},
	}
	for _, tc := range cases {
		if got := Hex([]byte(tc.in), tc.max); got != tc.want {
			t.Errorf("Hex(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// The expected dumps were produced by util-linux hexdump -C.
func TestHexDump(t *testing.T) {
	cases := []struct {
		in   []byte
		want []string
	}{
		{nil, nil},
		{[]byte("Hello, world!\n"), []string{
			"00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a        |Hello, world!.|",
			"0000000e",
		}},
		{make([]byte, 40), []string{
			"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|",
			"*",
			"00000020  00 00 00 00 00 00 00 00                           |........|",
			"00000028",
		}},
		{[]byte("0123456789abcdef0123456789abcdef0123456789abcdefX"), []string{
			"00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|",
			"*",
			"00000030  58                                                |X|",
			"00000031",
		}},
		{[]byte("\x1b[2J\x9b\x7f\xe4\xbd\xa0"), []string{
			"00000000  1b 5b 32 4a 9b 7f e4 bd  a0                       |.[2J.....|",
			"00000009",
		}},
	}
	for _, tc := range cases {
		got := HexDump(tc.in)
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("HexDump(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		for _, l := range got {
			checkSafe(t, l)
		}
	}
}

func TestPrettyJSON(t *testing.T) {
	got, ok := PrettyJSON([]byte(` {"a":[1,2],"b":{"c":"x\u001b\u202e` + "\u202e" + `"}} `))
	want := []string{
		"{",
		`  "a": [`,
		"    1,",
		"    2",
		"  ],",
		`  "b": {`,
		`    "c": "x\u001b\u202e<U+202E>"`,
		"  }",
		"}",
	}
	if !ok || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("PrettyJSON = %q, %v\nwant %q", got, ok, want)
	}
	for _, in := range []string{"", "hello", "{", `{"a":1}x`, "\xff"} {
		if lines, ok := PrettyJSON([]byte(in)); ok || lines != nil {
			t.Errorf("PrettyJSON(%q) accepted", in)
		}
	}
	if lines, ok := PrettyJSON([]byte("42")); !ok || len(lines) != 1 || lines[0] != "42" {
		t.Errorf("PrettyJSON(42) = %q, %v", lines, ok)
	}
}
