package sanitize

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzString checks the package guarantees on arbitrary bytes: no control
// byte, C1 or format character survives, the output is valid UTF-8, one
// line, idempotent, and Width agrees with lipgloss.Width.
// Seeds: testdata/fuzz/FuzzString (the injection corpus and friends).
func FuzzString(f *testing.F) {
	for _, tc := range injection {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out := Bytes(data)
		checkSafe(t, out)
		if s := String(string(data)); s != out {
			t.Fatalf("String and Bytes differ: %q vs %q", s, out)
		}
	})
}

// FuzzPreview checks Preview: the guarantees of String, a width of at most
// maxWidth, and text that is String's output or a prefix of it plus the
// ellipsis. Seeds: testdata/fuzz/FuzzPreview.
func FuzzPreview(f *testing.F) {
	for i, tc := range injection {
		f.Add([]byte(tc.in), uint16(i%12))
	}
	f.Add(bytes.Repeat([]byte("\u0301"), 3000), uint16(20))
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		maxWidth := int(max % 600)
		text, cut := Preview(data, maxWidth)
		if text != "" {
			checkSafe(t, text)
		}
		if w := Width(text); w > maxWidth {
			t.Fatalf("Preview(%q, %d) has width %d", data, maxWidth, w)
		}
		full := Bytes(data)
		if !cut {
			if text != full {
				t.Fatalf("uncut Preview %q differs from Bytes %q", text, full)
			}
		} else if !strings.HasPrefix(full, strings.TrimSuffix(text, Ellipsis)) {
			t.Fatalf("Preview %q is not a prefix of %q", text, full)
		} else if Width(full) <= maxWidth {
			t.Fatalf("Preview cut %q although it fits in %d", full, maxWidth)
		}
		if s, c := PreviewString(string(data), maxWidth); s != text || c != cut {
			t.Fatalf("PreviewString differs")
		}
	})
}

// BenchmarkPreview100KB measures the per-render cost of a 100 KB single line
// cut to a pane width: it must not depend on the line length.
func BenchmarkPreview100KB(b *testing.B) {
	line := bytes.Repeat([]byte("hello 你好 \x1b[2J "), 100_000/20)
	b.ReportAllocs()
	for b.Loop() {
		Preview(line, 120)
	}
}

// BenchmarkString100KB is the cost of sanitising the whole line, for
// comparison with BenchmarkPreview100KB.
func BenchmarkString100KB(b *testing.B) {
	line := bytes.Repeat([]byte("hello 你好 \x1b[2J "), 100_000/20)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		Bytes(line)
	}
}
