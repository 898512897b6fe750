package amop

import (
	"context"
	stdtls "crypto/tls"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// quick is guard timing for these tests.
var quick = GuardTuning{
	HeartbeatInterval: 200 * time.Millisecond, HeartbeatTimeout: 1500 * time.Millisecond,
	BackoffMin: 50 * time.Millisecond, BackoffMax: 400 * time.Millisecond, DialTimeout: 2 * time.Second,
}

func newSDK(t *testing.T, dir string, endpoints ...string) *SDK {
	t.Helper()
	a, err := New(Config{
		Endpoints: endpoints,
		CAFile:    filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key"),
		SendTimeout: 3 * time.Second, Guard: quick,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func ready(t *testing.T, a *SDK, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestStrayConnectionsToTheGuard: anything on the machine can connect to
// the guard's loopback port. A plain TCP connection, garbage, or a TLS
// client without the guard's certificate must not displace go-sdk's
// session (it used to: the guard closed go-sdk's connection, and go-sdk's
// broken reconnect left every later send hanging while the status still
// said connected).
func TestStrayConnectionsToTheGuard(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	sub := newSDK(t, n.CertDir(), n.Addr(0))
	pub := newSDK(t, n.CertDir(), n.Addr(0))
	ready(t, sub, 10*time.Second)
	ready(t, pub, 10*time.Second)
	if err := sub.Join("stray"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "stray", 1); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*SDK{sub, pub} {
		addr := a.g.Addr()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		c, err = net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
		c.Close()
		tc, err := stdtls.Dial("tcp", addr, &stdtls.Config{InsecureSkipVerify: true})
		if err == nil {
			tc.Close()
		}
	}
	time.Sleep(100 * time.Millisecond)
	for i := 0; i < 3; i++ {
		sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := pub.Multicast(sctx, "stray", []byte("still here"))
		scancel()
		if err != nil {
			t.Fatalf("multicast %d after stray connections: %v", i, err)
		}
	}
	deadline := time.After(5 * time.Second)
	for got := 0; got < 3; {
		select {
		case ev := <-sub.Events():
			if m, ok := ev.(*MessageEvent); ok && string(m.Data) == "still here" {
				got++
			}
		case <-deadline:
			t.Fatalf("the subscriber stopped receiving after stray connections (%d of 3)", got)
		}
	}
}

// twoNetworks starts two one-node networks on one certificate directory,
// so that one client's certificates work on both.
func twoNetworks(t *testing.T, a, b local.Options) (*local.Network, *local.Network) {
	t.Helper()
	dir := t.TempDir()
	a.CertDir, b.CertDir, a.Nodes, b.Nodes = dir, dir, 1, 1
	return local.RunT(t, a), local.RunT(t, b)
}

// TestFailoverPastAFlappingNode: a node that completes the handshake and
// then drops every session must not hold the guard for ever; the next
// endpoint gets its turn (the guard used to retry the flapping one at the
// minimum backoff indefinitely).
func TestFailoverPastAFlappingNode(t *testing.T) {
	flappy, good := twoNetworks(t, local.Options{IdleTimeout: 300 * time.Millisecond}, local.Options{})
	a, err := New(Config{
		Endpoints: []string{flappy.Addr(0), good.Addr(0)},
		CAFile:    filepath.Join(good.CertDir(), "ca.crt"), CertFile: filepath.Join(good.CertDir(), "sdk.crt"), KeyFile: filepath.Join(good.CertDir(), "sdk.key"),
		// Heartbeats slower than the flapping node's idle cut.
		Guard: GuardTuning{HeartbeatInterval: 2 * time.Second, HeartbeatTimeout: 6 * time.Second, BackoffMin: 50 * time.Millisecond, BackoffMax: 400 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := a.Status()
		if st.State == StateConnected && st.Endpoint == good.Addr(0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never failed over to the good node: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOneRefusingEndpointOfSeveral: a node of the wrong chain is skipped;
// WaitReady waits for the next endpoint instead of giving up on the first
// refusal, and the state is not "down" while another endpoint may work.
func TestOneRefusingEndpointOfSeveral(t *testing.T) {
	wrong, good := twoNetworks(t, local.Options{ChainID: 7}, local.Options{})
	a := newSDK(t, good.CertDir(), wrong.Addr(0), good.Addr(0))
	ready(t, a, 10*time.Second)
	if st := a.Status(); st.Endpoint != good.Addr(0) {
		t.Fatalf("connected to %s", st.Endpoint)
	}
	// Every endpoint refusing: down, with the refusal.
	b := newSDK(t, good.CertDir(), wrong.Addr(0))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.WaitReady(ctx); err == nil || b.Status().State != StateDown {
		t.Fatalf("a lone wrong-chain node: %v, state %v", err, b.Status().State)
	}
}

// TestCloseDoesNotWaitForADial: a node that accepts TCP but never speaks
// TLS must not hold Close for the dial timeout (quitting the TUI hung).
func TestCloseDoesNotWaitForADial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent
		}
	}()
	n := local.RunT(t, local.Options{Nodes: 1})
	a, err := New(Config{
		Endpoints: []string{ln.Addr().String()},
		CAFile:    filepath.Join(n.CertDir(), "ca.crt"), CertFile: filepath.Join(n.CertDir(), "sdk.crt"), KeyFile: filepath.Join(n.CertDir(), "sdk.key"),
		Guard: GuardTuning{DialTimeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the dial is under way
	start := time.Now()
	a.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v", d)
	}
}
