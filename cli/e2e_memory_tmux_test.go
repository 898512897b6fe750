package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// TestTUIMemoryFollowsItsBudgetInTmux is C2 end to end: the real TUI, with
// its panes limited to 16 MiB together (scrollback_total), joins six
// topics and receives 25 multicasts of 900 KiB on each from `amoptui pub`
// (135 MB in all, every payload small enough to be kept whole on arrival).
// Without the budget the panes kept all of it (the default 10,000-line
// scrollback): the process held more than it received. With it, the
// resident size settles near the budget, the quiet topic keeps its lines,
// the newest message of every topic is on screen, and /clear says what it
// released.
func TestTUIMemoryFollowsItsBudgetInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	const (
		perTopic = 25
		size     = 900 << 10
		// settled bounds the resident size once the flood is over: the
		// 16 MiB the panes may keep, Go's heap headroom over it, go-sdk's
		// buffers and the runtime. The panes alone would hold 135 MB
		// without the budget.
		settled = 100 << 20
	)
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	n := local.RunT(t, local.Options{Nodes: 2})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(cfg, []byte("[ui]\nscrollback_bytes = \"4MiB\"\nscrollback_total = \"16MiB\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, []byte(strings.Repeat("0123456789abcdef", size/16)), 0o600); err != nil {
		t.Fatal(err)
	}
	topics := []string{"quiet", "b0", "b1", "b2", "b3", "b4", "b5"}
	args := []string{bin, "--config", cfg, "--node", n.Addr(0), "--certs", n.CertDir(), "--no-history"}
	for _, tp := range topics {
		args = append(args, "--topic", tp)
	}
	tm.start("T", 160, 40, "env TERM=xterm-256color "+strings.Join(args, " "))
	tm.waitScreen("T", "● connected")
	pid := panePID(t, tm, "T") // env execs the binary
	pub := func(topic, msg string, count int) {
		t.Helper()
		cmd := exec.Command(bin, "pub", "--certs", n.CertDir(), "--multicast", "--count", fmt.Sprint(count), "--interval", "0",
			"--timeout", "60s", n.Addr(1), topic, msg)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pub %s: %v\n%s", topic, err, out)
		}
	}
	pub("quiet", "quiet line {{.Seq}}", 5)
	tm.waitScreen("T", "quiet line 5")

	start := time.Now()
	for _, tp := range topics[1:] {
		pub(tp, tp+" n{{.Seq}} {{file \""+filler+"\"}}", perTopic)
	}
	for _, tp := range topics[1:] { // every tile shows its topic's newest line
		tm.waitScreen("T", fmt.Sprintf("%s n%d ", tp, perTopic))
	}
	took := time.Since(start)
	time.Sleep(3 * time.Second) // reclaim returns memory a second after the last large release
	_, rss, peak := procStat(t, pid)
	t.Logf("%d×%d KiB on %d topics in %v: TUI RSS %.1f MiB (peak %.1f MiB)", perTopic, size>>10, len(topics)-1,
		took.Round(time.Millisecond), float64(rss)/(1<<20), float64(peak)/(1<<20))
	if rss > settled {
		t.Errorf("the TUI holds %.1f MiB after the flood, over %d MiB", float64(rss)/(1<<20), settled>>20)
	}

	tm.waitScreen("T", "quiet line 1") // the quiet topic's first line outlived the flood
	tm.keys("T", "C-n")                // quiet → b0
	tm.keys("T", "/clear", "Enter")
	tm.waitScreen("T", "of b0")
	tm.keys("T", "C-c")
}
