package fisco3_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/fisco3"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
)

// refused starts a client that must end Down with an error containing want.
func refused(t *testing.T, cfg fisco3.Config, want ...string) error {
	t.Helper()
	c, err := fisco3.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err = c.WaitReady(ctx)
	if err == nil {
		t.Fatal("connected")
	}
	if c.Status().State != amop.StateDown {
		t.Fatalf("state %s, error %v", c.Status().State, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not say %q", err, w)
		}
	}
	return err
}

func TestNodeOfAnotherCAIsRefused(t *testing.T) {
	n := network(t, local3.Options{})
	other := t.TempDir()
	if err := local3.NewCertDir(other); err != nil {
		t.Fatal(err)
	}
	// Our certificates are of another CA than the node's: the node
	// refuses us, and we refuse it.
	cfg := config(other, n.Addr(0))
	cfg.SkipNodeVerify = true
	refused(t, cfg, "refused the TLS handshake")
	// Verifying the node (the default), we refuse it first.
	err := refused(t, config(other, n.Addr(0)), "presented a certificate not signed by")
	var nce *fisco3.NodeCertError
	if !errors.As(err, &nce) {
		t.Fatalf("%T %v", err, err)
	}
}

// TestSMChainIsNamed: an SM-TLS node, and an SM chain's SDK directory, are
// refused with a sentence that says what is missing, not a TLS error.
func TestSMChainIsNamed(t *testing.T) {
	n := network(t, local3.Options{SM: true})
	err := refused(t, config(certs, n.Addr(0)), "SM chain", "sm_sdk.crt", "rpc.sm_ssl=false")
	if !errors.Is(err, fisco3.ErrSMChain) {
		t.Fatalf("%v", err)
	}
	dir := t.TempDir()
	for _, f := range []string{"sm_ca.crt", "sm_sdk.crt", "sm_sdk.key", "sm_ensdk.crt", "sm_ensdk.key"} {
		os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600)
	}
	_, err = fisco3.New(config(dir, n.Addr(0)))
	if !errors.Is(err, fisco3.ErrSMChain) || !strings.Contains(err.Error(), "sm_ca.crt") {
		t.Fatalf("SM directory: %v", err)
	}
}

func TestPlainWebSocket(t *testing.T) {
	n := network(t, local3.Options{DisableTLS: true})
	c := client(t, n, nil, 0)
	if c.Status().Node.Line != amop.Line3 {
		t.Fatal("not connected")
	}
	// TLS against a plain node says so.
	refused(t, config(certs, n.Addr(1)), "TLS off", "ws://")
}

// TestSecp256k1CertificatesSayTwoX: a 2.x chain's certificates are refused
// with a sentence naming the line.
func TestSecp256k1CertificatesSayTwoX(t *testing.T) {
	dir := t.TempDir()
	if err := local.NewCertDir(dir, local.CertOptions{KeyType: local.Secp256k1}); err != nil {
		t.Fatal(err)
	}
	_, err := fisco3.New(config(dir, "127.0.0.1:1"))
	if err == nil || !strings.Contains(err.Error(), "2.x") || !strings.Contains(err.Error(), "ca.crt") {
		t.Fatalf("got %v", err)
	}
}

// TestTwoXPortSaysSo: a 2.x channel port, reached with 3.x, is not taken
// for a flaky node: the error names the other line.
func TestTwoXPortSaysSo(t *testing.T) {
	dir := t.TempDir()
	// A 2.x network on P-256 certificates, which the standard library reads.
	n2 := local.RunT(t, local.Options{CertDir: dir, Nodes: 1})
	c, err := fisco3.New(config(dir, n2.Addr(0)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = c.WaitReady(ctx)
	if err == nil || !strings.Contains(err.Error(), "--fisco 2") {
		t.Fatalf("got %v", err)
	}
}

func TestBadCertificateFiles(t *testing.T) {
	good := config(certs, "127.0.0.1:1")
	cases := map[string]func(*fisco3.Config, string){
		"missing ca": func(c *fisco3.Config, d string) { c.CAFile = filepath.Join(d, "nope.crt") },
		"empty ca": func(c *fisco3.Config, d string) {
			os.WriteFile(filepath.Join(d, "empty.crt"), nil, 0o600)
			c.CAFile = filepath.Join(d, "empty.crt")
		},
		"corrupt cert": func(c *fisco3.Config, d string) {
			os.WriteFile(filepath.Join(d, "bad.crt"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
			c.CertFile = filepath.Join(d, "bad.crt")
		},
		"key of another certificate": func(c *fisco3.Config, d string) {
			other := filepath.Join(d, "o")
			local3.NewCertDir(other)
			c.KeyFile = filepath.Join(other, local3.SDKKeyFile)
		},
		"certificate of another CA": func(c *fisco3.Config, d string) {
			other := filepath.Join(d, "o")
			local3.NewCertDir(other)
			c.CertFile, c.KeyFile = filepath.Join(other, local3.SDKCertFile), filepath.Join(other, local3.SDKKeyFile)
		},
	}
	for name, mod := range cases {
		cfg := good
		d := t.TempDir()
		mod(&cfg, d)
		_, err := fisco3.New(cfg)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), d) && !strings.Contains(err.Error(), certs) {
			t.Errorf("%s: %q names no file", name, err)
		}
	}
}
