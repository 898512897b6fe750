package ui

// Private (authenticated) topics in the UI: a pane like any topic's, marked
// in the topic list with "◆" and a glyph per role for its verification
// state, described in the pane's title, with a line in the pane on every
// change. Sends from its input use the private calls.

import (
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/transcript"
)

// privInfo is what the UI knows of a private topic.
type privInfo struct {
	sub, pub           bool // roles taken or being taken
	subState, pubState amop.PrivateState
	accepted, rejected int
}

// glyph is a state in one character, for the topic list.
func glyph(st amop.PrivateState) string {
	switch st {
	case amop.PrivateChallenged:
		return "?"
	case amop.PrivateReceiving:
		return "↓"
	case amop.PrivateVerified:
		return "✓"
	case amop.PrivateRejected:
		return "✗"
	}
	return "…"
}

// tag is the topic list's mark: "◆", then the subscriber's state, then the
// publisher's.
func (p *privInfo) tag() string {
	t := "◆"
	if p.sub {
		t += glyph(p.subState)
	}
	if p.pub {
		t += glyph(p.pubState)
	}
	return t
}

// note is the pane title's description of the topic.
func (p *privInfo) note() string {
	var parts []string
	if p.sub {
		w := "waiting for a publisher's challenge"
		switch p.subState {
		case amop.PrivateChallenged:
			w = "challenged, key signed"
		case amop.PrivateReceiving:
			w = "receiving (this node was accepted; whether this key was, a real node does not say)"
		case amop.PrivateVerified:
			w = "verified"
		}
		parts = append(parts, "private: "+w)
	}
	if p.pub {
		w := "no subscriber checked yet"
		if p.accepted+p.rejected > 0 {
			w = strconv.Itoa(p.accepted) + " accepted, " + strconv.Itoa(p.rejected) + " rejected"
		}
		parts = append(parts, "publishing: "+w)
	}
	if len(parts) == 0 {
		return "private"
	}
	return strings.Join(parts, " · ")
}

// privateDoneMsg is the outcome of joining, publishing (or failing to load
// the keys for it).
type privateDoneMsg struct {
	op    string // "join" or "publish"
	topic string
	keys  int // public keys published
	err   error
	// before is the topic as the UI knew it before the command, put back
	// when it fails (a failed second join must not drop the first).
	before *privInfo
}

// withBefore makes cmd's privateDoneMsg carry before.
func withBefore(cmd tea.Cmd, before privInfo) tea.Cmd {
	return func() tea.Msg {
		msg := cmd().(privateDoneMsg)
		msg.before = &before
		return msg
	}
}

// joinPrivateCmd loads keyFile unless key is given, then joins topic.
func joinPrivateCmd(c amop.Client, topic, keyFile string, key *amop.PrivateKey) tea.Cmd {
	return func() tea.Msg {
		msg := privateDoneMsg{op: "join", topic: topic}
		if key == nil {
			if key, msg.err = amop.LoadPrivateKey(keyFile); msg.err != nil {
				return msg
			}
		}
		msg.err = c.JoinPrivate(topic, key)
		return msg
	}
}

// publishPrivateCmd loads files unless keys are given, then publishes topic.
func publishPrivateCmd(c amop.Client, topic string, files []string, keys []*amop.PublicKey) tea.Cmd {
	return func() tea.Msg {
		msg := privateDoneMsg{op: "publish", topic: topic}
		if keys == nil {
			if keys, msg.err = amop.LoadPublicKeys(files); msg.err != nil {
				return msg
			}
		}
		msg.keys = len(keys)
		msg.err = c.PublishPrivate(topic, keys)
		return msg
	}
}

// leavePrivateCmd leaves a private topic.
func leavePrivateCmd(c amop.Client, topic string) tea.Cmd {
	return func() tea.Msg { return leftMsg{topic: topic, err: c.LeavePrivate(topic)} }
}

