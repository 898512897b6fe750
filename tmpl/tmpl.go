// Package tmpl renders payload templates: the text typed in the TUI, the
// MESSAGE of `amoptui pub` and the replies of `/reply match` rules, in Go's
// text/template syntax with a few functions made for test traffic.
//
//	{{.Seq}}                 the message's number (1, 2, … per topic or per pub run)
//	{{.Topic}} {{.Mode}}     where it goes: the topic, "unicast" or "multicast"
//	{{.Now}}                 the time, RFC 3339 with milliseconds
//	{{.Now.Format "15:04"}}  the time in any Go layout (.Now.UnixMilli, .Now.Unix…)
//	{{.UUID}} {{uuid}}       a fresh random (version 4) UUID
//	{{random 64}}            64 random hex characters; {{random 64 "base64"}}
//	{{file "x.json"}}        a file's content (bounded; relative to Options.BaseDir)
//	{{json .Data}}           a string as a JSON string literal
//	{{.Data}} {{.Match 1}}   responders only: the request, a regexp submatch
//
// A text without "{{" is not a template: it is sent exactly as typed, so a
// user who never writes templates meets no surprise. To send "{{" itself
// inside a template, write {{"{{"}} (Go's own escape); the TUI's /raw and
// pub's --raw send a text with no template processing at all.
package tmpl

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/google/uuid"

	"github.com/amoptui/amoptui/userfile"
)

// Limits of a rendering. Templates come from the user, never from the
// network, but a typo such as {{random 99999999999}} must give an error,
// not exhaust the memory.
const (
	// DefaultMaxOutput is the largest payload a template may produce: the
	// adapter's own payload limit.
	DefaultMaxOutput = 8 << 20
	// DefaultMaxFile is the largest file {{file}} reads.
	DefaultMaxFile = 8 << 20
)

// Options configure parsing and rendering.
type Options struct {
	// BaseDir is where relative {{file}} paths start: the working
	// directory for what is typed, the configuration file's directory for
	// what it holds. "" is the working directory.
	BaseDir string
	// MaxOutput and MaxFile override DefaultMaxOutput and DefaultMaxFile.
	MaxOutput int
	MaxFile   int64
	// Now is the clock of {{.Now}} when Data.Now is zero (time.Now).
	Now func() time.Time
	// Rand is the source of {{random}} (crypto/rand).
	Rand io.Reader
}

// Data is what a template sees as ".".
type Data struct {
	Seq   int    // the message number, from 1
	Topic string // the topic it is sent to (or came on, for a responder)
	Mode  string // "unicast" or "multicast"
	Now   Time   // when it is rendered; zero: Options.Now
	// Data is the request a responder answers ("" when sending).
	Data string
	// Matches are the submatches of a /reply match rule's regexp; Matches[0]
	// is the whole match.
	Matches []string
}

// UUID is a fresh random UUID each time a template calls it.
func (Data) UUID() string { return uuid.NewString() }

// Match is submatch i of the rule's regexp, "" when there is none.
func (d Data) Match(i int) string {
	if i < 0 || i >= len(d.Matches) {
		return ""
	}
	return d.Matches[i]
}

// Time is a time.Time that prints as RFC 3339 with milliseconds (Go's own
// String adds the monotonic clock reading, which means nothing in a
// payload). Its methods are time.Time's: .Now.Format, .Now.UnixMilli…
type Time struct{ time.Time }

// String is the time in RFC 3339 with milliseconds.
func (t Time) String() string { return t.Format("2006-01-02T15:04:05.000Z07:00") }

// IsTemplate reports whether s is a template: it contains "{{".
func IsTemplate(s string) bool { return strings.Contains(s, "{{") }

// Template is a parsed payload template, or a plain text (IsTemplate
// false) that renders as itself. It is safe for concurrent use.
type Template struct {
	src  string
	t    *template.Template // nil for plain text
	opts Options

	mu    sync.Mutex
	files map[string][]byte // {{file}} contents, read once per Template
}

// Error is a template that does not parse or cannot be rendered. Its text
// is short enough for a status line and says how to send braces literally.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// Hint is what Error messages end with.
const Hint = `(a payload with "{{" is a template; write {{"{{"}} for literal braces, or send it raw)`

// Parse parses src. A src without "{{" gives a Template that renders src
// unchanged.
func Parse(src string, opts Options) (*Template, error) {
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = DefaultMaxOutput
	}
	if opts.MaxFile <= 0 {
		opts.MaxFile = DefaultMaxFile
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	t := &Template{src: src, opts: opts}
	if !IsTemplate(src) {
		return t, nil
	}
	// missingkey=error: {{.Sequence}} is a typo to report, not "<no value>".
	pt, err := template.New("payload").Option("missingkey=error").Funcs(t.funcs()).Parse(src)
	if err != nil {
		return nil, &Error{Msg: "template: " + clean(err) + " " + Hint}
	}
	t.t = pt
	return t, nil
}

// IsTemplate reports whether t is a template rather than plain text.
func (t *Template) IsTemplate() bool { return t.t != nil }

// Source is the text t was parsed from.
func (t *Template) Source() string { return t.src }

