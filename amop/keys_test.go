package amop_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/FISCO-BCOS/go-sdk/conf"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/amoptui/amoptui/amop"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKeyPEMsLoadWithGoSDKsLoaders: the PEM files are exactly what go-sdk's
// conf.LoadECPrivateKeyFromPEM / LoadECPublicKeyFromPEM read, as its
// amop_auth examples load them, and the pair matches.
func TestKeyPEMsLoadWithGoSDKsLoaders(t *testing.T) {
	dir := t.TempDir()
	k := genKey(t)
	privPEM, err := k.PEM()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := k.Public().PEM()
	if err != nil {
		t.Fatal(err)
	}
	privFile := writeFile(t, dir, "k.pem", privPEM)
	pubFile := writeFile(t, dir, "k.pub", pubPEM)

	raw, curve, err := conf.LoadECPrivateKeyFromPEM(privFile)
	if err != nil || curve != "secp256k1" {
		t.Fatalf("go-sdk private loader: %v, %q", err, curve)
	}
	priv, err := crypto.ToECDSA(raw) // what the example subscriber does
	if err != nil {
		t.Fatal(err)
	}
	rawPub, curve, err := conf.LoadECPublicKeyFromPEM(pubFile)
	if err != nil || curve != "secp256k1" {
		t.Fatalf("go-sdk public loader: %v, %q", err, curve)
	}
	pub, err := crypto.UnmarshalPubkey(rawPub) // what the example publishers do
	if err != nil {
		t.Fatal(err)
	}
	if !priv.PublicKey.Equal(pub) {
		t.Fatal("the public key file does not match the private key")
	}
	if got := "0x" + strings.TrimPrefix(k.Public().Hex(), "0x"); !strings.HasPrefix(got, "0x04") || len(got) != 132 {
		t.Fatalf("Hex %q", got)
	}

	lk, err := amop.LoadPrivateKey(privFile)
	if err != nil || lk.Source != privFile {
		t.Fatalf("LoadPrivateKey: %v", err)
	}
	lp, err := amop.LoadPublicKey(pubFile)
	if err != nil || !lp.Equal(lk.Public()) || !lp.Equal(k.Public()) {
		t.Fatalf("LoadPublicKey: %v", err)
	}
	again, _ := lk.PEM()
	if !bytes.Equal(again, privPEM) {
		t.Fatal("a loaded key encodes differently")
	}

	// openssl reads them as secp256k1 keys too, when it is installed.
	if _, err := exec.LookPath("openssl"); err == nil {
		for _, args := range [][]string{{"pkey", "-in", privFile, "-noout", "-text"}, {"pkey", "-pubin", "-in", pubFile, "-noout", "-text"}} {
			out, err := exec.Command("openssl", args...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "secp256k1") {
				t.Fatalf("openssl %v: %v\n%s", args, err, out)
			}
		}
	}
}

