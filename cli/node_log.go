package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/amoptui/amoptui/amop/netobs"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/netview"
)

// decisionSource is what the node's lines mode polls: either local network.
type decisionSource interface {
	Decisions(since uint64) (ds []netobs.Decision, next, lost uint64)
}

// logDecisions prints one line per routing decision of src to w, polled
// as the live view polls them, until the returned stop is called; stop
// prints what is left and returns once nothing more is written. Polling
// keeps the routing path as the live view keeps it: a decision costs a copy
// into the observer's ring, never a write or a wait, and a writer that
// cannot keep up loses decisions (it says how many), never slows routing.
func logDecisions(w io.Writer, src decisionSource) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	var since uint64
	poll := func() {
		ds, next, lost := src.Decisions(since)
		since = next
		if len(ds) == 0 && lost == 0 {
			return
		}
		// One write per poll: stdout may be a pipe to a service manager.
		var b strings.Builder
		if lost > 0 {
			fmt.Fprintf(&b, "%s %d routing decisions not printed (more than the node keeps between two polls)\n", time.Now().Format(decisionTime), lost)
		}
		for _, d := range ds {
			// Topics come from the network: shown, never obeyed.
			fmt.Fprintf(&b, "%s %s\n", d.At.Format(decisionTime), sanitize.String(d.String()))
		}
		_, _ = io.WriteString(w, b.String())
	}
	poll() // turns the keeping of decisions on
	go func() {
		defer close(done)
		t := time.NewTicker(netview.PollInterval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				poll()
				return
			case <-t.C:
				poll()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		<-done
	}
}

// decisionTime is the clock of a decision line: the live view's.
const decisionTime = "15:04:05.000"

// nodeLogHelp is --log's help, the same on both lines.
const nodeLogHelp = "print lines, not the live view, even on a terminal (the view shows when stdin and stdout are terminals): the banner and one line per routing decision on stdout, warnings on stderr (--verbose: sessions too)"
