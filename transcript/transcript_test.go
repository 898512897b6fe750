package transcript

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
)

var t0 = time.Date(2026, 11, 25, 21, 21, 52, 4_000_000, time.FixedZone("CST", 8*3600))

// sample has one record of every kind, with text, binary and empty
// payloads.
func sample() []Record {
	return []Record{
		{Time: t0, Kind: KindSent, ID: 7, Topic: "hello", Mode: "unicast", Size: 4, Data: []byte("ping")},
		{Time: t0.Add(2 * time.Millisecond), Kind: KindResult, ID: 7, Topic: "hello", Mode: "unicast", OK: true, Reply: []byte("pong"), RTT: 1834 * time.Microsecond},
		{Time: t0, Kind: KindResult, ID: 8, Topic: "hello", Mode: "unicast", Error: "no subscriber for the topic (AMOP 100)", Code: 100, RTT: 3 * time.Millisecond},
		{Time: t0, Kind: KindReceived, Topic: "订单", Mode: "multicast", Size: 3, Data: []byte{0xff, 0x00, 0x1b}, Private: true},
		{Time: t0, Kind: KindReceived, Topic: "hello", Mode: "unicast", Size: 0, Data: []byte{}, Replied: true, Reply: []byte{0xc3, 0x28}},
		{Time: t0, Kind: KindState, State: "reconnecting", Node: "127.0.0.1:20200", Attempt: 3, Error: "connection refused"},
		{Time: t0, Kind: KindState, State: "connected", Node: "127.0.0.1:20201", Text: "re-subscribed 2 topics"},
		{Time: t0, Kind: KindDrop, Dropped: 12, Total: 40},
		{Time: t0, Kind: KindError, Text: "<script> & \x1b[2J \u2028"},
	}
}

