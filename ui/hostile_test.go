package ui

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// waitForRE waits until the output so far matches re.
func waitForRE(t *testing.T, s *session, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.drain()
		if re.Match(s.out.Bytes()) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output never matched %v; last frame:\n%s", re, tail(s.out.Bytes(), 4000))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHostileNodeCountsShown: the real adapter's node turns hostile toward
// it (a frame of an unknown type before every frame, then a length under
// the header); the TUI stays up and its status bar shows the frames the
// guard discarded, and the reconnect.
func TestHostileNodeCountsShown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local network")
	}
	n := local.RunT(t, local.Options{Nodes: 1})
	s := start(t, New(realClient(t, n, 0), Options{Topics: []string{"v"}, Renderer: asciiRenderer()}), 120, 30)
	waitFor(t, s, "● connected", "joined v")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "v", 1); err != nil {
		t.Fatal(err)
	}
	if got, err := n.Hostile(0, "v", local.Behaviour{Kind: local.UnknownType}); err != nil || got != 1 {
		t.Fatalf("Hostile = %d, %v", got, err)
	}
	// The guard's heartbeat answers now come with junk: the count rises.
	waitForRE(t, s, regexp.MustCompile(`malformed [1-9]`))
	if _, err := n.Hostile(0, "v", local.Behaviour{Kind: local.ShortLength}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, "reconnected to ", "re-subscribed 1 topic")
	// Counters reach the UI on the adapter's 100 ms tick, which may come
	// after the reconnect is shown: wait for the count rather than read it.
	waitForRE(t, s, regexp.MustCompile(`malformed ([2-9]|[1-9][0-9]+)`))
	m := finalModel(t, s)
	if c := m.Counters(); c.Malformed < 2 {
		t.Fatalf("counters %+v", c)
	}
}
