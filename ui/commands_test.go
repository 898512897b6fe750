package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/transcript"
)

func TestJoinLeave(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 100, 30)
	m = do(m, "/join orders alerts")
	if got := strings.Join(m.Topics(), ","); got != "hello,orders,alerts" {
		t.Fatalf("topics %s", got)
	}
	if m.ActiveTopic() != "orders" {
		t.Fatalf("active %q", m.ActiveTopic())
	}
	if got := strings.Join(c.Joins(), ","); got != "orders,alerts" {
		t.Fatalf("joins %s", got)
	}
	if !strings.Contains(m.View(), "joined orders") {
		t.Fatalf("no joined note:\n%s", m.View())
	}
	m = do(m, "/join orders")
	if len(m.Topics()) != 3 || len(c.Joins()) != 2 {
		t.Fatalf("joined twice: %v %v", m.Topics(), c.Joins())
	}
	m = do(m, "/leave")
	if got := strings.Join(m.Topics(), ","); got != "hello,alerts" {
		t.Fatalf("after /leave: %s", got)
	}
	if got := strings.Join(c.Leaves(), ","); got != "orders" {
		t.Fatalf("leaves %s", got)
	}
	m = do(m, "/leave hello")
	if got := strings.Join(m.Topics(), ","); got != "alerts" || m.ActiveTopic() != "alerts" {
		t.Fatalf("after /leave hello: %s active %s", got, m.ActiveTopic())
	}
	m = do(m, "/leave nope")
	if !strings.Contains(m.Notice(), "not joined") {
		t.Fatalf("notice %q", m.Notice())
	}
	m = do(m, "/join _block_notify_1")
	if !strings.Contains(m.Notice(), "reserved") || len(m.Topics()) != 1 {
		t.Fatalf("reserved topic: %q %v", m.Notice(), m.Topics())
	}
	m = do(m, "/join")
	if !strings.Contains(m.Notice(), "usage") {
		t.Fatalf("notice %q", m.Notice())
	}
}

func TestJoinFailureIsShown(t *testing.T) {
	c := newFake()
	c.JoinErr = amop.ErrNotConnected
	m := newModel(t, c, testOptions(), 100, 24)
	m = do(m, "/join hello")
	if !strings.Contains(m.View(), "join failed: not connected") {
		t.Fatalf("join failure:\n%s", m.View())
	}
	// /join again retries a failed join (it used to only select the pane).
	c.JoinErr = nil
	m = do(m, "/join hello")
	if got := c.Topics(); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("retry did not join: client topics %v", got)
	}
	if !strings.Contains(m.View(), "joined hello") {
		t.Fatalf("retry:\n%s", m.View())
	}
}

// TestJoinAndLeaveLandingOutOfOrder: Bubble Tea runs Cmds concurrently, so
// a leave issued after a join can reach the client first, and the other way
// round; the UI must end where the user left it.
func TestJoinAndLeaveLandingOutOfOrder(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions(), 100, 24)
	// /join x, then /leave x; the join's answer arrives after the leave.
	m = typeText(m, "/join x")
	m, _ = updateCmd(m, keyEnter())
	m = typeText(m, "/leave x")
	m, _ = updateCmd(m, keyEnter())
	if err := c.Join("x"); err != nil { // the join lands last
		t.Fatal(err)
	}
	m, cmd := updateCmd(m, joinedMsg{topic: "x"})
	for _, msg := range runCmd(cmd) {
		m = update(m, msg)
	}
	if got := c.Topics(); len(got) != 0 {
		t.Fatalf("a left topic stays joined in the client: %v", got)
	}
	// /leave y, then /join y; the leave's answer arrives after the join.
	m = do(m, "/join y")
	m = typeText(m, "/leave y")
	m, _ = updateCmd(m, keyEnter())
	m = typeText(m, "/join y")
	m, _ = updateCmd(m, keyEnter())
	if err := c.Leave("y"); err != nil { // the leave lands last
		t.Fatal(err)
	}
	m, cmd = updateCmd(m, leftMsg{topic: "y"})
	for _, msg := range runCmd(cmd) {
		m = update(m, msg)
	}
	if got := c.Topics(); len(got) != 1 || got[0] != "y" || m.Pane("y") == nil {
		t.Fatalf("a joined topic is not joined in the client: %v", got)
	}
}

