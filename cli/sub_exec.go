package cli

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/responder"
)

// execFlags are sub's responder flags.
type execFlags struct {
	command string
	shell   bool
	timeout time.Duration
	maxOut  int
	set     map[string]bool // the responder flags given
}

func (e *execFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.command, "exec", "", "answer each unicast request with the stdout of `CMD`, run per request with the payload on stdin and "+
		strings.Join(responder.EnvNames, ", ")+" in its environment (no shell: words are split, nothing expanded)")
	fs.BoolVar(&e.shell, "exec-shell", false, "run --exec CMD with /bin/sh -c (pipes, variables); the payload still only arrives on stdin")
	fs.DurationVar(&e.timeout, "exec-timeout", responder.DefaultTimeout, "bound of each --exec run, "+execTimeoutRange())
	fs.IntVar(&e.maxOut, "exec-max-output", responder.DefaultMaxOutput, fmt.Sprintf("largest reply --exec may print, 1 to %d bytes", responder.OutputLimit))
}

// visit records which responder flags fs was given.
func (e *execFlags) visit(fs *flag.FlagSet) {
	e.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { e.set[f.Name] = true })
}

// policy is the auto-reply: --exec, or --reply's text. Every responder flag
// is checked, with the range it accepts on line (--fisco); with LineAuto
// the timeout is checked against the most lenient line's limits here, and
// against the line found once connected (checkLine).
func (e *execFlags) policy(reply string, line amop.Line) (amop.ReplyPolicy, error) {
	if !e.set["exec"] {
		for _, f := range []string{"exec-shell", "exec-timeout", "exec-max-output"} {
			if e.set[f] {
				return amop.ReplyPolicy{}, usagef("--%s needs --exec CMD", f)
			}
		}
		return amop.ParseReplyPolicy(reply), nil
	}
	if strings.TrimSpace(e.command) == "" {
		return amop.ReplyPolicy{}, usagef("--exec: the command is empty; give the command to run per request")
	}
	if reply != "" {
		return amop.ReplyPolicy{}, usagef("--reply and --exec are exclusive")
	}
	if line == amop.LineAuto {
		// Until connected, the longer wait: refuses only what no line takes.
		if _, err := responder.LimitsOf(amop.Line3).Check(e.timeout); err != nil {
			return amop.ReplyPolicy{}, usagef("--exec-timeout %v: want a duration %s", e.timeout, execTimeoutRange())
		}
		line = amop.Line3
	} else if _, err := responder.LimitsOf(line).Check(e.timeout); err != nil {
		return amop.ReplyPolicy{}, usagef("--exec-timeout %v: want a duration %s", e.timeout, responder.LimitsOf(line).Range())
	}
	if e.maxOut < 1 || e.maxOut > responder.OutputLimit {
		return amop.ReplyPolicy{}, usagef("--exec-max-output %d: want 1 to %d bytes", e.maxOut, responder.OutputLimit)
	}
	// The warning waits for checkLine, which knows the line.
	x, _, err := responder.NewExec(responder.ExecOptions{Command: e.command, Shell: e.shell, Timeout: e.timeout, MaxOutput: e.maxOut, Line: line})
	if err != nil {
		return amop.ReplyPolicy{}, usagef("--exec: %v", err)
	}
	return amop.ReplyPolicy{Mode: amop.ReplyFunc, Responder: x}, nil
}

// checkLine checks --exec-timeout against the limits of the line the
// client speaks (for --fisco auto, the one detected), before any request
// can arrive: out of range is a usage error, past the node's wait a
// warning.
func (e *execFlags) checkLine(line amop.Line, std stdio) error {
	if !e.set["exec"] {
		return nil
	}
	l := responder.LimitsOf(line)
	warn, err := l.Check(e.timeout)
	if err != nil {
		return usagef("--exec-timeout %v: want a duration %s", e.timeout, l.Range())
	}
	if warn != "" {
		std.note("sub", "warning: "+warn)
	}
	return nil
}

// execTimeoutRange is what --exec-timeout takes on either line, in words.
func execTimeoutRange() string {
	l2, l3 := responder.LimitsOf(amop.Line2), responder.LimitsOf(amop.Line3)
	return fmt.Sprintf("above 0 and at most %v on FISCO BCOS 2.x (its node waits %v for a reply), %v on 3.x (its node waits %v)",
		l2.Max, l2.NodeWait, l3.Max, l3.NodeWait)
}
