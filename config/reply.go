package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/amoptui/amoptui/tmpl"
)

// ReplyMatch is one [[reply.match]] table: a unicast request on Topic
// (every topic when "") whose payload matches Regex is answered with the
// payload template Reply ({{.Data}} is the request, {{.Match 1}} a
// submatch; see package tmpl).
type ReplyMatch struct {
	Topic string // topic: "" = every topic
	Regex string // regex: Go (RE2) syntax
	Reply string // reply: a payload template
}

// ReplyExec is one [[reply.exec]] table: Command runs per unicast request
// on Topic (the default for every topic when ""), with the payload on
// stdin; its stdout is the reply.
type ReplyExec struct {
	Topic     string        // topic: "" = the default
	Command   string        // command: split into words, never through a shell…
	Shell     bool          // shell: …unless this is true (/bin/sh -c)
	Timeout   time.Duration // timeout: per run, default 3 s, at most 9 s
	MaxOutput int           // max_output: bytes, default 1 MiB
}

// Bounds of [[reply.exec]], as package responder enforces them (config
// does not import it: it would pull os/exec into every config reader).
const (
	// MaxExecTimeout stays under the guard's 10 s push deadline.
	MaxExecTimeout = 9 * time.Second
	// MaxExecOutput bounds max_output.
	MaxExecOutput = 8 << 20
)

var (
	matchKeys = []string{"topic", "regex", "reply"}
	execKeys  = []string{"topic", "command", "shell", "timeout", "max_output"}
)

// tables returns v as an array of tables, reporting anything else.
func (d *decoder) tables(p path, v any) []map[string]any {
	list, ok := v.([]any)
	if !ok {
		d.bad(p, "want an array of tables [[%s]], got %s", p, describe(v))
		return nil
	}
	out := make([]map[string]any, 0, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			d.bad(p.index(i), "want a table, got %s", describe(e))
			continue
		}
		out = append(out, m)
	}
	return out
}

// replyMatch decodes [[reply.match]].
func (d *decoder) replyMatch(p path, v any) {
	for i, m := range d.tables(p, v) {
		var r ReplyMatch
		pi := p.index(i)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			kp := pi.with(k)
			switch k {
			case "topic":
				d.string(kp, m[k], &r.Topic)
			case "regex":
				d.string(kp, m[k], &r.Regex)
			case "reply":
				d.string(kp, m[k], &r.Reply)
			default:
				d.unknown(kp, matchKeys)
			}
		}
		d.c.Reply.Match = append(d.c.Reply.Match, r)
	}
}

// replyExec decodes [[reply.exec]].
func (d *decoder) replyExec(p path, v any) {
	for i, m := range d.tables(p, v) {
		var r ReplyExec
		pi := p.index(i)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			kp := pi.with(k)
			switch k {
			case "topic":
				d.string(kp, m[k], &r.Topic)
			case "command":
				d.string(kp, m[k], &r.Command)
			case "shell":
				d.bool(kp, m[k], &r.Shell)
			case "timeout":
				d.duration(kp, m[k], &r.Timeout)
			case "max_output":
				d.int(kp, m[k], &r.MaxOutput)
			default:
				d.unknown(kp, execKeys)
			}
		}
		d.c.Reply.Exec = append(d.c.Reply.Exec, r)
	}
}

// validateReplies checks [[reply.match]] and [[reply.exec]]: topics, that
// regexps compile and templates parse, commands and their bounds. Whether
// a command exists is checked when it is loaded (the file system).
func (c Config) validateReplies(bad func(path, string, ...any)) {
	for i, r := range c.Reply.Match {
		p := path{"reply", "match"}.index(i)
		if r.Topic != "" {
			if msg := topicProblem(r.Topic); msg != "" {
				bad(p.with("topic"), "%s", msg)
			}
		}
		if r.Regex == "" {
			bad(p.with("regex"), "is missing: the regular expression a request must match")
		} else if _, err := regexp.Compile(r.Regex); err != nil {
			bad(p.with("regex"), "%v", err)
		}
		if _, err := tmpl.Parse(r.Reply, tmpl.Options{}); err != nil {
			bad(p.with("reply"), "%v", err)
		}
	}
	seen := map[string]int{}
	for i, r := range c.Reply.Exec {
		p := path{"reply", "exec"}.index(i)
		if r.Topic != "" {
			if msg := topicProblem(r.Topic); msg != "" {
				bad(p.with("topic"), "%s", msg)
			}
		}
		if j, dup := seen[r.Topic]; dup {
			what := "the default (no topic)"
			if r.Topic != "" {
				what = fmt.Sprintf("topic %q", r.Topic)
			}
			bad(p, "%s already has a command in reply.exec[%d]", what, j)
		} else {
			seen[r.Topic] = i
		}
		if strings.TrimSpace(r.Command) == "" {
			bad(p.with("command"), "is missing: the command to run per request")
		}
		if r.Timeout < 0 || r.Timeout > MaxExecTimeout {
			bad(p.with("timeout"), "must be between 0 (3s) and %s, got %s: the node waits 5s for a reply", MaxExecTimeout, r.Timeout)
		}
		if r.MaxOutput < 0 || r.MaxOutput > MaxExecOutput {
			bad(p.with("max_output"), "must be between 0 (1 MiB) and %d, got %d", MaxExecOutput, r.MaxOutput)
		}
	}
}
