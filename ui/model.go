// Package ui is the amoptui terminal program: topic panes with millisecond
// timestamps, an input line with the unicast/multicast mode always visible,
// a topic list with unread counts, and the connection status, all driven by
// an amop.Client.
//
// Model is the only tea.Model; the pieces it composes (ui/topiclist,
// ui/topicpane, ui/input, ui/statusbar) return their concrete types. Update
// never blocks: every call into the client runs in a tea.Cmd, and adapter
// events arrive through one listen Cmd that re-arms itself and batches them
// per frame. Everything that came from the network is passed through
// ui/sanitize before it reaches the screen.
package ui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/transcript"
	"github.com/amoptui/amoptui/ui/input"
	"github.com/amoptui/amoptui/ui/netview"
	"github.com/amoptui/amoptui/ui/statusbar"
	"github.com/amoptui/amoptui/ui/topiclist"
	"github.com/amoptui/amoptui/ui/topicpane"
)

// Focus is the part of the screen that has the keyboard.
type Focus uint8

// The focus targets, in tab order.
const (
	FocusInput  Focus = iota // the message line
	FocusPane                // the active topic pane
	FocusTopics              // the topic list
)

// String names the focus for tests and debugging.
func (f Focus) String() string {
	switch f {
	case FocusPane:
		return "pane"
	case FocusTopics:
		return "topics"
	}
	return "input"
}

// MinWidth and MinHeight are the smallest terminal the layout is designed
// for; below it the screen only says so.
const (
	MinWidth  = 60
	MinHeight = 15
)

// pendingSend remembers where the line of a send in flight is.
type pendingSend struct {
	id    uint64
	pane  *topicpane.Model
	topic string
	seq   uint64
	mode  amop.Mode
	data  []byte
}

// Model is the root model of the program.
type Model struct {
	client amop.Client
	opts   Options
	keys   KeyMap
	styles Styles
	pt     viewPaints
	ctx    context.Context // cancelled on quit: sends in flight give up
	cancel context.CancelFunc

	width, height int
	focus         Focus
	layout        Layout
	list          topiclist.Model
	panes         map[string]*topicpane.Model
	input         input.Model
	status        statusbar.Model
	help          help.Model
	spin          spinner.Model
	spinning      bool
	showHelp      bool
	helpTop       int

	grid     grid            // the panes on screen and their sizes
	visible  map[string]bool // topics whose pane is on screen
	tileFrom int             // first topic shown in the tiled layout

	pending map[uint64]pendingSend
	nextID  uint64
	private map[string]*privInfo // private topics (private.go)
	// roles are the ordinary topics' roles; ownWarned the topics whose
	// own-node warning was shown; lateLines the timed-out sends that may
	// still be answered (roles.go).
	roles       map[string]*topicRole
	ownWarned   map[string]bool
	lateLines   map[uint64]lateLine
	syncTicking bool
	// line is the FISCO BCOS line of the node last connected to (a
	// client's line never changes): what a send's outcome says after it.
	line amop.Line
	// unjoined are panes whose join failed: /join sends it again.
	unjoined map[string]bool
	// joinPending are topics the client joined while no node session was
	// up: the node gets them, and the pane says "joined", once it is.
	joinPending map[string]bool
	counters    statusbar.Counters
	strays      uint64 // messages for topics no longer joined

	dropUnshown   uint64    // drops not yet told in a pane (the UI could not keep up)
	behindUnshown uint64    // of them, drops because the client fell behind the node
	lastDropNote  time.Time // when a pane was last told
	policy        amop.ReplyPolicy

	wiped string // the draft esc last cleared, for ctrl+z and /undo

	notice    string
	noticeErr bool
	noticeID  int

	resubID  int    // tags the timer that ends "re-subscribed" on the status line
	causeSet string // the connection error last noted in the panes (its short form)
	cause    string // the connection error now, in full, for the empty view

	replies    replyState     // per-topic responders (replies.go)
	seqs       map[string]int // {{.Seq}} of payload templates, per topic
	histWarned bool           // a failed history save was told once
	diagnosed  bool           // Options.Diagnose was asked
	find       findState      // /find (find.go)
	stats      statsState     // latency at a glance, /stats (stats.go)
	net        netState       // /network (network.go)

	rec *recorder
}

