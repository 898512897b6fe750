package amop_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
