package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/transcript"
)

// injectCase is one hostile payload: a marker shown at its start (so that
// the screen can be checked for it), and the raw byte string that must never
// reach the terminal.
type injectCase struct {
	marker, payload, forbidden string
}

// injectCorpus is issue 6's terminal-injection corpus, as a node can carry
// it: in AMOP payloads, and in replies to our unicasts.
var injectCorpus = []injectCase{
	{"[I01]", "[I01]\x1b]0;pwned-title\x07 osc0", "\x1b]0;pwned-title"},
	{"[I02]", "[I02]\x1b]2;pwned-title2\x1b\\ osc2", "\x1b]2;pwned-title2"},
	{"[I03]", "[I03]\x1b]8;;https://evil.example/\x07LINK\x1b]8;;\x07 osc8", "\x1b]8;;https://evil.example/"},
	{"[I04]", "[I04]\x1b]52;c;cHduZWQtY2xpcA==\x07 osc52", "\x1b]52;"},
	{"[I05]", "[I05]\x1b[2J\x1b[HCLEARED", "\x1b[2J\x1b[HCLEARED"},
	{"[I06]", "[I06]\x1b[10;10HMOVED\x1b[5A\x1b[3CBACK", "\x1b[10;10HMOVED"},
	{"[I07]", "[I07]\x1bP1$tDCSBODY\x1b\\", "\x1bP1$tDCSBODY"},
	{"[I08]", "[I08]\x1b_APCBODY\x1b\\", "\x1b_APCBODY"},
	{"[I09]", "[I09]\x1bcRESET", "\x1bcRESET"},
	{"[I10]", "[I10]\u009b31mC1CSI", "\u009b31mC1CSI"},
	{"[I11]", "[I11]\x9b31mRAWC1", "\x9b31mRAWC1"},
	{"[I12]", "[I12]SAFE\rOVERWRITE", "\rOVERWRITE"},
	{"[I13]", "[I13]abc\b\b\bBSX", "\b\b\bBSX"},
	{"[I14]", "[I14]\u202eBIDI\u202c \u2066ISO\u2069", "\u202eBIDI"},
	{"[I15]", "[I15]ZERO\u200bWIDTH\u200d\ufeffEND", "\u200bWIDTH"},
	{"[I16]", "[I16]\xff\xfeINVALID\xc3\x28", "\xff\xfeINVALID"},
	{"[I17]", "[I17]" + strings.Repeat("A", 100*1024), ""},
}

// forbiddenRunes may never appear in what the program writes to the
// terminal: C1 controls, bidi controls and zero-width characters.
func forbiddenRune(r rune) bool {
	switch {
	case r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200b, r == 0x200d, r == 0xfeff:
		return true
	}
	return false
}