// New builds the program for client. It reads the client's current status
// and topics (snapshots, no network), resolves the colours (which may ask
// the terminal for its background, so call it before tea.NewProgram), and
// joins opts.Topics once the program starts.
func New(client amop.Client, opts Options) Model {
	opts = opts.withDefaults()
	r := opts.Renderer
	switch opts.Theme {
	case ThemeMono:
		r.SetColorProfile(termenv.Ascii)
	case ThemeDark:
		r.SetHasDarkBackground(true)
	case ThemeLight:
		r.SetHasDarkBackground(false)
	default:
		// Resolve the background now, before the program owns the
		// terminal: asking later would race its input reader.
		r.HasDarkBackground()
	}
	st := DefaultStyles(r)
	ctx, cancel := context.WithCancel(context.Background())
	m := Model{
		client:   client,
		opts:     opts,
		keys:     DefaultKeyMap(),
		styles:   st,
		pt:       newViewPaints(st),
		ctx:      ctx,
		cancel:   cancel,
		layout:   opts.Layout,
		list:     topiclist.New(st.List),
		panes:    make(map[string]*topicpane.Model),
		input:    input.New(input.Options{HistoryCap: opts.History, Mode: opts.Mode, Placeholder: "type a message · /help for commands"}, st.Input),
		status:   statusbar.New(st.Status, client.Status()),
		help:     help.New(),
		spin:     spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(st.Pane.Pending)),
		visible:  make(map[string]bool),
		pending:  make(map[uint64]pendingSend),
		private:  make(map[string]*privInfo),
		unjoined: make(map[string]bool),

		joinPending: make(map[string]bool),

		roles:     make(map[string]*topicRole),
		ownWarned: make(map[string]bool),
		lateLines: make(map[uint64]lateLine),
		policy:    client.AutoReply(""),
		replies:   newReplyState(opts.Replies),
		seqs:      make(map[string]int),
		stats:     newStatsState(),
	}
	for _, h := range opts.HistoryLoaded {
		m.input.LoadHistory(h.Topic, h.Lines)
	}
	m.help.Styles = st.Help
	m.help.ShortSeparator = " · "
	if opts.AutoReply != nil {
		m.policy = *opts.AutoReply
	}
	m.status.SetPolicy(m.replies.effective(m.list.Selected(), m.policy))
	if opts.Transcript != nil {
		m.rec = newRecorder(opts.Transcript)
	}
	joined := client.Topics()
	for _, t := range joined {
		m.addTopic(t)
	}
	var bad []string
	for _, t := range opts.Topics {
		if err := amop.ValidateTopic(t); err != nil {
			bad = append(bad, problemText(err))
			continue
		}
		m.addTopic(t)
		joined = append(joined, t)
	}
	for _, pt := range opts.Private {
		if msg := privateProblem(pt); msg != "" {
			bad = append(bad, msg)
			continue
		}
		pi, ok := m.addPrivate(pt.Topic)
		if !ok {
			bad = append(bad, sanitize.String(pt.Topic)+" is both an ordinary and a private topic")
			continue
		}
		pi.sub, pi.pub = pi.sub || pt.Key != nil, pi.pub || len(pt.Allowed) > 0
		m.list.SetTag(pt.Topic, pi.tag())
	}
	for _, t := range opts.Publish {
		if err := amop.ValidateTopic(t); err != nil {
			bad = append(bad, problemText(err))
		}
	}
	m.rolesOnStart(joined)
	if len(bad) > 0 {
		// Shown from the first frame; Init starts its timer.
		m.noticeID++
		m.notice, m.noticeErr = strings.Join(bad, "; "), true
	}
	for _, p := range m.panes {
		for _, b := range opts.Banner {
			p.AddNote(opts.Now(), b, false)
		}
	}
	m.list.Select(0)
	m.activate()
	m.setFocus(FocusInput)
	return m
}

// Init starts listening to the adapter, joins the start topics and applies
// the auto-reply policy.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{listen(m.client.Events(), zeroTime), m.input.Focus()}
	joined := make(map[string]bool)
	for _, t := range m.client.Topics() {
		joined[t] = true
	}
	var joins []string
	for _, t := range m.opts.Topics {
		if !joined[t] && amop.ValidateTopic(t) == nil {
			joined[t] = true
			joins = append(joins, t)
		}
	}
	cmds = append(cmds, joinCmd(m.client, joins...))
	for _, pt := range m.opts.Private {
		if privateProblem(pt) == "" && m.private[pt.Topic] != nil {
			cmds = append(cmds, startPrivateCmd(m.client, pt))
		}
	}
	if m.opts.AutoReply != nil || !m.replies.empty() {
		cmds = append(cmds, m.applyReplies())
	}
	if m.notice != "" {
		cmds = append(cmds, expireNoticeCmd(m.noticeID))
	}
	return tea.Batch(cmds...)
}

// Update implements tea.Model. After every message the panes together are
// brought back under their memory budget (memory.go).
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	if nm, ok := next.(Model); ok {
		nm.shedMemory()
	}
	return next, cmd
}