func TestReplyCommand(t *testing.T) {
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 100, 24)
	m = do(m, "/reply echo")
	if c.AutoReply("").Mode != amop.ReplyEcho || !strings.Contains(m.View(), "auto-reply: echo") {
		t.Fatalf("echo: %+v\n%s", c.AutoReply(""), m.View())
	}
	m = do(m, "/reply got it")
	if p := c.AutoReply(""); p.Mode != amop.ReplyText || p.Text != "got it" {
		t.Fatalf("text: %+v", p)
	}
	if !strings.Contains(m.View(), `auto-reply: "got it"`) {
		t.Fatalf("status:\n%s", m.View())
	}
	m = do(m, "/reply off")
	if c.AutoReply("").Mode != amop.ReplyOff {
		t.Fatal("off")
	}
	// go-sdk answers every unicast request: "off" is an empty reply, and
	// the status says so.
	if !strings.Contains(m.View(), "auto-reply: empty reply") || m.Notice() != "auto-reply: empty reply" {
		t.Fatalf("off is not worded as an empty reply: notice %q\n%s", m.Notice(), m.View())
	}
}

func TestAutoReplyOption(t *testing.T) {
	c := newFake()
	opts := testOptions("hello")
	p := amop.ParseReplyPolicy("echo")
	opts.AutoReply = &p
	m := New(c, opts)
	runCmd(m.Init())
	if c.AutoReply("hello").Mode != amop.ReplyEcho {
		t.Fatal("auto-reply option not applied")
	}
}

func TestFilterCommand(t *testing.T) {
	m := newModel(t, newFake(), testOptions("hello"), 100, 24)
	m = update(m, events(msgEvent("hello", "apple", amop.Multicast, 0), msgEvent("hello", "banana", amop.Multicast, 0), msgEvent("hello", "APPLE pie", amop.Multicast, 0)))
	m = do(m, "/filter apple")
	v := m.View()
	if strings.Contains(v, "banana") || !strings.Contains(v, "APPLE pie") || !strings.Contains(v, `filter "apple" 2/3`) {
		t.Fatalf("filtered:\n%s", v)
	}
	m = do(m, "/filter")
	if !strings.Contains(m.View(), "banana") {
		t.Fatal("filter not cleared")
	}
	// What the line shows around the payload matches too (M8): every line
	// reads "← multi", and the fixed clock's minute.
	for _, f := range []string{"multi", "MULTI", "← multi", t0.Format("15:04")} {
		m = do(m, "/filter "+f)
		if want := "3 of 3 lines"; !strings.Contains(m.Notice(), want) {
			t.Errorf("/filter %s: %q, want %q", f, m.Notice(), want)
		}
	}
	if h := strings.Join(m.helpBody(60), "\n"); !strings.Contains(h, "ignoring case") {
		t.Errorf("/help does not say /filter ignores case:\n%s", h)
	}
}

func TestClearCommand(t *testing.T) {
	m := newModel(t, newFake(), testOptions("hello"), 100, 24)
	m = update(m, events(msgEvent("hello", "apple", amop.Multicast, 0)))
	m = do(m, "/clear")
	if m.Pane("hello").Len() != 0 || !strings.Contains(m.View(), "no messages yet") {
		t.Fatalf("clear:\n%s", m.View())
	}
	// It says what it did.
	if m.Notice() != "cleared 1 line of hello" {
		t.Fatalf("notice %q", m.Notice())
	}
}

