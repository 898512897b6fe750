package ui

import (
	"errors"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/transcript"
	"github.com/amoptui/amoptui/ui/statusbar"
)

// updateEvents applies a batch of adapter events and re-arms the listener.
// Panes that are not on screen still take their messages and count them as
// unread.
func (m Model) updateEvents(msg eventsMsg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	for _, ev := range msg.events {
		switch ev := ev.(type) {
		case *amop.MessageEvent:
			m.onMessage(ev)
		case *amop.StateEvent:
			m.record(transcript.State(ev.Status))
			cmds = append(cmds, m.onState(ev.Status))
		case *amop.LateReplyEvent:
			m.onLate(ev)
		case *amop.DropEvent:
			m.counters.Dropped = ev.Total
			m.dropUnshown += ev.Dropped
			m.behindUnshown += ev.Behind
			m.record(transcript.Drop(ev))
		case *amop.PrivateEvent:
			m.onPrivate(ev)
		case *amop.CounterEvent:
			m.counters.Malformed = ev.Malformed + ev.Reserved
			m.counters.Oversize, m.counters.NotJoined = ev.Oversize, ev.NotJoined
			m.record(note(transcript.KindError, "", "frames from the node discarded: "+strconv.FormatUint(ev.Malformed, 10)+" malformed, "+
				strconv.FormatUint(ev.Reserved, 10)+" on reserved topics, "+strconv.FormatUint(ev.Oversize, 10)+" over the incoming limit, "+
				strconv.FormatUint(ev.NotJoined, 10)+" on topics never joined (totals)"))
		}
	}
	m.noteDrops()
	m.status.SetCounters(m.counters)
	m.status.SetExtra(m.lossText())
	if !m.grid.listShown {
		m.updateNotes()
	}
	if msg.closed {
		mm, cmd := m.updateDisconnected()
		return mm, tea.Batch(append(cmds, cmd)...)
	}
	return m, tea.Batch(append(cmds, listen(m.client.Events(), msg.at))...)
}

func (m *Model) onMessage(ev *amop.MessageEvent) {
	m.counters.Received++
	m.stats.received(ev.At)
	m.record(transcript.Received(ev))
	p := m.panes[ev.Topic]
	if p == nil || ev.Private != (m.private[ev.Topic] != nil) {
		// Left while it was in flight, or the ordinary topic of a private
		// one's name (or the reverse): counted, not shown.
		m.strays++
		return
	}
	p.AddReceived(ev)
	if ev.ReplyErr != "" {
		// A responder (/reply exec, a rule) could not answer: the request
		// got an empty reply, and this says why.
		p.AddNote(ev.At, "auto-reply failed: "+sanitize.String(ev.ReplyErr), true)
	}
	if !m.visible[ev.Topic] {
		m.list.AddUnread(ev.Topic, 1)
	}
}

// onState shows a connection change in the status bar, and as a note in
// every pane when the state itself changed (not on every retry). A new
// node session on a real chain opens the propagation window of the
// listened topics (roles.go).
func (m *Model) onState(st amop.Status) tea.Cmd {
	prev := m.status.Status()
	m.status.SetStatus(st)
	if st.State == amop.StateConnected {
		m.line = st.Node.Line
	}
	note, isErr := "", false
	var cmd tea.Cmd
	switch {
	case st.State == amop.StateConnected && (prev.State != amop.StateConnected || st.Resubscribed > 0):
		note = "connected to " + sanitize.String(st.Endpoint)
		if st.Resubscribed > 0 {
			note = "reconnected to " + sanitize.String(st.Endpoint) + " · re-subscribed " + plural(st.Resubscribed, "topic", "topics")
		}
		if ts := m.listenedTopics(); len(ts) > 0 {
			if cmd = m.startSync(ts...); cmd != nil || m.syncTicking {
				note += " · other nodes learn of this client's topics within " + st.Node.SyncWindowText()
			}
		}
	case st.State == amop.StateReconnecting && prev.State != amop.StateReconnecting:
		note, isErr = "connection lost", true
		if st.LastErr != "" {
			note += ": " + sanitize.String(st.LastErr)
		}
		note += " · reconnecting"
	case st.State == amop.StateDown && prev.State != amop.StateDown:
		note, isErr = "connection down", true
		if st.LastErr != "" {
			note += ": " + sanitize.String(st.LastErr)
		}
	}
	if st.State == amop.StateConnected {
		m.cause, m.causeSet = "", ""
		if st.Resubscribed > 0 && note != "" {
			// On the status line for a while; the panes keep the note.
			m.resubID++
			m.status.SetResubscribed(st.Resubscribed)
			cmd = tea.Batch(cmd, expireResubCmd(m.resubID))
		}
	} else {
		m.status.SetResubscribed(0)
		note, isErr = m.causeNote(st, note, isErr)
		if st.LastErr != "" && m.opts.Diagnose != nil && !m.diagnosed {
			m.diagnosed = true
			diagnose := m.opts.Diagnose // may take a network round trip: not in Update
			cmd = tea.Batch(cmd, func() tea.Msg { return diagnosisMsg{diagnose()} })
		}
	}
	if note == "" {
		return cmd
	}
	m.noteAll(note, isErr)
	if st.State == amop.StateConnected {
		m.joinedNow()
	}
	return cmd
}

