package userfile_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amoptui/amoptui/userfile"
)

var small = userfile.Limit{Max: 64, What: "a test file"}

// read runs Read with a deadline: a FIFO or a device must never block it.
func read(t *testing.T, path string, l userfile.Limit) ([]byte, error) {
	t.Helper()
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b, err := userfile.Read(path, l)
		ch <- res{b, err}
	}()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-time.After(20 * time.Second):
		t.Fatalf("Read(%s) blocked", path)
		return nil, nil
	}
}

func TestReadRegularFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ok")
	want := bytes.Repeat([]byte("x"), 64) // exactly the limit
	if err := os.WriteFile(p, want, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := read(t, p, small)
	if err != nil || !bytes.Equal(b, want) {
		t.Fatalf("%q, %v", b, err)
	}
	// An empty file is a file.
	e := filepath.Join(dir, "empty")
	if err := os.WriteFile(e, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := read(t, e, small); err != nil || len(b) != 0 {
		t.Fatalf("empty: %q, %v", b, err)
	}
	// A symbolic link to a regular file is followed.
	l := filepath.Join(dir, "link")
	if err := os.Symlink(p, l); err != nil {
		t.Fatal(err)
	}
	if b, err := read(t, l, small); err != nil || !bytes.Equal(b, want) {
		t.Fatalf("link: %q, %v", b, err)
	}
}

func TestReadRefusesWhatIsNotARegularFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /dev/zero and mkfifo")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zlink := filepath.Join(dir, "ca.crt")
	if err := os.Symlink("/dev/zero", zlink); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{"/dev/zero", "/dev/zero is a character device, not a regular file"},
		{fifo, fifo + " is a named pipe (FIFO), not a regular file"},
		{dir, dir + " is a directory, not a regular file"},
		{zlink, zlink + " (→ /dev/zero) is a character device, not a regular file"},
	}
	for _, c := range cases {
		_, err := read(t, c.path, userfile.PEM)
		if err == nil || err.Error() != c.want || !errors.Is(err, userfile.ErrNotRegular) {
			t.Errorf("%s: %v, want %q", c.path, err, c.want)
		}
		if _, err := userfile.Open(c.path, userfile.PEM); !errors.Is(err, userfile.ErrNotRegular) {
			t.Errorf("Open %s: %v", c.path, err)
		}
	}
	// Any device, even one that reads as empty.
	if _, err := read(t, "/dev/null", small); !errors.Is(err, userfile.ErrNotRegular) {
		t.Errorf("/dev/null: %v", err)
	}
}

func TestReadRefusesOversize(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big")
	if err := os.WriteFile(p, make([]byte, 65), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := read(t, p, small)
	if err == nil || err.Error() != p+" is larger than 64 bytes, the most a test file may hold" || !errors.Is(err, userfile.ErrTooLarge) {
		t.Fatalf("%v", err)
	}
	if _, err := read(t, p, userfile.Limit{Max: 1 << 10, What: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := userfile.Open(p, small); !errors.Is(err, userfile.ErrTooLarge) {
		t.Fatalf("Open: %v", err)
	}
}

// TestReadBoundsWhileReading: /proc files report size 0 and hold more;
// the limit holds while reading, not only against the size.
func TestReadBoundsWhileReading(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /proc")
	}
	st, err := os.Stat("/proc/self/status")
	if err != nil || st.Size() != 0 {
		t.Skipf("/proc/self/status: %v, size %d", err, st.Size())
	}
	if _, err := read(t, "/proc/self/status", small); !errors.Is(err, userfile.ErrTooLarge) {
		t.Fatalf("%v", err)
	}
	b, err := read(t, "/proc/self/status", userfile.Limit{Max: 1 << 20, What: "x"})
	if err != nil || !strings.Contains(string(b), "VmRSS") {
		t.Fatalf("%v", err)
	}
}

// TestOpenBoundsAGrowingFile: a file that grows after it was opened is cut
// off at the limit with the error, not read to its new end.
func TestOpenBoundsAGrowingFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "grows")
	if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := userfile.Open(p, small)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, err := io.ReadAll(r)
	if !errors.Is(err, userfile.ErrTooLarge) || len(b) != 64 {
		t.Fatalf("read %d bytes, %v", len(b), err)
	}

	// Exactly at the limit is fine.
	if err := os.WriteFile(p, make([]byte, 64), 0o600); err != nil {
		t.Fatal(err)
	}
	r2, err := userfile.Open(p, small)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if b, err := io.ReadAll(r2); err != nil || len(b) != 64 {
		t.Fatalf("%d, %v", len(b), err)
	}
}

func TestReadMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope")
	_, err := read(t, p, small)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
		t.Fatalf("%v", err)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 4 << 20: "4 MiB", 64 << 10: "64 KiB", 1 << 30: "1 GiB", 100: "100 bytes", 1536: "1536 bytes"} {
		if got := userfile.FormatSize(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}
