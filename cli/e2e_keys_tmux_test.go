package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/transcript"
)

// colourSGR matches an SGR sequence that sets a colour (30–37, 38;…,
// 40–47, 48;…, 90–97, 100–107 among its parameters).
var colourSGR = regexp.MustCompile(`\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m`)

// TestKeyNamesAreTextInTmux is issue 12's key confusion, with the real
// binary and tmux's own input: text typed in one go (send-keys -l) and
// pasted without bracketed paste arrives as text in the input, whatever
// key names it holds; nothing is sent, nothing quits, the focus stays. A
// bracketed multi-line paste waits in the input as one block, and enter
// sends it as one message with its line breaks.
func TestKeyNamesAreTextInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	n := local.RunT(t, local.Options{Nodes: 1})
	trans := filepath.Join(t.TempDir(), "t.jsonl")
	raw := filepath.Join(t.TempDir(), "pane.raw")
	// --theme mono: the documented theme works, and writes no colour.
	tm.start("K", 120, 30, fmt.Sprintf("env TERM=xterm-256color XDG_STATE_HOME=%s %s --node %s --certs %s --topic hello --topic other --transcript %s --theme mono",
		t.TempDir(), bin, n.Addr(0), n.CertDir(), trans))
	tm.run("pipe-pane", "-O", "-t", "=K:", "cat > "+raw)
	tm.waitScreen("K", "● connected")
	tm.waitScreen("K", "joined other")
	clear := func() {
		tm.keys("K", "C-u")
		ntWait(t, 10*time.Second, "an empty input", func() bool { return strings.Contains(tm.screen("K"), "❯ type a message") })
	}
	check := func(what, shown string) {
		t.Helper()
		scr := tm.waitScreen("K", "❯ "+shown)
		lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
		if footer := lines[len(lines)-1]; !strings.Contains(footer, "enter send") {
			t.Errorf("%s: the focus left the input; footer %q", what, footer)
		}
		if !strings.Contains(scr, "▸ hello ❯") || strings.Contains(scr, "MULTICAST") || strings.Contains(scr, "→ uni") {
			t.Errorf("%s: topic, mode or a send changed:\n%s", what, scr)
		}
	}
	for _, text := range []string{"please press enter to continue", "press ctrl+c now", "a up b", "tab"} {
		tm.keys("K", "-l", text)
		check("send-keys -l "+text, text)
		clear()
	}
	// A paste without bracketed paste: tmux writes the buffer as typed.
	tm.run("set-buffer", "-b", "plain", "press enter and ctrl+t then tab")
	tm.run("paste-buffer", "-b", "plain", "-t", "=K:")
	check("paste-buffer", "press enter and ctrl+t then tab")
	clear()

	// A bracketed multi-line paste: one block, sent as one message.
	tm.run("set-buffer", "-b", "multi", "line one\nline two")
	tm.run("paste-buffer", "-p", "-b", "multi", "-t", "=K:")
	tm.waitScreen("K", "[2 lines, 17 B] line one ⏎ line two")
	tm.waitScreen("K", "enter send the 2 lines as one message")
	tm.keys("K", "Enter")
	tm.waitScreen("K", "→ uni")

	tm.keys("K", "C-c")
	ntWait(t, 10*time.Second, "the TUI to quit", func() bool {
		out, _ := tmuxOut(tm.sock, "list-sessions")
		return !strings.Contains(out, "K:")
	})
	if out, err := os.ReadFile(raw); err != nil || len(out) == 0 || colourSGR.Match(out) {
		t.Errorf("--theme mono: %d bytes written (%v), a colour: %q", len(out), err, colourSGR.Find(out))
	}
	f, err := os.Open(trans)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := transcript.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, r := range recs {
		if r.Kind == transcript.KindSent {
			sent = append(sent, string(r.Data))
		}
	}
	if len(sent) != 1 || sent[0] != "line one\nline two" {
		t.Fatalf("sent %q, want only the pasted block", sent)
	}
}
