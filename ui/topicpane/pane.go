// Package topicpane is one topic's pane: a capped scrollback of received and
// sent messages with millisecond timestamps, follow mode, a selection that
// can be expanded into a detail view, and a text filter.
//
// It is built for floods: lines are kept as compact records in a ring, and
// only the rows that fit the pane are rendered, so the cost of a frame does
// not depend on how much history the pane holds.
package topicpane

import (
	"errors"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/reclaim"
	"github.com/amoptui/amoptui/sanitize"
)

// DefaultCap is the scrollback cap when Options.Cap is not set.
const DefaultCap = 10000

// DefaultTimeFormat is the timestamp layout when Options.TimeFormat is not
// set: milliseconds, as product.md asks for every line.
const DefaultTimeFormat = "15:04:05.000"

// Options configure a pane.
type Options struct {
	Cap        int    // scrollback cap in messages
	TimeFormat string // time.Format layout of the timestamps
	// Bytes is the pane's memory budget (DefaultBytes; at least MinBytes):
	// see budget.go.
	Bytes int64
}

// Model is one topic's pane. It is used through a pointer: it owns a
// scrollback that can hold a large number of messages, and the root model
// keeps one per topic in a map.
type Model struct {
	topic   string // as joined; shown only through sanitize
	title   string // the sanitised topic
	note    string // set by the root, shown after the title
	tf      string
	keys    KeyMap
	st      painted
	ring    ring
	rows    rows
	filter  string // as typed
	needle  Needle // the filter, prepared
	dropped uint64 // entries pushed out by the cap or the budget since the last /clear
	budget  int64  // bytes the lines may hold (budget.go)
	cutTo   uint64 // every line before this seq keeps at most KeepHead of a payload

	width, height int
	active        bool // the pane input goes to (heavy border)
	focused       bool // keys go to the pane

	follow bool   // stick to the newest row
	anchor uint64 // seq of the top row while not following
	newCnt int    // rows added while not following

	sel       uint64
	hasSel    bool
	selNewest bool // the selection is the newest line while following (end/G)

	expanded  bool
	detail    []string // the expanded message, wrapped to the pane width
	detailTop int
	detailSeq uint64
	detailW   int

	// cache holds rendered rows by seq for the width cacheW. Only rows that
	// have been visible are in it, and it is emptied when it grows past a
	// few screens, so it costs memory in proportion to the pane, not to
	// the history.
	cache  map[uint64]string
	cacheW int
}

// New returns a pane for topic.
func New(topic string, opts Options, styles Styles) *Model {
	if opts.Cap <= 0 {
		opts.Cap = DefaultCap
	}
	if opts.TimeFormat == "" {
		opts.TimeFormat = DefaultTimeFormat
	}
	if opts.Bytes <= 0 {
		opts.Bytes = DefaultBytes
	}
	m := &Model{
		topic:  topic,
		title:  sanitize.String(topic),
		tf:     opts.TimeFormat,
		keys:   DefaultKeyMap(),
		st:     styles.paint(),
		ring:   newRing(opts.Cap),
		budget: max(opts.Bytes, MinBytes),
		follow: true,
		cache:  make(map[uint64]string),
	}
	m.rows.r = &m.ring
	return m
}

// Topic is the topic of the pane, as joined.
func (m *Model) Topic() string { return m.topic }

// SetKeyMap replaces the pane's keys.
func (m *Model) SetKeyMap(k KeyMap) { m.keys = k }

// SetSize sets the outer size of the pane, frame included.
func (m *Model) SetSize(w, h int) {
	if w == m.width && h == m.height {
		return
	}
	m.width, m.height = w, h
}

// SetNote sets a short text shown after the topic in the frame (the root
// puts the topic's position there when the topic list is hidden).
func (m *Model) SetNote(s string) { m.note = s }

// SetActive marks the pane as the one Enter sends to.
func (m *Model) SetActive(a bool) { m.active = a }

// Focus gives the pane the keyboard.
func (m *Model) Focus() { m.focused = true }

// Blur takes the keyboard away; the selection stays.
func (m *Model) Blur() { m.focused = false }

// Focused reports whether the pane has the keyboard.
func (m *Model) Focused() bool { return m.focused }

// Len is the number of retained messages and notes.
func (m *Model) Len() int { return m.ring.len() }

// Dropped is how many older lines the cap pushed out.
func (m *Model) Dropped() uint64 { return m.dropped }

// Following reports whether the pane sticks to the newest line.
func (m *Model) Following() bool { return m.follow }

// NewCount is the number of lines that arrived below the window while the
// pane was scrolled up.
func (m *Model) NewCount() int {
	if m.follow {
		return 0
	}
	top, n, _ := m.window()
	below := m.rows.count() - top - n
	if below < m.newCnt {
		return below
	}
	return m.newCnt
}

// Expanded reports whether the detail view of a message is open.
func (m *Model) Expanded() bool { return m.expanded }

// Filter is the filter text in force, "" for none.
func (m *Model) Filter() string { return m.filter }