// startPrivateCmd takes part in the configured private topic t: publish
// before join, the order go-sdk v1.1.1 supports in one client.
func startPrivateCmd(c amop.Client, t PrivateTopic) tea.Cmd {
	var cmds []tea.Cmd
	if len(t.Allowed) > 0 {
		files := make([]string, len(t.Allowed))
		for i, k := range t.Allowed {
			files[i] = k.Source
		}
		cmds = append(cmds, publishPrivateCmd(c, t.Topic, files, t.Allowed))
	}
	if t.Key != nil {
		cmds = append(cmds, joinPrivateCmd(c, t.Topic, t.Key.Source, t.Key))
	}
	return tea.Sequence(cmds...)
}

// privateProblem says why a configured private topic cannot start, or "".
func privateProblem(t PrivateTopic) string {
	role := amop.PrivateSubscriber
	if len(t.Allowed) > 0 {
		role = amop.PrivatePublisher // the shorter limit
	}
	if err := amop.ValidatePrivateTopic(t.Topic, role); err != nil {
		return sanitize.String(err.Error())
	}
	if t.Key == nil && len(t.Allowed) == 0 {
		return "private " + sanitize.String(t.Topic) + ": neither a key nor public keys"
	}
	return ""
}

// addPrivate creates topic's pane (if needed) and record; it reports false
// when topic is an ordinary topic already.
func (m *Model) addPrivate(topic string) (*privInfo, bool) {
	if pi := m.private[topic]; pi != nil {
		return pi, true
	}
	if m.panes[topic] != nil {
		return nil, false
	}
	m.addTopic(topic)
	pi := &privInfo{}
	m.private[topic] = pi
	return pi, true
}

// refreshPrivate shows topic's state in the list and the pane title.
func (m *Model) refreshPrivate(topic string) {
	if pi := m.private[topic]; pi != nil {
		m.list.SetTag(topic, pi.tag())
	}
	m.updateNotes()
}

// cmdJoinPrivate is /join-private TOPIC KEYFILE (a file name with spaces
// is quoted, as in a shell; an unquoted leading "~/" was expanded to the
// home directory by fileWords).
func (m *Model) cmdJoinPrivate(topic, keyFile string) tea.Cmd {
	if err := amop.ValidatePrivateTopic(topic, amop.PrivateSubscriber); err != nil {
		return m.setNotice(problemText(err), true)
	}
	pi, ok := m.addPrivate(topic)
	if !ok {
		return m.setNotice(sanitize.String(topic)+" is joined as an ordinary topic: /leave it first", true)
	}
	before := *pi
	pi.sub, pi.subState = true, amop.PrivateWaiting
	m.panes[topic].AddNote(m.opts.Now(), "joining private "+sanitize.String(topic)+" with key "+sanitize.String(keyFile)+"…", false)
	m.selectTopic(topic)
	m.refreshPrivate(topic)
	return withBefore(joinPrivateCmd(m.client, topic, keyFile, nil), before)
}

// cmdPublishPrivate is /publish-private TOPIC PUBKEYFILE...
func (m *Model) cmdPublishPrivate(topic string, files []string) tea.Cmd {
	if err := amop.ValidatePrivateTopic(topic, amop.PrivatePublisher); err != nil {
		return m.setNotice(problemText(err), true)
	}
	pi, ok := m.addPrivate(topic)
	if !ok {
		return m.setNotice(sanitize.String(topic)+" is joined as an ordinary topic: /leave it first", true)
	}
	before := *pi
	pi.pub, pi.pubState, pi.accepted, pi.rejected = true, amop.PrivateWaiting, 0, 0
	m.panes[topic].AddNote(m.opts.Now(), "publishing private "+sanitize.String(topic)+" for "+
		plural(len(files), "public key", "public keys")+"…", false)
	m.selectTopic(topic)
	m.refreshPrivate(topic)
	return withBefore(publishPrivateCmd(m.client, topic, files, nil), before)
}

// selectTopic makes topic the active one.
func (m *Model) selectTopic(topic string) {
	m.list.Select(m.list.Index(topic))
	m.activate()
}

