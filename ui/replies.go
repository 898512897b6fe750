package ui

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/responder"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/tmpl"
	"github.com/amoptui/amoptui/transcript"
	"github.com/amoptui/amoptui/ui/statusbar"
)

// ReplyConfig is how unicast requests are answered beyond the default
// policy (Options.AutoReply): per topic, from the configuration's [reply]
// tables, and changed at run time with /reply.
type ReplyConfig struct {
	// Topics are per-topic policies ([reply.topics]); they win over the
	// default policy and the default exec.
	Topics map[string]amop.ReplyPolicy
	// Rules answer requests that match; the topic "" holds rules for every
	// topic, tried after a topic's own ([[reply.match]], /reply match).
	Rules map[string][]responder.Rule
	// Exec runs a command per request; the topic "" is the default
	// ([[reply.exec]], /reply exec).
	Exec map[string]*responder.Exec
}

// replyState is the model's side of ReplyConfig.
type replyState struct {
	topics map[string]amop.ReplyPolicy
	rules  map[string][]responder.Rule
	exec   map[string]*responder.Exec
	// installed are the topics given a policy of their own on the client:
	// they are set again on every change (the client has no way to unset
	// a topic's policy, so one whose rules were removed gets the default).
	installed map[string]bool
}

func newReplyState(c ReplyConfig) replyState {
	return replyState{
		topics: maps.Clone(c.Topics),
		rules:  maps.Clone(c.Rules),
		exec:   maps.Clone(c.Exec),

		installed: map[string]bool{},
	}
}

// empty reports whether nothing beyond the default policy is configured.
func (r replyState) empty() bool {
	return len(r.topics) == 0 && len(r.rules) == 0 && len(r.exec) == 0
}

// effective is the policy in force for topic t ("" = the default for the
// topics without one of their own), given the default policy def: the
// matching rules, then the exec, then the topic's policy or def.
func (r replyState) effective(t string, def amop.ReplyPolicy) amop.ReplyPolicy {
	base, own := r.topics[t]
	if !own {
		base = def
	}
	rules := append(slices.Clone(r.rules[t]), r.rules[""]...)
	if t == "" {
		rules = r.rules[""]
	}
	ex, ok := r.exec[t]
	if !ok && !own {
		ex = r.exec[""]
	}
	c := &responder.Chain{Rules: rules, Exec: ex, Fallback: base}
	return c.Policy()
}

// all is the policy of every topic that has something of its own, and of
// "" (the default).
func (r replyState) all(def amop.ReplyPolicy) map[string]amop.ReplyPolicy {
	out := map[string]amop.ReplyPolicy{"": r.effective("", def)}
	for _, m := range []map[string]bool{keys(r.topics), keys(r.rules), keys(r.exec), r.installed} {
		for t := range m {
			if t != "" {
				r.installed[t] = true
				out[t] = r.effective(t, def)
			}
		}
	}
	return out
}

func keys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// applyRepliesCmd installs every policy on the client and reports the
// default one.
func applyRepliesCmd(c amop.Client, policies map[string]amop.ReplyPolicy) tea.Cmd {
	return func() tea.Msg {
		for t, p := range policies {
			c.SetAutoReply(t, p)
		}
		return replySetMsg{policy: policies[""]}
	}
}

// applyReplies is applyRepliesCmd for the model's current state.
func (m *Model) applyReplies() tea.Cmd {
	return applyRepliesCmd(m.client, m.replies.all(m.policy))
}

// execReadyMsg is a command checked for /reply exec (resolving it looks at
// the file system, so it runs in a Cmd).
type execReadyMsg struct {
	exec *responder.Exec
	warn string
	err  error
}

func newExecCmd(command string, shell bool) tea.Cmd {
	return func() tea.Msg {
		x, warn, err := responder.NewExec(responder.ExecOptions{Command: command, Shell: shell})
		return execReadyMsg{exec: x, warn: warn, err: err}
	}
}

// updateExecReady makes a checked command the default responder.
func (m Model) updateExecReady(msg execReadyMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		return m, m.setNotice("/reply exec: "+sanitize.String(msg.err.Error()), true)
	}
	if m.replies.exec == nil {
		m.replies.exec = map[string]*responder.Exec{}
	}
	m.replies.exec[""] = msg.exec
	text, isErr := "auto-reply: "+sanitize.String(msg.exec.String()), false
	if msg.warn != "" {
		text, isErr = text+" · "+sanitize.String(msg.warn), true
	}
	return m, tea.Batch(m.applyReplies(), m.setNotice(text, isErr))
}

