package sanitize

import (
	"bytes"
	"encoding/json"
	"strings"
)

// PrettyJSON returns b indented by two spaces per level, one sanitised line
// per element, when b is a valid JSON document (any JSON value, surrounded
// by optional whitespace); otherwise nil and false. Strings keep their
// original escapes (json.Indent does not decode them), and raw runes inside
// strings that are unsafe (bidi overrides, C1, DEL) become placeholders like
// everywhere else.
func PrettyJSON(b []byte) ([]string, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return nil, false
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for i, l := range lines {
		lines[i] = String(l)
	}
	return lines, true
}
