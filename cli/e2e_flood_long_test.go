//go:build flood

package cli

import (
	"testing"
	"time"
)

// TestFloodReport is issue 6's flood measurement: 10,000 msgs/s for 10 s
// from the node into the real TUI in tmux. It reports the TUI process's CPU
// (goal ≤ 50 % of a core), its memory (bounded by the scrollback cap), the
// drops (counted and shown) and key-press-to-screen latency (goal p99
// ≤ 100 ms); it fails only on the sanity checks of TestFloodSanity.
//
//	go test -tags flood -run TestFloodReport -v .
func TestFloodReport(t *testing.T) {
	r := runFlood(t, 10000, 10*time.Second)
	t.Log(r)
}