// replyUsage is the /reply help line.
const replyUsage = "usage: /reply off|echo|TEXT · /reply exec CMD · /reply exec-shell CMD · /reply match REGEX TEMPLATE · /reply match · /reply nomatch"

// cmdReply handles /reply and its forms.
func (m *Model) cmdReply(arg string) tea.Cmd {
	word, rest, _ := strings.Cut(strings.TrimSpace(arg), " ")
	rest = strings.TrimSpace(rest)
	topic := m.list.Selected()
	switch strings.ToLower(word) {
	case "":
		return m.setNotice("auto-reply: "+sanitize.String(statusbar.PolicyText(m.replies.effective(topic, m.policy)))+" · "+replyUsage, false)
	case "exec", "exec-shell":
		if rest == "" {
			return m.setNotice("usage: /reply "+word+" CMD (the payload on stdin, the reply from stdout)", true)
		}
		return newExecCmd(rest, strings.EqualFold(word, "exec-shell"))
	case "match":
		if topic == "" {
			return m.setNotice("join a topic first: /join TOPIC", true)
		}
		if rest == "" {
			return m.listRules(topic)
		}
		pattern, reply, problem := matchArgs(rest)
		if problem != "" {
			return m.setNotice(problem, true)
		}
		r, err := responder.ParseRule(pattern, reply, tmpl.Options{})
		if err != nil {
			return m.setNotice("/reply match: "+sanitize.String(err.Error()), true)
		}
		if m.replies.rules == nil {
			m.replies.rules = map[string][]responder.Rule{}
		}
		m.replies.rules[topic] = append(slices.Clone(m.replies.rules[topic]), r)
		n := len(m.replies.rules[topic])
		m.record(note(transcript.KindState, topic, "auto-reply rule "+strconv.Itoa(n)+": "+r.String()))
		return tea.Batch(m.applyReplies(), m.setNotice("rule "+strconv.Itoa(n)+" on "+sanitize.String(topic)+": "+sanitize.String(r.String()), false))
	case "nomatch", "unmatch":
		if len(m.replies.rules[topic]) == 0 {
			return m.setNotice("no rules on "+sanitize.String(topic), false)
		}
		delete(m.replies.rules, topic)
		return tea.Batch(m.applyReplies(), m.setNotice("rules of "+sanitize.String(topic)+" removed", false))
	}
	p := amop.ParseReplyPolicy(arg)
	m.policy = p
	delete(m.replies.exec, "")
	return tea.Batch(m.applyReplies(), m.setNotice("auto-reply: "+sanitize.String(statusbar.PolicyText(p)), false))
}

// listRules shows topic's rules in its pane.
func (m *Model) listRules(topic string) tea.Cmd {
	p := m.panes[topic]
	rules := m.replies.rules[topic]
	if len(rules) == 0 {
		return m.setNotice("no rules on "+sanitize.String(topic)+" · /reply match REGEX TEMPLATE adds one", false)
	}
	now := m.opts.Now()
	for i, r := range rules {
		p.AddNote(now, "rule "+strconv.Itoa(i+1)+": "+sanitize.String(r.String()), false)
	}
	return m.setNotice(strconv.Itoa(len(rules))+" rules on "+sanitize.String(topic)+", then "+sanitize.String(m.replies.effective("", m.policy).String()), false)
}

// matchExample is how a REGEX and a TEMPLATE with spaces are written.
const matchExample = `/reply match '^ping (\d+)$' 'pong {{.Match 1}}'`

// matchArgs splits the arguments of /reply match like shell words: exactly
// a REGEX and a TEMPLATE. Anything else is refused with how to quote, never
// guessed: an unquoted regex with a space would silently become another
// rule, and an unquoted \d would lose its backslash.
func matchArgs(s string) (pattern, reply, problem string) {
	w, err := splitArgs(s)
	switch {
	case err != nil:
		return "", "", "/reply match: " + err.Error() + " · e.g. " + matchExample
	case len(w) == 1:
		return "", "", "/reply match needs a REGEX and a TEMPLATE · e.g. " + matchExample
	case len(w) > 2:
		return "", "", "/reply match takes 2 arguments, REGEX and TEMPLATE, not " + strconv.Itoa(len(w)) +
			": quote each one that has spaces · e.g. " + matchExample
	case lostEscapes(s, w):
		return "", "", `/reply match: a \ outside quotes escapes the next character, as in a shell (\d would be d): put the REGEX in single quotes · e.g. ` + matchExample
	}
	return w[0], w[1], ""
}
