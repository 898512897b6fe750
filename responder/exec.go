// Package responder answers unicast requests with something smarter than a
// fixed text: a local command run per request (Exec, `sub --exec` and
// `/reply exec`), and rules that match the request against a regular
// expression and reply with a payload template (Rule, `/reply match`).
// Chain puts them together behind amop.Responder.
//
// # Time bounds
//
// A request is answered on its topic's lane: while a responder runs, later
// messages on the same topic wait (other topics do not). A command gets
// DefaultTimeout (3 s) by default; its bounds depend on the line (Limits):
//
//   - FISCO BCOS 2.x: the reply is computed inside go-sdk's handler, and the
//     guard gives go-sdk 10 s for a push before it moves the topic's queue
//     on, so at most 9 s. The node itself waits 5 s for a subscriber's reply
//     (FISCO BCOS 2.x and amop/local) before it tries another subscriber or
//     answers the sender with AMOP 104.
//   - FISCO BCOS 3.x: no guard; the node waits 30 s (AMOPClient, and
//     amop/local3's default) and then answers the sender -4008, so at most
//     30 s.
//
// Anything at or past the node's wait means the sender has already been
// answered by someone else, which Limits.Check warns about.
package responder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/shlex"

	"github.com/amoptui/amoptui/amop"
)

// Bounds of a command run.
const (
	DefaultTimeout = 3 * time.Second
	// DefaultMaxOutput is the largest reply a command may print.
	DefaultMaxOutput = 1 << 20
	// OutputLimit bounds ExecOptions.MaxOutput: the largest payload a
	// client sends (the adapter's limit), so the largest reply there is.
	OutputLimit = 8 << 20
	// pipeGrace is how long the reply's pipe may stay open after the
	// command exited: a child it left in the background may hold it.
	pipeGrace = 250 * time.Millisecond
	// MaxConcurrent is how many commands run at once across all topics
	// (one per topic at most, by the guard's ordering).
	MaxConcurrent = 8
	// stderrKeep is how much of a failing command's stderr is quoted.
	stderrKeep = 512
)

// The environment variables a command gets for each request, besides
// amoptui's own environment. EnvNames lists them, in this order.
const (
	EnvTopic   = "AMOP_TOPIC"   // the topic
	EnvSeq     = "AMOP_SEQ"     // the frame's seq (32 hex digits)
	EnvN       = "AMOP_N"       // the request number: 1, 2, … per responder
	EnvSize    = "AMOP_SIZE"    // the payload's size in bytes
	EnvPrivate = "AMOP_PRIVATE" // true for a private topic's request
)

// Limits are a line's bounds of a command's run.
type Limits struct {
	// Line is the FISCO BCOS line they are of.
	Line amop.Line
	// NodeWait is how long a node of the line waits for a subscriber's
	// reply.
	NodeWait time.Duration
	// Max is the longest run allowed.
	Max time.Duration
	// after is what the node has done once NodeWait is over.
	after string
}

// LimitsOf are line's limits; LineAuto gets the 2.x ones, the stricter.
func LimitsOf(line amop.Line) Limits {
	if line == amop.Line3 {
		return Limits{Line: amop.Line3, NodeWait: amop.SubscriberWait3, Max: amop.SubscriberWait3,
			after: "the node has answered the sender -4008"}
	}
	// Max stays below the guard's 10 s deadline for go-sdk's answer to a
	// push, past which the topic's queue moves on anyway.
	return Limits{Line: amop.Line2, NodeWait: 5 * time.Second, Max: 9 * time.Second,
		after: "the node has tried another subscriber or answered AMOP 104"}
}

// Range is the accepted timeouts in words, for errors and help texts:
// "above 0 and at most 9s (a FISCO BCOS 2.x node waits 5s for a reply)".
func (l Limits) Range() string {
	return fmt.Sprintf("above 0 and at most %v (a %s node waits %v for a reply)", l.Max, l.Line.Name(), l.NodeWait)
}

// Check refuses a timeout out of range, and returns a warning for one that
// works but will not do what the user probably wants: at or past the
// node's own wait.
func (l Limits) Check(timeout time.Duration) (warn string, err error) {
	if timeout <= 0 || timeout > l.Max {
		return "", fmt.Errorf("timeout %v: want a duration %s", timeout, l.Range())
	}
	if timeout >= l.NodeWait {
		warn = fmt.Sprintf("exec timeout %v is at or past the %s node's %v wait for a reply: a slower answer reaches nobody (%s)",
			timeout, l.Line.Name(), l.NodeWait, l.after)
	}
	return warn, nil
}

// EnvNames are the variables a command gets, for help texts.
var EnvNames = []string{EnvTopic, EnvSeq, EnvN, EnvSize, EnvPrivate}

// ExecOptions configure Exec.
type ExecOptions struct {
	// Command is the command line. Without Shell it is split into words
	// like a shell would (quotes and backslashes), but nothing is expanded
	// and no shell runs: a payload can never become a command.
	Command string
	// Shell runs Command with /bin/sh -c instead (--exec-shell): pipes and
	// variables work, and the payload still only arrives on stdin.
	Shell bool
	// Timeout bounds each run (DefaultTimeout; within the Line's Limits).
	Timeout time.Duration
	// Line is the FISCO BCOS line the requests come from, whose Limits
	// the Timeout is checked against (LineAuto: 2.x's).
	Line amop.Line
	// MaxOutput bounds the reply (DefaultMaxOutput).
	MaxOutput int
	// Dir is the working directory ("" = the current one).
	Dir string
}

