package tmpl

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)

func render(t *testing.T, src string, d Data, opts Options) string {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	tp, err := Parse(src, opts)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	b, err := tp.Render(d)
	if err != nil {
		t.Fatalf("Render(%q): %v", src, err)
	}
	return string(b)
}

func TestPlainTextIsSentAsTyped(t *testing.T) {
	for _, s := range []string{"", "hello", "{ not a template }", "a } b { c", "{x}", "100% {", "\x00\xff binary"} {
		tp, err := Parse(s, Options{})
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if tp.IsTemplate() {
			t.Errorf("%q taken for a template", s)
		}
		b, err := tp.Render(Data{Seq: 3})
		if err != nil || string(b) != s {
			t.Errorf("Render(%q) = %q, %v", s, b, err)
		}
	}
}

func TestFields(t *testing.T) {
	d := Data{Seq: 7, Topic: "svc", Mode: "unicast"}
	cases := map[string]string{
		"n={{.Seq}}":                     "n=7",
		"{{.Topic}}/{{.Mode}}":           "svc/unicast",
		"{{.Now}}":                       "2026-03-04T05:06:07.890Z",
		`{{.Now.Format "15:04:05.000"}}`: "05:06:07.890",
		"{{.Now.UnixMilli}}":             "1772600767890",
		`{{"{{"}}literal}}`:              "{{literal}}",
		`{{json "a\"b"}}`:                `"a\"b"`,
	}
	for src, want := range cases {
		if got := render(t, src, d, Options{}); got != want {
			t.Errorf("%s = %q, want %q", src, got, want)
		}
	}
}

func TestNowComesFromData(t *testing.T) {
	at := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := render(t, "{{.Now.Year}}", Data{Now: Time{at}}, Options{}); got != "2020" {
		t.Fatalf("got %q", got)
	}
}

func TestUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	got := render(t, "{{.UUID}} {{uuid}}", Data{}, Options{})
	a, b, _ := strings.Cut(got, " ")
	if !re.MatchString(a) || !re.MatchString(b) {
		t.Fatalf("not v4 UUIDs: %q", got)
	}
	if a == b {
		t.Fatalf("two calls gave the same UUID %q", a)
	}
}

func TestRandom(t *testing.T) {
	for _, n := range []int{0, 1, 7, 64, 1000} {
		h := render(t, "{{random "+itoa(n)+"}}", Data{}, Options{})
		if len(h) != n {
			t.Fatalf("random %d: %d characters", n, len(h))
		}
		if _, err := hex.DecodeString(h + strings.Repeat("0", n%2)); err != nil {
			t.Fatalf("random %d not hex: %q", n, h)
		}
		b := render(t, "{{random "+itoa(n)+` "base64"}}`, Data{}, Options{})
		if len(b) != n {
			t.Fatalf("random %d base64: %d characters", n, len(b))
		}
		if n%4 == 0 {
			if _, err := base64.RawStdEncoding.DecodeString(b); err != nil {
				t.Fatalf("random %d base64 not base64: %q", n, b)
			}
		}
	}
	// The source is the one given.
	got := render(t, "{{random 8}}", Data{}, Options{Rand: bytes.NewReader([]byte{1, 2, 3, 4})})
	if got != "01020304" {
		t.Fatalf("random 8 from a fixed source = %q", got)
	}
	// Two renderings differ.
	tp, _ := Parse("{{random 32}}", Options{})
	x, _ := tp.Render(Data{})
	y, _ := tp.Render(Data{})
	if bytes.Equal(x, y) {
		t.Fatal("random repeated itself")
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"a":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got := render(t, `[{{file "x.json"}}]`, Data{}, Options{BaseDir: dir})
	if got != `[{"a":1}]` {
		t.Fatalf("got %q", got)
	}
	// Absolute paths ignore BaseDir.
	got = render(t, `{{file "`+filepath.Join(dir, "x.json")+`"}}`, Data{}, Options{BaseDir: "/nonexistent"})
	if got != `{"a":1}` {
		t.Fatalf("absolute: got %q", got)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 101), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := map[string]string{
		"{{.Seq":          "unclosed action",
		"{{nosuch 1}}":    `function "nosuch" not defined`,
		"{{if .Seq}}open": "unexpected EOF",
	}
	for src, want := range parse {
		_, err := Parse(src, Options{})
		var te *Error
		if !errors.As(err, &te) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `{{"{{"}}`) {
			t.Errorf("Parse(%q) = %v, want an *Error with %q and the hint", src, err, want)
		}
	}
	exec := map[string]string{
		"{{.Sequence}}":                   "Sequence",
		`{{file "missing.json"}}`:         "no such file",
		`{{file "big"}}`:                  "larger than 100 bytes",
		`{{file "."}}`:                    "not a regular file",
		`{{file ""}}`:                     "empty path",
		"{{random -1}}":                   "want 0 to",
		`{{random 4 "rot13"}}`:            "unknown encoding",
		`{{random 4 "a" "b"}}`:            "at most one encoding",
		"{{random 99999999999}}":          "want 0 to",
		"{{range 1000}}xxxxxxxxxx{{end}}": "exceed 1000 bytes",
	}
	for src, want := range exec {
		tp, err := Parse(src, Options{BaseDir: dir, MaxFile: 100, MaxOutput: 1000})
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		_, err = tp.Render(Data{})
		var te *Error
		if !errors.As(err, &te) || !strings.Contains(err.Error(), want) {
			t.Errorf("Render(%q) = %v, want an *Error with %q", src, err, want)
		}
		if strings.Contains(err.Error(), "executing") {
			t.Errorf("Render(%q): noise left in %q", src, err)
		}
	}
}

