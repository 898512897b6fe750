package ui

// What a topic pane does, and what the client cannot see on a real chain
// (real-nodes.md), told in the pane:
//
//   - Roles. An ordinary topic's pane listens (the client joined the
//     topic), sends (/publish: without joining), or both; the topic list
//     marks it ← → ⇄ and the pane title says it in words. Sending from a
//     listening pane makes it both. /join and /leave change the role, never
//     the pane's history; leaving a pane that only sends closes it.
//   - The propagation window. Real nodes take up to 5 s to tell each other
//     of a subscribe (row 10): after a join or a reconnect, the pane title
//     counts it down. Not on the ideal local network.
//   - The own-node warning. A 2.8–2.11 node drops a unicast for a session on
//     the sender's own node, and this client's own subscription makes its
//     node a candidate (rows 11–13): the first unicast on a topic this
//     client listens to tells once why a send may time out and what avoids
//     it.
//   - Late answers. A send that timed out may still be answered (a node
//     waits 30 s per candidate node); the answer shows on the send's line.

import (
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/transcript"
)

// topicRole is what an ordinary topic's pane does.
type topicRole struct {
	listen bool // joined, or being joined
	send   bool // declared with /publish, or sent from
	// syncUntil is when every node is sure to know of this client's
	// subscription (a real chain's propagation window); zero when known.
	syncUntil time.Time
}

// roleWords is the pane title's word for r.
func (r *topicRole) roleWords() string {
	switch {
	case r.listen && r.send:
		return "listening and sending"
	case r.listen:
		return "listening"
	case r.send:
		return "sending"
	}
	return ""
}

// roleTag is the topic list's mark for r: the arrows of the pane's lines.
func (r *topicRole) roleTag() string {
	switch {
	case r.listen && r.send:
		return "⇄"
	case r.listen:
		return "←"
	case r.send:
		return "→"
	}
	return ""
}

// role returns t's role record, creating it.
func (m *Model) role(t string) *topicRole {
	r := m.roles[t]
	if r == nil {
		r = &topicRole{}
		m.roles[t] = r
	}
	return r
}

// listening reports whether the client listens to t (ordinary or private).
func (m *Model) listening(t string) bool {
	if pi := m.private[t]; pi != nil {
		return pi.sub
	}
	r := m.roles[t]
	return r != nil && r.listen
}

// setRole changes t's role and shows it in the topic list.
func (m *Model) setRole(t string, f func(*topicRole)) {
	if m.private[t] != nil || m.panes[t] == nil {
		return
	}
	r := m.role(t)
	f(r)
	m.list.SetTag(t, r.roleTag())
	m.updateNotes()
}

// roleNote is the pane title's description of an ordinary topic: its role,
// and the propagation window while it lasts.
func (m *Model) roleNote(t string, now time.Time) string {
	r := m.roles[t]
	if r == nil {
		return ""
	}
	s := r.roleWords()
	if left := r.syncUntil.Sub(now); r.listen && left > 0 {
		s += " · other nodes learn of it within " + strconv.Itoa(int((left+time.Second-1)/time.Second)) + " s"
	}
	return s
}

// realChain reports whether the client is connected to a node that is not
// the ideal local network, and that node.
func (m *Model) realChain() (amop.NodeInfo, bool) {
	st := m.status.Status()
	return st.Node, st.State == amop.StateConnected && !st.Node.Ideal()
}

// syncTickMsg redraws the propagation countdowns once a second.
type syncTickMsg struct{}

func syncTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return syncTickMsg{} })
}

// startSync opens the propagation window of the listening topics ts on a
// real chain, and returns the Cmd that counts it down.
func (m *Model) startSync(ts ...string) tea.Cmd {
	node, real := m.realChain()
	if !real {
		return nil
	}
	until := m.opts.Now().Add(node.SyncWindow())
	n := 0
	for _, t := range ts {
		if r := m.roles[t]; r != nil && r.listen {
			r.syncUntil = until
			n++
		}
	}
	if n == 0 {
		return nil
	}
	m.updateNotes()
	if m.syncTicking {
		return nil
	}
	m.syncTicking = true
	return syncTick()
}

// updateSyncTick counts the windows down and stops once all are over.
func (m Model) updateSyncTick() (tea.Model, tea.Cmd) {
	now := m.opts.Now()
	open := false
	for _, r := range m.roles {
		if r.syncUntil.IsZero() {
			continue
		}
		if now.Before(r.syncUntil) {
			open = true
		} else {
			r.syncUntil = time.Time{}
		}
	}
	m.updateNotes()
	if !open {
		m.syncTicking = false
		return m, nil
	}
	return m, syncTick()
}

// listenedTopics lists the ordinary topics the client listens to.
func (m *Model) listenedTopics() []string {
	var out []string
	for t, r := range m.roles {
		if r.listen {
			out = append(out, t)
		}
	}
	return out
}