func TestKeyLoadErrorsAreClear(t *testing.T) {
	dir := t.TempDir()
	k := genKey(t)
	pubPEM, _ := k.Public().PEM()
	privPEM, _ := k.PEM()
	block, _ := pem.Decode(privPEM)
	sec1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: block.Bytes})
	cases := []struct {
		name string
		data []byte
		pub  bool
		want string
	}{
		{"missing", nil, false, "no such file"},
		{"garbage", []byte("hello"), false, "no PEM block"},
		{"sec1", sec1, false, "openssl pkcs8 -topk8"},
		{"pub-as-priv", pubPEM, false, `"PUBLIC KEY" PEM block, want "PRIVATE KEY"`},
		{"priv-as-pub", privPEM, true, `"PRIVATE KEY" PEM block, want "PUBLIC KEY"`},
	}
	for _, c := range cases {
		p := filepath.Join(dir, c.name)
		if c.data != nil {
			writeFile(t, dir, c.name, c.data)
		}
		var err error
		if c.pub {
			_, err = amop.LoadPublicKey(p)
		} else {
			_, err = amop.LoadPrivateKey(p)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := amop.LoadPublicKeys(nil); err == nil {
		t.Error("no public keys accepted")
	}
}

// TestKeysOfOtherCurvesNameTheFix: a P-256 key (what an SDK certificate
// directory holds) is refused with the curve and the fix, not go-sdk's
// "unknown namedCurveOID".
func TestKeysOfOtherCurvesNameTheFix(t *testing.T) {
	dir := t.TempDir()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	kf, pf := filepath.Join(dir, "p256.key"), filepath.Join(dir, "p256.pub")
	if err := os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pf, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := amop.LoadPrivateKey(kf); err == nil || err.Error() != "amop: private key "+kf+" is a P-256 (prime256v1) key: private topics need secp256k1 keys: amoptui keygen FILE makes a pair" {
		t.Errorf("private: %v", err)
	}
	if _, err := amop.LoadPublicKey(pf); err == nil || err.Error() != "amop: public key "+pf+" is a P-256 (prime256v1) key: private topics need secp256k1 keys: amoptui keygen FILE makes a pair" {
		t.Errorf("public: %v", err)
	}
}

// TestKeyFilesThatAreNotFilesAreRefused: a device, a FIFO or a directory
// named as a key file is refused at once with a sentence naming it; the
// FIFO does not block and /dev/zero is not read.
func TestKeyFilesThatAreNotFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "k.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := writeFile(t, dir, "big.key", bytes.Repeat([]byte("-----BEGIN PRIVATE KEY-----\n"), 40000))
	for path, want := range map[string]string{
		"/dev/zero": "/dev/zero is a character device, not a regular file",
		fifo:        fifo + " is a named pipe (FIFO), not a regular file",
		dir:         dir + " is a directory, not a regular file",
		big:         big + " is larger than 1 MiB, the most a key or certificate file may hold",
	} {
		done := make(chan error, 2)
		go func() {
			_, err := amop.LoadPrivateKey(path)
			done <- err
			_, err = amop.LoadPublicKeys([]string{path})
			done <- err
		}()
		for _, what := range []string{"private key", "public key"} {
			select {
			case err := <-done:
				if err == nil || err.Error() != "amop: "+what+": "+want {
					t.Errorf("%s %s: %v, want %q", what, path, err, want)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("loading %s blocked", path)
			}
		}
	}
}

// TestKeyLoadersAgreeWithGoSDK: the loaders parse the bytes they read once
// (go-sdk's read the file again, without a limit); they accept exactly the
// keys go-sdk's conf.LoadECPrivateKeyFromPEM / LoadECPublicKeyFromPEM
// accept as secp256k1 keys, and find the same key.
func TestKeyLoadersAgreeWithGoSDK(t *testing.T) {
	dir := t.TempDir()
	k := genKey(t)
	privPEM, _ := k.PEM()
	pubPEM, _ := k.Public().PEM()
	files := map[string][]byte{"keygen.key": privPEM, "keygen.pub": pubPEM}

	// The same key with the scalar made too large (the curve order's
	// neighbourhood) and the public point compressed.
	blk, _ := pem.Decode(privPEM)
	bad := bytes.Clone(blk.Bytes)
	if i := bytes.Index(bad, []byte{0x04, 0x20}); i > 0 {
		for j := 0; j < 32; j++ {
			bad[i+2+j] = 0xff
		}
	}
	files["order.key"] = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: bad})
	pblk, _ := pem.Decode(pubPEM)
	comp := bytes.Clone(pblk.Bytes)
	comp[len(comp)-65] = 0x02 // the point's first byte: not uncompressed
	files["compressed.pub"] = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: comp})
	if _, err := exec.LookPath("openssl"); err == nil {
		kf := filepath.Join(dir, "openssl.key")
		if out, err := exec.Command("sh", "-c", "openssl ecparam -name secp256k1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "+kf+
			" && openssl pkey -in "+kf+" -pubout -out "+filepath.Join(dir, "openssl.pub")).CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v\n%s", err, out)
		}
	}
	for name, data := range files {
		writeFile(t, dir, name, data)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, p := range names {
		if strings.HasSuffix(p, ".key") {
			raw, curve, err := conf.LoadECPrivateKeyFromPEM(p)
			var want *ecdsa.PrivateKey
			if err == nil && curve == "secp256k1" {
				want, _ = crypto.ToECDSA(raw)
			}
			got, gerr := amop.LoadPrivateKey(p)
			switch {
			case want == nil && gerr == nil:
				t.Errorf("%s: loaded, go-sdk refuses it (%v)", p, err)
			case want != nil && gerr != nil:
				t.Errorf("%s: %v, go-sdk loads it", p, gerr)
			case want != nil && !bytes.Equal(crypto.FromECDSA(want), mustPEMScalar(t, got)):
				t.Errorf("%s: another key than go-sdk's", p)
			}
			continue
		}
		raw, curve, err := conf.LoadECPublicKeyFromPEM(p)
		var want *ecdsa.PublicKey
		if err == nil && curve == "secp256k1" && raw != nil {
			want, _ = crypto.UnmarshalPubkey(raw)
		}
		got, gerr := amop.LoadPublicKey(p)
		switch {
		case want == nil && gerr == nil:
			t.Errorf("%s: loaded, go-sdk refuses it (%v)", p, err)
		case want != nil && gerr != nil:
			t.Errorf("%s: %v, go-sdk loads it", p, gerr)
		case want != nil && got.Hex() != "0x"+hex.EncodeToString(crypto.FromECDSAPub(want)):
			t.Errorf("%s: another key than go-sdk's", p)
		}
	}
}

// mustPEMScalar is the private scalar of k, through its PEM.
func mustPEMScalar(t *testing.T, k *amop.PrivateKey) []byte {
	t.Helper()
	b, err := k.PEM()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, _, err := conf.LoadECPrivateKeyFromPEM(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
