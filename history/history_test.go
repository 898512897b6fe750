package history

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestPersistsAcrossRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "history.json")
	s := Open(path, Options{})
	if ts, err := s.Load(); err != nil || len(ts) != 0 {
		t.Fatalf("missing file: %v, %v", ts, err)
	}
	s.Add("hello", "one")
	s.Add("orders", "{\"id\":1}")
	s.Add("hello", "two")
	s.Add("hello", "two") // repeated: kept once
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, %v", st.Mode(), err)
	}
	ts, err := Open(path, Options{}).Load()
	if err != nil {
		t.Fatal(err)
	}
	want := []Topic{{"hello", []string{"one", "two"}}, {"orders", []string{"{\"id\":1}"}}}
	if !reflect.DeepEqual(ts, want) {
		t.Fatalf("loaded %v, want %v", ts, want)
	}
	// A second run adds to it; Save with nothing new writes nothing.
	s2 := Open(path, Options{})
	s2.Add("orders", "{\"id\":2}")
	if err := s2.Save(); err != nil {
		t.Fatal(err)
	}
	if err := s2.Save(); err != nil {
		t.Fatal(err)
	}
	ts, _ = Open(path, Options{}).Load()
	if ts[0].Topic != "orders" || len(ts[0].Lines) != 2 || ts[1].Topic != "hello" {
		t.Fatalf("after the second run %v", ts)
	}
}

func TestTwoRunsAtOnceKeepBothLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.json")
	a, b := Open(path, Options{}), Open(path, Options{})
	a.Add("t", "from a")
	b.Add("t", "from b")
	if err := a.Save(); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}
	ts, _ := Open(path, Options{}).Load()
	if got := Lines(ts)["t"]; !reflect.DeepEqual(got, []string{"from a", "from b"}) {
		t.Fatalf("lines %v", got)
	}
}

func TestBounds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.json")
	s := Open(path, Options{PerTopic: 3, Topics: 2, MaxBytes: 1000})
	for i := 0; i < 10; i++ {
		s.Add("a", "a"+strconv.Itoa(i))
	}
	s.Add("b", "b")
	s.Add("c", "c")                            // three topics: "a" was used least recently
	s.Add("c", strings.Repeat("x", MaxLine+1)) // too long to keep
	s.Add("c", "")                             // nothing
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	ts, _ := Open(path, Options{PerTopic: 3, Topics: 2}).Load()
	want := []Topic{{"c", []string{"c"}}, {"b", []string{"b"}}}
	if !reflect.DeepEqual(ts, want) {
		t.Fatalf("loaded %v, want %v", ts, want)
	}
	// Per topic: the newest lines stay.
	s = Open(path, Options{PerTopic: 3})
	for i := 0; i < 10; i++ {
		s.Add("b", "b"+strconv.Itoa(i))
	}
	s.Save()
	ts, _ = s.Load()
	if got := Lines(ts)["b"]; !reflect.DeepEqual(got, []string{"b7", "b8", "b9"}) {
		t.Fatalf("per topic %v", got)
	}
	// Bytes: the budget keeps the most recent topic's newest lines.
	path2 := filepath.Join(t.TempDir(), "h.json")
	s = Open(path2, Options{MaxBytes: 2500})
	for i := 0; i < 5; i++ {
		s.Add("old", strings.Repeat("o", 1000))
	}
	s.Add("new", strings.Repeat("n", 1000))
	s.Add("new", strings.Repeat("m", 1000))
	s.Save()
	ts, _ = s.Load()
	if len(ts) != 1 || ts[0].Topic != "new" || len(ts[0].Lines) != 2 {
		t.Fatalf("byte budget kept %d topics: %+v", len(ts), ts)
	}
	st, _ := os.Stat(path2)
	if st.Size() > 2500+200 {
		t.Fatalf("file of %d bytes for a 2500-byte budget", st.Size())
	}
}

func TestUnreadableFileIsReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.json")
	os.WriteFile(path, []byte("not json"), 0o600)
	s := Open(path, Options{})
	if _, err := s.Load(); err == nil || !strings.Contains(err.Error(), "not a history file") {
		t.Fatalf("Load: %v", err)
	}
	s.Add("t", "x")
	if err := s.Save(); err == nil {
		t.Fatal("Save did not say the old file was unreadable")
	}
	if ts, err := s.Load(); err != nil || len(ts) != 1 {
		t.Fatalf("after replacing: %v, %v", ts, err)
	}
}

// TestHistoryThatIsNotAFileIsRefused: a history.json that links to
// /dev/zero (or is a FIFO) is refused at once with a sentence, and the next
// Save puts a real file in its place.
func TestHistoryThatIsNotAFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "history.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		zero: "history: " + zero + " (→ /dev/zero) is a character device, not a regular file",
		fifo: "history: " + fifo + " is a named pipe (FIFO), not a regular file",
	} {
		s := Open(path, Options{})
		if _, err := s.Load(); err == nil || err.Error() != want {
			t.Fatalf("Load: %v, want %q", err, want)
		}
		s.Add("t", "x")
		if err := s.Save(); !errors.Is(err, ErrReplaced) {
			t.Fatalf("Save did not say the old file was replaced: %v", err)
		}
		if ts, err := s.Load(); err != nil || len(ts) != 1 {
			t.Fatalf("after replacing: %v, %v", ts, err)
		}
	}
	// A file larger than a history file can be.
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, 9<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(big, Options{}).Load(); err == nil || !strings.Contains(err.Error(), "is larger than 8 MiB, the most the input history file may hold") {
		t.Fatalf("big: %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/tmp/xdg")
	if p, _ := DefaultPath(); p != "/tmp/xdg/amoptui/history.json" {
		t.Fatalf("XDG: %s", p)
	}
	t.Setenv("XDG_STATE_HOME", "relative")
	t.Setenv("HOME", "/home/u")
	if p, _ := DefaultPath(); p != "/home/u/.local/state/amoptui/history.json" {
		t.Fatalf("home: %s", p)
	}
}