// causeNote makes sure each distinct connection error is written out in
// full once — in the panes, and in the empty view while no topic has one:
// the status line has room for its short form only. The error of every
// retry differs in its local port; "distinct" is by the short form.
func (m *Model) causeNote(st amop.Status, note string, isErr bool) (string, bool) {
	if st.LastErr == "" {
		return note, isErr
	}
	full := sanitize.String(st.LastErr)
	m.cause = "cannot connect to " + sanitize.String(st.Endpoint) + ": " + full
	short := statusbar.ShortCause(st.LastErr, st.Endpoint)
	if short == m.causeSet {
		return note, isErr
	}
	m.causeSet = short
	if note != "" {
		return note, isErr // "connection lost: <the error>" has it whole
	}
	return m.cause + " · retrying", true
}

// updateDiagnosis tells what Options.Diagnose found, unless the session
// came up meanwhile.
func (m Model) updateDiagnosis(msg diagnosisMsg) (tea.Model, tea.Cmd) {
	if msg.text == "" || m.status.Status().State == amop.StateConnected {
		return m, nil
	}
	text := sanitize.String(msg.text)
	m.noteAll(text, true)
	m.record(note(transcript.KindError, "", text))
	return m, m.setNotice(text, true)
}

// noteAll adds a note to every pane.
func (m *Model) noteAll(note string, isErr bool) {
	now := m.opts.Now()
	for _, p := range m.panes {
		p.AddNote(now, note, isErr)
	}
}

// updateDisconnected handles the end of the event stream: the client was
// closed. No listener is re-armed.
func (m Model) updateDisconnected() (tea.Model, tea.Cmd) {
	st := m.status.Status()
	if st.State != amop.StateDown {
		st.State = amop.StateDown
		if st.LastErr == "" {
			st.LastErr = "the AMOP client closed its event stream"
		}
		return m, m.onState(st)
	}
	return m, nil
}

// updateSent resolves a pending line with the node's answer.
func (m Model) updateSent(msg sentMsg) (tea.Model, tea.Cmd) {
	ps, ok := m.pending[msg.id]
	if !ok {
		return m, nil // expired by the UI already
	}
	delete(m.pending, msg.id)
	m.resolve(msg.id, ps, msg.reply, msg.err, msg.rtt)
	var te *amop.TimeoutError
	if errors.As(msg.err, &te) && te.ID != 0 {
		m.expectLate(te.ID, ps)
	}
	return m, nil
}

// updateSendExpired fails a send the adapter never answered.
func (m Model) updateSendExpired(msg sendExpiredMsg) (tea.Model, tea.Cmd) {
	ps, ok := m.pending[msg.id]
	if !ok {
		return m, nil
	}
	delete(m.pending, msg.id)
	m.resolve(msg.id, ps, nil, amop.ErrTimeout, m.opts.SendTimeout+sendGrace)
	return m, nil
}

// resolve records a send's outcome: counters, its line, the transcript.
func (m *Model) resolve(id uint64, ps pendingSend, reply []byte, err error, rtt time.Duration) {
	if err != nil {
		m.counters.Failed++
	} else {
		m.counters.Sent++
	}
	m.status.SetCounters(m.counters)
	// The pane is held by pointer: if the topic was left (and maybe joined
	// again) meanwhile, the old pane takes the answer and nothing shows.
	ps.pane.Resolve(ps.seq, reply, err, rtt)
	m.stats.resolved(ps.topic, ps.mode, err, rtt)
	if m.visible[ps.topic] {
		m.updateNotes() // the pane title's sparkline and percentiles
	}
	rec := transcript.Result(id, ps.topic, ps.mode, reply, rtt, err)
	rec.Private = m.private[ps.topic] != nil
	m.record(rec)
}

// updateJoined reports the outcome of a join in the topic's pane.
func (m Model) updateJoined(msg joinedMsg) (tea.Model, tea.Cmd) {
	p := m.panes[msg.topic]
	if p == nil || (m.private[msg.topic] == nil && !m.listening(msg.topic)) {
		if msg.err == nil && m.private[msg.topic] == nil {
			// The topic was left while its join was under way, and the
			// join landed last: undo it, or the client would stay
			// subscribed (and auto-replying) with no pane.
			return m, leaveCmd(m.client, msg.topic)
		}
		return m, nil
	}
	if msg.err != nil {
		m.unjoined[msg.topic] = true
		m.setRole(msg.topic, func(r *topicRole) { r.listen = false })
		text := "join failed: " + sanitize.String(amop.ShortError(msg.err)) + " · /join to retry"
		p.AddNote(m.opts.Now(), text, true)
		m.record(transcript.Record{Kind: transcript.KindError, Topic: msg.topic, Error: "join failed: " + amop.ShortError(msg.err)})
		return m, m.setNotice(text, true)
	}
	delete(m.unjoined, msg.topic)
	if m.status.Status().State != amop.StateConnected {
		// The client keeps the topic and the guard subscribes it when a
		// session comes up; until then no node has it.
		m.joinPending[msg.topic] = true
		p.AddNote(m.opts.Now(), "joining "+sanitize.String(msg.topic)+"… (not connected: the node gets the subscription once connected)", false)
		return m, nil
	}
	p.AddNote(m.opts.Now(), m.joinedText(msg.topic), false)
	m.record(note(transcript.KindState, msg.topic, "joined "+msg.topic))
	return m, m.startSync(msg.topic)
}

