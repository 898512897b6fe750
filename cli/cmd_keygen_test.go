package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestOwnArgumentsAreShownNotObeyed: a key file name, --node-version and a
// --certs directory holding escape sequences are printed as visible text
// by keygen and by node's banner (2.x and 3.x), never raw.
func TestOwnArgumentsAreShownNotObeyed(t *testing.T) {
	const evil = "x\x1b]0;pwned\x07\x1b[2J\u202ey"
	dir := t.TempDir()
	code, out, errOut := runCmd(t, "", "keygen", filepath.Join(dir, evil+".key"))
	if code != exitOK || rawForbidden(out+errOut) != "" || !strings.Contains(out, "␛]0;pwned") {
		t.Fatalf("keygen: exit %d, %s\n%q", code, rawForbidden(out+errOut), out+errOut)
	}
	code, _, errOut = runCmd(t, "", "keygen", filepath.Join(dir, evil+".key"))
	if code == exitOK || rawForbidden(errOut) != "" {
		t.Fatalf("keygen again: exit %d, %q", code, errOut)
	}
	for _, fisco := range []string{"2", "3"} {
		var out, errb ntBuffer
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		args := []string{"--fisco", fisco, "--listen", strings.Join(ntFreePorts(t, 2), ","), "--certs", filepath.Join(t.TempDir(), evil), "--node-version", "2.9.0" + evil}
		if fisco == "3" {
			args[len(args)-1] = "3.16.4" + evil
		}
		go func() { done <- runNode(ctx, args, stdio{out: &out, err: &errb}) }()
		ntWait(t, 20*time.Second, "the banner", func() bool { return strings.Contains(out.String(), "Ctrl+C") || len(done) > 0 })
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("the node did not stop")
		}
		if bad := rawForbidden(out.String() + errb.String()); bad != "" || !strings.Contains(out.String(), "␛]0;pwned") {
			t.Errorf("node --fisco %s: %s\n%q", fisco, bad, out.String()+errb.String())
		}
	}
}
