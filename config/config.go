// Package config is amoptui's TOML configuration: typed settings, their
// defaults, strict decoding with the file and line of every problem, and
// validation that reports every problem at once.
//
// Precedence is defaults → file → flags: Load starts from Default and applies
// the file; main then overwrites fields from its flags (calling MarkFlag so
// that problems name the flag instead of a line) and finally calls Validate.
// config.example.toml at the repository root documents every key.
package config

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
	"github.com/amoptui/amoptui/userfile"
)

// Defaults that other packages and the example file refer to.
const (
	DefaultChainID     = 1
	DefaultGroupID     = 1
	DefaultSendTimeout = 10 * time.Second
	DefaultScrollback  = 10_000
	// DefaultScrollbackBytes and DefaultScrollbackTotal are the memory
	// budgets of one pane and of all of them (ui.Options.PaneBytes and
	// TotalBytes: ui/memory.go says why these figures).
	DefaultScrollbackBytes = 8 << 20
	DefaultScrollbackTotal = 64 << 20
	DefaultInputHistory    = 100
	DefaultTimestampFormat = "15:04:05.000"
	// DefaultTopic is joined when neither the file nor the flags name a
	// topic: the topic of the go-sdk AMOP examples.
	DefaultTopic = "hello"
)

// Layouts of the topic panes.
const (
	LayoutTiled  = "tiled"  // several topic panes at once
	LayoutSingle = "single" // only the focused topic's pane
)

// Colour themes.
const (
	ThemeAuto  = "auto" // follow the terminal's background
	ThemeDark  = "dark"
	ThemeLight = "light"
	ThemeMono  = "mono" // no colours (also what NO_COLOR gives)
)

// The file names build_chain.sh gives an SDK directory (nodes/IP/sdk).
const (
	CAFile   = "ca.crt"
	CertFile = "sdk.crt"
	KeyFile  = "sdk.key"
)

// Config is the whole configuration. Field comments name the TOML key.
type Config struct {
	// Fisco is fisco: the FISCO BCOS line of the nodes, "auto" (detected
	// per endpoint), "2" or "3" (see Line).
	Fisco    string
	ChainID  int64 // chain_id: the chain the node must belong to (2.x)
	GroupID  int   // group_id: the group used for the version handshake (2.x)
	SMCrypto bool  // sm_crypto: the chain uses the SM (guomi) suite (2.x)
	// Nodes is nodes: HOST:PORT endpoints tried in order, failing over to
	// the next. Empty means the embedded local network.
	Nodes       []string
	SendTimeout time.Duration // send_timeout: per unicast/multicast
	// MaxIncoming is max_incoming: the largest payload accepted from a
	// node, in bytes; larger frames are dropped and counted as oversize.
	MaxIncoming int64
	Transcript  string // transcript: JSON-lines event log, "" = off
	DebugLog    string // debug_log: debug log file, "" = off

	TLS     TLS
	Topics  Topics
	Private Private
	Reply   Reply
	UI      UI
	Local   Local

	// File is the file the configuration was read from, "" for none.
	// Relative paths in it were resolved against its directory.
	File string

	pos   map[string]position // key path → where it was set in File
	flags map[string]string   // key → the flag that set it
}

// TLS is the [tls] table: where the SDK certificate material comes from.
// Each of the three inputs is an explicit file, inline PEM, or the
// build_chain.sh name inside CertsDir, in that order of preference.
type TLS struct {
	CertsDir string // certs_dir: holds ca.crt, sdk.crt, sdk.key
	CA       string // ca: CA certificate file
	Cert     string // cert: SDK certificate file
	Key      string // key: SDK private key file
	CAPEM    string // ca_pem: CA certificate, inline PEM
	CertPEM  string // cert_pem: SDK certificate, inline PEM
	KeyPEM   string // key_pem: SDK private key, inline PEM
	// VerifyNode is verify_node: check the node's certificate against the
	// CA. go-sdk itself never does, so a man in the middle would go
	// unnoticed; only turn it off for a node with a broken certificate.
	VerifyNode bool
	// Enabled is enabled: false connects to 3.x nodes with plain ws://, for
	// chains whose nodes run with rpc.enable_ssl=false (no certificates).
	Enabled bool
}