// cmdPublish is /publish TOPIC…: panes that send to the topics without
// joining them (a pane that listens already sends too).
func (m *Model) cmdPublish(topics []string) tea.Cmd {
	if len(topics) == 0 {
		return m.setNotice("usage: /publish TOPIC… (send without joining)", true)
	}
	var cmds []tea.Cmd
	first := ""
	for _, t := range topics {
		if err := amop.ValidateTopic(t); err != nil {
			cmds = append(cmds, m.setNotice(problemText(err), true))
			continue
		}
		if m.private[t] != nil {
			cmds = append(cmds, m.setNotice(sanitize.String(t)+" is a private topic here: its pane sends already", true))
			continue
		}
		if first == "" {
			first = t
		}
		now := m.opts.Now()
		if m.addTopic(t) {
			m.panes[t].AddNote(now, "sending to "+sanitize.String(t)+" without listening: this client does not join it, "+
				"so its own node is never picked for a unicast to it", false)
			m.record(note(transcript.KindState, t, "publish "+t))
		} else if r := m.roles[t]; r == nil || !r.send {
			m.panes[t].AddNote(now, "sending to "+sanitize.String(t)+" from this pane too", false)
			m.record(note(transcript.KindState, t, "publish "+t))
		}
		m.setRole(t, func(r *topicRole) { r.send = true })
	}
	if first != "" {
		m.selectTopic(first)
	}
	return tea.Batch(cmds...)
}

// ownNodeCheck runs before a unicast on topic t: the first one on a topic
// this client also listens to, against a node that drops AMOP for its own
// sessions, tells once why it may be lost and what avoids it.
func (m *Model) ownNodeCheck(t string) tea.Cmd {
	if m.ownWarned[t] || !m.listening(t) {
		return nil
	}
	node, real := m.realChain()
	if !real || !node.DropsOwnNode() {
		return nil
	}
	m.ownWarned[t] = true
	avoid := "avoid it: /leave " + t + " here (this pane keeps sending, without listening), or listen from another client"
	if m.private[t] != nil {
		avoid = "avoid it: send from a client that has not joined private " + t + ", or listen from another client"
	}
	now := m.opts.Now()
	lines := append(amop.OwnNodeRisk(t, node), avoid)
	for _, l := range lines {
		m.panes[t].AddNote(now, "⚠ "+sanitize.String(l), true)
	}
	m.record(note(transcript.KindError, t, strings.Join(lines, "; ")))
	return m.setNotice("⚠ a unicast to "+sanitize.String(t)+" may be dropped by this client's own node: see the pane", true)
}

// maxLateLines bounds the sends remembered for a late answer.
const maxLateLines = 4096

// lateLine is a send that timed out and may still be answered.
type lateLine struct {
	ps pendingSend
	at time.Time
}

// expectLate remembers where the line of a timed-out send is, by the ID of
// its TimeoutError.
func (m *Model) expectLate(id uint64, ps pendingSend) {
	if len(m.lateLines) >= maxLateLines {
		// Forget the oldest half: the node gives up within a minute or two.
		cut := m.opts.Now().Add(-time.Minute)
		for k, l := range m.lateLines {
			if l.at.Before(cut) || len(m.lateLines) >= maxLateLines {
				delete(m.lateLines, k)
			}
		}
	}
	m.lateLines[id] = lateLine{ps: ps, at: m.opts.Now()}
}

// onLate shows a late answer on its send's line.
func (m *Model) onLate(ev *amop.LateReplyEvent) {
	l, ok := m.lateLines[ev.ID]
	if !ok {
		return
	}
	delete(m.lateLines, ev.ID)
	l.ps.pane.ResolveLate(l.ps.seq, ev.Reply, ev.Err, ev.After)
	rec := transcript.Result(l.ps.id, l.ps.topic, l.ps.mode, ev.Reply, ev.After, ev.Err)
	rec.Private = ev.Private
	rec.Text = "late answer, " + amop.LateText(ev.After) + " than the send: it had given up"
	m.record(rec)
}

// joinedText is the pane line after a join: on a real chain, that other
// nodes do not know of it yet.
func (m *Model) joinedText(t string) string {
	s := "joined " + sanitize.String(t)
	if node, real := m.realChain(); real {
		s += " · " + node.SyncNote()
	}
	return s
}

// rolesOnStart sets the roles of the start topics: joined ones listen,
// published ones send.
func (m *Model) rolesOnStart(joined []string) {
	for _, t := range joined {
		m.setRole(t, func(r *topicRole) { r.listen = true })
	}
	for _, t := range m.opts.Publish {
		if amop.ValidateTopic(t) != nil || m.private[t] != nil {
			continue
		}
		m.addTopic(t)
		m.setRole(t, func(r *topicRole) { r.send = true })
	}
}
