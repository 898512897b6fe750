package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchProfiles: --cpuprofile and --memprofile leave pprof files (gzipped
// protobuf) next to a normal run, for profiling the path under load.
func TestBenchProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	code, _, errOut := runCmd(t, "", "bench", "--duration", "500ms", "--json", "--cpuprofile", cpu, "--memprofile", mem)
	if code != 0 {
		t.Fatalf("bench exit %d: %s", code, errOut)
	}
	for _, p := range []string{cpu, mem} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			t.Errorf("%s is not a gzipped profile (%d bytes)", filepath.Base(p), len(data))
		}
	}
	// A path that cannot take a profile is a usage error, told before
	// the run.
	for _, flag := range []string{"--cpuprofile", "--memprofile"} {
		code, out, errOut := runCmd(t, "", "bench", "--duration", "100ms", flag, filepath.Join(dir, "no", "such", "dir"))
		if code != exitUsage || out != "" || !strings.HasPrefix(errOut, "amoptui bench: "+flag+": open ") {
			t.Errorf("an unwritable %s: exit %d, stderr %q; want %d before the run", flag, code, errOut, exitUsage)
		}
	}
}
