package amop_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/FISCO-BCOS/crypto/tls"
	"github.com/FISCO-BCOS/crypto/x509"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// fakeNode is a TLS endpoint that serves a given certificate, requires a
// client certificate of the CA in dir, completes the handshake and hangs
// up. It counts connection attempts, so tests can tell paced retries from a
// storm. The local network refuses to serve a certificate outside its
// validity, so expired and not-yet-valid node certificates need this.
type fakeNode struct {
	ln       net.Listener
	accepted atomic.Int64
	wg       sync.WaitGroup
}

func startFakeNode(t *testing.T, dir, certFile, keyFile string) *fakeNode {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool,
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.CurveSecp256k1, tls.CurveP256},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNode{ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.accepted.Add(1)
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakeNode) addr() string { return f.ln.Addr().String() }

// refusedWith starts an adapter on cfg, waits for it to give up on the
// node, and returns the error WaitReady reports.
func refusedWith(t *testing.T, cfg amop.Config) (*amop.SDK, error) {
	t.Helper()
	a, err := amop.New(cfg)
	if err != nil {
		t.Fatalf("amop.New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = a.WaitReady(ctx)
	if err == nil {
		t.Fatal("connected to a node it must refuse")
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("error is not one line: %q", err)
	}
	return a, err
}

// TestNodeCertificateOutsideItsValidity: a node whose certificate expired,
// or is not valid yet, is refused with a sentence that says so, as an SDK
// certificate is (TestBadCertificateFilesGiveClearErrors).
func TestNodeCertificateOutsideItsValidity(t *testing.T) {
	dir := t.TempDir()
	if err := local.NewCertDir(dir, local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     string
	}{
		{"expired", now.Add(-48 * time.Hour), now.Add(-24 * time.Hour), "expired on " + now.Add(-24*time.Hour).UTC().Format("2006-01-02")},
		{"future", now.Add(24 * time.Hour), now.Add(48 * time.Hour), "is not valid until " + now.Add(24*time.Hour).UTC().Format("2006-01-02")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crt, key, err := local.IssueCert(dir, "node-"+tc.name, local.CertOptions{NotBefore: tc.from, NotAfter: tc.to})
			if err != nil {
				t.Fatal(err)
			}
			node := startFakeNode(t, dir, crt, key)
			a, err := refusedWith(t, certConfig(dir, node.addr()))
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), node.addr()) {
				t.Fatalf("got %q, want it to name %s and say %q", err, node.addr(), tc.want)
			}
			if st := a.Status(); st.State != amop.StateDown {
				t.Fatalf("state %v, want down", st.State)
			}
		})
	}
}

// TestAgencyChainSecp256k1 is the real-chain layout: secp256k1 keys, node
// and SDK certificates signed by an agency CA that the chain CA signs, each
// file carrying the agency certificate after its own (build_chain.sh). The
// guard verifies the node through the intermediate, the node verifies us.
func TestAgencyChainSecp256k1(t *testing.T) {
	dir := t.TempDir()
	if err := local.NewAgencyCertDir(dir, 2, local.CertOptions{KeyType: local.Secp256k1}); err != nil {
		t.Fatal(err)
	}
	crt, err := os.ReadFile(filepath.Join(dir, "sdk.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(crt), "BEGIN CERTIFICATE"); got != 2 {
		t.Fatalf("sdk.crt holds %d certificates, want sdk and agency", got)
	}
	n := local.RunT(t, local.Options{CertDir: dir, KeyType: local.Secp256k1})
	sub := client(t, n, func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy("k1 chain ok") }, n.Addr(1))
	pub := client(t, n, nil, n.Addr(0))
	if err := sub.Join("chain"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "chain", 1)
	ctx, cancel := ctxFor(5 * time.Second)
	defer cancel()
	if reply, err := pub.Unicast(ctx, "chain", []byte("q")); err != nil || string(reply) != "k1 chain ok" {
		t.Fatalf("Unicast = %q, %v", reply, err)
	}

	// The same set with the agency certificate cut from sdk.crt: refused
	// before any dial, naming the file.
	leafOnly := filepath.Join(t.TempDir(), "sdk.crt")
	if err := os.WriteFile(leafOnly, crt[:strings.Index(string(crt), "-----END CERTIFICATE-----")+len("-----END CERTIFICATE-----\n")], 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := certConfig(dir, n.Addr(0))
	cfg.CertFile = leafOnly
	if _, err := amop.New(cfg); err == nil || !strings.Contains(err.Error(), leafOnly) || !strings.Contains(err.Error(), "not signed by") ||
		strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("a leaf without its agency gave %v", err)
	}
}

