package local_test

import (
	stdtls "crypto/tls"
	stdx509 "crypto/x509"
	"encoding/pem"
	"errors"
	"github.com/FISCO-BCOS/crypto/tls"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/FISCO-BCOS/crypto/ecdsa"
	"github.com/FISCO-BCOS/crypto/elliptic"
	"github.com/FISCO-BCOS/crypto/x509"

	"github.com/amoptui/amoptui/amop/local"
)

func TestCertDirGeneratedAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	n, err := local.Start(local.Options{CertDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	for _, f := range []string{"ca.crt", "ca.key", "sdk.crt", "sdk.key", "node0.crt", "node0.key", "node1.crt", "node1.key"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".key") && st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v; want 0600", f, st.Mode().Perm())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "node2.crt")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("node2.crt issued for a two-node network: %v", err)
	}
	ca, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	sdk, _ := os.ReadFile(filepath.Join(dir, "sdk.crt"))

	// Restart with three nodes: everything reused, node2 issued on demand.
	n = local.RunT(t, local.Options{CertDir: dir, Nodes: 3})
	ca2, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	sdk2, _ := os.ReadFile(filepath.Join(dir, "sdk.crt"))
	if string(ca) != string(ca2) || string(sdk) != string(sdk2) {
		t.Fatal("certificates regenerated instead of reused")
	}
	if _, err := os.Stat(filepath.Join(dir, "node2.crt")); err != nil {
		t.Fatal(err)
	}
	dialSDK(t, n, 2)
	if n.CertDir() != dir {
		t.Fatalf("CertDir = %s", n.CertDir())
	}
}

