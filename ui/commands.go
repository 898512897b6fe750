package ui

import (
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/transcript"
)

// commandHelp lists the /commands for the help overlay, in the order a new
// user needs them.
var commandHelp = [][2]string{
	{"/join TOPIC…", "listen to topics (and send), a pane each · ←"},
	{"/publish TOPIC…", "send to topics without listening · → (both: ⇄)"},
	{"/join-private T KEYFILE", "join private T · ◆ … waiting ? challenged ↓ receiving ✓ verified"},
	{"/publish-private T PUB…", "publish private T for these public keys · ✓ accepted ✗ rejected"},
	{"/leave [TOPIC]", "leave a topic (default: the active one)"},
	{"/mode [unicast|multicast]", "set the send mode (no argument: toggle)"},
	{"/reply off|echo|TEXT", "auto-reply to unicast requests (every topic)"},
	{"/reply exec CMD", "answer with CMD's stdout (payload on stdin; exec-shell: via sh -c)"},
	{"/reply match REGEX TPL", "this topic: requests matching REGEX get TPL ({{.Match 1}}…); quote words with spaces: '^ping (\\d+)$' 'pong {{.Match 1}}'"},
	{"/reply match · nomatch", "list · remove this topic's rules"},
	{"/raw TEXT", "send TEXT exactly as typed (no {{template}})"},
	{"/find TEXT", "search every pane as /filter matches; n/N (pane) or /find: next hit"},
	{"/stats", "round-trip histogram, rates, failures by kind"},
	{"/network", "the embedded network's nodes, subscribers and routing decisions"},
	{"/filter [TEXT]", "show only lines showing TEXT, ignoring case: payload, reply, outcome, time, ←/→, uni/multi (none: all)"},
	{"/save FILE", "write the pane as JSON lines to a new file (/save! FILE replaces a file)"},
	{"/clear", "empty the active pane"},
	{"/undo", "bring back the input esc cleared (also ctrl+z)"},
	{"/help", "this help"},
	{"/quit", "leave amoptui"},
	{"//text", "send a message that starts with /"},
}

// runCommand executes one /command line. Errors go to the footer; nothing
// here blocks: calls into the client are Cmds.
func (m Model) runCommand(line string) (tea.Model, tea.Cmd) {
	name, arg, _ := strings.Cut(strings.TrimPrefix(line, "/"), " ")
	name = strings.ToLower(name)
	if m.noticeErr {
		// A new command: the error of the last one is history (it stays in
		// the pane where it was noted); this one says its own.
		m.notice, m.noticeErr = "", false
		m.relayout()
	}
	// Names (topics, files) split like shell words (args.go).
	words := func(usage string, min, max int) ([]string, tea.Cmd) {
		w, err := splitArgs(arg)
		if err != nil || len(w) < min || (max > 0 && len(w) > max) {
			return nil, m.setNotice(argsProblem(usage, err), true)
		}
		return w, nil
	}
	switch name {
	case "join", "j":
		w, bad := words("usage: /join TOPIC…", 0, 0)
		if bad != nil {
			return m, bad
		}
		return m, m.cmdJoin(w)
	case "publish", "pub", "p":
		w, bad := words("usage: /publish TOPIC… (send without joining)", 0, 0)
		if bad != nil {
			return m, bad
		}
		return m, m.cmdPublish(w)
	case "join-private", "jp":
		w, bad := words("usage: /join-private TOPIC KEYFILE", 2, 2)
		if bad != nil {
			return m, bad
		}
		return m, m.cmdJoinPrivate(w[0], fileWords(arg, w, 1)[0])
	case "publish-private", "pp":
		w, bad := words("usage: /publish-private TOPIC PUBKEYFILE…", 2, 0)
		if bad != nil {
			return m, bad
		}
		return m, m.cmdPublishPrivate(w[0], fileWords(arg, w, 1))
	case "leave", "part", "l":
		w, bad := words("usage: /leave [TOPIC]", 0, 1)
		if bad != nil {
			return m, bad
		}
		return m, m.cmdLeave(strings.Join(w, ""))
	case "mode", "m":
		return m, m.cmdMode(strings.TrimSpace(arg))
	case "reply", "r":
		return m, m.cmdReply(arg)
	case "raw":
		if p := m.panes[m.list.Selected()]; p == nil {
			return m, m.setNotice("join a topic first: /join TOPIC", true)
		}
		if arg == "" {
			// Enter on an empty line sends nothing; /raw alone must not
			// send an empty message either.
			return m, m.setNotice("usage: /raw TEXT · sends TEXT exactly as typed, no {{template}}", true)
		}
		return m, m.send([]byte(arg))
	case "find", "search":
		return m, m.cmdFind(arg)
	case "stats":
		return m, m.openStats()
	case "network", "net":
		return m, m.cmdNetwork()
	case "filter", "f":
		return m, m.cmdFilter(arg)
	case "save", "w", "save!", "w!":
		w, bad := words("usage: /save FILE (/save! FILE replaces a file)", 0, 1)
		if bad != nil {
			return m, bad
		}
		return m, m.cmdSave(strings.Join(fileWords(arg, w, 0), ""), strings.HasSuffix(name, "!"))
	case "clear", "c":
		return m, m.cmdClear()
	case "undo", "u":
		return m, m.undoWipe()
	case "help", "h", "?":
		m.showHelp, m.helpTop = true, 0
		return m, nil
	case "quit", "q", "exit":
		return m.quit()
	}
	return m, m.setNotice(fmt.Sprintf("unknown command /%s · /help lists them", sanitize.String(name)), true)
}

