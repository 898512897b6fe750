//go:build chaos

package attack_test

import (
	"strings"
	"testing"
	"time"
)

// TestAttacksLong runs every attack for a minute, as the chaos suite's long
// run (about 8 minutes in all), the bystander's p99 held to 100 ms (a quiet
// machine):
//
//	go test -race -tags chaos -run 'TestAttacksLong|TestHostileNodeLong' -v ./attack/
func TestAttacksLong(t *testing.T) {
	for _, a := range attacks {
		t.Run(strings.Fields(a.name)[0], func(t *testing.T) { runAttack(t, a, time.Minute, p99Strict) })
	}
}

// TestHostileNodeLong pushes ten ~100 MB frames on each of three topics.
func TestHostileNodeLong(t *testing.T) {
	runHostileNode(t, 10, 100_000_000)
}