func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.relayout()
		return m, nil
	case tea.KeyMsg:
		return m.updateKey(msg)
	case eventsMsg:
		return m.updateEvents(msg)
	case disconnectedMsg:
		return m.updateDisconnected()
	case sentMsg:
		return m.updateSent(msg)
	case sendExpiredMsg:
		return m.updateSendExpired(msg)
	case joinedMsg:
		return m.updateJoined(msg)
	case leftMsg:
		return m.updateLeft(msg)
	case privateDoneMsg:
		return m.updatePrivateDone(msg)
	case replySetMsg:
		m.status.SetPolicy(m.replies.effective(m.list.Selected(), m.policy))
		m.record(note(transcript.KindState, "", "auto-reply "+msg.policy.String()))
		return m, nil
	case execReadyMsg:
		return m.updateExecReady(msg)
	case historySavedMsg:
		return m.updateHistorySaved(msg)
	case statsTickMsg:
		return m.updateStatsTick(msg)
	case copiedMsg:
		return m.updateCopied(msg)
	case tea.MouseMsg:
		return m.updateMouse(msg)
	case savedMsg:
		return m.updateSaved(msg)
	case syncTickMsg:
		return m.updateSyncTick()
	case diagnosisMsg:
		return m.updateDiagnosis(msg)
	case noticeExpiredMsg:
		if msg.id == m.noticeID {
			m.notice = ""
			m.relayout() // a notice of several lines gives the rows back
		}
		return m, nil
	case resubExpiredMsg:
		if msg.id == m.resubID {
			m.status.SetResubscribed(0)
		}
		return m, nil
	case spinner.TickMsg:
		if len(m.pending) == 0 {
			m.spinning = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	}
	if netview.IsMsg(msg) {
		return m.updateNetwork(msg)
	}
	// Anything else (the cursor blink of the text input) goes to the input.
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// Close flushes the transcript and waits for it (a bounded time). Call it on
// the final model after tea.Program.Run returns.
func (m Model) Close() error {
	m.cancel()
	if m.rec != nil {
		return m.rec.close()
	}
	return nil
}

// addTopic creates topic's pane and list entry, unless present or invalid.
func (m *Model) addTopic(t string) bool {
	if amop.ValidateTopic(t) != nil || m.panes[t] != nil {
		return false
	}
	p := topicpane.New(t, topicpane.Options{Cap: m.opts.Scrollback, TimeFormat: m.opts.TimeFormat, Bytes: m.opts.PaneBytes}, m.styles.Pane)
	p.SetKeyMap(m.keys.Pane)
	m.panes[t] = p
	m.list.Add(t)
	return true
}

// removeTopic drops topic's pane and list entry.
func (m *Model) removeTopic(t string) {
	delete(m.panes, t)
	delete(m.private, t)
	delete(m.unjoined, t)
	delete(m.joinPending, t)
	delete(m.roles, t)
	delete(m.ownWarned, t)
	m.stats.forget(t)
	if m.find.topic == t {
		m.find.topic = ""
	}
	m.list.Remove(t)
	m.activate()
}

// activate makes the list's selection the active topic: heavy frame,
// keyboard when the panes have focus, the input's topic.
func (m *Model) activate() {
	active := m.list.Selected()
	for t, p := range m.panes {
		p.SetActive(t == active)
		if t == active && m.focus == FocusPane {
			p.Focus()
		} else {
			p.Blur()
		}
	}
	m.input.SetTopic(active)
	m.status.SetPolicy(m.replies.effective(active, m.policy))
	if active == "" && m.focus == FocusPane {
		m.setFocus(FocusInput)
	}
	m.relayout()
}

// setFocus moves the keyboard to f and returns the input's cursor Cmd.
func (m *Model) setFocus(f Focus) tea.Cmd {
	if f == FocusPane && m.panes[m.list.Selected()] == nil {
		f = FocusInput
	}
	if f == FocusTopics && !m.grid.listShown {
		f = FocusInput
	}
	m.focus = f
	var cmd tea.Cmd
	if f == FocusInput {
		cmd = m.input.Focus()
	} else {
		m.input.Blur()
	}
	if f == FocusTopics {
		m.list.Focus()
	} else {
		m.list.Blur()
	}
	active := m.list.Selected()
	for t, p := range m.panes {
		if f == FocusPane && t == active {
			p.Focus()
		} else {
			p.Blur()
		}
	}
	return cmd
}

// cycleFocus moves the focus d steps (±1) in tab order, skipping parts that
// are not on screen.
func (m *Model) cycleFocus(d int) tea.Cmd {
	order := []Focus{FocusInput}
	if m.panes[m.list.Selected()] != nil {
		order = append(order, FocusPane)
	}
	if m.grid.listShown {
		order = append(order, FocusTopics)
	}
	i := 0
	for j, f := range order {
		if f == m.focus {
			i = j
		}
	}
	return m.setFocus(order[(i+d+len(order))%len(order)])
}

// setNotice shows text in the footer for a few seconds; a text wider than
// the screen wraps onto more footer lines (footerLines), the panes giving
// up rows meanwhile.
func (m *Model) setNotice(text string, isErr bool) tea.Cmd {
	m.noticeID++
	m.notice, m.noticeErr = text, isErr
	m.relayout()
	return expireNoticeCmd(m.noticeID)
}
