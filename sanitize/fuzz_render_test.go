package sanitize

import (
	"encoding/json"
	"strings"
	"testing"
)

// The expanded view of a message shows network bytes through PrettyJSON,
// Hex and HexDump; these targets hold them to the package guarantees.
// Seeds: testdata/fuzz/FuzzPrettyJSON and FuzzHexDump.

// FuzzPrettyJSON: every line is safe, and a document is accepted exactly
// when encoding/json finds it valid.
func FuzzPrettyJSON(f *testing.F) {
	f.Add([]byte(`{"id":1,"items":["a","b"],"nested":{"x":null}}`))
	f.Add([]byte(`"\u001b]0;pwned\u0007"`))
	f.Add([]byte("[\"\u202eevil\",\"\x1b[2J\"]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, ok := PrettyJSON(b)
		if ok != json.Valid(b) {
			t.Fatalf("PrettyJSON ok=%v, json.Valid=%v", ok, json.Valid(b))
		}
		for _, l := range lines {
			if l != "" {
				checkSafe(t, l)
			}
		}
	})
}

// FuzzHexDump: every line is safe; the dump ends with the length, as
// hexdump -C does; Hex stays within its byte budget.
func FuzzHexDump(f *testing.F) {
	f.Add([]byte("\xff\xfebinary\x00\x1b]52;c;eA==\x07"), uint8(8))
	f.Add(make([]byte, 100), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, max uint8) {
		lines := HexDump(b)
		if len(b) > 0 && (len(lines) == 0 || lines[len(lines)-1] != hexOffset(len(b))) {
			t.Fatalf("dump of %d bytes ends with %q", len(b), lines)
		}
		for _, l := range lines {
			checkSafe(t, l)
		}
		h := Hex(b, int(max))
		if h != "" {
			checkSafe(t, h)
		}
		if pairs := len(strings.Fields(strings.TrimSuffix(h, Ellipsis))); pairs > int(max) || pairs > len(b) {
			t.Fatalf("Hex(%d bytes, %d) gave %d pairs", len(b), max, pairs)
		}
		_ = IsBinary(b)
	})
}
