package local

import "testing"

// TestTimePickMatchesBoost compares the faithful pick with boost 1.74's
// boost::mt19937 + boost::uniform_int<int>, the generator of
// Service::asyncSendMessageByTopic and ChannelRPCServer::asyncPushChannelMessage
// (rows 12 and 19 of real-nodes.md). The table was printed by a C++ program
// built against libboost-random-dev 1.74: for each seed and list size, the
// first draw (the only one a node makes) and the second (to check the
// generator beyond its first output).
func TestTimePickMatchesBoost(t *testing.T) {
	golden := [][4]int64{
		{0, 1, 0, 0}, {0, 2, 1, 1}, {0, 3, 1, 1}, {0, 5, 2, 2}, {0, 7, 3, 4}, {0, 64, 35, 37}, {0, 1000, 548, 592},
		{1, 1, 0, 0}, {1, 2, 0, 1}, {1, 3, 1, 2}, {1, 5, 2, 4}, {1, 7, 2, 6}, {1, 64, 26, 63}, {1, 1000, 417, 997},
		{5489, 1, 0, 0}, {5489, 2, 1, 0}, {5489, 3, 2, 0}, {5489, 5, 4, 0}, {5489, 7, 5, 0}, {5489, 64, 52, 8}, {5489, 1000, 814, 135},
		{1700000000, 1, 0, 0}, {1700000000, 2, 0, 1}, {1700000000, 3, 0, 2}, {1700000000, 5, 1, 4}, {1700000000, 7, 1, 6}, {1700000000, 64, 14, 56}, {1700000000, 1000, 233, 887},
		{1700000001, 1, 0, 0}, {1700000001, 2, 0, 0}, {1700000001, 3, 1, 0}, {1700000001, 5, 2, 0}, {1700000001, 7, 3, 1}, {1700000001, 64, 28, 11}, {1700000001, 1000, 450, 185},
		{1735689600, 1, 0, 0}, {1735689600, 2, 1, 0}, {1735689600, 3, 1, 0}, {1735689600, 5, 2, 0}, {1735689600, 7, 3, 0}, {1735689600, 64, 35, 7}, {1735689600, 1000, 547, 114},
		{4294967295, 1, 0, 0}, {4294967295, 2, 0, 0}, {4294967295, 3, 0, 0}, {4294967295, 5, 0, 0}, {4294967295, 7, 0, 0}, {4294967295, 64, 6, 7}, {4294967295, 1000, 97, 111},
		{2000000000, 1, 0, 0}, {2000000000, 2, 1, 0}, {2000000000, 3, 2, 1}, {2000000000, 5, 4, 2}, {2000000000, 7, 5, 3}, {2000000000, 64, 53, 30}, {2000000000, 1000, 828, 471},
	}
	for _, g := range golden {
		seed, n := g[0], int(g[1])
		m := newMT19937(uint32(seed))
		a, b := m.uniformInt(n), m.uniformInt(n)
		if int64(a) != g[2] || int64(b) != g[3] {
			t.Errorf("seed %d, n %d: draws %d, %d; boost gives %d, %d", seed, n, a, b, g[2], g[3])
		}
		if p := timePick(seed, n); int64(p) != g[2] {
			t.Errorf("timePick(%d, %d) = %d; want %d", seed, n, p, g[2])
		}
	}
	if v := newMT19937(5489).next(); v != 3499211612 {
		t.Fatalf("mt19937(5489) first output %d; want 3499211612", v)
	}
}
