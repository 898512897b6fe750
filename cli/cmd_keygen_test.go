package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amoptui/amoptui/amop"
)

// TestKeygenWritesAPairGoSDKLoads: the files load through amop's loaders,
// which are go-sdk's conf.LoadECPrivateKeyFromPEM / LoadECPublicKeyFromPEM
// (the go-sdk amop_auth examples read them in TestPrivateTopicsWithGoSDKAuthExamples).
func TestKeygenWritesAPairGoSDKLoads(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "alice.key")
	code, out, errOut := runCmd(t, "", "keygen", key)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	pub := filepath.Join(dir, "alice.pub")
	if !strings.Contains(out, key) || !strings.Contains(out, pub) || !strings.Contains(out, "0x04") {
		t.Fatalf("output:\n%s", out)
	}
	st, err := os.Stat(key)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v, %v", st.Mode(), err)
	}
	k, err := amop.LoadPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := amop.LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Equal(k.Public()) || !strings.Contains(out, p.Hex()) {
		t.Fatal("the public key does not match the private key")
	}

	// --pub names the public file; a name without .key/.pem gets ".pub".
	if code, _, errOut := runCmd(t, "", "keygen", "--pub", filepath.Join(dir, "b.public.pem"), filepath.Join(dir, "b")); code != exitOK {
		t.Fatalf("--pub: exit %d: %s", code, errOut)
	}
	if _, err := amop.LoadPublicKey(filepath.Join(dir, "b.public.pem")); err != nil {
		t.Fatal(err)
	}
	if got := pubFileFor("x/c"); got != "x/c.pub" {
		t.Fatalf("pubFileFor = %q", got)
	}
}

func TestKeygenRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k.pem")
	if code, _, _ := runCmd(t, "", "keygen", key); code != exitOK {
		t.Fatal("first keygen failed")
	}
	before, _ := os.ReadFile(key)
	code, _, errOut := runCmd(t, "", "keygen", key)
	if code != exitUsage || !strings.Contains(errOut, "exists; not overwriting") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	after, _ := os.ReadFile(key)
	if string(before) != string(after) {
		t.Fatal("the key was overwritten")
	}
	// Only the public file exists: nothing is written either.
	other := filepath.Join(dir, "o.key")
	if err := os.WriteFile(filepath.Join(dir, "o.pub"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCmd(t, "", "keygen", other); code != exitUsage {
		t.Fatalf("exit %d with an existing public file", code)
	}
	if _, err := os.Stat(other); err == nil {
		t.Fatal("the private key was written although the public file exists")
	}
}

func TestKeygenUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"keygen"},
		{"keygen", "a", "b"},
		{"keygen", "--pub", filepath.Join(dir, "same"), filepath.Join(dir, "same")},
		{"keygen", "--bogus", "x"},
		{"keygen", filepath.Join(dir, "no-such-dir", "k.key")},
		{"keygen", filepath.Join(dir, "k.key"), "--pub", filepath.Join(dir, "p.pub")}, // a flag after KEYFILE
	} {
		if code, _, errOut := runCmd(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
	if code, _, _ := runCmd(t, "", "keygen", "-h"); code != exitOK {
		t.Errorf("-h: exit %d", code)
	}
}
