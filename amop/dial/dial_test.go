package dial_test

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/dial"
	"github.com/amoptui/amoptui/amop/fisco3"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
)

func config(dir string, eps ...string) amop.Config {
	return amop.Config{Endpoints: eps, CAFile: filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key"),
		Guard: amop.GuardTuning{BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond, DialTimeout: 2 * time.Second}}
}

// deadAddr is a loopback port nothing listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestAutoPicksTheLine: against a 2.x network (ideal and like 2.9.1) and a
// 3.x network (ideal and like 3.16.4), auto detection picks the right line
// within its bound, past a dead first endpoint, and the client connects.
func TestAutoPicksTheLine(t *testing.T) {
	type net2 interface {
		Addr(int) string
		CertDir() string
	}
	cases := []struct {
		name string
		n    net2
		want amop.Line
	}{
		{"2.x ideal", local.RunT(t, local.Options{Nodes: 1}), amop.Line2},
		{"2.x like 2.9.1", local.RunT(t, local.Options{Nodes: 1, Like: local.Like291}), amop.Line2},
		{"3.x ideal", local3.RunT(t, local3.Options{Nodes: 1}), amop.Line3},
		{"3.x like 3.16.4", local3.RunT(t, local3.Options{Nodes: 1, Like: local3.Like3164}), amop.Line3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(tc.n.CertDir(), deadAddr(t), tc.n.Addr(0))
			start := time.Now()
			c, ch, err := dial.Open(cfg, dial.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("detection took %s", d)
			}
			if ch.Line != tc.want {
				t.Fatalf("picked %s: %s", ch.Line, ch.Why)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.WaitReady(ctx); err != nil {
				t.Fatal(err)
			}
			if got := c.Status().Node.Line; got != tc.want {
				t.Fatalf("connected on line %s", got)
			}
		})
	}
}

// TestAutoWithoutAnswers: when no endpoint answers, the certificates decide.
func TestAutoWithoutAnswers(t *testing.T) {
	dir3, dir2 := t.TempDir(), t.TempDir()
	if err := local3.NewCertDir(dir3); err != nil {
		t.Fatal(err)
	}
	if ch := dial.Detect(config(dir3, deadAddr(t)), dial.Options{}); ch.Line != amop.Line3 {
		t.Fatalf("RSA: %+v", ch)
	}
	if err := local.NewCertDir(dir2, local.CertOptions{KeyType: local.Secp256k1}); err != nil {
		t.Fatal(err)
	}
	if ch := dial.Detect(config(dir2, deadAddr(t)), dial.Options{}); ch.Line != amop.Line2 {
		t.Fatalf("secp256k1: %+v", ch)
	}
	if err := local.NewCertDir(filepath.Join(dir2, "p256"), local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	if ch := dial.Detect(config(filepath.Join(dir2, "p256"), deadAddr(t)), dial.Options{}); ch.Line != amop.Line2 {
		t.Fatalf("P-256: %+v", ch)
	}
}

func TestExplicitLines(t *testing.T) {
	n := local3.RunT(t, local3.Options{Nodes: 1, DisableTLS: true})
	c, ch, err := dial.Open(config(n.CertDir(), n.Addr(0)), dial.Options{Line: amop.LineAuto, PlainWS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*fisco3.Client); !ok || ch.Line != amop.Line3 {
		t.Fatalf("plain ws: %T %+v", c, ch)
	}
	if _, _, err := dial.Open(config(n.CertDir(), n.Addr(0)), dial.Options{Line: amop.Line2, PlainWS: true}); err == nil {
		t.Fatal("2.x without TLS accepted")
	}
	n2 := local.RunT(t, local.Options{Nodes: 1})
	c2, _, err := dial.Open(config(n2.CertDir(), n2.Addr(0)), dial.Options{Line: amop.Line2})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, ok := c2.(*amop.SDK); !ok {
		t.Fatalf("2.x: %T", c2)
	}
	if err := dial.Probe(config(n2.CertDir()), amop.Line2, n2.Addr(0), time.Second); err != nil {
		t.Fatal(err)
	}
}

// logLines is a slog handler that keeps every record's level and message
// with its attributes, for tests.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	s := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { s += " " + a.String(); return true })
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

// TestDetectionIsNotAnAttackInTheNodeLog: --fisco auto asks a 2.x node with
// an HTTP request; the node logs it as what it is, at info, and counts no
// malformed session (it used to warn "malformed frame: frame length
// 1195725856" — "GET " — for every client started with auto).
func TestDetectionIsNotAnAttackInTheNodeLog(t *testing.T) {
	logs := &logLines{}
	n := local.RunT(t, local.Options{Nodes: 1, Logger: slog.New(logs)})
	if ch := dial.Detect(config(n.CertDir(), n.Addr(0)), dial.Options{}); ch.Line != amop.Line2 {
		t.Fatalf("detected %s: %s", ch.Line, ch.Why)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		logs.mu.Lock()
		all := strings.Join(logs.lines, "\n")
		logs.mu.Unlock()
		if strings.Contains(all, "WARN") || strings.Contains(all, "malformed") {
			t.Fatalf("the node's log:\n%s", all)
		}
		if strings.Contains(all, "INFO session closed") && strings.Contains(all, "an HTTP request, not a 2.x frame") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line about the probe in the node's log:\n%s", all)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := n.Stats(); s.ClosedMalformed != 0 {
		t.Fatalf("%d malformed sessions counted", s.ClosedMalformed)
	}
}
