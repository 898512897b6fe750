package topicpane

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
)

// View renders the pane as one string; Render is what the root uses.
func (m *Model) View(spin string) string {
	return strings.Join(m.Render(nil, spin), "\n")
}

// Render appends the pane's lines to dst: exactly the height set by
// SetSize, each exactly the width. spin is the current frame of the pending
// spinner.
//
// Render fills a cache of rendered rows. That is a change of state inside
// what is otherwise View, accepted because it is invisible (a memo of a pure
// function of the entry and the width) and it is what keeps a frame cheap
// under a flood: following the newest line, a new message moves the window
// by one row and all the other rows come from the cache.
func (m *Model) Render(dst []string, spin string) []string {
	if m.width < 2 || m.height < 2 {
		return dst
	}
	inner := m.width - 2
	fs := m.st.frame
	if m.active {
		fs = m.st.frameActive
	}
	if m.expanded {
		return m.renderDetail(dst, inner, fs)
	}
	if m.cacheW != inner {
		clear(m.cache)
		m.cacheW = inner
	}
	h := m.bodyHeight()
	if len(m.cache) > 4*h+64 {
		clear(m.cache)
	}
	top, n, skip := m.window()
	body := make([]string, 0, h)
	if n == 0 {
		body = append(body, m.emptyLine(inner))
	}
	selSeq, hasSel := m.Selected()
	for p := top; p < top+n && len(body) < h; p++ {
		seq := m.rows.seqAt(p)
		e := m.ring.at(seq)
		if e == nil {
			body = append(body, strings.Repeat(" ", inner))
			continue
		}
		selected := hasSel && seq == selSeq
		if isNote(e) {
			ls := m.noteRows(e, inner, selected)
			if p == top {
				ls = ls[min(skip, len(ls)):]
			}
			body = append(body, ls[:min(len(ls), h-len(body))]...)
			continue
		}
		if !selected && e.st != StatusPending {
			if s, ok := m.cache[seq]; ok {
				body = append(body, s)
				continue
			}
		}
		s := m.row(e, inner, selected, spin)
		if !selected && e.st != StatusPending {
			m.cache[seq] = s
		}
		body = append(body, s)
	}
	return paint.Frame(dst, body, m.width, m.height, m.titleText(), m.noteText(), fs)
}

// emptyLine is shown in a pane with nothing to list.
func (m *Model) emptyLine(w int) string {
	t := "no messages yet"
	if m.rows.on {
		t = "nothing matches the filter"
	}
	s, sw := paint.Fit(" "+t, w)
	return m.st.meta.S(s) + strings.Repeat(" ", max(0, w-sw))
}

// titleText is the top edge: the topic, and how many lines the cap dropped.
func (m *Model) titleText() string {
	t := "# " + m.title
	if m.note != "" {
		t += " · " + m.note
	}
	if m.expanded {
		t += " · message"
	}
	if m.dropped > 0 {
		t += " · " + paint.Count(m.dropped) + " older dropped"
	}
	return t
}

// noteText is the bottom edge: filter, paused state and new lines below.
func (m *Model) noteText() string {
	var parts []string
	if m.expanded {
		h := m.bodyHeight()
		if len(m.detail) > h {
			parts = append(parts, strconv.Itoa(m.detailTop+1)+"–"+strconv.Itoa(min(len(m.detail), m.detailTop+h))+" of "+strconv.Itoa(len(m.detail))+" lines")
		}
		parts = append(parts, "esc close")
		return strings.Join(parts, " · ")
	}
	if m.rows.on {
		parts = append(parts, "filter \""+sanitize.String(m.filter)+"\" "+paint.Count(uint64(m.rows.count()))+"/"+paint.Count(uint64(m.ring.len())))
	}
	if !m.follow {
		if n := m.NewCount(); n > 0 {
			parts = append(parts, paint.Count(uint64(n))+" new ↓")
		} else {
			// end resumes following in the pane; typed into the input it
			// moves the cursor, so from there page down to the bottom.
			if m.focused {
				parts = append(parts, "paused · end to follow")
			} else {
				parts = append(parts, "paused · pgdn to follow")
			}
		}
	}
	return strings.Join(parts, " · ")
}

