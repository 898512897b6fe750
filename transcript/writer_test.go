package transcript

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSaveRefusesWhatIsNotARegularFile: /save and /save! never put a file
// where a device, a FIFO or a directory is (run as root, /save! /dev/null
// replaced the machine's /dev/null), and say what is there without
// offering /save!; a directory that takes no new file is not said to be
// missing.
func TestSaveRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	null := filepath.Join(dir, "null")
	if err := os.Symlink("/dev/null", null); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	recs := []Record{{Kind: KindState, State: "connected"}}
	for path, want := range map[string]string{
		fifo: fifo + " is a named pipe (FIFO), not a regular file: /save writes only regular files",
		null: null + " (→ /dev/null) is a character device, not a regular file: /save writes only regular files",
		sub:  sub + " is a directory, not a regular file: /save writes only regular files",
	} {
		for name, write := range map[string]func(string, []Record) error{"WriteAll": WriteAll, "WriteNew": WriteNew} {
			err := write(path, recs)
			if err == nil || errors.Is(err, ErrExists) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s(%s) = %v\nwant %q", name, path, err, want)
			}
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO is now %v (%v)", fi.Mode(), err)
	}
	if fi, err := os.Lstat(null); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link is now %v (%v)", fi.Mode(), err)
	}
	if _, err := os.Stat("/proc/version"); err == nil {
		err := WriteAll("/proc/version", recs)
		if err == nil || !strings.Contains(err.Error(), "cannot create a file in /proc") {
			t.Errorf("WriteAll(/proc/version) = %v", err)
		}
	}
}
