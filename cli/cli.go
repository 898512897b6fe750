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
	"syscall"
)

// Exit codes of the CLI contract (product.md).
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure
	exitUsage   = 2 // usage or config error
)

// stdio carries the process streams so that commands can be tested without
// touching the real ones.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand. Each lives in its own cmd_*.go file and
// registers itself, so that commands can be added without touching main.
type command struct {
	name    string
	usage   string // one line: the arguments after the name
	summary string // one line: what it does
	run     func(ctx context.Context, args []string, std stdio) int
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// usageError is a bad flag or argument: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

// exitCode maps an error to the CLI contract's status and prints it.
func exitCode(std stdio, name string, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(std.err, "amoptui %s: %v\n", name, err)
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	return exitFailure
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, std stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("amoptui "+name, flag.ContinueOnError)
	fs.SetOutput(std.err)
	return fs
}

// parseFlags parses args and turns a flag error into a usage error (the flag
// package has already printed it with the usage text).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{msg: err.Error()}
	}
	return nil
}

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
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
		}
		if _, ok := commands[args[0]]; ok {
			name, args = args[0], args[1:]
		}
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(std.err, "amoptui: unknown command %q\n", name)
		printUsage(std.err)
		return exitUsage
	}
	ctx, stop := signalContext()
	defer stop()
	return c.run(ctx, args, std)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: amoptui [COMMAND] [FLAGS] [ARGS]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		shown := "amoptui " + c.name
		if c.name == "tui" {
			shown = "amoptui"
		}
		fmt.Fprintf(w, "  %s %s\n      %s\n", shown, c.usage, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'amoptui COMMAND -h' for the flags of a command.")
}
