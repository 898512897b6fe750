package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration, located as precisely as
// its origin allows: file and line for a value from the file, the flag for
// a value from the command line, just the key for a default.
type Problem struct {
	File string // the configuration file, "" when not from a file
	Line int    // 1-based line in File, 0 when unknown
	Col  int    // 1-based column, 0 when unknown
	Flag string // the flag that set the value, e.g. "--node"
	Key  string // the TOML key, e.g. "ui.layout", "nodes[1]"
	Msg  string // what is wrong, in plain words
}

// Error formats the problem as FILE:LINE: KEY: MESSAGE, or with the flag in
// place of the file and line.
func (p *Problem) Error() string {
	var b strings.Builder
	switch {
	case p.Flag != "":
		fmt.Fprintf(&b, "flag %s: ", p.Flag)
	case p.File != "" && p.Line > 0 && p.Col > 0:
		fmt.Fprintf(&b, "%s:%d:%d: ", p.File, p.Line, p.Col)
	case p.File != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	case p.File != "":
		fmt.Fprintf(&b, "%s: ", p.File)
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one pass, in file order. Parse, Load
// and Validate return it as their error; errors.As reaches it, and
// errors.Is/As also reach each *Problem through Unwrap.
type Problems []*Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems as errors.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

// err returns ps sorted as an error, or nil when there are none.
func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	slices.SortStableFunc(ps, func(a, b *Problem) int {
		return cmp.Or(
			cmp.Compare(a.Flag, b.Flag),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Key, b.Key),
		)
	})
	return ps
}

// position is where a key was set in the file.
type position struct{ line, col int }

// path is a key path: table names, key names and list indices. An index is
// stored as "\x00#3", which no real key of ours can be.
type path []string

// with returns p extended by parts, never sharing p's array.
func (p path) with(parts ...string) path {
	return append(p[:len(p):len(p)], parts...)
}

// index returns p extended by a list index.
func (p path) index(i int) path { return p.with(indexMark + strconv.Itoa(i)) }

// indexMark starts a list index in a path.
const indexMark = "\x00#"

// id is the lookup key of p in the position map.
func (p path) id() string { return strings.Join(p, "\x00") }

// String shows p as a TOML key: ui.layout, nodes[1], reply.topics."a b".
func (p path) String() string {
	var b strings.Builder
	for i, part := range p {
		switch {
		case strings.HasPrefix(part, indexMark):
			b.WriteString("[" + part[len(indexMark):] + "]")
			continue
		case i > 0:
			b.WriteByte('.')
		}
		if bareKey(part) {
			b.WriteString(part)
		} else {
			b.WriteString(strconv.Quote(part))
		}
	}
	return b.String()
}

// bareKey reports whether s can be written as a TOML bare key.
func bareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// problem builds a Problem for the value at p, located by the file
// positions and the flags recorded in c. The flag of a key also covers its
// elements (a flag for "nodes" locates "nodes[1]").
func (c *Config) problem(p path, format string, args ...any) *Problem {
	pr := &Problem{Key: p.String(), Msg: fmt.Sprintf(format, args...)}
	for n := len(p); n > 0; n-- {
		if f, ok := c.flags[p[:n].String()]; ok {
			pr.Flag = f
			return pr
		}
	}
	// The closest enclosing key that the file set: an element's own line,
	// else its list's, else its table's. A value the file never mentions
	// is a default, or was set by the program: no file to blame.
	for n := len(p); n > 0; n-- {
		if pos, ok := c.pos[p[:n].id()]; ok {
			pr.File, pr.Line, pr.Col = c.File, pos.line, pos.col
			return pr
		}
	}
	return pr
}
