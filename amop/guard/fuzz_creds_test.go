package guard_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/guard"
	"github.com/amoptui/amoptui/amop/local"
)

// FuzzLoadCredentials feeds LoadCredentials arbitrary CA, certificate and
// key files, starting from real P-256 and secp256k1 sets: it must never
// panic (go-sdk's own loader panics on a CA it cannot parse), and every
// refusal is one line naming the file at fault. Seeds are generated, plus
// testdata/fuzz/FuzzLoadCredentials.
func FuzzLoadCredentials(f *testing.F) {
	for _, kt := range []local.KeyType{local.P256, local.Secp256k1} {
		dir := filepath.Join(f.TempDir(), kt.String())
		if err := local.NewCertDir(dir, local.CertOptions{KeyType: kt}); err != nil {
			f.Fatal(err)
		}
		read := func(name string) []byte {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				f.Fatal(err)
			}
			return b
		}
		ca, crt, key := read("ca.crt"), read("sdk.crt"), read("sdk.key")
		f.Add(ca, crt, key)
		f.Add(ca, crt[:len(crt)/2], key)
		f.Add(crt, ca, key)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, ca, crt, key []byte) {
		c, err := guard.LoadCredentials(guard.Source{CA: ca, Cert: crt, Key: key,
			CAName: "ca.crt", CertName: "sdk.crt", KeyName: "sdk.key"}, now)
		if err == nil {
			if c.NotAfter().Before(now) {
				t.Fatalf("accepted a certificate that expired on %v", c.NotAfter())
			}
			return
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\n\r") {
			t.Fatalf("error is not one line: %q", msg)
		}
		if !strings.Contains(msg, "ca.crt") && !strings.Contains(msg, "sdk.crt") && !strings.Contains(msg, "sdk.key") {
			t.Fatalf("error names no file: %q", msg)
		}
	})
}
