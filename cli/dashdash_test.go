package cli

import (
	"strings"
	"testing"
)

// TestDashDashAmongTheArguments: "--" after ENDPOINT is not where the flags
// end (the flag package stopped at ENDPOINT), so it would be read as a
// topic or a message; it is refused with where it goes, and "--" before
// ENDPOINT still lets a message start with "-".
func TestDashDashAmongTheArguments(t *testing.T) {
	ep := "127.0.0.1:1"
	for _, args := range [][]string{
		{"pub", ep, "--", "t", "m"},
		{"pub", ep, "t", "--", "-x"},
		{"sub", ep, "--", "t"},
	} {
		code, _, errOut := runCmd(t, "", args...)
		want := "-- goes before ENDPOINT, where the flags end: amoptui " + args[0] + " [FLAGS] -- ENDPOINT TOPIC"
		if code != exitUsage || !strings.Contains(errOut, want) {
			t.Errorf("%q: exit %d, stderr %q, want it to contain %q", args, code, errOut, want)
		}
	}
	// Before ENDPOINT it ends the flags: the arguments are taken, and the
	// run goes on to the endpoint (its messages are tagged with it).
	_, _, errOut := runCmd(t, "", "pub", "--connect-timeout", "300ms", "--", ep, "t", "-x")
	if strings.Contains(errOut, "goes before") || !strings.Contains(errOut, "amoptui pub "+ep+":") {
		t.Errorf("pub -- EP t -x: the arguments were not taken:\n%s", errOut)
	}
}

// TestLikeProblemInTheCommandLinesWords: a bad --like names the flag, the
// value and what is wanted — not the package that parsed it.
func TestLikeProblemInTheCommandLinesWords(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"node", "--like", "2.8", "--listen", "127.0.0.1:0", "--log"}, `amoptui node: --like 2.8: want "ideal" (the default), "2.9" or "2.9.1"`},
		{[]string{"node", "--fisco", "3", "--like", "2.9", "--listen", "127.0.0.1:0", "--log"}, `amoptui node: --like 2.9: want "ideal" (the default), "3.16" or "3.16.4"`},
	} {
		code, _, errOut := runCmd(t, "", c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "local") {
			t.Errorf("%q: exit %d\n%s\nwant %q", c.args, code, errOut, c.want)
		}
	}
}