// modeLabel is the fixed-width mode column.
func modeLabel(m amop.Mode) string {
	if m == amop.Multicast {
		return "multi"
	}
	return "uni  "
}

// row renders one entry to exactly w cells:
//
//	▸HH:MM:SS.mmm → uni   payload…            ✓ reply "pong" · 1.8 ms
//
// The right-hand part (status, size, reply) is laid out first so that a
// long payload is what gets cut, never the outcome.
func (m *Model) row(e *entry, w int, selected bool, spin string) string {
	if w <= 0 {
		return ""
	}
	var sb strings.Builder
	sb.Grow(w + 64)
	used := 1
	if selected {
		sb.WriteString(m.st.sel.S("▸"))
	} else {
		sb.WriteByte(' ')
	}
	ts := time.Unix(0, e.at).Format(m.tf)
	ts, tw := paint.Fit(ts, w-used)
	sb.WriteString(m.st.ts.S(ts))
	used += tw
	if w-used < 4 {
		return paint.Pad(sb.String(), used, w)
	}

	if isNote(e) {
		t, tw := paint.Fit(" · "+sanitize.Bytes(e.data), w-used)
		sb.WriteString(m.notePaint(e).S(t))
		return paint.Pad(sb.String(), used+tw, w)
	}

	// Direction and mode.
	arrow, ap := " ← ", m.st.recv
	if e.kind == KindSent {
		arrow, ap = " → ", m.st.sent
	}
	mp := m.st.uni
	if e.mode == amop.Multicast {
		mp = m.st.multi
	}
	lbl := modeLabel(e.mode)
	if used+3+5+1 > w {
		return paint.Pad(sb.String(), used, w)
	}
	sb.WriteString(ap.S(arrow))
	sb.WriteString(mp.S(lbl))
	sb.WriteByte(' ')
	used += 3 + 5 + 1

	// The outcome gets what the payload leaves, but at least two thirds of
	// the room when the payload is long, so both always show.
	rest := w - used
	need := len(e.data) // an upper bound of the payload's width, cheap
	if e.flags&flagBinary != 0 {
		need = 4 + 3*len(e.data)
	}
	suffix, sw := m.suffix(e, max(rest*2/3, rest-min(need, rest/3)-1), spin)
	avail := rest - sw
	if sw > 0 {
		avail-- // a space between payload and outcome
	}
	pl, pw := m.payloadText(e.data, e.flags&flagBinary != 0, avail)
	sb.WriteString(pl)
	used += pw
	if sw > 0 {
		pad := w - used - sw
		sb.WriteString(strings.Repeat(" ", max(1, pad)))
		sb.WriteString(suffix)
		used += max(1, pad) + sw
	}
	return paint.Pad(sb.String(), used, w)
}

// payloadText is the payload cut to w cells: sanitised text, hex for
// binary payloads, a placeholder when empty.
func (m *Model) payloadText(data []byte, binary bool, w int) (string, int) {
	if w <= 0 {
		return "", 0
	}
	if len(data) == 0 {
		s, sw := paint.Fit("(empty)", w)
		return m.st.meta.S(s), sw
	}
	if binary {
		s, sw := paint.Fit("hex "+sanitize.Hex(data, max(1, (w-4)/3)), w)
		return m.st.payload.S(s), sw
	}
	s, sw := preview(data, w)
	return m.st.payload.S(s), sw
}

