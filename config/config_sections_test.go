package config

// Loading files, endpoints, and the later sections: private topics, publish, max_incoming, the FISCO line.

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
)

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.toml") {
		t.Fatalf("Load = %v", err)
	}
}

// TestLoadRefusesWhatIsNotAConfigFile: /dev/zero, a FIFO or a directory
// as --config is refused with one sentence, without reading or blocking;
// an oversize file too.
func TestLoadRefusesWhatIsNotAConfigFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "c.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", 4<<20)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/dev/zero": "config: /dev/zero is a character device, not a regular file",
		fifo:        "config: " + fifo + " is a named pipe (FIFO), not a regular file",
		dir:         "config: " + dir + " is a directory, not a regular file",
		big:         "config: " + big + " is larger than 4 MiB, the most a config file may hold",
	} {
		done := make(chan error, 1)
		go func() { _, err := Load(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || err.Error() != want {
				t.Errorf("Load(%s) = %v, want %q", path, err, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("Load(%s) blocked", path)
		}
	}
}

func TestValidateEndpoint(t *testing.T) {
	good := []string{"127.0.0.1:20200", "node-1.example:1", "[::1]:65535", "localhost:20200"}
	bad := []string{"", "127.0.0.1", "127.0.0.1:", ":1", "a:65536", "a:-1", "a:+1", "a:01", "a b:1", "[::1]", "a:1:2"}
	for _, s := range good {
		if err := ValidateEndpoint(s); err != nil {
			t.Errorf("ValidateEndpoint(%q) = %v", s, err)
		}
	}
	for _, s := range bad {
		if err := ValidateEndpoint(s); err == nil {
			t.Errorf("ValidateEndpoint(%q) accepted", s)
		}
	}
}

// TestParsePrivate: [private.subscribe] and [private.publish] decode, their
// key files resolve against the file's directory, and every problem names
// its line: wrong types, names over the roles' length limits (185 for a
// subscriber, 168 for a publisher), missing files.
func TestParsePrivate(t *testing.T) {
	doc := `[private.subscribe]
"orders" = "keys/orders.key"
"abs" = "/etc/k.key"
[private.publish]
"orders" = ["a.pub", "/b.pub"]
`
	c, err := Parse([]byte(doc), "/etc/amoptui/c.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Private{
		Subscribe: map[string]string{"orders": "/etc/amoptui/keys/orders.key", "abs": "/etc/k.key"},
		Publish:   map[string][]string{"orders": {"/etc/amoptui/a.pub", "/b.pub"}},
	}
	if !reflect.DeepEqual(c.Private, want) {
		t.Fatalf("got %+v\nwant %+v", c.Private, want)
	}
	if got := c.PrivateTopics(); !reflect.DeepEqual(got, []string{"abs", "orders"}) {
		t.Fatalf("PrivateTopics = %q", got)
	}

	bad := `[private]
subscriber = {}
[private.subscribe]
"n" = 3
"` + strings.Repeat("s", 186) + `" = "k"
"` + strings.Repeat("s", 185) + `" = "k"
"empty" = ""
"#!$x" = "k"
[private.publish]
"p" = "one.pub"
"` + strings.Repeat("p", 169) + `" = ["k"]
"` + strings.Repeat("p", 168) + `" = ["k"]
"none" = []
"hole" = ["a", ""]
`
	c, err = Parse([]byte(bad), "f.toml")
	var got []string
	var ps Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			got = append(got, p.Error())
		}
	}
	if err := c.Validate(); errors.As(err, &ps) {
		for _, p := range ps {
			got = append(got, p.Error())
		}
	}
	wantProblems := []string{
		`f.toml:2:1: private.subscriber: unknown key (did you mean "subscribe"?)`,
		`f.toml:4:1: private.subscribe.n: want a string, got the integer 3`,
		`f.toml:10:1: private.publish.p: want an array of strings, got the string "one.pub"`,
		`f.toml:5:1: private.subscribe.` + strings.Repeat("s", 186) + `: "` + strings.Repeat("s", 186) + `" is not a valid private topic: a private topic's subscriber allows at most 185 bytes, this one has 186`,
		`f.toml:7:1: private.subscribe.empty: names no private key file`,
		`f.toml:8:1: private.subscribe."#!$x": "#!$x" is not a valid private topic: the prefix #!$ is reserved for private-topic helpers`,
		`f.toml:11:1: private.publish.` + strings.Repeat("p", 169) + `: "` + strings.Repeat("p", 169) + `" is not a valid private topic: a private topic's publisher allows at most 168 bytes, this one has 169`,
		`f.toml:13:1: private.publish.none: lists no public key file: a publisher must accept at least one key`,
		`f.toml:14:16: private.publish.hole[1]: is empty`,
	}
	if len(got) != len(wantProblems) {
		t.Fatalf("got %d problems:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i := range got {
		if !strings.HasPrefix(got[i], wantProblems[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s…", i, got[i], wantProblems[i])
		}
	}
}

// TestPublishTopics: [topics] publish names send-only topics, checked like
// join's; with publish and no join, the default topic is not joined.
func TestPublishTopics(t *testing.T) {
	c, err := Parse([]byte("[topics]\npublish = [\"svc\", \"orders\"]\n"), "p.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.Topics.Publish; len(got) != 2 || got[0] != "svc" || got[1] != "orders" {
		t.Fatalf("publish = %q", got)
	}
	if got := c.JoinTopics(); len(got) != 0 {
		t.Fatalf("a publisher-only config joins %q", got)
	}
	if got := Default().JoinTopics(); len(got) != 1 || got[0] != DefaultTopic {
		t.Fatalf("the default joins %q", got)
	}
	c, err = Parse([]byte("[topics]\npublish = [\"svc\", \"svc\", \"\"]\n"), "p.toml")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil || !strings.Contains(err.Error(), `topics.publish[1]: "svc" is already topics.publish[0]`) ||
		!strings.Contains(err.Error(), "topics.publish[2]") {
		t.Fatalf("Validate = %v", err)
	}
}

// TestMaxIncoming: max_incoming takes a size with a binary unit or a number
// of bytes, within 1 KiB to 100 MiB.
func TestMaxIncoming(t *testing.T) {
	for in, want := range map[string]int64{`"16MiB"`: 16 << 20, `"512 KiB"`: 512 << 10, `2048`: 2048, `"100MiB"`: 100 << 20, `"1KiB"`: 1024} {
		c, err := Parse([]byte("max_incoming = "+in+"\n"), "")
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if err := c.Validate(); err != nil || c.MaxIncoming != want {
			t.Fatalf("%s: %d, %v; want %d", in, c.MaxIncoming, err, want)
		}
	}
	for in, msg := range map[string]string{
		`"16MB"`:   `is not a size`,
		`"lots"`:   `is not a size`,
		`"-1KiB"`:  `is not a size`,
		`true`:     `want a size`,
		`"101MiB"`: `must be between 1KiB and 100MiB, got 101MiB`,
		`"1000"`:   `must be between 1KiB and 100MiB, got 1000B`,
	} {
		c, err := Parse([]byte("max_incoming = "+in+"\n"), "")
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", in, err, msg)
		}
	}
}

func TestLines(t *testing.T) {
	for _, tc := range []struct {
		toml           string
		line, embedded amop.Line
	}{
		{"", amop.LineAuto, amop.Line2},
		{`fisco = "3"`, amop.Line3, amop.Line3},
		{`fisco = "2.x"`, amop.Line2, amop.Line2},
		{"[local]\nlike = \"3.16\"", amop.LineAuto, amop.Line3},
		{"[local]\nlike = \"2.9\"", amop.LineAuto, amop.Line2},
	} {
		c, err := Parse([]byte(tc.toml), "c.toml")
		if err != nil {
			t.Fatal(err)
		}
		if c.Line() != tc.line || c.EmbeddedLine() != tc.embedded {
			t.Errorf("%q: line %s, embedded %s", tc.toml, c.Line(), c.EmbeddedLine())
		}
	}
}