// updatePrivateDone reports the outcome of a private join or publish.
func (m Model) updatePrivateDone(msg privateDoneMsg) (tea.Model, tea.Cmd) {
	pi, p := m.private[msg.topic], m.panes[msg.topic]
	if pi == nil || p == nil {
		return m, nil // left meanwhile
	}
	if msg.err != nil {
		switch {
		case msg.before != nil && msg.op == "join":
			pi.sub, pi.subState = msg.before.sub, msg.before.subState
		case msg.before != nil:
			pi.pub, pi.pubState, pi.accepted, pi.rejected = msg.before.pub, msg.before.pubState, msg.before.accepted, msg.before.rejected
		case msg.op == "join":
			pi.sub = false
		default:
			pi.pub = false
		}
		m.record(transcript.Record{Kind: transcript.KindError, Topic: msg.topic, Error: msg.op + " private failed: " + amop.ShortError(msg.err)})
		text := msg.op + " private " + sanitize.String(msg.topic) + " failed: " + sanitize.String(amop.ShortError(msg.err))
		if !pi.sub && !pi.pub {
			// Nothing of the topic is left: no pane may stay that looks
			// joined, or that would send what its user meant to be private.
			m.removeTopic(msg.topic)
			return m, m.setNotice(text+" · not joined", true)
		}
		m.refreshPrivate(msg.topic)
		p.AddNote(m.opts.Now(), text, true)
		return m, m.setNotice(text, true)
	}
	// A real node decides per (node, topic) (real-nodes.md row 19), the
	// ideal local network per key; before the first session it is not
	// known which this is.
	text := "joined private " + sanitize.String(msg.topic) + ": messages arrive once a publisher accepts it " +
		"(the key, on amoptui's ideal local network; any subscriber on this node, on a real chain)"
	if st := m.status.Status(); st.State == amop.StateConnected {
		if st.Node.Ideal() {
			text = "joined private " + sanitize.String(msg.topic) + ": messages arrive once a publisher has verified the key"
		} else {
			text = "joined private " + sanitize.String(msg.topic) + ": messages arrive once a publisher has accepted a subscriber on this node " +
				"(a real node decides per node: a session here receives whatever its own key)"
		}
	}
	if msg.op == "publish" {
		text = "publishing private " + sanitize.String(msg.topic) + ": subscribers holding " + keysPhrase(msg.keys) + " are accepted"
	}
	p.AddNote(m.opts.Now(), text, false)
	m.record(note(transcript.KindState, msg.topic, msg.op+" private "+msg.topic))
	return m, nil
}

// onPrivate applies a verification state change and tells the pane.
func (m *Model) onPrivate(ev *amop.PrivateEvent) {
	pi, p := m.private[ev.Topic], m.panes[ev.Topic]
	if pi == nil || p == nil {
		return // left, or never ours
	}
	text := ""
	if ev.Role == amop.PrivatePublisher {
		if !pi.pub || (pi.pubState == ev.State && pi.accepted == ev.Accepted && pi.rejected == ev.Rejected) {
			return
		}
		pi.pubState, pi.accepted, pi.rejected = ev.State, ev.Accepted, ev.Rejected
		if ev.Accepted+ev.Rejected > 0 {
			text = "publisher: subscribers checked: " + strconv.Itoa(ev.Accepted) + " accepted, " + strconv.Itoa(ev.Rejected) + " rejected"
		}
	} else {
		if !pi.sub || pi.subState == ev.State {
			return
		}
		pi.subState = ev.State
		switch ev.State {
		case amop.PrivateWaiting:
			text = "private: new node session, waiting to be verified again"
		case amop.PrivateChallenged:
			text = "private: a publisher's challenge was signed with this key; the verdict is not told to subscribers"
		case amop.PrivateReceiving:
			text = "private: messages arrive — a publisher accepted this node for the topic; a real node decides per node, " +
				"so whether it accepted this key cannot be known here"
		case amop.PrivateVerified:
			text = "private: verified, messages arrive"
		}
	}
	m.refreshPrivate(ev.Topic)
	if text != "" {
		p.AddNote(m.opts.Now(), text, false)
		m.record(note(transcript.KindState, ev.Topic, text))
	}
}

// TopicTag is the topic list's tag of topic: a private topic's "◆" and
// verification glyphs, "" for an ordinary topic.
func (m Model) TopicTag(topic string) string { return m.list.Tag(topic) }

// keysPhrase is "its public key" or "one of its N public keys".
func keysPhrase(n int) string {
	if n == 1 {
		return "its public key"
	}
	return "one of its " + strconv.Itoa(n) + " public keys"
}