// Topics is the [topics] table.
type Topics struct {
	Join []string // join: topics joined at start (listened to, and sent to)
	// Publish is publish: topics given a send-only pane at start, sent to
	// without joining them. On a real chain a client that sends unicast to
	// a topic it also listens to may lose messages to its own node
	// (real-nodes.md row 13): a publisher should only publish.
	Publish []string
}

// Private is the [private] table: private (authenticated) topics, joined
// or published at start. Key files are PEM as `amoptui keygen` writes them
// (the formats go-sdk's loaders read); relative paths resolve against the
// configuration file's directory.
type Private struct {
	// Subscribe is [private.subscribe]: topic → the private key file this
	// client proves it holds to be verified as a subscriber.
	Subscribe map[string]string
	// Publish is [private.publish]: topic → the public key files of the
	// subscribers this client, as the topic's publisher, accepts.
	Publish map[string][]string
}

// PrivateTopics lists the topics of [private.subscribe] and
// [private.publish], sorted, each once.
func (c Config) PrivateTopics() []string {
	set := make(map[string]bool, len(c.Private.Subscribe)+len(c.Private.Publish))
	for t := range c.Private.Subscribe {
		set[t] = true
	}
	for t := range c.Private.Publish {
		set[t] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// Reply is the [reply] table: auto-replies to incoming unicast requests.
// Values are "off", "echo" or any other text, which is sent as the reply
// (see amop.ParseReplyPolicy).
type Reply struct {
	Default string            // default: for topics without an override
	Topics  map[string]string // [reply.topics]: topic → policy
	Match   []ReplyMatch      // [[reply.match]]: regexp → template rules
	Exec    []ReplyExec       // [[reply.exec]]: a command run per request
}

// Local is the [local] table: the embedded local network, used when no
// nodes are configured.
type Local struct {
	// Like is like: "ideal" (the default) for kinder nodes that suit a
	// demo, "2.9" for nodes that behave as FISCO BCOS 2.9.1 nodes do (see
	// local.ParseLike), or "3.16" for 3.x nodes that behave as v3.16.4 ones
	// do (local3.ParseLike).
	Like string
}

// Line is the configured FISCO BCOS line (fisco); LineAuto for "auto" or a
// value Validate refuses.
func (c Config) Line() amop.Line {
	l, _ := amop.ParseLine(c.Fisco)
	return l
}

// EmbeddedLine is the line of the local network this configuration starts
// when it names no nodes: the configured line, or with "auto" the line of
// [local] like ("3.16" is 3.x), else 2.x.
func (c Config) EmbeddedLine() amop.Line {
	if l := c.Line(); l != amop.LineAuto {
		return l
	}
	if l, err := local3.ParseLike(c.Local.Like); err == nil && l == local3.Like3164 {
		return amop.Line3
	}
	return amop.Line2
}

// UI is the [ui] table.
type UI struct {
	Scrollback int // scrollback: messages kept per topic
	// ScrollbackBytes is scrollback_bytes: the memory a topic pane's lines
	// and payloads may hold; ScrollbackTotal is scrollback_total, that of
	// all panes together.
	ScrollbackBytes int64
	ScrollbackTotal int64
	InputHistory    int    // input_history: sent lines kept per topic, 0 = off
	TimestampFormat string // timestamp_format: Go time layout with milliseconds
	Layout          string // layout: "tiled" or "single"
	Theme           string // theme: "auto", "dark", "light" or "mono"
	// PersistHistory is persist_history: keep the input history across
	// runs in the state directory (--no-history turns it off).
	PersistHistory bool
	// Mouse is mouse: clicks select topics and messages, the wheel
	// scrolls (--no-mouse leaves the mouse to the terminal).
	Mouse bool
}

// Default returns the configuration used when there is no file.
func Default() Config {
	return Config{
		Fisco:       "auto",
		ChainID:     DefaultChainID,
		GroupID:     DefaultGroupID,
		SendTimeout: DefaultSendTimeout,
		MaxIncoming: DefaultMaxIncoming,
		TLS:         TLS{VerifyNode: true, Enabled: true},
		Reply:       Reply{Default: "off"},
		Local:       Local{Like: local.LikeIdeal},
		UI: UI{
			Scrollback:      DefaultScrollback,
			ScrollbackBytes: DefaultScrollbackBytes,
			ScrollbackTotal: DefaultScrollbackTotal,
			InputHistory:    DefaultInputHistory,
			TimestampFormat: DefaultTimestampFormat,
			Layout:          LayoutTiled,
			Theme:           ThemeAuto,
			PersistHistory:  true,
			Mouse:           true,
		},
	}
}

// Load reads the file at path over the defaults. It reports syntax errors,
// unknown keys and values of the wrong type, each with file and line (a
// *Problems); call Validate once flags have been applied.
func Load(path string) (Config, error) {
	data, err := userfile.Read(path, userfile.Config)
	if err != nil {
		return Default(), fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// JoinTopics returns the topics to join at start: Topics.Join, or
// DefaultTopic when neither Topics.Join nor Topics.Publish names one.
func (c Config) JoinTopics() []string {
	if len(c.Topics.Join) == 0 && len(c.Topics.Publish) == 0 {
		return []string{DefaultTopic}
	}
	return c.Topics.Join
}

// ReplyPolicy returns the auto-reply for topic: its [reply.topics] entry if
// there is one, else [reply] default.
func (c Config) ReplyPolicy(topic string) amop.ReplyPolicy {
	if p, ok := c.Reply.Topics[topic]; ok {
		return amop.ParseReplyPolicy(p)
	}
	return amop.ParseReplyPolicy(c.Reply.Default)
}

// TLSFiles returns the CA, certificate and key files to load: the explicit
// file if set, else the build_chain.sh name inside CertsDir, else "". An
// input given as inline PEM gives "" (read TLS.CAPEM etc. instead).
// Relative paths from the file are already resolved against its directory.
func (c Config) TLSFiles() (ca, cert, key string) {
	pick := func(file, pem, name string) string {
		switch {
		case pem != "":
			return ""
		case file != "":
			return file
		case c.TLS.CertsDir != "":
			return filepath.Join(c.TLS.CertsDir, name)
		}
		return ""
	}
	return pick(c.TLS.CA, c.TLS.CAPEM, CAFile),
		pick(c.TLS.Cert, c.TLS.CertPEM, CertFile),
		pick(c.TLS.Key, c.TLS.KeyPEM, KeyFile)
}

// HasTLS reports whether the configuration names any certificate material;
// when it does not, main applies its own default certificate directory.
func (c Config) HasTLS() bool {
	t := c.TLS
	return t.CertsDir != "" || t.CA != "" || t.Cert != "" || t.Key != "" ||
		t.CAPEM != "" || t.CertPEM != "" || t.KeyPEM != ""
}

// SetCertsDir applies --certs DIR: the directory replaces every certificate
// source of the file, since a user naming a directory on the command line
// means that directory, not a mix with the file's explicit paths.
func (c *Config) SetCertsDir(dir, flag string) {
	c.TLS = TLS{CertsDir: dir, VerifyNode: c.TLS.VerifyNode, Enabled: c.TLS.Enabled}
	c.MarkFlag("tls.certs_dir", flag)
}

// MarkFlag records that main set key (a dotted TOML key such as "nodes" or
// "ui.layout") from the command-line flag flag, so that Validate names the
// flag rather than a line of the file for it.
func (c *Config) MarkFlag(key, flag string) {
	// Copy on write: Config is passed by value and copies must not change.
	flags := make(map[string]string, len(c.flags)+1)
	maps.Copy(flags, c.flags)
	flags[key] = flag
	c.flags = flags
}