// TestInjectionThroughTheRealTUI runs the real binary in tmux against a
// node that sends the injection corpus every way a network can reach the
// screen: message payloads, the reply to our unicast, and the node's own
// version text (which the status bar shows). tmux records everything the
// program writes (pipe-pane): no escape sequence from the network may be in
// it; the pane title must not change and no tmux buffer may appear (tmux
// is set to turn OSC 52 into a buffer, and a control pane shows that it
// does); the layout must hold. Then the TUI is killed with SIGKILL in the
// middle of a flood, and its transcript reads back with at most the last
// line torn.
//
// Topic names from the network never reach the screen: go-sdk delivers a
// push only to the handler of a topic we joined, and the adapter labels
// each message with that joined topic (which ValidateTopic checked), not
// with the bytes in the frame; a push for any other topic is answered by
// go-sdk and never becomes a message.
func TestInjectionThroughTheRealTUI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")

	// Positive control: in this tmux, an application's OSC 2 sets the pane
	// title and its OSC 52 creates a buffer; so the checks below can fail.
	// (A placeholder session keeps the server, and its options, alive.)
	tm.start("keep", 20, 5, "sleep 600")
	tm.run("set-option", "-g", "set-clipboard", "on")
	tm.start("ctl", 60, 5, `sh -c 'printf "\033]2;ctl-title\007\033]52;c;Y3RsLWNsaXA=\007"; sleep 30'`)
	ntWait(t, 10*time.Second, "the control pane's title and buffer", func() bool {
		title, _ := exec.Command("tmux", "-L", tm.sock, "display", "-p", "-t", "=ctl:", "#{pane_title}").Output()
		buf, _ := exec.Command("tmux", "-L", tm.sock, "show-buffer").Output()
		return strings.Contains(string(title), "ctl-title") && string(buf) == "ctl-clip"
	})
	tm.run("kill-session", "-t", "=ctl")
	for _, b := range strings.Fields(tm.run("list-buffers", "-F", "#{buffer_name}")) {
		tm.run("delete-buffer", "-b", b)
	}

	// The node reports a version full of escapes; go-sdk's checks pass (no
	// "gm", a sane Supported Version), so it reaches the status bar.
	evilVersion := "2.9.0\x1b]0;pwned-version\x07\x1b]52;c;dmVyc2lvbg==\x07\x1b[2J\u202e"
	n := local.RunT(t, local.Options{NodeVersion: evilVersion})
	dir := n.CertDir()
	adapter := func(node int, reply string) *amop.SDK {
		cfg := amop.Config{Endpoints: []string{n.Addr(node)}, CAFile: filepath.Join(dir, "ca.crt"),
			CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key"), SendTimeout: 5 * time.Second}
		if reply != "" {
			cfg.AutoReply = amop.ParseReplyPolicy(reply)
		}
		a, err := amop.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
		return a
	}
	evilReply := "[R01]\x1b]52;c;cmVwbHk=\x07\x1b]0;pwned-reply\x07\x1b[2JREPLIED"
	replier := adapter(1, evilReply)
	if err := replier.Join("evil"); err != nil {
		t.Fatal(err)
	}
	pub := adapter(1, "")

	state := t.TempDir()
	trans := filepath.Join(t.TempDir(), "tui.jsonl")
	raw := filepath.Join(t.TempDir(), "pane.raw")
	tm.start("B", 120, 45, fmt.Sprintf("env TERM=xterm-256color XDG_STATE_HOME=%s %s --node %s --certs %s --topic hello --topic evil --layout single --theme dark --transcript %s",
		state, bin, n.Addr(0), dir, trans))
	tm.run("pipe-pane", "-O", "-t", "=B:", "cat > "+raw)
	tm.waitScreen("B", "● connected")
	tm.waitScreen("B", "joined hello")
	waitSubs(t, n, "hello", 1)
	waitSubs(t, n, "evil", 2)
	titleBefore := strings.TrimSpace(tm.run("display", "-p", "-t", "=B:", "#{pane_title}"))
	// shape is the frame of the screen: per line, its first and last rune
	// when it is part of a box, "-" for text lines (the status bar, the
	// input), whose ends change with their content.
	shape := func(scr string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimRight(scr, "\n"), "\n") {
			r := []rune(strings.TrimSpace(l))
			if len(r) == 0 || r[0] < 0x2500 || r[0] > 0x257f {
				out = append(out, "-")
				continue
			}
			out = append(out, string(r[0])+string(r[len(r)-1]))
		}
		return out
	}
	before := shape(tm.screen("B"))

	// Payloads.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range injectCorpus {
		if err := pub.Multicast(ctx, "hello", []byte(c.payload)); err != nil {
			t.Fatalf("multicast %s: %v", c.marker, err)
		}
	}
	scr := tm.waitScreen("B", injectCorpus[len(injectCorpus)-1].marker)
	for _, c := range injectCorpus {
		// Payloads that are not UTF-8 show as hex: "[I11]" is 5b 49 31 31 5d.
		hex := fmt.Sprintf("% x", c.marker)
		if !strings.Contains(scr, c.marker) && !strings.Contains(scr, hex) {
			t.Errorf("%s is not on screen, as text or hex", c.marker)
		}
	}
	for _, want := range []string{"␛]52;c;", "␛]0;pwned-title␇", "␍OVERWRITE", "<U+202E>BIDI", "2.9.0␛]0;pwned-version␇"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the escaped form %q is not on screen", want)
		}
	}
	if after := shape(scr); strings.Join(after, "|") != strings.Join(before, "|") {
		t.Errorf("layout changed:\nbefore %q\nafter  %q\n%s", before, after, scr)
	}

	// The reply to a unicast from the TUI.
	tm.keys("B", "C-n")
	tm.waitScreen("B", "joined evil")
	tm.keys("B", "ask", "Enter")
	scr = tm.waitScreen("B", "[R01]")
	if !strings.Contains(scr, `✓ reply "[R01]␛]52;c;cmVwbHk`) {
		t.Errorf("the reply is not shown escaped:\n%s", scr)
	}
	if after := shape(scr); strings.Join(after, "|") != strings.Join(before, "|") {
		t.Errorf("layout changed after the reply:\n%s", scr)
	}

	// tmux saw nothing: same title, no buffer.
	if title := strings.TrimSpace(tm.run("display", "-p", "-t", "=B:", "#{pane_title}")); title != titleBefore {
		t.Errorf("pane title changed from %q to %q", titleBefore, title)
	}
	if bufs := strings.TrimSpace(tm.run("list-buffers", "-F", "#{buffer_name}:#{buffer_sample}")); bufs != "" {
		t.Errorf("an OSC 52 reached tmux: buffers %q", bufs)
	}

	// Everything the program wrote to the terminal.
	out, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append(injectCorpus, injectCase{"[R01]", evilReply, "\x1b]52;c;cmVwbHk="}, injectCase{"version", evilVersion, "\x1b]0;pwned-version"}) {
		if c.forbidden != "" && bytes.Contains(out, []byte(c.forbidden)) {
			t.Errorf("%s: %q reached the terminal", c.marker, c.forbidden)
		}
	}
	for _, seq := range []string{"\x1b]52", "\x1bP", "\x1b_", "\x1b^", "\x1bc", "\x08", "\x00"} {
		if i := bytes.Index(out, []byte(seq)); i >= 0 {
			t.Errorf("%q reached the terminal: …%q…", seq, out[max(0, i-20):min(len(out), i+40)])
		}
	}
	if !utf8.Valid(out) {
		t.Error("the program wrote invalid UTF-8")
	}
	for i, r := range string(out) {
		if forbiddenRune(r) {
			t.Errorf("%U reached the terminal at byte %d", r, i)
			break
		}
	}
	t.Logf("the program wrote %d bytes for %d hostile payloads, a hostile reply and a hostile node version", len(out), len(injectCorpus))

	// kill -9 in the middle of a flood: the transcript keeps every record
	// but at most a torn last line.
	tm.keys("B", "C-p")
	var wg sync.WaitGroup
	floodCtx, stopFlood := context.WithCancel(context.Background())
	defer stopFlood()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; floodCtx.Err() == nil && i < 100000; i++ {
			c, cancel := context.WithTimeout(floodCtx, 2*time.Second)
			_ = pub.Multicast(c, "hello", []byte("flood "+strconv.Itoa(i)+" "+strings.Repeat("x", 512)))
			cancel()
		}
	}()
	ntWait(t, 20*time.Second, "the transcript to grow", func() bool {
		st, err := os.Stat(trans)
		return err == nil && st.Size() > 256<<10
	})
	pid := panePID(t, tm, "B")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil { // the TUI this test started, by its pid
		t.Fatal(err)
	}
	stopFlood()
	wg.Wait()
	f, err := os.Open(trans)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := transcript.Read(f)
	var se *transcript.SkippedError
	if err != nil && (!errors.As(err, &se) || !se.Torn || len(se.Lines) != 1) {
		t.Fatalf("transcript after kill -9: %v", err)
	}
	verbatim := 0
	for _, r := range recs {
		for _, c := range injectCorpus[:16] {
			if r.Kind == transcript.KindReceived && string(r.Data) == c.payload {
				verbatim++
			}
		}
	}
	if verbatim != 16 {
		t.Errorf("%d of 16 hostile payloads kept verbatim in the transcript", verbatim)
	}
	t.Logf("transcript after kill -9: %d records, torn last line: %v", len(recs), err != nil)
}