func TestSaveCommand(t *testing.T) {
	m := newModel(t, newFake(), testOptions("hello"), 100, 24)
	m = update(m, events(msgEvent("hello", "apple", amop.Multicast, 0), &amop.MessageEvent{Topic: "hello", Data: []byte{0xff}, At: t0}))
	m = do(m, "ping")
	path := filepath.Join(t.TempDir(), "pane.jsonl")
	m = doIO(m, "/save "+path)
	// The count is the file's: four records, from three pane lines.
	if want := "saved 4 records (3 pane lines) of hello to " + path; m.Notice() != want {
		t.Fatalf("notice %q\nwant   %q", m.Notice(), want)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := transcript.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, string(r.Kind))
	}
	if got := strings.Join(kinds, ","); got != "received,received,sent,result" {
		t.Fatalf("kinds %s\n%s", got, b)
	}
	if string(recs[0].Data) != "apple" || recs[1].Data[0] != 0xff || string(recs[3].Reply) != "pong" || recs[2].ID != recs[3].ID || !recs[3].OK {
		t.Fatalf("saved:\n%s", b)
	}
	// A missing directory is named, never the temporary file's name.
	missing := filepath.Join(t.TempDir(), "nodir")
	m = doIO(m, "/save "+filepath.Join(missing, "x"))
	if want := "/save failed: " + filepath.Join(missing, "x") + ": the directory " + missing + " does not exist"; m.Notice() != want {
		t.Fatalf("notice %q\nwant   %q", m.Notice(), want)
	}
}

