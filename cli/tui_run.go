package cli

// The TUI owns the terminal while it runs, and gives it back on every way
// out: a quit, a signal, an error, a panic. Bubble Tea's own signal handler
// is off (tea.WithoutSignalHandler): in v1.3.10 it sends QuitMsg on an
// unbuffered channel without watching the program's context, so when
// anything else ends the program first (a cancelled tea.WithContext, a
// Kill), that send blocks for ever and Program.shutdown, which waits for
// the handler, freezes with the terminal raw and in the alternate screen.
// Here one goroutine owns SIGINT, SIGTERM and SIGHUP: the first signal
// sends one quit through Program.Quit (whose send gives up when the program
// ends), and escalates on a deadline; nothing else cancels the program.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"
)

// The shutdown budget: the process is gone within 2 s of a signal whatever
// the network or go-sdk do. A quit normally takes milliseconds; these only
// bound the bad cases.
const (
	quitGrace  = 500 * time.Millisecond // after the quit, before Program.Kill
	killGrace  = 400 * time.Millisecond // after Kill, before we restore the terminal ourselves
	closeGrace = 600 * time.Millisecond // for the network to close, in the background
)

// errTerminalAbandoned says Bubble Tea did not give the terminal back in
// time after a signal; the terminal was restored from the saved state.
var errTerminalAbandoned = errors.New("the TUI did not stop in time; terminal restored")

// terminal is the TUI's terminal: stdin and stdout, both terminals, and
// the state of stdin before the program changed it.
type terminal struct {
	in, out term.File
	saved   *term.State
}

// openTerminal checks that stdin and stdout are terminals and saves
// stdin's state. A TUI without a terminal is a usage error: scripts have
// sub and pub.
func openTerminal(std stdio) (*terminal, error) {
	in, inOK := std.in.(term.File)
	out, outOK := std.out.(term.File)
	which := ""
	switch {
	case !inOK || !term.IsTerminal(in.Fd()):
		which = "stdin"
	case !outOK || !term.IsTerminal(out.Fd()):
		which = "stdout"
	}
	if which != "" {
		self := selfCommand()
		return nil, usagef("the TUI needs a terminal and %s is not one; in scripts use `%s sub` and `%s pub` (%s -h)", which, self, self, self)
	}
	st, err := term.GetState(in.Fd())
	if err != nil {
		return nil, fmt.Errorf("read the terminal's state: %w", err)
	}
	return &terminal{in: in, out: out, saved: st}, nil
}

// restore puts the terminal back as it was before the TUI: the saved line
// discipline (echo, canonical mode), and out of what Bubble Tea turns on
// (alternate screen, hidden cursor, bracketed paste, mouse and focus
// reports). Used when Bubble Tea could not do it itself.
func (t *terminal) restore() {
	if t.saved != nil {
		_ = term.Restore(t.in.Fd(), t.saved)
	}
	_, _ = io.WriteString(t.out, "\x1b[?1004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?25h\x1b[?1049l")
}

// programResult is what Program.Run returned.
type programResult struct {
	model tea.Model
	err   error
}

// runOwned runs p and owns SIGINT, SIGTERM and SIGHUP while it runs. It
// returns the final model, the first signal received (nil if none) and
// Run's error. On a signal: one quit; if the program has not ended after
// quitGrace, Kill (which skips the final render and the wait for the input
// reader); if still not after killGrace, the terminal is restored here and
// runOwned returns without it (errTerminalAbandoned). A second signal skips
// to the next step.
func runOwned(p *tea.Program, t *terminal) (tea.Model, os.Signal, error) {
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigc)

	done := make(chan programResult, 1)
	go func() {
		var r programResult
		defer func() {
			// Bubble Tea recovers panics in Update, View and commands and
			// restores the terminal; this is for one that escapes it.
			if v := recover(); v != nil {
				t.restore()
				r.err = fmt.Errorf("the TUI panicked: %v", v)
			}
			done <- r
		}()
		r.model, r.err = p.Run()
	}()

	var first os.Signal
	var timer <-chan time.Time
	step := 0
	escalate := func() {
		step++
		switch step {
		case 1:
			// Quit blocks until the event loop reads it or the program
			// ends; it must not hold this loop.
			go p.Quit()
			timer = time.After(quitGrace)
		case 2:
			p.Kill()
			timer = time.After(killGrace)
		}
	}
	for {
		select {
		case r := <-done:
			return r.model, first, r.err
		case s := <-sigc:
			if first == nil {
				first = s
			}
			if step >= 2 {
				t.restore()
				return nil, first, errTerminalAbandoned
			}
			escalate()
		case <-timer:
			if step >= 2 {
				t.restore()
				return nil, first, errTerminalAbandoned
			}
			escalate()
		}
	}
}

// closeWithin runs close in the background and waits for it at most d: the
// process must end on time even when closing the network hangs (go-sdk,
// a node that never answers). It reports whether close finished.
func closeWithin(d time.Duration, fn func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
