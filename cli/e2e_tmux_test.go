package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amoptui/amoptui/transcript"
)

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// testBinaries builds amoptui and the unmodified go-sdk AMOP example
// programs once per test run and returns their directory. The private-topic
// examples (examples/amop_auth) have the same program names, so they go to
// its "auth" subdirectory.
func testBinaries(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "amoptui-bin-")
		if binErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		sep := string(os.PathSeparator)
		for _, b := range [][]string{
			{binDir + sep, "github.com/amoptui/amoptui",
				"github.com/FISCO-BCOS/go-sdk/examples/amop/sub",
				"github.com/FISCO-BCOS/go-sdk/examples/amop/unicast_pub",
				"github.com/FISCO-BCOS/go-sdk/examples/amop/broadcast_pub"},
			{filepath.Join(binDir, "auth") + sep,
				"github.com/FISCO-BCOS/go-sdk/examples/amop_auth/sub",
				"github.com/FISCO-BCOS/go-sdk/examples/amop_auth/unicast_pub",
				"github.com/FISCO-BCOS/go-sdk/examples/amop_auth/broadcast_pub"},
		} {
			out, err := exec.CommandContext(ctx, "go", append([]string{"build", "-o"}, b...)...).CombinedOutput()
			if err != nil {
				binErr = fmt.Errorf("go build: %v\n%s", err, out)
				return
			}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// tmuxServers numbers the private tmux servers of this test process.
var tmuxServers atomic.Int64

// tmuxServer is a private tmux server (its own socket), killed at the end.
type tmuxServer struct {
	t    *testing.T
	sock string
}

func newTmux(t *testing.T) *tmuxServer {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("AMOPTUI_REQUIRE_TMUX") != "" {
			t.Fatal("tmux is required (AMOPTUI_REQUIRE_TMUX is set) but not installed")
		}
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	// A server per test: kill-server returns before the old server is gone,
	// and a next test on the same socket could reach the dying one.
	s := &tmuxServer{t: t, sock: fmt.Sprintf("amoptui-e2e-%d-%d", os.Getpid(), tmuxServers.Add(1))}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.sock, "kill-server").Run() })
	return s
}

func (s *tmuxServer) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// start opens a detached session of the given size running cmd.
func (s *tmuxServer) start(name string, w, h int, cmd string) {
	s.run("new-session", "-d", "-s", name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmd)
}

func (s *tmuxServer) screen(name string) string {
	return s.run("capture-pane", "-p", "-t", "="+name+":")
}

func (s *tmuxServer) keys(name string, keys ...string) {
	s.run(append([]string{"send-keys", "-t", "=" + name + ":"}, keys...)...)
}

// waitScreen polls the pane until it shows want, for up to 15 s.
func (s *tmuxServer) waitScreen(name, want string) string {
	s.t.Helper()
	return s.waitScreenWithin(name, want, 15*time.Second)
}

