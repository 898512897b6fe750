package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary documents to Parse. It must never panic; every
// error must be a Problems of clean one-line messages; and a document it
// accepts must either validate or fail validation the same clean way.
// Seeds: testdata/fuzz/FuzzParse (the example file, valid and broken
// documents).
func FuzzParse(f *testing.F) {
	if example, err := os.ReadFile(filepath.Join("..", "config.example.toml")); err == nil {
		f.Add(example)
	}
	f.Add([]byte("nodes = [\"a:1\", 2]\n[ui]\nlayuot = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.toml")
		if err != nil {
			checkClean(t, err)
			return
		}
		if err := c.Validate(); err != nil {
			checkClean(t, err)
		}
	})
}

// checkClean asserts err is a non-empty Problems whose messages are single
// lines of printable text that name a key or a position.
func checkClean(t *testing.T, err error) {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) || len(ps) == 0 {
		t.Fatalf("error is not Problems: %#v", err)
	}
	for _, p := range ps {
		msg := p.Error()
		if p.Msg == "" || (p.Key == "" && p.Line == 0) {
			t.Fatalf("problem without key or line: %q", msg)
		}
		if !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool {
			return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)
		}) {
			t.Fatalf("problem text is not clean: %q", msg)
		}
	}
}
