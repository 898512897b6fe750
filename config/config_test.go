package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
)

func TestDefaultValidates(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

// TestExampleFile loads the shipped example: it must parse, validate, and
// document (and set) every key the decoder knows.
func TestExampleFile(t *testing.T) {
	file := filepath.Join("..", "config.example.toml")
	c, err := Load(file)
	if err != nil {
		t.Fatalf("Load(%s): %v", file, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("example does not validate:\n%v", err)
	}
	want := Default()
	want.Nodes = []string{"127.0.0.1:20200", "127.0.0.1:20201"}
	want.Topics.Join = []string{"hello"}
	want.Topics.Publish = []string{}
	want.File = file
	c.pos, c.flags = nil, nil
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("example differs from the defaults it claims:\n got %+v\nwant %+v", c, want)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pos := positions(data)
	for table, keys := range map[string][]string{"": topKeys, "tls": tlsKeys, "topics": topicKeys, "private": privateKeys, "reply": replyKeys, "ui": uiKeys, "local": localKeys} {
		for _, k := range keys {
			p := path{k}
			if table != "" {
				p = path{table, k}
			}
			if _, ok := pos[p.id()]; !ok {
				t.Errorf("config.example.toml does not show key %s", p)
			}
		}
	}
}

func TestParse(t *testing.T) {
	cases := map[string]struct {
		toml  string
		check func(t *testing.T, c Config)
	}{
		"empty keeps defaults": {"", func(t *testing.T, c Config) {
			c.pos = nil
			if !reflect.DeepEqual(c, Default()) {
				t.Fatalf("got %+v", c)
			}
		}},
		"every key": {`
fisco = "2"
chain_id = 7
group_id = 3
sm_crypto = true
nodes = ["10.0.0.1:20200", "[::1]:20201"]
send_timeout = "1m30s"
max_incoming = "512KiB"
transcript = "/var/log/t.jsonl"
debug_log = "/var/log/d.log"
[tls]
certs_dir = "/sdk"
ca = "/x/ca.pem"
cert_pem = "-----BEGIN CERTIFICATE-----\n"
key = "/x/k.pem"
verify_node = false
enabled = true
[topics]
join = ["a", "订单"]
[reply]
default = "echo"
[reply.topics]
"a b" = "pong"
[[reply.match]]
topic = "a"
regex = "^ping"
reply = "pong {{.Seq}}"
[[reply.exec]]
command = "cat"
shell = true
timeout = "2s"
max_output = 100
[ui]
scrollback = 5
scrollback_bytes = "2MiB"
scrollback_total = "16MiB"
input_history = 0
timestamp_format = "2006-01-02 15:04:05.000"
layout = "single"
theme = "light"
persist_history = false
mouse = false
[local]
like = "2.9"
`, func(t *testing.T, c Config) {
			want := Config{
				Fisco: "2", ChainID: 7, GroupID: 3, SMCrypto: true,
				Nodes:       []string{"10.0.0.1:20200", "[::1]:20201"},
				SendTimeout: 90 * time.Second, MaxIncoming: 512 << 10,
				Transcript: "/var/log/t.jsonl", DebugLog: "/var/log/d.log",
				TLS:    TLS{CertsDir: "/sdk", CA: "/x/ca.pem", CertPEM: "-----BEGIN CERTIFICATE-----\n", Key: "/x/k.pem", Enabled: true},
				Topics: Topics{Join: []string{"a", "订单"}},
				Reply: Reply{Default: "echo", Topics: map[string]string{"a b": "pong"},
					Match: []ReplyMatch{{Topic: "a", Regex: "^ping", Reply: "pong {{.Seq}}"}},
					Exec:  []ReplyExec{{Command: "cat", Shell: true, Timeout: 2 * time.Second, MaxOutput: 100}}},
				UI:    UI{Scrollback: 5, ScrollbackBytes: 2 << 20, ScrollbackTotal: 16 << 20, TimestampFormat: "2006-01-02 15:04:05.000", Layout: "single", Theme: "light"},
				Local: Local{Like: "2.9"},
			}
			c.pos = nil
			if !reflect.DeepEqual(c, want) {
				t.Fatalf("got  %+v\nwant %+v", c, want)
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
		}},
		"dotted keys and inline tables": {`
ui.layout = "single"
tls = { verify_node = false }
`, func(t *testing.T, c Config) {
			if c.UI.Layout != "single" || c.TLS.VerifyNode {
				t.Fatalf("got %+v", c)
			}
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := Parse([]byte(tc.toml), "")
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// problemsOf returns the Problems in err, failing the test if there are
// none.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) || len(ps) == 0 {
		t.Fatalf("want Problems, got %v", err)
	}
	return ps
}

// TestParseProblems checks that unknown keys and values of the wrong type
// are all reported, each with the file, line and key.
func TestParseProblems(t *testing.T) {
	doc := `chain_id = 1
colour = "red"
group_id = "one"
nodes = ["a:1",
  2,
]
[ui]
layuot = "single"
scrollback = 1.5
[tls]
verify_node = "yes"
[reply.topics]
hello = 3
[private]
key_file = "k"
`
	_, err := Parse([]byte(doc), "/etc/amoptui.toml")
	ps := problemsOf(t, err)
	want := []string{
		`/etc/amoptui.toml:2:1: colour: unknown key (known here: fisco, chain_id, group_id, sm_crypto, nodes, send_timeout, max_incoming, transcript, debug_log, tls, topics, private, reply, ui, local)`,
		`/etc/amoptui.toml:3:1: group_id: want an integer, got the string "one"`,
		`/etc/amoptui.toml:5:3: nodes[1]: want a string, got the integer 2`,
		`/etc/amoptui.toml:8:1: ui.layuot: unknown key (did you mean "layout"?)`,
		`/etc/amoptui.toml:9:1: ui.scrollback: want an integer, got the float 1.5`,
		`/etc/amoptui.toml:11:1: tls.verify_node: want true or false, got the string "yes"`,
		`/etc/amoptui.toml:13:1: reply.topics.hello: want a string, got the integer 3`,
		`/etc/amoptui.toml:15:1: private.key_file: unknown key (known here: subscribe, publish)`,
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSyntaxError(t *testing.T) {
	cases := map[string]int{ // document → line of the error
		"chain_id = 1\ngroup_id = \n":            2,
		"[ui]\nlayout = \"a\"\nlayout = \"b\"\n": 3,
		"nodes = [\"a:1\"\n\n":                   2,
		"\xff = 1":                               1,
	}
	for doc, line := range cases {
		_, err := Parse([]byte(doc), "f.toml")
		ps := problemsOf(t, err)
		if len(ps) != 1 || ps[0].Line != line || ps[0].File != "f.toml" {
			t.Errorf("Parse(%q) = %v; want one problem on line %d", doc, err, line)
		}
		if !strings.HasPrefix(err.Error(), "f.toml:") {
			t.Errorf("error %q does not name the file", err)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := map[string]struct {
		toml string
		want []string // substrings, one per problem, in order
	}{
		"bad values with lines": {`
chain_id = 0
group_id = 40000
nodes = [
  "127.0.0.1:20200",
  "localhost",
  "127.0.0.1:0",
  "127.0.0.1:20200",
  ":20200",
  "h:http",
]
send_timeout = "-1s"
[topics]
join = ["ok", "", "_block_notify_1", "ok"]
[reply.topics]
"#!$x" = "echo"
[ui]
scrollback = 0
input_history = -1
timestamp_format = "15:04:05"
layout = "grid"
theme = "blue"
`, []string{
			`c.toml:2:1: chain_id: must be at least 1, got 0`,
			`c.toml:3:1: group_id: must be between 1 and 32767, got 40000`,
			`c.toml:6:3: nodes[1]: "localhost" is not HOST:PORT: missing port in address`,
			`c.toml:7:3: nodes[2]: "127.0.0.1:0" is not HOST:PORT: the port must be a number from 1 to 65535`,
			`c.toml:8:3: nodes[3]: "127.0.0.1:20200" is already nodes[0]`,
			`c.toml:9:3: nodes[4]: ":20200" is not HOST:PORT: the host is missing`,
			`c.toml:10:3: nodes[5]: "h:http" is not HOST:PORT: the port must be a number`,
			`c.toml:12:1: send_timeout: must be above 0 and at most 10m0s, got -1s`,
			`c.toml:14:15: topics.join[1]: "" is not a valid topic: it is empty`,
			`c.toml:14:19: topics.join[2]: "_block_notify_1" is not a valid topic: the prefix _block_notify_ is reserved`,
			`c.toml:14:38: topics.join[3]: "ok" is already topics.join[0]`,
			`c.toml:16:1: reply.topics."#!$x": "#!$x" is not a valid topic: the prefix #!$ is reserved`,
			`c.toml:18:1: ui.scrollback: must be between 1 and 1000000, got 0`,
			`c.toml:19:1: ui.input_history: must be between 0 and 10000, got -1`,
			`c.toml:20:1: ui.timestamp_format: "15:04:05" does not always show milliseconds`,
			`c.toml:21:1: ui.layout: "grid" is not "tiled" or "single"`,
			`c.toml:22:1: ui.theme: "blue" is not "auto", "dark", "light" or "mono"`,
		}},
		"local like": {"[local]\nlike = \"2.8\"\n",
			[]string{`c.toml:2:1: local.like: "2.8" is not a node behaviour: want "ideal" (the default), "2.9" (2.x) or "3.16" (3.x)`}},
		"fisco line": {"fisco = \"4\"\n",
			[]string{`c.toml:1:1: fisco: "4" is not a FISCO BCOS line: want auto, 2 or 3`}},
		"like of the other line": {"fisco = \"2\"\n[local]\nlike = \"3.16\"\n",
			[]string{`c.toml:3:1: local.like: "3.16" is a 3.x behaviour, but fisco is "2"`}},
		"like of the other line (3)": {"fisco = \"3\"\n[local]\nlike = \"2.9\"\n",
			[]string{`c.toml:3:1: local.like: "2.9" is a 2.x behaviour, but fisco is "3"`}},
		"no tls on 2.x": {"fisco = \"2\"\n[tls]\nenabled = false\n",
			[]string{`c.toml:3:1: tls.enabled: false is for 3.x chains with TLS off`}},
		"private on 3.x": {"fisco = \"3\"\n[private.subscribe]\norders = \"a.key\"\n",
			[]string{`private: FISCO BCOS 3.x has no private (authenticated) topics`}},
		"3.x like": {"fisco = \"auto\"\n[local]\nlike = \"3.16.4\"\n", nil},
		"memory budgets": {"[ui]\nscrollback_bytes = \"512KiB\"\nscrollback_total = \"32GiB\"\n", []string{
			`c.toml:2:1: ui.scrollback_bytes: must be between 1MiB and 1GiB, got 512KiB`,
			`c.toml:3:1: ui.scrollback_total: must be between scrollback_bytes (512KiB) and 16GiB, got 32GiB`,
		}},
		"a pane's budget over the default total raises it": {"[ui]\nscrollback_bytes = \"1GiB\"\n", nil},
		"a pane's budget over its range, once": {"[ui]\nscrollback_bytes = \"1025MiB\"\n",
			[]string{`c.toml:2:1: ui.scrollback_bytes: must be between 1MiB and 1GiB, got 1025MiB`}},
		"total below a pane": {"[ui]\nscrollback_bytes = \"8MiB\"\nscrollback_total = \"4MiB\"\n",
			[]string{`c.toml:3:1: ui.scrollback_total: must be between scrollback_bytes (8MiB) and 16GiB, got 4MiB`}},
		"timestamp with .999 trims zeros": {`ui.timestamp_format = "15:04:05.999"`,
			[]string{`ui.timestamp_format: "15:04:05.999" does not always show milliseconds`}},
		"timestamp with control": {`ui.timestamp_format = "15:04:05.000\u001b"`,
			[]string{`ui.timestamp_format: contains control characters`}},
		"tls both file and pem": {`
[tls]
ca = "ca.crt"
ca_pem = "-----BEGIN CERTIFICATE-----"
cert = "sdk.crt"
key_pem = "not pem"
`, []string{
			`c.toml:4:1: tls.ca_pem: set either ca or ca_pem, not both`,
			`c.toml:6:1: tls.key_pem: is not PEM text`,
		}},
		"tls incomplete": {`
[tls]
cert = "sdk.crt"
`, []string{
			`c.toml:2:2: tls.ca: missing: set ca, ca_pem or certs_dir`,
			`c.toml:2:2: tls.key: missing: set key, key_pem or certs_dir`,
		}},
		"tls certs_dir fills gaps": {`
[tls]
certs_dir = "sdk"
cert = "other.crt"
`, nil},
		"send timeout of hours": {`send_timeout = "1000000h"`,
			[]string{`c.toml:1:1: send_timeout: must be above 0 and at most 10m0s, got 1000000h0m0s`}},
		"same transcript and debug log": {`
transcript = "x.log"
debug_log = "x.log"
`, []string{`c.toml:3:1: debug_log: is the same file as transcript`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := Parse([]byte(tc.toml), "c.toml")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = c.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			ps := problemsOf(t, err)
			if len(ps) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(tc.want), err)
			}
			for i, p := range ps {
				if !strings.Contains(p.Error(), tc.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, p.Error(), tc.want[i])
				}
			}
		})
	}
}

// TestFlagsOverride checks the defaults → file → flags precedence as main
// applies it, and that problems then name the flag.
func TestFlagsOverride(t *testing.T) {
	c, err := Parse([]byte("nodes = [\"a:1\"]\n[ui]\nlayout = \"single\"\n"), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	copyBefore := c
	c.Nodes = []string{"b:2", "bad"}
	c.MarkFlag("nodes", "--node")
	ps := problemsOf(t, c.Validate())
	if got := ps[0].Error(); got != `flag --node: nodes[1]: "bad" is not HOST:PORT: missing port in address` {
		t.Fatalf("got %s", got)
	}
	if copyBefore.flags != nil {
		t.Fatal("MarkFlag changed a copy of the config")
	}
	c.SetCertsDir("/certs", "--certs")
	c.TLS.KeyPEM = "junk"
	if got := problemsOf(t, c.Validate()).Error(); got != "tls.key_pem: is not PEM text (no -----BEGIN line)\n"+
		`flag --node: nodes[1]: "bad" is not HOST:PORT: missing port in address` {
		t.Fatalf("got %s", got)
	}
}

func TestResolvePaths(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	doc := `
transcript = "logs/t.jsonl"
debug_log = "~/amoptui.log"
[tls]
certs_dir = "sdk"
ca = "/abs/ca.crt"
`
	c, err := Parse([]byte(doc), filepath.Join("/etc", "amoptui", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Transcript != "/etc/amoptui/logs/t.jsonl" || c.DebugLog != filepath.Join(home, "amoptui.log") ||
		c.TLS.CertsDir != "/etc/amoptui/sdk" || c.TLS.CA != "/abs/ca.crt" {
		t.Fatalf("got %+v", c)
	}
	ca, cert, key := c.TLSFiles()
	if ca != "/abs/ca.crt" || cert != "/etc/amoptui/sdk/sdk.crt" || key != "/etc/amoptui/sdk/sdk.key" {
		t.Fatalf("TLSFiles = %s %s %s", ca, cert, key)
	}
}

func TestTLSFiles(t *testing.T) {
	cases := []struct {
		tls           TLS
		ca, cert, key string
		hasTLS        bool
	}{
		{TLS{}, "", "", "", false},
		{TLS{CertsDir: "d"}, "d/ca.crt", "d/sdk.crt", "d/sdk.key", true},
		{TLS{CertsDir: "d", Key: "k", CAPEM: "-----BEGIN"}, "", "d/sdk.crt", "k", true},
		{TLS{CA: "a", Cert: "b", Key: "c"}, "a", "b", "c", true},
	}
	for _, tc := range cases {
		c := Default()
		c.TLS = tc.tls
		ca, cert, key := c.TLSFiles()
		if ca != tc.ca || cert != tc.cert || key != tc.key || c.HasTLS() != tc.hasTLS {
			t.Errorf("%+v: got %q %q %q %v", tc.tls, ca, cert, key, c.HasTLS())
		}
	}
}

func TestHelpers(t *testing.T) {
	c := Default()
	if got := c.JoinTopics(); !reflect.DeepEqual(got, []string{"hello"}) {
		t.Errorf("JoinTopics = %v", got)
	}
	c.Topics.Join = []string{"a"}
	if got := c.JoinTopics(); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("JoinTopics = %v", got)
	}
	c.Reply = Reply{Default: "echo", Topics: map[string]string{"t": "pong"}}
	if p := c.ReplyPolicy("t"); p.Mode != amop.ReplyText || p.Text != "pong" {
		t.Errorf("ReplyPolicy(t) = %+v", p)
	}
	if p := c.ReplyPolicy("other"); p.Mode != amop.ReplyEcho {
		t.Errorf("ReplyPolicy(other) = %+v", p)
	}
}