// joinedNow tells the panes of the topics joined while disconnected that
// the node has them now: the session that just came up subscribed them.
func (m *Model) joinedNow() {
	now := m.opts.Now()
	for t := range m.joinPending {
		if p := m.panes[t]; p != nil && m.listening(t) {
			p.AddNote(now, m.joinedText(t), false)
			m.record(note(transcript.KindState, t, "joined "+t))
		}
		delete(m.joinPending, t)
	}
}

// updateLeft reports a failed leave (the pane is already gone).
func (m Model) updateLeft(msg leftMsg) (tea.Model, tea.Cmd) {
	if msg.err == nil && m.private[msg.topic] == nil && m.listening(msg.topic) {
		// Joined again while the leave was under way, and the leave landed
		// last: join once more (joining is idempotent in the client).
		m.record(note(transcript.KindState, msg.topic, "left "+msg.topic))
		return m, joinCmd(m.client, msg.topic)
	}
	if errors.Is(msg.err, amop.ErrNotJoined) {
		// The leave overtook the join (/join T and at once /leave T: the
		// two Cmds race). Not joined is what leaving wants; the join, when
		// it lands, finds no pane and is undone (updateJoined).
		msg.err = nil
	}
	if msg.err != nil {
		m.record(transcript.Record{Kind: transcript.KindError, Topic: msg.topic, Error: "leave failed: " + amop.ShortError(msg.err)})
		return m, m.setNotice("leave "+sanitize.String(msg.topic)+" failed: "+sanitize.String(amop.ShortError(msg.err)), true)
	}
	m.record(note(transcript.KindState, msg.topic, "left "+msg.topic))
	return m, nil
}

// updateSaved reports the outcome of /save.
//
// The count is of the records written, the file's lines; the pane lines
// they came from follow (a sent line and its result are two records).
func (m Model) updateSaved(msg savedMsg) (tea.Model, tea.Cmd) {
	path := sanitize.String(msg.path)
	if errors.Is(msg.err, transcript.ErrExists) {
		return m, m.setNotice(path+" exists: /save! "+path+" replaces it", true)
	}
	if msg.err != nil {
		return m, m.setNotice("/save failed: "+sanitize.String(strings.TrimPrefix(msg.err.Error(), "transcript: ")), true)
	}
	verb := "saved "
	if msg.replace {
		verb = "replaced " + path + " with "
	}
	text := verb + plural(msg.records, "record", "records") + " (" + plural(msg.lines, "pane line", "pane lines") + ") of " + sanitize.String(msg.topic)
	if !msg.replace {
		text += " to " + path
	}
	if msg.cut > 0 {
		text += " · " + plural(msg.cut, "record holds", "records hold") + " only the head of a payload the pane could not keep whole (marked \"cut\"; --transcript records every byte)"
	}
	return m, m.setNotice(text, false)
}

// noteDrops tells the active pane about lost messages, with their reason —
// the UI could not keep up with the adapter, or the client fell behind the
// node (go-sdk could not take the node's pushes) — at most once a second so
// that a flood of drops does not become a flood of notes; the status bar has
// the total.
func (m *Model) noteDrops() {
	if m.dropUnshown == 0 {
		return
	}
	now := m.opts.Now()
	if now.Sub(m.lastDropNote) < time.Second {
		return
	}
	if p := m.panes[m.list.Selected()]; p != nil {
		total := " (total " + strconv.FormatUint(m.counters.Dropped, 10) + ")"
		if ui := m.dropUnshown - m.behindUnshown; ui > 0 {
			p.AddNote(now, plural(int(ui), "message", "messages")+" dropped: the UI could not keep up"+total, true)
		}
		if m.behindUnshown > 0 {
			p.AddNote(now, plural(int(m.behindUnshown), "message", "messages")+" dropped: the client fell behind the node"+total, true)
		}
	}
	m.dropUnshown, m.behindUnshown, m.lastDropNote = 0, 0, now
}

// lossText is what else was lost, for the end of the status bar: records
// the transcript could not take, messages for topics already left.
func (m *Model) lossText() string {
	var parts []string
	if m.rec != nil {
		if lost, err := m.rec.failures(); lost > 0 {
			t := "transcript lost " + strconv.FormatUint(lost, 10)
			if err != nil {
				t += ": " + sanitize.String(err.Error())
			}
			parts = append(parts, t)
		}
	}
	if m.strays > 0 {
		parts = append(parts, strconv.FormatUint(m.strays, 10)+" for left topics")
	}
	return strings.Join(parts, " · ")
}
