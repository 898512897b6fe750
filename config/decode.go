package config

import (
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/amoptui/amoptui/userfile"
)

// Parse decodes a TOML document over the defaults. name is the document's
// file path: problems carry it, and relative paths in the document resolve
// against its directory ("" for neither). The error, a Problems, lists
// every unknown key and every value of the wrong type with its line, or the
// one syntax error; the returned Config then holds what could be decoded.
//
// Decoding is done in two passes over the same bytes: go-toml/v2 turns the
// document into plain maps (it checks all of TOML's own rules), and its
// parser's AST gives the line of every key, which BurntSushi/toml cannot.
func Parse(data []byte, name string) (Config, error) {
	c := Default()
	c.File = name
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		return c, syntaxProblem(err, name)
	}
	c.pos = positions(data)
	d := decoder{c: &c}
	d.top(raw)
	if name != "" {
		c.resolvePaths(filepath.Dir(name))
	}
	return c, d.problems.err()
}

// syntaxProblem turns a go-toml error into a located Problem.
func syntaxProblem(err error, name string) error {
	p := &Problem{File: name, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		p.Line, p.Col = de.Position()
		p.Key = path(de.Key()).String()
	}
	return Problems{p}
}

// positions maps every key path of a syntactically valid document to the
// line and column of its key (for list elements, of the element).
func positions(data []byte) map[string]position {
	pos := make(map[string]position)
	var p unstable.Parser
	p.Reset(data)
	at := func(n *unstable.Node) position {
		s := p.Shape(n.Raw)
		return position{s.Start.Line, s.Start.Column}
	}
	record := func(k path, n *unstable.Node) {
		if _, ok := pos[k.id()]; !ok && n.Raw.Length > 0 {
			pos[k.id()] = at(n)
		}
	}
	var keyValue func(base path, kv *unstable.Node)
	var value func(k path, v *unstable.Node)
	keyValue = func(base path, kv *unstable.Node) {
		k := base
		for it := kv.Key(); it.Next(); {
			k = k.with(string(it.Node().Data))
			record(k, it.Node())
		}
		value(k, kv.Value())
	}
	value = func(k path, v *unstable.Node) {
		switch v.Kind {
		case unstable.InlineTable:
			for it := v.Children(); it.Next(); {
				if it.Node().Kind == unstable.KeyValue {
					keyValue(k, it.Node())
				}
			}
		case unstable.Array:
			i := 0
			for it := v.Children(); it.Next(); i++ {
				record(k.index(i), it.Node())
				value(k.index(i), it.Node())
			}
		}
	}
	var table path
	arrays := map[string]int{} // [[array.table]] elements seen so far
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = nil
			var last *unstable.Node
			for it := e.Key(); it.Next(); {
				last = it.Node()
				table = table.with(string(last.Data))
				record(table, last)
			}
			if e.Kind == unstable.ArrayTable && last != nil {
				i := arrays[table.id()]
				arrays[table.id()] = i + 1
				table = table.index(i)
				record(table, last)
			}
		case unstable.KeyValue:
			keyValue(table, e)
		}
	}
	return pos
}

// decoder copies the plain maps into a Config, collecting problems.
type decoder struct {
	c        *Config
	problems Problems
}

// bad records a problem for the value at p.
func (d *decoder) bad(p path, format string, args ...any) {
	d.problems = append(d.problems, d.c.problem(p, format, args...))
}

// Known keys per table, for unknown-key suggestions.
var (
	topKeys     = []string{"fisco", "chain_id", "group_id", "sm_crypto", "nodes", "send_timeout", "max_incoming", "transcript", "debug_log", "tls", "topics", "private", "reply", "ui", "local"}
	privateKeys = []string{"subscribe", "publish"}
	tlsKeys     = []string{"certs_dir", "ca", "cert", "key", "ca_pem", "cert_pem", "key_pem", "verify_node", "enabled"}
	topicKeys   = []string{"join", "publish"}
	replyKeys   = []string{"default", "topics", "match", "exec"}
	uiKeys      = []string{"scrollback", "scrollback_bytes", "scrollback_total", "input_history", "timestamp_format", "layout", "theme", "persist_history", "mouse"}
	localKeys   = []string{"like"}
)

// top decodes the root table.
func (d *decoder) top(m map[string]any) {
	c := d.c
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, p := m[k], path{k}
		switch k {
		case "fisco":
			d.string(p, v, &c.Fisco)
		case "chain_id":
			d.int64(p, v, &c.ChainID)
		case "group_id":
			d.int(p, v, &c.GroupID)
		case "sm_crypto":
			d.bool(p, v, &c.SMCrypto)
		case "nodes":
			d.strings(p, v, &c.Nodes)
		case "send_timeout":
			d.duration(p, v, &c.SendTimeout)
		case "max_incoming":
			d.size(p, v, &c.MaxIncoming)
		case "transcript":
			d.string(p, v, &c.Transcript)
		case "debug_log":
			d.string(p, v, &c.DebugLog)
		case "tls":
			d.tls(p, v)
		case "topics":
			d.topics(p, v)
		case "reply":
			d.reply(p, v)
		case "ui":
			d.ui(p, v)
		case "private":
			d.private(p, v)
		case "local":
			d.local(p, v)
		default:
			d.unknown(p, topKeys)
		}
	}
}