// waitScreenWithin is waitScreen with a deadline of d.
func (s *tmuxServer) waitScreenWithin(name, want string, d time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		scr := s.screen(name)
		if strings.Contains(scr, want) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("session %s never showed %q; screen:\n%s", name, want, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTUIEndToEndInTmux drives the real binary as a person would: two TUIs
// on different nodes of `amoptui node` exchange unicast and multicast, the
// mode toggles with ctrl+t and /mode, and a payload full of escape
// sequences sent with `amoptui pub` shows as text without touching the
// pane title or the rest of the screen.
func TestTUIEndToEndInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	certs := t.TempDir()
	addrs := ntFreePorts(t, 2)
	node := ntStart(t, certs, bin, "node", "--listen", strings.Join(addrs, ","), "--certs", certs)
	ntWait(t, 20*time.Second, "the node's banner", func() bool { return strings.Contains(node.out.String(), "Ctrl+C") })

	tui := func(addr, extra string) string {
		return fmt.Sprintf("env TERM=xterm-256color XDG_STATE_HOME=%s %s --node %s --certs %s %s", certs, bin, addr, certs, extra)
	}
	trans := filepath.Join(t.TempDir(), "b.jsonl")
	tm.start("A", 100, 30, tui(addrs[0], ""))
	tm.start("B", 100, 30, tui(addrs[1], "--transcript "+trans))
	tm.waitScreen("A", "● connected")
	tm.waitScreen("B", "● connected")
	tm.waitScreen("B", "UNICAST")
	titleBefore := strings.TrimSpace(tm.run("display", "-p", "-t", "=B:", "#{pane_title}"))

	// Unicast from B reaches A, and B shows the reply with its round trip.
	tm.keys("B", "ping from b", "Enter")
	tm.waitScreen("A", "ping from b")
	scr := tm.waitScreen("B", "✓ reply")
	if !strings.Contains(scr, " ms") && !strings.Contains(scr, "µs") {
		t.Fatalf("no round-trip time on B:\n%s", scr)
	}

	// ctrl+t switches A to multicast, visibly; B receives.
	tm.keys("A", "C-t")
	tm.waitScreen("A", "MULTICAST")
	tm.keys("A", "hello everyone", "Enter")
	tm.waitScreen("B", "hello everyone")
	tm.waitScreen("A", "✓ accepted")

	// /mode switches back.
	tm.keys("A", "/mode unicast", "Enter")
	scr = tm.waitScreen("A", "UNICAST")
	if strings.Contains(scr, "MULTICAST") {
		t.Fatalf("A still shows MULTICAST:\n%s", scr)
	}

	// Escape sequences from the network: title, clear screen, colours, C1
	// CSI, bidi override, a cursor jump and a terminal reset.
	evil := "title attack \x1b]0;pwned\x07 then \x1b[2J\x1b[H clear \x1b[31mred\u009b2J \u202eevil\u202c \x1bc end"
	if code, out, errOut := runCmd(t, "", "pub", "--certs", certs, "--multicast", addrs[0], "hello", evil); code != 0 {
		t.Fatalf("pub exit %d: %s %s", code, out, errOut)
	}
	scr = tm.waitScreen("B", "title attack")
	if !strings.Contains(scr, "pwned") || !strings.Contains(scr, "ping from b") || !strings.Contains(scr, "hello everyone") {
		t.Fatalf("the payload was not shown as text, or it wiped earlier lines:\n%s", scr)
	}
	lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
	if len(lines) != 30 || !strings.Contains(lines[0], "amoptui") || !strings.Contains(scr, "UNICAST") {
		t.Fatalf("layout damaged (%d lines):\n%s", len(lines), scr)
	}
	if title := strings.TrimSpace(tm.run("display", "-p", "-t", "=B:", "#{pane_title}")); title != titleBefore || strings.Contains(title, "pwned") {
		t.Fatalf("pane title changed from %q to %q", titleBefore, title)
	}

	// ctrl+c quits both cleanly.
	tm.keys("A", "C-c")
	tm.keys("B", "C-c")
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := exec.Command("tmux", "-L", tm.sock, "list-sessions").CombinedOutput()
		if !strings.Contains(string(out), "A:") && !strings.Contains(string(out), "B:") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("TUIs still running after ctrl+c:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// B's transcript holds the session, one JSON object per line.
	f, err := os.Open(trans)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := transcript.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[transcript.Kind]int{}
	var evilSeen bool
	for _, r := range recs {
		kinds[r.Kind]++
		evilSeen = evilSeen || strings.Contains(string(r.Data), "\x1b]0;pwned")
	}
	if kinds[transcript.KindSent] < 1 || kinds[transcript.KindResult] < 1 || kinds[transcript.KindReceived] < 2 || kinds[transcript.KindState] < 1 || !evilSeen {
		t.Fatalf("transcript kinds %v (payload kept verbatim: %v)", kinds, evilSeen)
	}
}

// TestEmbeddedDefaultInTmux is issue 4's "done when": a new user runs the
// binary with no arguments in one terminal, and in a second terminal either
// the same (it joins the running network) or the command the first screen
// shows; the two then chat across the two nodes.
func TestEmbeddedDefaultInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	state := t.TempDir() // the per-user state directory: certificates are generated here
	// Installed on PATH and started by name: the hint says "amoptui".
	run := func(args string) string {
		return fmt.Sprintf("env TERM=xterm-256color XDG_STATE_HOME=%s PATH=%s:%s amoptui %s", state, filepath.Dir(bin), os.Getenv("PATH"), args)
	}
	tm.start("A", 100, 30, run(""))
	scr := tm.waitScreen("A", "Second terminal:")
	tm.waitScreen("A", "● connected")
	var hint string
	for _, l := range strings.Split(scr, "\n") {
		if i := strings.Index(l, "Second terminal: "); i >= 0 {
			hint = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(l[i+len("Second terminal: "):]), "┃│"))
		}
	}
	fields := strings.Fields(hint)
	if len(fields) != 3 || fields[0] != "amoptui" || fields[1] != "--node" {
		t.Fatalf("the first screen does not say what a second terminal runs: %q\n%s", hint, scr)
	}
	second := fields[2]
	if second == "127.0.0.1:20201" {
		// On the default ports, a plain second run joins the running network.
		tm.start("B", 100, 30, run(""))
		tm.waitScreen("B", "Joined the local AMOP network")
	} else {
		// Something else held the default ports; the screen's command works.
		tm.start("B", 100, 30, run("--node "+second))
	}
	tm.waitScreen("B", "● connected · node "+second)

	tm.keys("B", "hello from the second terminal", "Enter")
	tm.waitScreen("A", "hello from the second terminal")
	tm.waitScreen("B", "✓ reply")
	tm.keys("A", "C-t")
	tm.keys("A", "to everyone", "Enter")
	tm.waitScreen("B", "to everyone")
	tm.waitScreen("A", "✓ accepted")

	// Quitting A stops the network it started; B says so.
	tm.keys("A", "C-c")
	tm.waitScreen("B", "reconnecting")
	tm.keys("B", "C-c")
}
