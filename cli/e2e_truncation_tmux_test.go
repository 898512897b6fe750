package cli

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestStatusKeepsTheCauseInTmux is the black-box report's M5/M11 case with
// the real binary: a node address that accepts TCP and never answers. At
// 120, 100, 80 and 60 columns the first status line keeps the state, the
// port and why ("TLS handshake: no answer"), the second the counters; the
// whole error is written out once on the screen (M5).
func TestStatusKeepsTheCauseInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	tm := newTmux(t)
	bin := filepath.Join(testBinaries(t), "amoptui")
	certs := t.TempDir()
	addrs := ntFreePorts(t, 1)
	node := ntStart(t, certs, bin, "node", "--log", "--listen", addrs[0], "--certs", certs)
	ntWait(t, 20*time.Second, "the node's certificates", func() bool { return strings.Contains(node.out.String(), "certificates") })

	// Accepts and keeps every connection, never writes a byte.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	home := t.TempDir()
	tm.start("T", 120, 30, fmt.Sprintf("env TERM=xterm-256color HOME=%s XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --node %s --certs %s",
		home, home, home, bin, ln.Addr(), certs))
	// The guard gives up on a silent node after its 5 s dial timeout.
	scr := tm.waitScreen("T", "TLS handshake: no answer")
	for _, word := range []string{"cannot", "connect", "read", "i/o", "timeout"} {
		if !strings.Contains(scr, word) {
			t.Fatalf("the whole error is not on the screen (%q):\n%s", word, scr)
		}
	}
	for _, w := range []int{120, 100, 80, 60} {
		tm.run("resize-window", "-t", "=T:", "-x", fmt.Sprint(w), "-y", "20")
		deadline := time.Now().Add(10 * time.Second)
		for {
			ls := strings.Split(tm.screen("T"), "\n")
			ok := len(ls) > 2 && len([]rune(strings.TrimRight(ls[0], " "))) <= w &&
				strings.Contains(ls[0], "◌ connecting") && strings.Contains(ls[0], ":"+port) &&
				strings.Contains(ls[0], "TLS handshake: no answer") &&
				strings.Contains(ls[1], "received 0") && strings.Contains(ls[1], "sent 0")
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("at %d columns the status lines lost the state, the port, the cause or the counters:\n%s", w, strings.Join(ls, "\n"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	tm.keys("T", "C-c")
}