// suffix is the right-hand column of a message row, painted, and its width
// (at most w). When the full form does not fit, shorter forms are tried
// before anything is cut: the plain-language outcome matters more than the
// AMOP code or the round-trip time.
func (m *Model) suffix(e *entry, w int, spin string) (string, int) {
	if w <= 0 {
		return "", 0
	}
	var forms [][]span
	rtt := span{" · " + paint.RTT(e.rtt), m.st.meta}
	switch {
	case e.kind == KindReceived:
		size := span{paint.Size(e.dataSize()), m.st.meta}
		if e.flags&flagReplied != 0 {
			forms = append(forms,
				[]span{size, {" ↩ " + quote(e.aux, 20), m.st.ok}},
				[]span{size, {" ↩ " + quote(e.aux, 6), m.st.ok}},
				[]span{{"↩ " + quote(e.aux, 6), m.st.ok}})
		}
		forms = append(forms, []span{size})
	case e.st == StatusPending:
		forms = append(forms, []span{{spin + " sending", m.st.pending}}, []span{{spin, m.st.pending}})
	case e.st == StatusOK && e.mode == amop.Multicast:
		// Accepted (2.x) or only written (3.x), never delivered.
		long := span{"✓ " + e.line().MulticastOK(), m.st.ok}
		ok := span{"✓ " + e.line().MulticastOKWord(), m.st.ok}
		forms = append(forms, []span{long, rtt}, []span{long}, []span{ok, rtt}, []span{ok}, []span{{"✓", m.st.ok}})
	case e.st == StatusLate:
		forms = append(forms, m.lateForms(e)...)
	case e.st == StatusOK:
		forms = append(forms,
			[]span{{"✓ reply " + quote(e.aux, 20), m.st.ok}, rtt},
			[]span{{"✓ reply " + quote(e.aux, 8), m.st.ok}, rtt},
			[]span{{"✓ " + quote(e.aux, 8), m.st.ok}},
			[]span{{"✓", m.st.ok}})
	case e.st == StatusFailed:
		long := "✗ " + sanitize.String(amop.ShortError(e.err))
		short := long
		var ce *amop.CodeError
		if errors.As(e.err, &ce) {
			short = "✗ " + ce.Short()
		}
		forms = append(forms,
			[]span{{long, m.st.err}, rtt},
			[]span{{long, m.st.err}},
			[]span{{short, m.st.err}, rtt},
			[]span{{short, m.st.err}})
	}
	for i, f := range forms {
		if sw := spansWidth(f); sw <= w || i == len(forms)-1 {
			return renderSpans(f, w)
		}
	}
	return "", 0
}

// lateForms are the outcome column of a send answered after it gave up,
// longest first: "✓ reply "pong" 31.2 s later".
func (m *Model) lateForms(e *entry) [][]span {
	later := span{" " + amop.LateText(e.rtt), m.st.meta}
	late := span{" late", m.st.meta}
	switch {
	case e.err != nil:
		long := "✗ " + sanitize.String(amop.ShortError(e.err))
		short := long
		var ce *amop.CodeError
		if errors.As(e.err, &ce) {
			short = "✗ " + ce.Short()
		}
		return [][]span{{{long, m.st.err}, later}, {{short, m.st.err}, later}, {{short, m.st.err}, late}, {{"✗", m.st.err}, late}}
	case e.mode == amop.Multicast:
		return [][]span{{{"✓ " + e.line().MulticastOK(), m.st.ok}, later}, {{"✓ " + e.line().MulticastOKWord(), m.st.ok}, later}, {{"✓", m.st.ok}, late}}
	}
	return [][]span{
		{{"✓ reply " + quote(e.aux, 20), m.st.ok}, later},
		{{"✓ reply " + quote(e.aux, 8), m.st.ok}, later},
		{{"✓ " + quote(e.aux, 8), m.st.ok}, late},
		{{"✓", m.st.ok}, late}}
}

// span is a piece of text (already safe) and its paint.
type span struct {
	text string
	p    paint.Paint
}

func spansWidth(f []span) int {
	n := 0
	for _, s := range f {
		n += paint.Width(s.text)
	}
	return n
}