func TestResponderFields(t *testing.T) {
	re := regexp.MustCompile(`^get (\w+)$`)
	d := Data{Data: "get user", Matches: re.FindStringSubmatch("get user"), Topic: "svc"}
	got := render(t, `{"{{.Match 1}}":{{json .Data}},"none":"{{.Match 5}}"}`, d, Options{})
	if got != `{"user":"get user","none":""}` {
		t.Fatalf("got %q", got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestErrorsInPlainWords: a template error says what is wrong without Go's
// internals — no printed values, no Go type names, no "can't evaluate" —
// and keeps the line:column.
func TestErrorsInPlainWords(t *testing.T) {
	for src, want := range map[string]string{
		"{{range .}}x{{end}}":        "template: 1:8: {{range .}}: . is not a list (range goes through a list, such as .Matches)",
		"{{range .Topic}}{{end}}":    "template: 1:8: {{range .Topic}}: .Topic is not a list",
		"{{.Foo}}":                   "template: 1:2: .Foo: there is no .Foo; there are .Seq .Topic .Mode .Now .UUID",
		"{{.Seq.X}}":                 "template: 1:6: .Seq.X: a number has no .X",
		"{{.Now.Foo}}":               "template: 1:6: .Now.Foo: a time has no .Foo (it has .Format",
		"{{.Match}}":                 "template: 1:2: .Match: Match takes 1 argument, not 0",
		"{{printf}}":                 "template: 1:2: printf: printf takes at least 1 argument, not 0",
		`{{.Match "a"}}`:             `template: 1:9: "a": a number is needed here, not "a"`,
		"{{.Seq 1}}":                 "template: 1:2: .Seq: .Seq is a value and takes no arguments",
		`{{if eq .Seq "a"}}x{{end}}`: "template: 1:5: incompatible types for comparison: a number and a text",
		"{{len .Seq}}":               "template: 1:2: len of a number: len counts",
		"{{call .Seq}}":              "template: 1:2: .Seq is a number, not a function",
		"{{random 99999999999}}":     "template: 1:2: random 99999999999: want 0 to",
	} {
		tp, err := Parse(src, Options{})
		if err == nil {
			_, err = tp.Render(Data{Seq: 8, Topic: "hello", Mode: "unicast"})
		}
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v\n want %s…", src, err, want)
			continue
		}
		for _, leak := range []string{"tmpl.", "{8 ", "can't", "executing", "payload", " int"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: %q shows %q", src, err, leak)
			}
		}
	}
}