// cmdClear empties the active pane and says so.
func (m *Model) cmdClear() tea.Cmd {
	topic := m.list.Selected()
	p := m.panes[topic]
	if p == nil {
		return m.setNotice("join a topic first: /join TOPIC", true)
	}
	n := p.Len()
	p.Clear()
	return m.setNotice("cleared "+plural(n, "line", "lines")+" of "+sanitize.String(topic), false)
}

func (m *Model) cmdJoin(topics []string) tea.Cmd {
	if len(topics) == 0 {
		return m.setNotice("usage: /join TOPIC…", true)
	}
	var cmds []tea.Cmd
	var joins []string
	first := ""
	for _, t := range topics {
		if err := amop.ValidateTopic(t); err != nil {
			cmds = append(cmds, m.setNotice(problemText(err), true))
			continue
		}
		if m.private[t] != nil {
			cmds = append(cmds, m.setNotice(sanitize.String(t)+" is a private topic here: /leave it first", true))
			continue
		}
		if !m.addTopic(t) {
			if first == "" {
				first = t
			}
			switch {
			case m.unjoined[t]:
				m.panes[t].AddNote(m.opts.Now(), "joining "+sanitize.String(t)+" again…", false)
				m.setRole(t, func(r *topicRole) { r.listen = true })
				joins = append(joins, t)
			case !m.listening(t):
				m.panes[t].AddNote(m.opts.Now(), "joining "+sanitize.String(t)+": this pane listens too now…", false)
				m.setRole(t, func(r *topicRole) { r.listen = true })
				joins = append(joins, t)
			}
			continue
		}
		m.setRole(t, func(r *topicRole) { r.listen = true })
		if first == "" {
			first = t
		}
		m.panes[t].AddNote(m.opts.Now(), "joining "+sanitize.String(t)+"…", false)
		joins = append(joins, t)
	}
	cmds = append(cmds, joinCmd(m.client, joins...))
	if first != "" {
		m.list.Select(m.list.Index(first))
		m.activate()
	}
	return tea.Batch(cmds...)
}

func (m *Model) cmdLeave(t string) tea.Cmd {
	if t == "" {
		t = m.list.Selected()
	}
	if t == "" || m.panes[t] == nil {
		return m.setNotice("not joined: "+sanitize.String(t), true)
	}
	if m.private[t] != nil {
		m.removeTopic(t)
		return tea.Batch(leavePrivateCmd(m.client, t), m.setNotice("left "+sanitize.String(t), false))
	}
	r := m.roles[t]
	switch {
	case r != nil && r.listen && r.send:
		// Leaving changes the role, not the pane: it keeps sending.
		m.setRole(t, func(r *topicRole) { r.listen, r.syncUntil = false, time.Time{} })
		m.panes[t].AddNote(m.opts.Now(), "left "+sanitize.String(t)+": not listening any more; this pane still sends to it (/leave again closes it)", false)
		return tea.Batch(leaveCmd(m.client, t), m.setNotice("left "+sanitize.String(t)+" · the pane still sends", false))
	case r != nil && r.send:
		m.removeTopic(t) // sending only: nothing to unsubscribe
		m.record(note(transcript.KindState, t, "closed "+t))
		return m.setNotice("closed "+sanitize.String(t), false)
	}
	m.removeTopic(t)
	return tea.Batch(leaveCmd(m.client, t), m.setNotice("left "+sanitize.String(t), false))
}

func (m *Model) cmdMode(arg string) tea.Cmd {
	if arg == "" {
		m.input.ToggleMode()
	} else {
		md, err := amop.ParseMode(arg)
		if err != nil {
			return m.setNotice("usage: /mode unicast|multicast", true)
		}
		m.input.SetMode(md)
	}
	return m.setNotice("mode "+modeName(m.input.Mode()), false)
}

func (m *Model) cmdFilter(arg string) tea.Cmd {
	p := m.panes[m.list.Selected()]
	if p == nil {
		return m.setNotice("join a topic first: /join TOPIC", true)
	}
	p.SetFilter(arg)
	if arg == "" {
		return m.setNotice("filter off", false)
	}
	return m.setNotice(fmt.Sprintf("filter %q: %d of %d lines", sanitize.String(arg), p.Shown(), p.Len()), false)
}

// cmdSave is /save FILE, which never writes over a file, and /save! FILE,
// which replaces one. An unquoted leading "~/" has been expanded to the
// home directory (fileWords), as a shell would.
func (m *Model) cmdSave(path string, replace bool) tea.Cmd {
	topic := m.list.Selected()
	p := m.panes[topic]
	switch {
	case path == "":
		return m.setNotice("usage: /save FILE (/save! FILE replaces a file)", true)
	case p == nil:
		return m.setNotice("join a topic first: /join TOPIC", true)
	}
	return saveCmd(path, topic, p.Entries(), replace)
}