func TestTemporaryCertDirRemovedOnClose(t *testing.T) {
	n, err := local.Start(local.Options{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := n.CertDir()
	if _, err := os.Stat(filepath.Join(dir, local.SDKKeyFile)); err != nil {
		t.Fatal(err)
	}
	n.Close()
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temporary directory left: %v", err)
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestCertDirMismatchNamesTheFile(t *testing.T) {
	good := t.TempDir()
	n, err := local.Start(local.Options{CertDir: good})
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	other := t.TempDir()
	if err := local.NewCertDir(other, local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := local.IssueCert(other, "node0", local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		files   []string // copied from the other CA's directory, or overwritten with garbage
		garbage bool
		want    string
	}{
		{name: "sdk pair from another CA", files: []string{"sdk.crt", "sdk.key"}, want: "sdk.crt is not valid under"},
		{name: "sdk.key of another certificate", files: []string{"sdk.key"}, want: "sdk.key does not match"},
		{name: "node0 pair from another CA", files: []string{"node0.crt", "node0.key"}, want: "node0.crt is not valid under"},
		{name: "ca.key of another CA", files: []string{"ca.key"}, want: "ca.key does not match"},
		{name: "unparsable ca.crt", files: []string{"ca.crt"}, garbage: true, want: "ca.crt: no PEM CERTIFICATE"},
		{name: "unparsable sdk.key", files: []string{"sdk.key"}, garbage: true, want: "sdk.key: no PEM PRIVATE KEY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, good)
			for _, f := range tc.files {
				b := []byte("not a PEM file\n")
				if !tc.garbage {
					if b, err = os.ReadFile(filepath.Join(other, f)); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.files[0] == "ca.key" { // only read when a certificate must be issued
				os.Remove(filepath.Join(dir, "node1.crt"))
				os.Remove(filepath.Join(dir, "node1.key"))
			}
			n, err := local.Start(local.Options{CertDir: dir})
			if err == nil {
				n.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("error %q does not say %q about a file in %s", err, tc.want, dir)
			}
		})
	}
	t.Run("a lone sdk.crt", func(t *testing.T) {
		dir := t.TempDir()
		b, _ := os.ReadFile(filepath.Join(good, "sdk.crt"))
		os.WriteFile(filepath.Join(dir, "sdk.crt"), b, 0o644)
		_, err := local.Start(local.Options{CertDir: dir})
		if err == nil || !strings.Contains(err.Error(), "sdk.crt exists but") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("an SDK directory without ca.key", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{"ca.crt", "sdk.crt", "sdk.key"} {
			b, _ := os.ReadFile(filepath.Join(good, f))
			os.WriteFile(filepath.Join(dir, f), b, 0o600)
		}
		_, err := local.Start(local.Options{CertDir: dir})
		if err == nil || !strings.Contains(err.Error(), "ca.key is missing") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestSecp256k1RealChainStyle builds a directory like build_chain.sh's
// (secp256k1 everywhere), with sdk.key rewritten as openssl ecparam writes
// it (SEC1, after an EC PARAMETERS block), and runs go-sdk over it.
func TestSecp256k1RealChainStyle(t *testing.T) {
	dir := t.TempDir()
	if err := local.NewCertDir(dir, local.CertOptions{KeyType: local.Secp256k1}); err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := os.ReadFile(filepath.Join(dir, "sdk.key"))
	blk, _ := pem.Decode(keyPEM)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		t.Fatalf("sdk.key is not PKCS#8: %v", blk)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	params := []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a} // OID secp256k1
	out := append(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: params}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...)
	if err := os.WriteFile(filepath.Join(dir, "sdk.key"), out, 0o600); err != nil {
		t.Fatal(err)
	}

	n := local.RunT(t, local.Options{CertDir: dir, KeyType: local.Secp256k1})
	crt, _ := os.ReadFile(filepath.Join(dir, "node0.crt"))
	blk, _ = pem.Decode(crt)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicKey.(*ecdsa.PublicKey).Curve != elliptic.Secp256k1() {
		t.Fatal("node0.crt is not secp256k1")
	}
	sub := dialSDK(t, n, 1)
	subscribe(t, sub, "k1", func(_ []byte, resp *[]byte) { *resp = []byte("k1 ok") })
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "k1", 1)
	if got, err := sendAMOP(t, pub, "k1", nil); err != nil || string(got) != "k1 ok" {
		t.Fatalf("%q %v", got, err)
	}
}

// TestP256ReadableByStandardLibrary: the default certificates load in the
// standard library, which the guard or other tools may use.
func TestP256ReadableByStandardLibrary(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	d := n.CertDir()
	if _, err := stdtls.LoadX509KeyPair(filepath.Join(d, "sdk.crt"), filepath.Join(d, "sdk.key")); err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(filepath.Join(d, "ca.crt"))
	pool := stdx509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.crt unreadable")
	}
	for _, f := range []string{"sdk.crt", "node0.crt"} {
		b, _ := os.ReadFile(filepath.Join(d, f))
		blk, _ := pem.Decode(b)
		c, err := stdx509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := c.Verify(stdx509.VerifyOptions{Roots: pool, KeyUsages: []stdx509.ExtKeyUsage{stdx509.ExtKeyUsageAny}}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	// A standard-library TLS 1.2 client with the SDK certificate is served.
	cert, _ := stdtls.LoadX509KeyPair(filepath.Join(d, "sdk.crt"), filepath.Join(d, "sdk.key"))
	conn, err := stdtls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", n.Addr(0),
		&stdtls.Config{RootCAs: pool, ServerName: "localhost", Certificates: []stdtls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	if v := conn.ConnectionState().Version; v != stdtls.VersionTLS12 {
		t.Fatalf("negotiated %x; want TLS 1.2", v)
	}
	conn.Close()
}

func TestDefaultCertDir(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/xdg/state")
	if d, err := local.DefaultCertDir(); err != nil || d != "/xdg/state/amoptui/network" {
		t.Fatalf("%q %v", d, err)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if d, err := local.DefaultCertDir(); err != nil || d != "/home/someone/.local/state/amoptui/network" {
		t.Fatalf("%q %v", d, err)
	}
}

func TestListenAddressInUseNamed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	n, err := local.Start(local.Options{Listen: []string{"127.0.0.1:0", ln.Addr().String()}})
	if err == nil {
		n.Close()
		t.Fatal("started on a taken port")
	}
	if !strings.Contains(err.Error(), ln.Addr().String()) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("error %q does not name %s", err, ln.Addr())
	}
	checkNoNetworkGoroutines(t)
}

// TestNodePrefersAESGCM: go-sdk's TLS fork offers ChaCha20 first (it never
// detects AES hardware); the node's preference must win, since AES-GCM is
// about twice as fast on the machines nodes run on.
func TestNodePrefersAESGCM(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	cfg := clientTLS(t, n.CertDir(), local.SDKCertFile, local.SDKKeyFile)
	cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	c, err := dialRawTLS(n.Addr(0), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.ConnectionState().CipherSuite; got != tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
		t.Fatalf("negotiated suite 0x%04x, want ECDHE-ECDSA-AES128-GCM-SHA256", got)
	}
}