func TestJSONForm(t *testing.T) {
	want := []string{
		`{"time":"2026-11-25T21:21:52.004+08:00","kind":"sent","id":7,"topic":"hello","mode":"unicast","size":4,"data":"ping"}`,
		`{"time":"2026-11-25T21:21:52.006+08:00","kind":"result","id":7,"topic":"hello","mode":"unicast","ok":true,"reply":"pong","rtt_ms":1.834}`,
		`{"time":"2026-11-25T21:21:52.004+08:00","kind":"result","id":8,"topic":"hello","mode":"unicast","ok":false,"rtt_ms":3,"error":"no subscriber for the topic (AMOP 100)","code":100}`,
		`{"time":"2026-11-25T21:21:52.004+08:00","kind":"received","topic":"订单","mode":"multicast","size":3,"data":"/wAb","encoding":"base64","private":true}`,
		`{"time":"2026-11-25T21:21:52.004+08:00","kind":"received","topic":"hello","mode":"unicast","size":0,"data":"","reply":"wyg=","reply_encoding":"base64","replied":true}`,
		`{"time":"2026-11-25T21:21:52.004+08:00","kind":"state","error":"connection refused","state":"reconnecting","node":"127.0.0.1:20200","attempt":3}`,
		`{"time":"2026-11-25T21:21:52.004+08:00","kind":"state","state":"connected","node":"127.0.0.1:20201","text":"re-subscribed 2 topics"}`,
		`{"time":"2026-11-25T21:21:52.004+08:00","kind":"drop","dropped":12,"total":40}`,
		`{"time":"2026-11-25T21:21:52.004+08:00","kind":"error","text":"<script> & \u001b[2J \u2028"}`,
	}
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"); !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	if len(got) != len(want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) {
			t.Errorf("record %d: time %v, want %v", i, got[i].Time, want[i].Time)
		}
		got[i].Time = want[i].Time
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestWriterAppendsAndStamps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.jsonl")
	if err := os.WriteFile(path, []byte(`{"time":"2026-01-01T00:00:00.000Z","kind":"state","state":"down"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	w.now = func() time.Time { return t0 }
	if err := w.Write(Record{Kind: KindDrop, Dropped: 1, Total: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Write(Record{Kind: KindDrop}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close = %v", err)
	}
	recs := mustRead(t, path)
	if len(recs) != 2 || recs[0].State != "down" || !recs[1].Time.Equal(t0) {
		t.Fatalf("got %+v", recs)
	}
}

func TestFileMode(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(filepath.Join(dir, "t.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := WriteAll(filepath.Join(dir, "s.jsonl"), sample()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"t.jsonl", "s.jsonl"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, st.Mode().Perm())
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.TempDir()); err == nil {
		t.Fatal("Open of a directory succeeded")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "no", "such", "dir", "t.jsonl")); err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}

func mustRead(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := Read(f)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return recs
}

func TestTornLastLine(t *testing.T) {
	var buf bytes.Buffer
	Encode(&buf, sample()[:3])
	buf.WriteString(`{"time":"2026-11-25T21:21:52.004+08:00","kind":"sent","id":9,"da`)
	recs, err := Read(&buf)
	var se *SkippedError
	if !errors.As(err, &se) || !se.Torn || !reflect.DeepEqual(se.Lines, []int{4}) {
		t.Fatalf("err = %#v", err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records", len(recs))
	}
	if !strings.Contains(err.Error(), "skipped 1 undecodable line(s) (the last one torn): 4") {
		t.Fatalf("message %q", err)
	}
}

// TestTruncatedAtEveryByte cuts a transcript at every offset, as kill -9 or
// a full disk would, then appends to it as the next session does.
func TestTruncatedAtEveryByte(t *testing.T) {
	var buf bytes.Buffer
	Encode(&buf, sample())
	full := buf.Bytes()
	ends := []int{} // offsets just past each record's newline
	for i, c := range full {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	dir := t.TempDir()
	for cut := 0; cut <= len(full); cut++ {
		whole := 0
		for _, e := range ends {
			if e <= cut {
				whole++
			}
		}
		recs, err := Read(bytes.NewReader(full[:cut]))
		var se *SkippedError
		torn := cut > 0 && full[cut-1] != '\n'
		// A cut just before a record's newline leaves a whole object.
		if torn && bytes.HasSuffix(full[:cut], []byte("}")) {
			whole++
			torn = false
		}
		switch {
		case torn && (!errors.As(err, &se) || !se.Torn || len(se.Lines) != 1):
			t.Fatalf("cut %d: err = %v", cut, err)
		case !torn && err != nil:
			t.Fatalf("cut %d: err = %v", cut, err)
		case len(recs) != whole:
			t.Fatalf("cut %d: %d records, want %d", cut, len(recs), whole)
		}
		if cut%7 != 0 {
			continue
		}
		// The next session appends: the torn line must not swallow it.
		path := filepath.Join(dir, fmt.Sprintf("cut%d.jsonl", cut))
		if err := os.WriteFile(path, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		w, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(Record{Time: t0, Kind: KindState, State: "connecting"}); err != nil {
			t.Fatal(err)
		}
		w.Close()
		f, _ := os.Open(path)
		recs, err = Read(f)
		f.Close()
		if len(recs) != whole+1 || recs[len(recs)-1].State != "connecting" {
			t.Fatalf("cut %d then append: %d records (%v), want %d", cut, len(recs), err, whole+1)
		}
		if torn && (!errors.As(err, &se) || se.Torn) {
			t.Fatalf("cut %d then append: err = %v; want a skipped middle line", cut, err)
		}
	}
}

// TestKill9 kills a real writer process with SIGKILL in the middle of a
// stream of records and checks that every line but possibly the last is a
// whole record, with no gap in the sequence.
func TestKill9(t *testing.T) {
	if os.Getenv("TRANSCRIPT_KILL_FILE") != "" {
		t.Skip("in the writer process")
	}
	path := filepath.Join(t.TempDir(), "kill.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillWriter$", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), "TRANSCRIPT_KILL_FILE="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, err := os.Stat(path); err == nil && st.Size() > 2<<20 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("writer produced too little")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := Read(f)
	var se *SkippedError
	if err != nil && (!errors.As(err, &se) || !se.Torn || len(se.Lines) != 1) {
		t.Fatalf("Read after kill -9: %v", err)
	}
	for i, r := range recs {
		if r.ID != uint64(i+1) || len(r.Data) != 4096 {
			t.Fatalf("record %d has id %d and %d bytes", i, r.ID, len(r.Data))
		}
	}
	t.Logf("%d whole records after kill -9, torn last line: %v", len(recs), err != nil)
}

// TestKillWriter is the process TestKill9 kills: it writes until killed.
func TestKillWriter(t *testing.T) {
	path := os.Getenv("TRANSCRIPT_KILL_FILE")
	if path == "" {
		t.Skip("run by TestKill9")
	}
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 256)
	// Bounded, in case the parent dies before it can kill this process.
	for id := uint64(1); id < 16_000; id++ {
		if err := w.Write(Record{Kind: KindReceived, ID: id, Topic: "t", Data: data}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 200
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := w.Write(Record{Kind: KindSent, ID: uint64(g*each + i + 1), Topic: fmt.Sprint(g), Data: bytes.Repeat([]byte{'x'}, 1000)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	w.Close()
	recs := mustRead(t, path)
	if len(recs) != writers*each {
		t.Fatalf("got %d records", len(recs))
	}
	last := map[string]uint64{}
	for _, r := range recs {
		if r.ID <= last[r.Topic] {
			t.Fatalf("writer %s out of order", r.Topic)
		}
		last[r.Topic] = r.ID
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pane.jsonl")
	if err := os.WriteFile(path, []byte("old content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(path, sample()); err != nil {
		t.Fatal(err)
	}
	if recs := mustRead(t, path); len(recs) != len(sample()) {
		t.Fatalf("got %d records", len(recs))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	if err := WriteAll(filepath.Join(dir, "missing", "x.jsonl"), sample()); err == nil {
		t.Fatal("WriteAll into a missing directory succeeded")
	}
}

// TestWriteNewNeverReplaces: WriteNew leaves an existing file (or a
// link, even a dangling one) alone and says so; into a free name it
// writes every record and leaves no temporary file.
func TestWriteNewNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(precious, []byte("IMPORTANT DATA\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{precious, dangling} {
		err := WriteNew(p, sample())
		if !errors.Is(err, ErrExists) || !errors.Is(err, fs.ErrExist) || err.Error() != "transcript: "+p+": the file exists" {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if b, _ := os.ReadFile(precious); string(b) != "IMPORTANT DATA\n" {
		t.Fatalf("precious.txt now holds %q", b)
	}
	fresh := filepath.Join(dir, "fresh.jsonl")
	if err := WriteNew(fresh, sample()); err != nil {
		t.Fatal(err)
	}
	if recs := mustRead(t, fresh); len(recs) != len(sample()) {
		t.Fatalf("got %d records", len(recs))
	}
	if st, err := os.Stat(fresh); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestLongLines(t *testing.T) {
	big := bytes.Repeat([]byte("€"), 100_000) // 300 KB, beyond bufio's buffer
	var buf bytes.Buffer
	Encode(&buf, []Record{{Time: t0, Kind: KindReceived, Data: big}, {Time: t0, Kind: KindDrop}})
	recs, err := Read(&buf)
	if err != nil || len(recs) != 2 || !bytes.Equal(recs[0].Data, big) {
		t.Fatalf("got %d records, %v", len(recs), err)
	}
	huge := append(append([]byte(`{"time":"2026-01-01T00:00:00Z","kind":"x","text":"`), bytes.Repeat([]byte("a"), MaxLine)...), "\"}\n"...)
	recs, err = Read(bytes.NewReader(append(huge, buf.Bytes()...)))
	var se *SkippedError
	if !errors.As(err, &se) || se.Torn || !reflect.DeepEqual(se.Lines, []int{1}) || len(recs) != 0 {
		t.Fatalf("huge line: %d records, %v", len(recs), err)
	}
}

func TestReadSkipsDamage(t *testing.T) {
	in := strings.Join([]string{
		`{"time":"2026-01-01T00:00:00Z","kind":"state","state":"up"}`,
		``,
		`not json`,
		`{"time":"yesterday","kind":"state"}`,
		`{"time":"2026-01-01T00:00:00Z"}`,
		`{"time":"2026-01-01T00:00:00Z","kind":"sent","data":"!!","encoding":"base64"}`,
		`{"time":"2026-01-01T00:00:00Z","kind":"sent","data":"x","encoding":"rot13"}`,
		`{"time":"2026-01-01T00:00:00Z","kind":"sent","encoding":"base64"}`,
		`{"time":"2026-01-01T00:00:00Z","kind":"result","rtt_ms":-1}`,
		`{"time":"2026-01-01T00:00:00Z","kind":"future","new_field":1}`,
	}, "\n") + "\n"
	recs, err := Read(strings.NewReader(in))
	var se *SkippedError
	if !errors.As(err, &se) || se.Torn || !reflect.DeepEqual(se.Lines, []int{3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("err = %v", err)
	}
	if len(recs) != 2 || recs[1].Kind != "future" {
		t.Fatalf("got %+v", recs)
	}
}

func TestEventRecords(t *testing.T) {
	if r := Sent(1, "t", amop.Multicast, nil); r.Mode != "multicast" || r.Data == nil || r.Kind != KindSent {
		t.Errorf("Sent = %+v", r)
	}
	r := Result(2, "t", amop.Unicast, nil, time.Millisecond, &amop.CodeError{Code: 100, Topic: "t"})
	if r.OK || r.Code != 100 || r.Error == "" {
		t.Errorf("Result(error) = %+v", r)
	}
	r = Result(3, "t", amop.Unicast, nil, time.Millisecond, nil)
	if !r.OK || r.Reply == nil {
		t.Errorf("Result(ok) = %+v", r)
	}
	ev := &amop.MessageEvent{Topic: "t", Data: []byte("hi"), Mode: amop.Unicast, At: t0, Reply: []byte("hi"), Replied: true}
	if r := Received(ev); !r.Replied || string(r.Reply) != "hi" || !r.Time.Equal(t0) {
		t.Errorf("Received = %+v", r)
	}
	st := amop.Status{State: amop.StateConnected, Endpoint: "n:1", Resubscribed: 2, Since: t0}
	if r := State(st); r.State != "connected" || r.Text != "re-subscribed 2 topics" {
		t.Errorf("State = %+v", r)
	}
	if r := Drop(&amop.DropEvent{Dropped: 3, Total: 9}); r.Dropped != 3 || r.Total != 9 {
		t.Errorf("Drop = %+v", r)
	}
}
