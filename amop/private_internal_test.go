package amop

import "testing"

// TestChallengeClash: leaving a private topic must first leave every other
// subscription whose go-sdk challenge key could contain the leaving one's
// (go-sdk finds the key by substring, in random map order).
func TestChallengeClash(t *testing.T) {
	cases := []struct {
		other, leaving string
		clash          bool
	}{
		{"ab", "a", true},                                        // "…_ab_<uuid>" contains "…_a"
		{"room", "room_1", true},                                 // "…_room_1e3f…" contains "…_room_1" when the uuid starts with 1
		{"team", "team_a", true},                                 // likewise for a uuid starting with a
		{"team", "team_abc0", true},                              // any lowercase-hex start of the uuid
		{"team", "team_x", false},                                // not hex: no uuid starts so
		{"team", "team_A", false},                                // go-sdk's uuid is lowercase
		{"a", "ab", false},                                       // "…_a_<uuid>" never contains "…_ab"
		{"room", "room", false},                                  // itself
		{"x", "x_" + "0123456789abcdef0123456789abcdef0", false}, // longer than a uuid
	}
	for _, c := range cases {
		if got := challengeClash(c.other, c.leaving); got != c.clash {
			t.Errorf("challengeClash(%q, %q) = %v, want %v", c.other, c.leaving, got, c.clash)
		}
	}
}