// Exec runs a local command per request: the payload on stdin, the topic,
// seq and request number in the environment (AMOP_TOPIC, AMOP_SEQ, AMOP_N,
// AMOP_SIZE, AMOP_PRIVATE), and the reply is what it prints on stdout. A
// run that times out, prints too much or exits non-zero is an error: the
// request gets an empty reply and the error says why.
type Exec struct {
	opts ExecOptions
	argv []string
	n    atomic.Uint64
	sem  chan struct{}
}

// ErrTimeout is a command that did not finish in time.
var ErrTimeout = errors.New("responder: command timed out")

// NewExec checks opts. The returned warning, when not empty, is a setting
// that works but will not do what the user probably wants (a timeout past
// the node's own wait).
func NewExec(opts ExecOptions) (*Exec, string, error) {
	if strings.TrimSpace(opts.Command) == "" {
		return nil, "", errors.New("responder: empty command")
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	warn, err := LimitsOf(opts.Line).Check(opts.Timeout)
	if err != nil {
		return nil, "", fmt.Errorf("responder: %w", err)
	}
	if opts.MaxOutput == 0 {
		opts.MaxOutput = DefaultMaxOutput
	}
	if opts.MaxOutput < 0 || opts.MaxOutput > OutputLimit {
		return nil, "", fmt.Errorf("responder: max output %d: want 1 to %d bytes", opts.MaxOutput, OutputLimit)
	}
	e := &Exec{opts: opts, sem: make(chan struct{}, MaxConcurrent)}
	if opts.Shell {
		e.argv = []string{"/bin/sh", "-c", opts.Command}
	} else {
		argv, err := shlex.Split(opts.Command)
		if err != nil {
			return nil, "", fmt.Errorf("responder: %q: %w", opts.Command, err)
		}
		if len(argv) == 0 {
			return nil, "", errors.New("responder: empty command")
		}
		// Resolve now, so that a typo is reported before the first request.
		if _, err := exec.LookPath(argv[0]); err != nil {
			return nil, "", fmt.Errorf("responder: %w", err)
		}
		e.argv = argv
	}
	return e, warn, nil
}

// String describes the responder: "exec CMD" or "exec-shell CMD".
func (e *Exec) String() string {
	if e.opts.Shell {
		return "exec-shell " + e.opts.Command
	}
	return "exec " + e.opts.Command
}

// Respond implements amop.Responder.
func (e *Exec) Respond(req amop.Request) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.Timeout)
	defer cancel()
	return e.Run(ctx, req)
}

// Run runs the command for req under ctx (and the timeout).
func (e *Exec) Run(ctx context.Context, req amop.Request) ([]byte, error) {
	n := e.n.Add(1)
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()
	select {
	case e.sem <- struct{}{}:
		defer func() { <-e.sem }()
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %d commands already running", ErrTimeout, MaxConcurrent)
	}
	cmd := exec.CommandContext(ctx, e.argv[0], e.argv[1:]...)
	cmd.Dir = e.opts.Dir
	cmd.Env = append(os.Environ(),
		EnvTopic+"="+envSafe(req.Topic),
		EnvSeq+"="+req.Seq,
		EnvN+"="+strconv.FormatUint(n, 10),
		EnvSize+"="+strconv.Itoa(len(req.Data)),
		EnvPrivate+"="+strconv.FormatBool(req.Private),
	)
	cmd.Stdin = bytes.NewReader(req.Data)
	out := &capWriter{max: e.opts.MaxOutput, over: cancel}
	errOut := &capWriter{max: stderrKeep}
	cmd.Stdout, cmd.Stderr = out, errOut
	killGroup(cmd)
	// The reply is what the command printed until it exited: a child it
	// left in the background (`sleep 100 & echo bg`) may hold the pipe
	// open for ever, so the pipe gets pipeGrace after the exit, is then
	// closed, and the child dies with the command's group (reap).
	cmd.WaitDelay = pipeGrace
	err := cmd.Run()
	reap(cmd)
	if errors.Is(err, exec.ErrWaitDelay) && ctx.Err() == nil && !out.exceeded {
		// Exited with success; only the leftover child held the pipe.
		err = nil
	}
	switch {
	case out.exceeded:
		return nil, fmt.Errorf("responder: %s printed more than %d bytes", e.argv[0], e.opts.MaxOutput)
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("%w after %v", ErrTimeout, e.opts.Timeout)
	case err != nil:
		var ee *exec.ExitError
		msg := err.Error()
		if errors.As(err, &ee) {
			msg = ee.ProcessState.String() // "exit status 3", "signal: killed"
		}
		if s := firstLine(errOut.buf); s != "" {
			msg += ": " + s
		}
		return nil, errors.New("responder: " + msg)
	}
	return out.buf, nil
}

// envSafe keeps an environment value free of NUL, which exec refuses; a
// topic never has one (amop.ValidateTopic), but the request comes from the
// network.
func envSafe(s string) string { return strings.ReplaceAll(s, "\x00", "") }

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// capWriter keeps at most max bytes; past that it records the overflow and
// calls over (which kills the command: its output is useless now).
type capWriter struct {
	buf      []byte
	max      int
	exceeded bool
	over     func()
}

func (w *capWriter) Write(p []byte) (int, error) {
	if room := w.max - len(w.buf); len(p) > room {
		w.buf = append(w.buf, p[:max(0, room)]...)
		if !w.exceeded {
			w.exceeded = true
			if w.over != nil {
				w.over()
			}
		}
		return len(p), nil // keep draining; the kill ends the command
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}
