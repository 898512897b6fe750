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
	fs.DurationVar(&e.timeout, "exec-timeout", responder.DefaultTimeout, fmt.Sprintf("bound of each --exec run, above 0 and at most %v; the node waits %v for a reply", responder.MaxTimeout, responder.NodeWait))
	fs.IntVar(&e.maxOut, "exec-max-output", responder.DefaultMaxOutput, fmt.Sprintf("largest reply --exec may print, 1 to %d bytes", responder.OutputLimit))
}

// visit records which responder flags fs was given.
func (e *execFlags) visit(fs *flag.FlagSet) {
	e.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { e.set[f.Name] = true })
}

// policy is the auto-reply: --exec, or --reply's text. Every responder flag
// is checked, with the range it accepts.
func (e *execFlags) policy(reply string, std stdio) (amop.ReplyPolicy, error) {
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
	if e.timeout <= 0 || e.timeout > responder.MaxTimeout {
		return amop.ReplyPolicy{}, usagef("--exec-timeout %v: want a duration above 0 and at most %v (the node waits %v for a reply)",
			e.timeout, responder.MaxTimeout, responder.NodeWait)
	}
	if e.maxOut < 1 || e.maxOut > responder.OutputLimit {
		return amop.ReplyPolicy{}, usagef("--exec-max-output %d: want 1 to %d bytes", e.maxOut, responder.OutputLimit)
	}
	x, warn, err := responder.NewExec(responder.ExecOptions{Command: e.command, Shell: e.shell, Timeout: e.timeout, MaxOutput: e.maxOut})
	if err != nil {
		return amop.ReplyPolicy{}, usagef("--exec: %v", err)
	}
	if warn != "" {
		std.note("sub", "warning: "+warn)
	}
	return amop.ReplyPolicy{Mode: amop.ReplyFunc, Responder: x}, nil
}