// Shown is the number of rows the pane lists (after the filter).
func (m *Model) Shown() int { return m.rows.count() }

// AddReceived appends a received message.
func (m *Model) AddReceived(ev *amop.MessageEvent) {
	e := entry{at: ev.At.UnixNano(), kind: KindReceived, mode: ev.Mode}
	e.data, e.size = keep(ev.Data, m.whole())
	if sanitize.IsBinary(e.data) { // what is kept is what is shown
		e.flags |= flagBinary
	}
	if ev.Replied {
		e.flags |= flagReplied
		e.aux, e.asize = keep(ev.Reply, m.whole())
	}
	m.push(e)
}

// AddSent appends a message being sent to a node of line, in the pending
// state, and returns the sequence number Resolve takes when the answer
// arrives. The line decides what a multicast's success says.
func (m *Model) AddSent(at time.Time, line amop.Line, mode amop.Mode, data []byte) uint64 {
	e := entry{at: at.UnixNano(), kind: KindSent, mode: mode, st: StatusPending}
	if line == amop.Line3 {
		e.flags |= flagLine3
	}
	e.data, e.size = keep(data, m.whole())
	if sanitize.IsBinary(e.data) { // what is kept is what is shown
		e.flags |= flagBinary
	}
	return m.push(e)
}

// AddNote appends a line from the TUI itself; isErr shows it as an error.
func (m *Model) AddNote(at time.Time, text string, isErr bool) {
	k := KindSystem
	if isErr {
		k = KindError
	}
	m.push(entry{at: at.UnixNano(), data: []byte(text), kind: k})
}

// Resolve records the answer to the sent message seq: the reply (unicast)
// or the error, and the round-trip time. It reports false when the line is
// gone (dropped by the cap or cleared).
func (m *Model) Resolve(seq uint64, reply []byte, err error, rtt time.Duration) bool {
	e := m.ring.at(seq)
	if e == nil || e.kind != KindSent {
		return false
	}
	e.rtt = rtt
	if err != nil {
		e.st, e.err = StatusFailed, err
	} else {
		e.st = StatusOK
		m.setAux(seq, e, reply)
	}
	delete(m.cache, seq)
	if m.rows.on && !m.rows.matchesSeq(seq) && m.match(e) {
		// The reply can make a sent line match; keep the order by
		// inserting (rare, and the slice stays sorted).
		m.rows.insert(seq)
		m.keepNewest()
	}
	if m.expanded && m.detailSeq == seq {
		m.detail = nil
	}
	m.shrink(m.budget)
	return true
}

// ResolveLate records the answer that came after the sent message seq had
// failed with a timeout: the reply (nil for a multicast acknowledgement) or
// the node's error, after the time from the send. It reports false when
// the line is gone.
func (m *Model) ResolveLate(seq uint64, reply []byte, err error, after time.Duration) bool {
	e := m.ring.at(seq)
	if e == nil || e.kind != KindSent {
		return false
	}
	e.st, e.rtt, e.err = StatusLate, after, err
	m.setAux(seq, e, reply)
	delete(m.cache, seq)
	if m.rows.on && !m.rows.matchesSeq(seq) && m.match(e) {
		m.rows.insert(seq)
		m.keepNewest()
	}
	if m.expanded && m.detailSeq == seq {
		m.detail = nil
	}
	m.shrink(m.budget)
	return true
}

// forgetDropped is the bookkeeping after the ring dropped its oldest line.
func (m *Model) forgetDropped() {
	m.dropped++
	// The cache is keyed by seq and the dropped seq is never shown again;
	// forget it now so the map does not grow under a flood.
	delete(m.cache, m.ring.first-1)
	// Likewise the filter's matches: a pane that is not drawn (another
	// topic in the single layout, the help overlay) is never trimmed by the
	// renderer, and would keep a number per message forever.
	m.rows.trim()
}

func (m *Model) push(e entry) uint64 {
	seq, dropped := m.ring.push(e)
	if dropped {
		m.forgetDropped()
	}
	defer m.shrink(m.budget)
	shown := true
	if m.rows.on {
		shown = m.match(&e)
		if shown {
			m.rows.matches = append(m.rows.matches, seq)
		}
	}
	if shown && !m.follow {
		m.newCnt++
	}
	if shown && m.selNewest {
		m.keepNewest()
	}
	return seq
}

// Clear empties the pane; the filter stays.
func (m *Model) Clear() {
	if m.ring.bytes >= reclaim.Big {
		reclaim.Soon() // give the memory back now, not at the next collection
	}
	m.ring.reset()
	m.cutTo = m.ring.next
	m.rows.matches = m.rows.matches[:0]
	m.dropped = 0
	m.follow, m.newCnt, m.hasSel, m.selNewest = true, 0, false, false
	m.expanded, m.detail = false, nil
	clear(m.cache)
}

