package cli

import (
	"flag"
	"fmt"
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
}

func (e *execFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.command, "exec", "", "answer each unicast request with the stdout of `CMD`, run per request with the payload on stdin and AMOP_TOPIC, AMOP_SEQ, AMOP_N in its environment (no shell: words are split, nothing expanded)")
	fs.BoolVar(&e.shell, "exec-shell", false, "run --exec CMD with /bin/sh -c (pipes, variables); the payload still only arrives on stdin")
	fs.DurationVar(&e.timeout, "exec-timeout", responder.DefaultTimeout, fmt.Sprintf("bound of each --exec run, at most %v; the node waits %v for a reply", responder.MaxTimeout, responder.NodeWait))
	fs.IntVar(&e.maxOut, "exec-max-output", responder.DefaultMaxOutput, "largest reply --exec may print, in bytes")
}

// policy is the auto-reply: --exec, or --reply's text.
func (e *execFlags) policy(reply string, std stdio) (amop.ReplyPolicy, error) {
	if e.command == "" {
		if e.shell {
			return amop.ReplyPolicy{}, usagef("--exec-shell needs --exec CMD")
		}
		return amop.ParseReplyPolicy(reply), nil
	}
	if reply != "" {
		return amop.ReplyPolicy{}, usagef("--reply and --exec are exclusive")
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