// tls decodes [tls].
func (d *decoder) tls(p path, v any) {
	t := &d.c.TLS
	m := d.table(p, v)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, p := m[k], p.with(k)
		switch k {
		case "certs_dir":
			d.string(p, v, &t.CertsDir)
		case "ca":
			d.string(p, v, &t.CA)
		case "cert":
			d.string(p, v, &t.Cert)
		case "key":
			d.string(p, v, &t.Key)
		case "ca_pem":
			d.string(p, v, &t.CAPEM)
		case "cert_pem":
			d.string(p, v, &t.CertPEM)
		case "key_pem":
			d.string(p, v, &t.KeyPEM)
		case "verify_node":
			d.bool(p, v, &t.VerifyNode)
		case "enabled":
			d.bool(p, v, &t.Enabled)
		default:
			d.unknown(p, tlsKeys)
		}
	}
}

// topics decodes [topics].
func (d *decoder) topics(p path, v any) {
	m := d.table(p, v)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, p := m[k], p.with(k)
		switch k {
		case "join":
			d.strings(p, v, &d.c.Topics.Join)
		case "publish":
			d.strings(p, v, &d.c.Topics.Publish)
		default:
			d.unknown(p, topicKeys)
		}
	}
}

// private decodes [private], [private.subscribe] and [private.publish].
func (d *decoder) private(p path, v any) {
	pr := &d.c.Private
	m := d.table(p, v)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, p := m[k], p.with(k)
		switch k {
		case "subscribe":
			topics := d.table(p, v)
			for _, topic := range slices.Sorted(maps.Keys(topics)) {
				var s string
				if d.string(p.with(topic), topics[topic], &s) {
					if pr.Subscribe == nil {
						pr.Subscribe = make(map[string]string, len(topics))
					}
					pr.Subscribe[topic] = s
				}
			}
		case "publish":
			topics := d.table(p, v)
			for _, topic := range slices.Sorted(maps.Keys(topics)) {
				var files []string
				d.strings(p.with(topic), topics[topic], &files)
				if files != nil {
					if pr.Publish == nil {
						pr.Publish = make(map[string][]string, len(topics))
					}
					pr.Publish[topic] = files
				}
			}
		default:
			d.unknown(p, privateKeys)
		}
	}
}

// reply decodes [reply] and [reply.topics].
func (d *decoder) reply(p path, v any) {
	r := &d.c.Reply
	m := d.table(p, v)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, p := m[k], p.with(k)
		switch k {
		case "default":
			d.string(p, v, &r.Default)
		case "topics":
			topics := d.table(p, v)
			if topics == nil {
				continue
			}
			for _, topic := range slices.Sorted(maps.Keys(topics)) {
				var s string
				if d.string(p.with(topic), topics[topic], &s) {
					if r.Topics == nil {
						r.Topics = make(map[string]string, len(topics))
					}
					r.Topics[topic] = s
				}
			}
		case "match":
			d.replyMatch(p, v)
		case "exec":
			d.replyExec(p, v)
		default:
			d.unknown(p, replyKeys)
		}
	}
}

// local decodes [local].
func (d *decoder) local(p path, v any) {
	m := d.table(p, v)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, p := m[k], p.with(k)
		switch k {
		case "like":
			d.string(p, v, &d.c.Local.Like)
		default:
			d.unknown(p, localKeys)
		}
	}
}

// ui decodes [ui].
func (d *decoder) ui(p path, v any) {
	u := &d.c.UI
	m := d.table(p, v)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, p := m[k], p.with(k)
		switch k {
		case "scrollback":
			d.int(p, v, &u.Scrollback)
		case "scrollback_bytes":
			d.size(p, v, &u.ScrollbackBytes)
		case "scrollback_total":
			d.size(p, v, &u.ScrollbackTotal)
		case "input_history":
			d.int(p, v, &u.InputHistory)
		case "timestamp_format":
			d.string(p, v, &u.TimestampFormat)
		case "layout":
			d.string(p, v, &u.Layout)
		case "theme":
			d.string(p, v, &u.Theme)
		case "persist_history":
			d.bool(p, v, &u.PersistHistory)
		case "mouse":
			d.bool(p, v, &u.Mouse)
		default:
			d.unknown(p, uiKeys)
		}
	}
	if _, set := m["scrollback_total"]; !set && u.ScrollbackTotal < u.ScrollbackBytes {
		// A pane's budget larger than the default total raises the total
		// with it: only a total the file sets is checked against it.
		u.ScrollbackTotal = u.ScrollbackBytes
	}
}

// unknown reports a key the schema does not have, suggesting a near one.
func (d *decoder) unknown(p path, known []string) {
	last := p[len(p)-1]
	best, bestDist := "", 3 // suggest only close matches
	for _, k := range known {
		if dist := editDistance(last, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		d.bad(p, "unknown key (did you mean %q?)", best)
		return
	}
	d.bad(p, "unknown key (known here: %s)", strings.Join(known, ", "))
}

// resolvePaths makes the file's relative paths relative to dir, the file's
// directory, and expands a leading "~/": a config file must mean the same
// files whatever directory amoptui is started from.
func (c *Config) resolvePaths(dir string) {
	for _, p := range []*string{&c.TLS.CertsDir, &c.TLS.CA, &c.TLS.Cert, &c.TLS.Key, &c.Transcript, &c.DebugLog} {
		*p = resolvePath(dir, *p)
	}
	for t, f := range c.Private.Subscribe {
		c.Private.Subscribe[t] = resolvePath(dir, f)
	}
	for _, files := range c.Private.Publish {
		for i, f := range files {
			files[i] = resolvePath(dir, f)
		}
	}
}

// resolvePath resolves one path of the file; see resolvePaths.
func resolvePath(dir, p string) string {
	switch {
	case p == "":
		return ""
	case p == "~" || strings.HasPrefix(p, "~/"):
		return userfile.ExpandHome(p)
	case filepath.IsAbs(p):
		return p
	}
	return filepath.Join(dir, p)
}