// renderSpans paints the spans, cutting at w cells.
func renderSpans(f []span, w int) (string, int) {
	var sb strings.Builder
	used := 0
	for _, p := range f {
		t, tw := paint.Fit(p.text, w-used)
		if tw == 0 {
			break
		}
		sb.WriteString(p.p.S(t))
		used += tw
	}
	return sb.String(), used
}

// quote is a short quoted preview of a reply.
func quote(b []byte, w int) string {
	if sanitize.IsBinary(b) {
		return "hex " + sanitize.Hex(b, max(1, w/3))
	}
	s, _ := preview(b, w)
	return "\"" + s + "\""
}

// preview is sanitize.Preview with the promise made explicit: at most w
// cells, ending in "…" when the payload was cut.
func preview(b []byte, w int) (string, int) {
	if w <= 0 {
		return "", 0
	}
	s, cut := sanitize.Preview(b, w)
	if cut && !strings.HasSuffix(s, "…") {
		s, _ = sanitize.Preview(b, max(0, w-1))
		s += "…"
	}
	return paint.Fit(s, w)
}

// isNote reports whether e is the program talking (a system or error
// note) rather than a message.
func isNote(e *entry) bool { return e.kind == KindSystem || e.kind == KindError }

func (m *Model) notePaint(e *entry) paint.Paint {
	if e.kind == KindError {
		return m.st.err
	}
	return m.st.system
}

// noteMinRoom is the narrowest a note's text column gets before the note
// is shown on one cut line like a message (a pane that narrow shows little
// anyway).
const noteMinRoom = 8

// noteLines is a note's text wrapped to the room its line leaves after the
// marker column, the timestamp and " · ", for an inner width w.
func (m *Model) noteLines(e *entry, w int) []string {
	room := w - 1 - paint.Width(time.Unix(0, e.at).Format(m.tf)) - 3
	if room < noteMinRoom {
		return []string{sanitize.Bytes(e.data)}
	}
	return paint.Wrap(sanitize.Bytes(e.data), room)
}

// entryH is the number of lines e takes: 1 for a message, the wrapped
// lines of a note, at most the pane's height.
func (m *Model) entryH(e *entry) int {
	if !isNote(e) {
		return 1
	}
	inner := m.width - 2
	if int(e.wrapW) != inner || e.wrapH == 0 {
		e.wrapW, e.wrapH = uint16(max(0, inner)), uint16(min(len(m.noteLines(e, inner)), 1<<16-1))
	}
	return max(1, min(int(e.wrapH), m.bodyHeight()))
}

// noteRows renders a note to entryH lines of exactly w cells: the marker,
// the timestamp and the first line of text, then the rest of the text
// aligned under it. A note taller than the pane ends in "…" (enter shows
// it whole).
func (m *Model) noteRows(e *entry, w int, selected bool) []string {
	ls := m.noteLines(e, w)
	if len(ls) == 1 {
		return []string{m.row(e, w, selected, "")}
	}
	ts := time.Unix(0, e.at).Format(m.tf)
	tsW := paint.Width(ts)
	room := w - 1 - tsW - 3
	if h := m.entryH(e); len(ls) > h {
		last, _ := paint.Fit(strings.Join(ls[h-1:], " "), room)
		ls = append(ls[:h-1:h-1], last)
	}
	p := m.notePaint(e)
	out := make([]string, len(ls))
	for i, l := range ls {
		var sb strings.Builder
		switch {
		case i > 0:
			sb.WriteString(strings.Repeat(" ", 1+tsW))
		case selected:
			sb.WriteString(m.st.sel.S("▸"))
			sb.WriteString(m.st.ts.S(ts))
		default:
			sb.WriteByte(' ')
			sb.WriteString(m.st.ts.S(ts))
		}
		lead := " · "
		if i > 0 {
			lead = "   "
		}
		sb.WriteString(p.S(lead + l))
		out[i] = paint.Pad(sb.String(), 1+tsW+3+paint.Width(l), w)
	}
	return out
}
