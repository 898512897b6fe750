package fisco3_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/fisco3"
	"github.com/amoptui/amoptui/amop/local3"
)

// certs is one certificate directory for the test binary (RSA-2048 keys are
// slow to make).
var certs string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fisco3-test-")
	if err != nil {
		panic(err)
	}
	n, err := local3.Start(local3.Options{CertDir: dir, Nodes: 3})
	if err != nil {
		panic(err)
	}
	n.Close()
	certs = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fast is test timing: quick liveness and retries.
var fast = amop.GuardTuning{
	HeartbeatInterval: 200 * time.Millisecond, HeartbeatTimeout: 1500 * time.Millisecond,
	BackoffMin: 50 * time.Millisecond, BackoffMax: 400 * time.Millisecond,
	DialTimeout: 3 * time.Second,
}

const wait = 10 * time.Second

func network(t testing.TB, o local3.Options) *local3.Network {
	t.Helper()
	if o.CertDir == "" {
		o.CertDir = certs
	}
	return local3.RunT(t, o)
}

func config(dir string, endpoints ...string) fisco3.Config {
	return fisco3.Config{Config: amop.Config{
		Endpoints: endpoints,
		CAFile:    filepath.Join(dir, local3.CAFile), CertFile: filepath.Join(dir, local3.SDKCertFile), KeyFile: filepath.Join(dir, local3.SDKKeyFile),
		Guard: fast,
	}}
}

// client connects a client to the given nodes and waits until it is up.
func client(t testing.TB, n *local3.Network, mod func(*fisco3.Config), nodes ...int) *fisco3.Client {
	t.Helper()
	var eps []string
	for _, i := range nodes {
		eps = append(eps, n.Addr(i))
	}
	cfg := config(n.CertDir(), eps...)
	cfg.PlainWS = n.Options().DisableTLS
	if mod != nil {
		mod(&cfg)
	}
	c, err := fisco3.New(cfg)
	if err != nil {
		t.Fatalf("fisco3.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return c
}

func waitSubs(t testing.TB, n *local3.Network, topic string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := n.WaitSubscribers(ctx, topic, want); err != nil {
		t.Fatal(err)
	}
}

// nextMessage returns the next MessageEvent, skipping other events.
func nextMessage(t testing.TB, c amop.Client, d time.Duration) *amop.MessageEvent {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if m, ok := ev.(*amop.MessageEvent); ok {
				return m
			}
		case <-timer.C:
			t.Fatalf("no message within %s", d)
		}
	}
}

// nextEvent returns the next event satisfying match.
func nextEvent[T amop.Event](t testing.TB, c amop.Client, d time.Duration, match func(T) bool) T {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if e, ok := ev.(T); ok && (match == nil || match(e)) {
				return e
			}
		case <-timer.C:
			var zero T
			t.Fatalf("no %T within %s", zero, d)
		}
	}
}

func ctxFor(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// drain discards the events queued so far.
func drain(c amop.Client) {
	for {
		select {
		case <-c.Events():
		default:
			return
		}
	}
}
