package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanLocalLike: the embedded network's behaviour comes from [local]
// like, --local-like overrides it, and a bad value is a usage error that
// names the flag or the file's line.
func TestPlanLocalLike(t *testing.T) {
	p, err := planFor(t)
	if err != nil || p.localLike != "ideal" {
		t.Fatalf("default: %q, %v; want ideal", p.localLike, err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(file, []byte("[local]\nlike = \"2.9\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err = planFor(t, "--config", file); err != nil || p.localLike != "2.9" {
		t.Fatalf("from the file: %q, %v; want 2.9", p.localLike, err)
	}
	if p, err = planFor(t, "--config", file, "--local-like", "ideal"); err != nil || p.localLike != "ideal" {
		t.Fatalf("flag over the file: %q, %v; want ideal", p.localLike, err)
	}
	if _, err = planFor(t, "--local-like", "2.8"); err == nil || !strings.Contains(err.Error(), "--local-like") || !strings.Contains(err.Error(), `"2.9"`) {
		t.Fatalf("bad flag: %v; want an error naming --local-like and the accepted values", err)
	}
	if err := os.WriteFile(file, []byte("\n[local]\nlike = \"fast\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err = planFor(t, "--config", file); err == nil || !strings.Contains(err.Error(), "c.toml:3") {
		t.Fatalf("bad file value: %v; want an error naming c.toml:3", err)
	}
}