// TestSaveNeverOverwritesSilently (M4): /save refuses an existing file and
// says how to replace it; /save! replaces it; "~/" is the home directory.
func TestSaveNeverOverwritesSilently(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	m := newModel(t, newFake(), testOptions("hello"), 100, 24)
	m = update(m, events(msgEvent("hello", "apple", amop.Multicast, 0)))
	precious := filepath.Join(home, "precious.txt")
	if err := os.WriteFile(precious, []byte("IMPORTANT DATA\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m = doIO(m, "/save ~/precious.txt")
	if want := precious + " exists: /save! " + precious + " replaces it"; m.Notice() != want || !m.noticeErr {
		t.Fatalf("notice %q\nwant   %q", m.Notice(), want)
	}
	if b, _ := os.ReadFile(precious); string(b) != "IMPORTANT DATA\n" {
		t.Fatalf("precious.txt now holds %q", b)
	}
	m = doIO(m, "/save! ~/precious.txt")
	if want := "replaced " + precious + " with 1 record (1 pane line) of hello"; m.Notice() != want || m.noticeErr {
		t.Fatalf("notice %q\nwant   %q", m.Notice(), want)
	}
	if recs := readRecords(t, precious); len(recs) != 1 || string(recs[0].Data) != "apple" {
		t.Fatalf("replaced with %+v", recs)
	}
	m = doIO(m, "/save ~/saved.jsonl")
	if want := "saved 1 record (1 pane line) of hello to " + filepath.Join(home, "saved.jsonl"); m.Notice() != want {
		t.Fatalf("notice %q\nwant   %q", m.Notice(), want)
	}
	if recs := readRecords(t, filepath.Join(home, "saved.jsonl")); len(recs) != 1 {
		t.Fatalf("saved %+v", recs)
	}
}

func readRecords(t *testing.T, path string) []transcript.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := transcript.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestUnknownCommand(t *testing.T) {
	m := newModel(t, newFake(), testOptions("hello"), 100, 24)
	m = do(m, "/frobnicate\x1b[2J")
	if !strings.Contains(m.Notice(), "unknown command") || strings.Contains(m.Notice(), "\x1b") {
		t.Fatalf("notice %q", m.Notice())
	}
}

func TestQuit(t *testing.T) {
	for _, how := range []string{"ctrl+c", "/quit"} {
		m := newModel(t, newFake(), testOptions("hello"), 100, 24)
		var cmd = func() (Model, func() any) { return m, nil }
		_ = cmd
		var msgs []any
		if how == "ctrl+c" {
			_, c := updateCmd(m, kp("ctrl+c"))
			for _, x := range runCmd(c) {
				msgs = append(msgs, x)
			}
		} else {
			m = typeText(m, how)
			_, c := updateCmd(m, keyEnter())
			for _, x := range runCmd(c) {
				msgs = append(msgs, x)
			}
		}
		found := false
		for _, x := range msgs {
			if isQuit(x) {
				found = true
			}
		}
		if !found {
			t.Fatalf("%s does not quit: %#v", how, msgs)
		}
	}
}

func TestTranscriptRecordsEveryEvent(t *testing.T) {
	c := newFake()
	w := &memTranscript{}
	opts := testOptions("hello")
	opts.Transcript = w
	m := newModel(t, c, opts, 100, 24)
	m = settle(m, m.Init())
	m = do(m, "ping")
	c.Err = &amop.CodeError{Code: 100, Topic: "hello"}
	m = do(m, "again")
	ev := msgEvent("hello", "req", amop.Unicast, 0)
	ev.Reply, ev.Replied = []byte("rep"), true
	st := c.Status()
	st.State = amop.StateReconnecting
	m = update(m, events(ev, &amop.StateEvent{Status: st}, &amop.DropEvent{Dropped: 2, Total: 2}))
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range w.recs {
		kinds = append(kinds, string(r.Kind))
		if r.Time.IsZero() {
			t.Errorf("record without time: %+v", r)
		}
	}
	want := "state,sent,result,sent,result,received,state,drop"
	if got := strings.Join(kinds, ","); got != want {
		t.Fatalf("kinds %s, want %s", got, want)
	}
	if r := w.recs[4]; r.OK || r.Code != 100 {
		t.Fatalf("failed result %+v", r)
	}
	if r := w.recs[5]; !r.Replied || string(r.Reply) != "rep" {
		t.Fatalf("received %+v", r)
	}
}

// memTranscript collects records.
type memTranscript struct {
	mu   sync.Mutex
	recs []transcript.Record
}

func (w *memTranscript) Write(r transcript.Record) error {
	w.mu.Lock()
	w.recs = append(w.recs, r)
	w.mu.Unlock()
	return nil
}

// TestQuotedTildeIsADirectoryNamedTilde: as in a shell, only an unquoted
// leading ~ is the home directory; '~/x', "~/x" and \~/x name a directory
// called ~ under the current one.
func TestQuotedTildeIsADirectoryNamedTilde(t *testing.T) {
	home, cwd := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Chdir(cwd)
	if err := os.Mkdir("~", 0o755); err != nil {
		t.Fatal(err)
	}
	m := newModel(t, newFake(), testOptions("hello"), 100, 24)
	m = update(m, events(msgEvent("hello", "apple", amop.Multicast, 0)))
	for _, c := range []struct{ arg, file string }{
		{"~/a.jsonl", filepath.Join(home, "a.jsonl")},
		{"'~/b.jsonl'", filepath.Join(cwd, "~", "b.jsonl")},
		{`"~/c.jsonl"`, filepath.Join(cwd, "~", "c.jsonl")},
		{`\~/d.jsonl`, filepath.Join(cwd, "~", "d.jsonl")},
	} {
		m = doIO(m, "/save "+c.arg)
		if recs := readRecords(t, c.file); len(recs) != 1 {
			t.Fatalf("/save %s: %+v in %s (notice %q)", c.arg, recs, c.file, m.Notice())
		}
	}
	for raw, want := range map[string][]bool{
		"t ~/k":         {false, true},
		"t ~":           {false, true},
		"~x":            {false},
		"'~/k' \"~/k\"": {false, false},
		`\~/k a\ ~/k`:   {false, false},
		`'' ~/k`:        {false, true},
	} {
		if got := homeWords(raw); !slices.Equal(got, want) {
			t.Errorf("homeWords(%q) = %v, want %v", raw, got, want)
		}
	}
}
