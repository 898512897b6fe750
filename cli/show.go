package cli

import (
	"strconv"

	"github.com/amoptui/amoptui/sanitize"
)

// shownMax is the most characters (terminal cells) of one payload or reply
// a headless command prints in its line of text: a page of a terminal. An
// 8 MiB binary payload would otherwise be a 21 MB line (each byte that is
// not text shows as \xNN). --json, which scripts read, always carries
// every byte.
const shownMax = 4096

// shown is b as safe text for a line of output: whole when it fits in
// shownMax characters, else cut there with a note of the whole size.
func shown(b []byte) string {
	text, cut := sanitize.Preview(b, shownMax)
	if !cut {
		return text
	}
	return text + " (cut at " + strconv.Itoa(shownMax) + " characters of " + strconv.Itoa(len(b)) + " bytes; --json prints every byte)"
}
