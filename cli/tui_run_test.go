package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// stuckModel stands for a program that stops answering: its Update blocks
// on the first key until release is closed (a deadlock, a hung call).
type stuckModel struct {
	started chan struct{}
	release chan struct{}
	panics  bool
}

func (m stuckModel) Init() tea.Cmd {
	return func() tea.Msg { close(m.started); return nil }
}

func (m stuckModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(stuckMsg); ok {
		if m.panics {
			panic("boom")
		}
		<-m.release
	}
	return m, nil
}

func (m stuckModel) View() string { return "stuck" }

type stuckMsg struct{}

// pipeTerminal is a terminal made of pipes, for runOwned's restore: what it
// writes to "the terminal" can be read back.
func pipeTerminal(t *testing.T) (*terminal, *lockedBuffer) {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var got lockedBuffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&got, outR); close(done) }()
	t.Cleanup(func() { inW.Close(); inR.Close(); outW.Close(); <-done; outR.Close() })
	return &terminal{in: inR, out: outW}, &got
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSignalWithAStuckProgramIsBounded: the program stops answering and a
// SIGTERM comes. runOwned sends a quit, kills the program when the quit is
// not taken, and when even that does not end it, restores the terminal
// itself and returns: in about a second, never later than the 2 s the
// process has.
func TestSignalWithAStuckProgramIsBounded(t *testing.T) {
	term, out := pipeTerminal(t)
	m := stuckModel{started: make(chan struct{}), release: make(chan struct{})}
	defer close(m.release)
	p := tea.NewProgram(m, tea.WithoutSignalHandler(), tea.WithInput(nil), tea.WithOutput(term.out), tea.WithoutRenderer())
	type result struct {
		sig os.Signal
		err error
	}
	res := make(chan result, 1)
	go func() { _, sig, err := runOwned(p, term); res <- result{sig, err} }()
	<-m.started
	p.Send(stuckMsg{})
	time.Sleep(50 * time.Millisecond) // the event loop is in Update now
	began := time.Now()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil { // this test process: runOwned holds SIGTERM
		t.Fatal(err)
	}
	select {
	case r := <-res:
		took := time.Since(began)
		if r.sig != syscall.SIGTERM || !errors.Is(r.err, errTerminalAbandoned) || took > 2*time.Second {
			t.Fatalf("signal %v, err %v, after %v", r.sig, r.err, took)
		}
		t.Logf("returned %v after the signal", took)
	case <-time.After(5 * time.Second):
		t.Fatal("runOwned did not return within 5 s of SIGTERM")
	}
	// The pipe is read on a goroutine: wait for what restore wrote.
	if !pollFor(5*time.Second, func() bool { return bytes.Contains([]byte(out.String()), []byte("\x1b[?25h\x1b[?1049l")) }) {
		t.Fatalf("the terminal was not restored: %q", out.String())
	}
}

// TestPanicInUpdateEndsWithAnError: a panic in the program is reported as
// an error of Run (Bubble Tea restores the terminal), not a hang.
func TestPanicInUpdateEndsWithAnError(t *testing.T) {
	term, _ := pipeTerminal(t)
	m := stuckModel{started: make(chan struct{}), release: make(chan struct{}), panics: true}
	defer close(m.release)
	p := tea.NewProgram(m, tea.WithoutSignalHandler(), tea.WithInput(nil), tea.WithOutput(term.out), tea.WithoutRenderer())
	res := make(chan error, 1)
	go func() { _, _, err := runOwned(p, term); res <- err }()
	<-m.started
	p.Send(stuckMsg{})
	select {
	case err := <-res:
		if !errors.Is(err, tea.ErrProgramPanic) {
			t.Fatalf("err %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a panic did not end the program")
	}
}
