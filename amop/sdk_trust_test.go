package amop_test

// Whom the adapter trusts: node certificates, certificate files, the chain id, secp256k1.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

func TestNodeCertificateFromForeignCAIsRefused(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	foreign := t.TempDir()
	if err := local.NewCertDir(foreign, local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := amop.New(certConfig(foreign, n.Addr(0)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := ctxFor(5 * time.Second)
	defer cancel()
	err = a.WaitReady(ctx)
	if err == nil || !strings.Contains(err.Error(), "not signed by") || !strings.Contains(err.Error(), "ca.crt") {
		t.Fatalf("got %v, want a refusal naming the CA file", err)
	}
	if st := a.Status(); st.State != amop.StateDown {
		t.Fatalf("state %v, want down", st.State)
	}
	// A send fails at once, with the cause, instead of waiting out its
	// deadline.
	start := time.Now()
	if _, err := a.Unicast(ctx, "t", []byte("x")); !errors.Is(err, amop.ErrNotConnected) || !strings.Contains(err.Error(), "not signed by") ||
		time.Since(start) > time.Second {
		t.Fatalf("a send while refused: %v after %v", err, time.Since(start))
	}
	// Without node verification the node refuses our foreign client
	// certificate instead.
	cfg := certConfig(foreign, n.Addr(0))
	cfg.SkipNodeVerify = true
	b, err := amop.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WaitReady(ctx); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("got %v, want the node's refusal", err)
	}
}

func TestBadCertificateFilesGiveClearErrors(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	dir := n.CertDir()
	tmp := t.TempDir()
	corrupt := filepath.Join(tmp, "corrupt.crt")
	if err := os.WriteFile(corrupt, []byte("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A second SDK identity: its key does not match the first's certificate.
	other := t.TempDir()
	if err := local.NewCertDir(other, local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	// Certificates from the same CA, outside their validity.
	expCert, expKey, err := local.IssueCert(dir, "expired", local.CertOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	futCert, futKey, err := local.IssueCert(dir, "future", local.CertOptions{NotBefore: time.Now().Add(24 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		mod  func(*amop.Config)
		want []string
	}{
		"corrupt CA":   {func(c *amop.Config) { c.CAFile = corrupt }, []string{corrupt, "does not parse"}},
		"missing file": {func(c *amop.Config) { c.KeyFile = filepath.Join(tmp, "nope.key") }, []string{"nope.key", "no such file"}},
		"key mismatch": {func(c *amop.Config) { c.KeyFile = filepath.Join(other, "sdk.key") }, []string{"does not match", "sdk.key"}},
		"expired":      {func(c *amop.Config) { c.CertFile, c.KeyFile = expCert, expKey }, []string{"expired", "expired.crt"}},
		"not yet":      {func(c *amop.Config) { c.CertFile, c.KeyFile = futCert, futKey }, []string{"not valid yet", "future.crt"}},
		"foreign cert": {func(c *amop.Config) {
			c.CertFile, c.KeyFile = filepath.Join(other, "sdk.crt"), filepath.Join(other, "sdk.key")
		}, []string{"not signed by", "ca.crt"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := certConfig(dir, n.Addr(0))
			tc.mod(&cfg)
			a, err := amop.New(cfg)
			if err == nil {
				a.Close()
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q lacks %q", err, w)
				}
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestWrongChainID(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1, ChainID: 7})
	a, err := amop.New(certConfig(n.CertDir(), n.Addr(0)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := ctxFor(5 * time.Second)
	defer cancel()
	err = a.WaitReady(ctx)
	if err == nil || !strings.Contains(err.Error(), "the node is on chain 7, the configuration expects chain 1") {
		t.Fatalf("got %v", err)
	}
}

func TestSecp256k1Certificates(t *testing.T) {
	dir := t.TempDir()
	n := local.RunT(t, local.Options{Nodes: 1, CertDir: dir, KeyType: local.Secp256k1})
	a := client(t, n, nil, n.Addr(0))
	if err := a.Join("k1"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "k1", 1)
	ctx, cancel := ctxFor(5 * time.Second)
	defer cancel()
	if err := a.Multicast(ctx, "k1", []byte("x")); err != nil {
		t.Fatal(err)
	}
}
