package responder

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/tmpl"
)

// Rule answers requests whose payload matches Pattern with the template
// Reply, which sees the request as {{.Data}} and the submatches as
// {{.Match 1}}… (/reply match REGEX TEMPLATE).
type Rule struct {
	Pattern *regexp.Regexp
	Reply   *tmpl.Template
}

// ParseRule compiles a rule; errors name the part that is wrong.
func ParseRule(pattern, reply string, opts tmpl.Options) (Rule, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return Rule{}, fmt.Errorf("regexp %q: %w", pattern, err)
	}
	t, err := tmpl.Parse(reply, opts)
	if err != nil {
		return Rule{}, err
	}
	// {{.Match N}} past the regexp's groups would always be empty: say so
	// now rather than answer every request with a hole in it.
	groups := re.NumSubexp()
	for _, n := range t.MatchIndexes() {
		if n < 0 || n > groups {
			return Rule{}, fmt.Errorf("{{.Match %d}} names a group the regexp /%s/ does not have: %s", n, pattern, groupsText(groups))
		}
	}
	return Rule{Pattern: re, Reply: t}, nil
}

// groupsText says which {{.Match N}} a regexp with n groups has.
func groupsText(n int) string {
	switch n {
	case 0:
		return "it has no (…) group; {{.Match 0}} is the whole match"
	case 1:
		return "it has 1 (…) group, {{.Match 1}}; {{.Match 0}} is the whole match"
	}
	return "it has " + strconv.Itoa(n) + " (…) groups, {{.Match 1}} to {{.Match " + strconv.Itoa(n) + "}}; {{.Match 0}} is the whole match"
}

// String is "/REGEX/ → TEMPLATE".
func (r Rule) String() string {
	return "/" + r.Pattern.String() + "/ → " + strconv.Quote(r.Reply.Source())
}

// Chain answers with the first rule that matches, else with Exec when set,
// else with Fallback (off, echo or a fixed text). It is an amop.Responder.
type Chain struct {
	Rules    []Rule
	Exec     *Exec
	Fallback amop.ReplyPolicy
	n        atomic.Uint64
}

// Respond implements amop.Responder.
func (c *Chain) Respond(req amop.Request) ([]byte, error) {
	n := c.n.Add(1)
	for _, r := range c.Rules {
		m := r.Pattern.FindSubmatch(req.Data)
		if m == nil {
			continue
		}
		d := tmpl.Data{Seq: int(n), Topic: req.Topic, Mode: amop.Unicast.String(), Data: string(req.Data)}
		for _, s := range m {
			d.Matches = append(d.Matches, string(s))
		}
		return r.Reply.Render(d)
	}
	if c.Exec != nil {
		return c.Exec.Respond(req)
	}
	if c.Fallback.Mode == amop.ReplyFunc && c.Fallback.Responder == c {
		return nil, nil // a chain that falls back on itself answers nothing
	}
	return c.Fallback.Answer(req)
}

// String describes the chain for the status line:
// "2 rules, else exec ./svc.sh".
func (c *Chain) String() string {
	var parts []string
	switch len(c.Rules) {
	case 0:
	case 1:
		parts = append(parts, "match "+c.Rules[0].String())
	default:
		parts = append(parts, strconv.Itoa(len(c.Rules))+" match rules")
	}
	switch {
	case c.Exec != nil:
		parts = append(parts, c.Exec.String())
	case len(parts) == 0 || c.Fallback.Mode != amop.ReplyOff:
		parts = append(parts, c.Fallback.String())
	}
	return strings.Join(parts, ", else ")
}

// Summary is the chain in a few words, for a status line that must leave
// room for the counters: "match (1 rule)", "match (2 rules), else exec
// ./svc.sh"; String and /reply match have the rules themselves.
func (c *Chain) Summary() string {
	var parts []string
	switch len(c.Rules) {
	case 0:
	case 1:
		parts = append(parts, "match (1 rule)")
	default:
		parts = append(parts, "match ("+strconv.Itoa(len(c.Rules))+" rules)")
	}
	switch {
	case c.Exec != nil:
		parts = append(parts, c.Exec.String())
	case len(parts) == 0 || c.Fallback.Mode != amop.ReplyOff:
		parts = append(parts, c.Fallback.String())
	}
	return strings.Join(parts, ", else ")
}

// Policy is the chain as an auto-reply policy; a chain with nothing but a
// fallback is the fallback itself.
func (c *Chain) Policy() amop.ReplyPolicy {
	if len(c.Rules) == 0 && c.Exec == nil {
		return c.Fallback
	}
	return amop.ReplyPolicy{Mode: amop.ReplyFunc, Responder: c}
}
