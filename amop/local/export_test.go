package local

import "time"

// SetClock replaces the wall clock a faithful network seeds its picks with
// (rows 12 and 19), so that a test can choose the second.
func SetClock(n *Network, clock func() time.Time) {
	if n.f != nil {
		n.f.clock = clock
	}
}

// TimePick is the index a 2.9.1 node picks among n candidates in the second
// unix.
func TimePick(unix int64, n int) int { return timePick(unix, n) }
