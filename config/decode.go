package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

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

// table returns v as a table, or reports it and returns nil.
func (d *decoder) table(p path, v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		d.bad(p, "want a table [%s], got %s", p, describe(v))
	}
	return m
}

// string stores v in dst if it is a string.
func (d *decoder) string(p path, v any, dst *string) bool {
	s, ok := v.(string)
	if !ok {
		d.bad(p, "want a string, got %s", describe(v))
		return false
	}
	*dst = s
	return true
}

// bool stores v in dst if it is a boolean.
func (d *decoder) bool(p path, v any, dst *bool) {
	b, ok := v.(bool)
	if !ok {
		d.bad(p, "want true or false, got %s", describe(v))
		return
	}
	*dst = b
}

// int64 stores v in dst if it is an integer.
func (d *decoder) int64(p path, v any, dst *int64) {
	n, ok := v.(int64)
	if !ok {
		d.bad(p, "want an integer, got %s", describe(v))
		return
	}
	*dst = n
}

// int stores v in dst if it is an integer that fits an int32, which every
// int setting does by far; Validate checks the real range.
func (d *decoder) int(p path, v any, dst *int) {
	n, ok := v.(int64)
	if !ok {
		d.bad(p, "want an integer, got %s", describe(v))
		return
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		d.bad(p, "%d is out of range", n)
		return
	}
	*dst = int(n)
}

// duration stores v in dst if it is a Go duration string such as "10s".
func (d *decoder) duration(p path, v any, dst *time.Duration) {
	s, ok := v.(string)
	if !ok {
		d.bad(p, `want a duration string such as "10s" or "1m30s", got %s`, describe(v))
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.bad(p, `%q is not a duration (write e.g. "10s", "500ms", "1m30s")`, s)
		return
	}
	*dst = dur
}

// size stores a byte size, written as a string with a unit ("16MiB") or
// as a number of bytes.
func (d *decoder) size(p path, v any, dst *int64) {
	switch x := v.(type) {
	case int64:
		*dst = x
	case string:
		n, err := ParseSize(x)
		if err != nil {
			d.bad(p, "%v", err)
			return
		}
		*dst = n
	default:
		d.bad(p, `want a size such as "16MiB", got %s`, describe(v))
	}
}

// strings stores v in dst if it is an array of strings; each bad element is
// reported with its own line.
func (d *decoder) strings(p path, v any, dst *[]string) {
	list, ok := v.([]any)
	if !ok {
		d.bad(p, "want an array of strings, got %s", describe(v))
		return
	}
	out := make([]string, 0, len(list))
	good := true
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			d.bad(p.index(i), "want a string, got %s", describe(e))
			good = false
			continue
		}
		out = append(out, s)
	}
	if good {
		*dst = out
	}
}

// describe names a decoded TOML value's type, with the value when short.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 40 {
			return "a string"
		}
		return fmt.Sprintf("the string %q", v)
	case int64:
		return fmt.Sprintf("the integer %d", v)
	case float64:
		return fmt.Sprintf("the float %v", v)
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

// editDistance is the Levenshtein distance, for "did you mean" hints.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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