// Render produces the payload for d. Plain text comes back unchanged.
func (t *Template) Render(d Data) ([]byte, error) {
	if t.t == nil {
		return []byte(t.src), nil
	}
	if d.Now.IsZero() {
		d.Now = Time{t.opts.Now()}
	}
	w := &limitWriter{max: t.opts.MaxOutput}
	if err := t.t.Execute(w, d); err != nil {
		if errors.Is(err, errTooLong) {
			return nil, &Error{Msg: fmt.Sprintf("template: the payload would exceed %d bytes", t.opts.MaxOutput)}
		}
		return nil, &Error{Msg: "template: " + clean(err)}
	}
	return w.buf, nil
}

// funcs are the template functions; file and random depend on t's options.
func (t *Template) funcs() template.FuncMap {
	return template.FuncMap{
		"uuid":   uuid.NewString,
		"random": t.random,
		"file":   t.file,
		"json": func(s string) (string, error) {
			b, err := json.Marshal(s)
			return string(b), err
		},
	}
}

// random returns n random characters: hex by default, or "base64"
// (standard alphabet, no padding) or "hex" as the optional encoding.
func (t *Template) random(n int, enc ...string) (string, error) {
	if n < 0 || n > t.opts.MaxOutput {
		return "", fmt.Errorf("random %d: want 0 to %d characters", n, t.opts.MaxOutput)
	}
	e := "hex"
	if len(enc) > 1 {
		return "", errors.New(`random takes a length and at most one encoding, "hex" or "base64"`)
	}
	if len(enc) == 1 {
		e = enc[0]
	}
	switch e {
	case "hex":
		b := make([]byte, (n+1)/2)
		if _, err := io.ReadFull(t.opts.Rand, b); err != nil {
			return "", err
		}
		return hex.EncodeToString(b)[:n], nil
	case "base64":
		b := make([]byte, (n*3+3)/4)
		if _, err := io.ReadFull(t.opts.Rand, b); err != nil {
			return "", err
		}
		return base64.RawStdEncoding.EncodeToString(b)[:n], nil
	}
	return "", fmt.Errorf("random: unknown encoding %q: want \"hex\" or \"base64\"", e)
}

// file returns the content of path, read once per Template and at most
// MaxFile bytes.
func (t *Template) file(path string) (string, error) {
	if path == "" {
		return "", errors.New("file: empty path")
	}
	if !filepath.IsAbs(path) && t.opts.BaseDir != "" {
		path = filepath.Join(t.opts.BaseDir, path)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if b, ok := t.files[path]; ok {
		return string(b), nil
	}
	b, err := userfile.Read(path, userfile.Limit{Max: t.opts.MaxFile, What: "a template's {{file}}"})
	if err != nil {
		return "", fmt.Errorf("file: %w", unwrapPath(err))
	}
	if t.files == nil {
		t.files = make(map[string][]byte)
	}
	t.files[path] = b
	return string(b), nil
}

// unwrapPath keeps "open x.json: no such file or directory" short.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

var errTooLong = errors.New("tmpl: output limit")

// limitWriter collects at most max bytes and fails the execution beyond,
// which stops text/template at once.
type limitWriter struct {
	buf []byte
	max int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(w.buf)+len(p) > w.max {
		return 0, errTooLong
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// MatchIndexes are the numbers N of every {{.Match N}} written with a
// literal N, in the order they appear, so that a /reply match rule can
// check them against its regexp's groups when it is made: beyond them,
// .Match is an empty string, a silent mistake.
func (t *Template) MatchIndexes() []int {
	if t.t == nil {
		return nil
	}
	var out []int
	for _, tt := range t.t.Templates() {
		if tt.Tree != nil {
			matchIndexes(tt.Tree.Root, &out)
		}
	}
	return out
}

// matchIndexes walks a parse tree for .Match calls (as a field of ".", or
// of "$") with a number argument.
func matchIndexes(n parse.Node, out *[]int) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				matchIndexes(c, out)
			}
		}
	case *parse.ActionNode:
		matchIndexes(n.Pipe, out)
	case *parse.IfNode:
		matchBranch(&n.BranchNode, out)
	case *parse.RangeNode:
		matchBranch(&n.BranchNode, out)
	case *parse.WithNode:
		matchBranch(&n.BranchNode, out)
	case *parse.TemplateNode:
		matchIndexes(n.Pipe, out)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			matchIndexes(c, out)
		}
	case *parse.CommandNode:
		if len(n.Args) == 2 && isMatch(n.Args[0]) {
			if num, ok := n.Args[1].(*parse.NumberNode); ok && num.IsInt {
				*out = append(*out, int(num.Int64))
			}
		}
		for _, a := range n.Args {
			matchIndexes(a, out)
		}
	}
}

func matchBranch(b *parse.BranchNode, out *[]int) {
	matchIndexes(b.Pipe, out)
	matchIndexes(b.List, out)
	matchIndexes(b.ElseList, out)
}

// isMatch reports whether n is .Match or $.Match.
func isMatch(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.FieldNode:
		return len(n.Ident) == 1 && n.Ident[0] == "Match"
	case *parse.VariableNode:
		return len(n.Ident) == 2 && n.Ident[0] == "$" && n.Ident[1] == "Match"
	}
	return false
}