// SetFilter shows only the lines that show text, ignoring case: in the
// payload, the reply, the outcome, the timestamp, the direction or the
// mode label (see shows); "" shows everything again.
func (m *Model) SetFilter(text string) {
	m.filter = text
	m.rows.matches = nil
	m.rows.on = text != ""
	m.needle = NewNeedle(text)
	if m.rows.on {
		for seq := m.ring.first; seq < m.ring.next; seq++ {
			if m.match(m.ring.at(seq)) {
				m.rows.matches = append(m.rows.matches, seq)
			}
		}
	}
	// A selection the filter hides is dropped: enter and y act on the
	// selection, and would open or copy a line that is not listed.
	if m.hasSel && m.rows.on && !m.rows.matchesSeq(m.sel) {
		m.hasSel = false
	}
	m.follow, m.newCnt = true, 0
	m.keepNewest()
	clear(m.cache)
}

func (m *Model) match(e *entry) bool { return m.shows(m.needle, e) }

// Update handles the pane's keys while it has the keyboard.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyMsg)
	if !ok || !m.focused {
		return nil
	}
	if m.expanded {
		m.updateDetail(k)
		return nil
	}
	switch {
	case key.Matches(k, m.keys.Up):
		m.SelectPrev()
	case key.Matches(k, m.keys.Down):
		m.SelectNext()
	case key.Matches(k, m.keys.PageUp):
		m.PageUp()
	case key.Matches(k, m.keys.PageDown):
		m.PageDown()
	case key.Matches(k, m.keys.Top):
		m.Top()
	case key.Matches(k, m.keys.Bottom):
		m.Bottom()
	case key.Matches(k, m.keys.Expand):
		m.Expand()
	case key.Matches(k, m.keys.Close):
		m.Unselect()
	}
	return nil
}

// Consumes reports whether the focused pane would act on k, so that the root
// can leave esc to the pane while it has something to close.
func (m *Model) Consumes(k tea.KeyMsg) bool {
	if key.Matches(k, m.keys.Close) {
		return m.expanded || m.hasSel
	}
	return true
}

func (m *Model) updateDetail(k tea.KeyMsg) {
	h := m.bodyHeight()
	switch {
	case key.Matches(k, m.keys.Up):
		m.detailTop--
	case key.Matches(k, m.keys.Down):
		m.detailTop++
	case key.Matches(k, m.keys.PageUp):
		m.detailTop -= max(1, h-1)
	case key.Matches(k, m.keys.PageDown):
		m.detailTop += max(1, h-1)
	case key.Matches(k, m.keys.Top):
		m.detailTop = 0
	case key.Matches(k, m.keys.Bottom):
		m.detailTop = len(m.detail)
	case key.Matches(k, m.keys.Expand), key.Matches(k, m.keys.Close):
		m.expanded, m.detail = false, nil
		return
	}
	m.detailTop = max(0, min(m.detailTop, len(m.detail)-h))
}

// Entry is a pane line as /save writes it.
type Entry struct {
	At   time.Time
	Kind Kind
	Mode amop.Mode
	Data []byte // the payload, or only its head when Size > len(Data)
	// Size is the payload's length; more than len(Data) when the pane kept
	// only its head (budget.go). ReplySize likewise for Reply.
	Size      int
	ReplySize int
	Reply     []byte // received: the auto-reply sent; sent: the reply
	Replied   bool   // received: an auto-reply was sent
	Status    Status
	Err       error
	RTT       time.Duration
}

// Entries returns the lines the pane lists, oldest first (only the matching
// ones while a filter is in force). Payloads are shared, not copied.
func (m *Model) Entries() []Entry {
	n := m.rows.count()
	out := make([]Entry, 0, n)
	for p := 0; p < n; p++ {
		e := m.ring.at(m.rows.seqAt(p))
		if e == nil {
			continue
		}
		out = append(out, Entry{
			At: time.Unix(0, e.at), Kind: e.kind, Mode: e.mode, Data: e.data, Size: e.dataSize(), ReplySize: e.auxSize(),
			Reply: e.aux, Replied: e.flags&flagReplied != 0, Status: e.st, Err: e.err, RTT: e.rtt,
		})
	}
	return out
}

// matchesSeq reports whether seq is in the match list.
func (v *rows) matchesSeq(seq uint64) bool {
	i := v.posOf(seq)
	return i < len(v.matches) && v.matches[i] == seq
}

// insert adds seq to the match list at its place.
func (v *rows) insert(seq uint64) {
	i := v.posOf(seq)
	v.matches = append(v.matches, 0)
	copy(v.matches[i+1:], v.matches[i:])
	v.matches[i] = seq
}

// errText is the error of a sent line for matching and display.
func errText(err error) string {
	var ce *amop.CodeError
	if errors.As(err, &ce) {
		return ce.Explain()
	}
	return err.Error()
}

// containsFold reports whether hay contains the lower-case needle, ignoring
// ASCII case, without allocating: a filter runs over the whole scrollback.
func containsFold(hay, needle []byte) bool {
	n := len(needle)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(hay); i++ {
		j := 0
		for ; j < n; j++ {
			c := hay[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