// TestCertificateFilesMatrix completes TestBadCertificateFilesGiveClearErrors:
// every file missing, corrupt or of the wrong kind gives one line naming it,
// before anything is dialled.
func TestCertificateFilesMatrix(t *testing.T) {
	dir := t.TempDir()
	if err := local.NewCertDir(dir, local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badCert := write("bad.crt", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
	badKey := write("bad.key", "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n")
	garbageKey := write("garbage.key", "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n")
	empty := write("empty.crt", "")
	missing := filepath.Join(tmp, "missing")
	sdkCrt := filepath.Join(dir, "sdk.crt")
	for _, tc := range []struct {
		name string
		mod  func(*amop.Config)
		want string // a file name the error must contain
	}{
		{"missing CA", func(c *amop.Config) { c.CAFile = missing + ".crt" }, "missing.crt"},
		{"missing certificate", func(c *amop.Config) { c.CertFile = missing + ".crt" }, "missing.crt"},
		{"empty CA", func(c *amop.Config) { c.CAFile = empty }, "empty.crt"},
		{"corrupt certificate", func(c *amop.Config) { c.CertFile = badCert }, "bad.crt"},
		{"corrupt key PEM", func(c *amop.Config) { c.KeyFile = badKey }, "bad.key"},
		{"key that does not parse", func(c *amop.Config) { c.KeyFile = garbageKey }, "garbage.key"},
		{"certificate as key", func(c *amop.Config) { c.KeyFile = sdkCrt }, "sdk.crt"},
		{"key as certificate", func(c *amop.Config) { c.CertFile = filepath.Join(dir, "sdk.key") }, "sdk.key"},
		{"CA as certificate", func(c *amop.Config) { c.CertFile = filepath.Join(dir, "ca.crt") }, "ca.crt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := certConfig(dir, "127.0.0.1:1")
			tc.mod(&cfg)
			a, err := amop.New(cfg)
			if err == nil {
				a.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q: want one line naming %s", err, tc.want)
			}
		})
	}
}

// maxAttempts is how many dial attempts the guard's backoff allows in w:
// the first at once, then after each failure a pause of lo·2^k capped at
// hi, shortened by at most 20 % of jitter.
func maxAttempts(w, lo, hi time.Duration) int {
	n, spent := 1, time.Duration(0)
	for k := 1; ; k++ {
		d := lo
		for i := 0; i < k && d < hi; i++ {
			d *= 2
		}
		spent += min(d, hi) * 4 / 5
		if spent > w {
			return n
		}
		n++
	}
}

// TestFailedDialsPacedByBackoff counts connection attempts at the node
// while the client is refused, both ways round: never a storm (go-sdk alone
// opens hundreds a second, gosdk-pitfalls.md A#10), only what the backoff
// schedule allows.
func TestFailedDialsPacedByBackoff(t *testing.T) {
	if testing.Short() {
		t.Skip("watches retries for 4 s")
	}
	const window = 4 * time.Second
	tuning := amop.GuardTuning{BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second}
	allowed := maxAttempts(window, tuning.BackoffMin, tuning.BackoffMax) + 1 // +1: an attempt at the window's edge
	watch := func(t *testing.T, cfg amop.Config, attempts func() int64) {
		cfg.Guard = tuning
		a, err := amop.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		before := attempts()
		time.Sleep(window) // the observation itself: the count is read after it
		got := attempts() - before
		t.Logf("%d connection attempts in %v (the backoff allows %d); status: %s", got, window, allowed, a.Status().LastErr)
		if got > int64(allowed) {
			t.Fatalf("%d connection attempts in %v: a storm (at most %d allowed)", got, window, allowed)
		}
		if got < 2 {
			t.Fatalf("%d attempts in %v: the client gave up instead of retrying", got, window)
		}
		if st := a.Status(); st.State != amop.StateDown {
			t.Fatalf("state %v, want down with the refusal", st.State)
		}
	}
	t.Run("the node refuses our certificate", func(t *testing.T) {
		t.Parallel()
		n := local.RunT(t, local.Options{Nodes: 1})
		foreign := t.TempDir()
		if err := local.NewCertDir(foreign, local.CertOptions{}); err != nil {
			t.Fatal(err)
		}
		cfg := certConfig(foreign, n.Addr(0))
		cfg.SkipNodeVerify = true
		watch(t, cfg, func() int64 { return int64(n.Stats().HandshakeFailures) })
	})
	t.Run("we refuse the node's certificate", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := local.NewCertDir(dir, local.CertOptions{}); err != nil {
			t.Fatal(err)
		}
		crt, key, err := local.IssueCert(dir, "old", local.CertOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		node := startFakeNode(t, dir, crt, key)
		watch(t, certConfig(dir, node.addr()), node.accepted.Load)
	})
}
