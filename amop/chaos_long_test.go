//go:build chaos

package amop_test

import "testing"

// TestChaosLong is issue 6's full chaos run: 20 restarts of the local
// network's nodes (random 0–3 s down, same ports) under a unicast and a
// multicast every 50 ms, each recovery held to backoff + 1 s itself (on a
// quiet machine: see runChaos). About 80 s:
//
//	go test -race -tags chaos -run TestChaosLong -v ./amop/
func TestChaosLong(t *testing.T) {
	runChaos(t, 20, true)
}
