// Package cli is amoptui's command line: the TUI (the default command) and
// the headless commands node, sub, pub, bench and keygen. main.go only calls
// Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
)

// Exit codes of the CLI contract (product.md), and the shell's convention
// for a process ended by a signal (128 + its number: 130 for ctrl+c).
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure
	exitUsage   = 2 // usage or config error
	exitSignal  = 128
)

// stdio carries the process streams so that commands can be tested without
// touching the real ones, and the signal that interrupted the command.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	sig      *caught
	// tag follows the command's name on every stderr line once it is
	// known: sub's and pub's endpoint, so that two of them in one terminal
	// can be told apart ("amoptui sub 127.0.0.1:20201: …").
	tag string
}

// caught remembers the first signal that interrupted a command.
type caught struct {
	mu  sync.Mutex
	sig os.Signal
}

func (c *caught) set(s os.Signal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sig == nil {
		c.sig = s
	}
}

// get returns the signal, or nil.
func (c *caught) get() os.Signal {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sig
}

// signalStatus is the exit status of a process ended by s: 128+s.
func signalStatus(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return exitSignal + int(n)
	}
	return exitSignal + int(syscall.SIGINT)
}

// note writes TEXT to stderr, one "amoptui NAME TAG: LINE" per line of it
// (a configuration with several problems has one per line). Every line a
// command writes to stderr goes through here, and each is sanitised: error
// texts carry what nodes said (a version string, an error message), and a
// node must not reach the terminal through them.
func (s stdio) note(name, text string) {
	prefix := "amoptui"
	if name != "" {
		prefix += " " + name
	}
	if s.tag != "" {
		prefix += " " + sanitize.String(s.tag)
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(&b, "%s: %s\n", prefix, sanitize.String(line))
	}
	_, _ = io.WriteString(s.err, b.String())
}

// notef is note with a format.
func (s stdio) notef(name, format string, a ...any) { s.note(name, fmt.Sprintf(format, a...)) }

// command is one subcommand. Each lives in its own cmd_*.go file and
// registers itself, so that commands can be added without touching main.
type command struct {
	name    string
	usage   string // one line: the arguments after the name
	summary string // one line: what it does
	run     func(ctx context.Context, args []string, std stdio) int
	// ownSignals: the command handles SIGINT, SIGTERM and SIGHUP itself
	// (the TUI, which must hand the terminal back first); the others get
	// a context that a signal cancels.
	ownSignals bool
	// signalIsStop: a signal is the normal way to stop the command (node),
	// so it exits 0; the others exit 128+signal, as a shell expects of an
	// interrupted program.
	signalIsStop bool
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// usageError is a bad flag or argument: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

// silentError is an exit status whose reason was already told.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode maps an error to the CLI contract's status and prints it, once,
// sanitised. -h is not an error; an interruption by a signal is not
// reported as "context canceled".
func exitCode(std stdio, name string, err error) int {
	var se *silentError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK // the flag package printed the usage
	case errors.As(err, &se):
		return se.code
	case std.sig.get() != nil && errors.Is(err, context.Canceled):
		return signalStatus(std.sig.get())
	}
	std.note(name, err.Error())
	var ue *usageError
	var ce *amop.ConfigError
	if errors.As(err, &ue) || errors.As(err, &ce) {
		return exitUsage
	}
	return exitFailure
}

// flagsBeforeArgs refuses a flag of fs given after the arguments
// (`pub E topic msg --multicast`): the flag package stops at the first
// argument, so the flag would be taken as an argument and silently do
// nothing. args is the command line fs parsed; first names the first
// argument and synopsis the arguments, for the sentence. A "--" before the
// arguments lets them start with "-"; a "--" among them (`pub E -- t -x`)
// would be taken as an argument, so it is refused with where it goes.
func flagsBeforeArgs(fs *flag.FlagSet, args []string, first, synopsis string) error {
	rest := fs.Args()
	if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
		return nil
	}
	for _, a := range rest {
		if a == "--" {
			return usagef("-- goes before %s, where the flags end: %s [FLAGS] -- %s", first, fs.Name(), synopsis)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if fs.Lookup(name) != nil {
			return usagef("flag %s comes after %s; flags go before it: %s [FLAGS] %s", a, first, fs.Name(), synopsis)
		}
	}
	return nil
}

// newFlagSet returns a flag set that reports errors instead of exiting,
// and whose -h starts with the command's usage line.
func newFlagSet(name string, std stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("amoptui "+name, flag.ContinueOnError)
	fs.SetOutput(std.err)
	fs.Usage = func() {
		line := "usage: amoptui"
		if name != "" {
			line += " " + name
		}
		if c := commands[name]; c != nil {
			line += " " + c.usage
		} else if c := commands["tui"]; name == "" && c != nil {
			line += " " + c.usage
		}
		fmt.Fprintln(fs.Output(), line)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns a flag error into a usage error. The
// flag package has printed the error and the usage already, so the error
// is silent.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &silentError{code: exitUsage}
	}
	return nil
}

// signalContext is cancelled by SIGINT, SIGTERM or SIGHUP; the signal is
// recorded in c.
func signalContext(c *caught) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			c.set(s)
			cancel()
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}

// Main runs the command line with args (without the program name) on the
// given streams and returns the process's exit status.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	return run(args, stdio{in: in, out: out, err: errOut})
}

func run(args []string, std stdio) int {
	name := "tui"
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			printUsage(std.out)
			return exitOK
		case "version", "-version", "--version":
			fmt.Fprintln(std.out, versionLine())
			return exitOK
		}
		if _, ok := commands[args[0]]; ok {
			name, args = args[0], args[1:]
		} else if !strings.HasPrefix(args[0], "-") {
			std.note("", unknownCommand(args[0]))
			return exitUsage
		}
	}
	c := commands[name]
	std.sig = &caught{}
	if c.ownSignals {
		return c.run(context.Background(), args, std)
	}
	ctx, stop := signalContext(std.sig)
	defer stop()
	code := c.run(ctx, args, std)
	if s := std.sig.get(); s != nil && !c.signalIsStop && code != exitUsage {
		return signalStatus(s)
	}
	return code
}

// commandNames lists the subcommands, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		if n != "tui" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// unknownCommand is the one line for a first argument that is no command:
// the closest command if there is one, and every command.
func unknownCommand(arg string) string {
	names := commandNames()
	msg := fmt.Sprintf("unknown command %q", arg)
	if near := closest(arg, names); near != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", near)
	}
	return msg + "; commands: " + strings.Join(names, ", ") + " (none: the TUI) · " + selfCommand() + " -h for help"
}

// closest returns the name within edit distance 2 of s (or having it as a
// prefix), "" when none is that close.
func closest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		d := editDistance(strings.ToLower(s), n)
		if strings.HasPrefix(n, strings.ToLower(s)) && len(s) >= 2 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short words (command
// names: a hand-written dozen lines rather than a dependency).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

func printUsage(w io.Writer) {
	self := selfCommand()
	fmt.Fprintf(w, "usage: %s [COMMAND] [FLAGS] [ARGS]\n\n", self)
	for _, n := range append([]string{"tui"}, commandNames()...) {
		c := commands[n]
		shown := self + " " + c.name
		if c.name == "tui" {
			shown = self
		}
		fmt.Fprintf(w, "  %s %s\n      %s\n", shown, c.usage, c.summary)
	}
	fmt.Fprintf(w, "\nThe TUI's flags (%s [FLAGS]):\n", self)
	var f tuiFlags
	fs := tuiFlagSet(w, &f)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nRun '%s COMMAND -h' for the flags of a command; '%s --version' for the version.\n", self, self)
}
