package topicpane

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
)

// renderDetail draws the expanded message. Its lines are built once per
// message and width (a 100 KB payload wraps to thousands of lines) and kept
// until the view closes.
func (m *Model) renderDetail(dst []string, inner int, fs paint.FrameStyle) []string {
	if m.detail == nil || m.detailW != inner {
		// One column of margin on the left, as the list rows have.
		m.detail = m.buildDetail(max(0, inner-1))
		for i, l := range m.detail {
			m.detail[i] = " " + l
		}
		m.detailW = inner
	}
	h := m.bodyHeight()
	top := max(0, min(m.detailTop, len(m.detail)-h))
	body := make([]string, 0, h)
	for i := top; i < len(m.detail) && len(body) < h; i++ {
		body = append(body, m.detail[i])
	}
	return paint.Frame(dst, body, m.width, m.height, m.titleText(), m.noteText(), fs)
}

// detailMax is how much of a payload the expanded view lays out: a 4 MiB
// hex dump is a quarter of a million lines and a third of a second of work
// inside View. The rest is counted, and /save keeps it all.
const detailMax = 64 << 10

// head cuts b to detailMax and says how much was left out.
func head(b []byte) ([]byte, int) {
	if len(b) <= detailMax {
		return b, 0
	}
	return b[:detailMax], len(b) - detailMax
}

// buildDetail lays out the selected message for width w: a header with
// everything known about it, then the payload as pretty JSON when it parses,
// a hex dump when it is binary, or wrapped text.
func (m *Model) buildDetail(w int) []string {
	e := m.ring.at(m.detailSeq)
	if e == nil {
		return []string{paint.FitPad("the message was dropped from the scrollback", w)}
	}
	var out []string
	add := func(p paint.Paint, s string) {
		for _, l := range wrap(s, w) {
			out = append(out, p.S(paint.FitPad(l, w)))
		}
	}
	ts := time.Unix(0, e.at).Format(m.tf)
	switch e.kind {
	case KindSystem, KindError:
		add(m.st.ts, ts+" · note from amoptui")
		add(m.st.system, sanitize.Bytes(e.data))
		return out
	case KindReceived:
		what := "multicast push"
		if e.mode == amop.Unicast {
			what = "unicast request"
		}
		add(m.st.ts, ts+" ← received "+what+" · "+paint.Size(e.dataSize())+keptNote(e.dataSize(), len(e.data), " (", ")"))
		if e.flags&flagReplied != 0 {
			reply, _ := head(e.aux)
			add(m.st.ok, "auto-reply sent"+keptNote(e.auxSize(), len(e.aux), " ("+paint.Size(e.auxSize())+", ", ")")+": "+sanitize.Bytes(reply))
		}
	case KindSent:
		add(m.st.ts, ts+" → sent "+e.mode.String()+" · "+paint.Size(e.dataSize())+keptNote(e.dataSize(), len(e.data), " (", ")"))
		switch e.st {
		case StatusPending:
			add(m.st.pending, "waiting for the node's answer…")
		case StatusOK:
			if e.mode == amop.Multicast {
				add(m.st.ok, "✓ "+e.line().MulticastOKLong()+" · round trip "+paint.RTT(e.rtt))
			} else {
				reply, _ := head(e.aux)
				add(m.st.ok, "✓ reply ("+paint.Size(e.auxSize())+keptNote(e.auxSize(), len(e.aux), ", ", "")+") · round trip "+paint.RTT(e.rtt)+": "+sanitize.Bytes(reply))
			}
		case StatusFailed:
			add(m.st.err, "✗ "+sanitize.String(errText(e.err))+" · after "+paint.RTT(e.rtt))
		case StatusLate:
			add(m.st.err, "✗ the send gave up waiting (timeout), and the node answered "+amop.LateText(e.rtt)+" than it was sent:")
			switch {
			case e.err != nil:
				add(m.st.err, "✗ "+sanitize.String(errText(e.err)))
			case e.mode == amop.Multicast:
				add(m.st.ok, "✓ "+e.line().MulticastOKLong())
			default:
				reply, _ := head(e.aux)
				add(m.st.ok, "✓ reply ("+paint.Size(e.auxSize())+keptNote(e.auxSize(), len(e.aux), ", ", "")+"): "+sanitize.Bytes(reply))
			}
		}
	}
	out = append(out, m.st.meta.S(strings.Repeat("─", w)))
	data, more := head(e.data)
	switch {
	case len(data) == 0:
		add(m.st.meta, "(empty payload)")
	case e.flags&flagBinary != 0:
		add(m.st.meta, "binary payload, hex dump:")
		for _, l := range sanitize.HexDump(data) {
			add(m.st.payload, l)
		}
	default:
		if lines, ok := sanitize.PrettyJSON(data); ok && more == 0 {
			for _, l := range lines {
				add(m.st.payload, l)
			}
		} else {
			add(m.st.payload, sanitize.Bytes(data))
		}
	}
	switch lost := e.dataSize() - len(e.data); {
	case lost > 0: // the kept head is what is shown: KeepHead is detailMax
		add(m.st.meta, "… "+paint.Size(more+lost)+" more not kept: the pane keeps the first "+paint.Size(KeepHead)+
			" of a payload its memory budget cannot hold whole (--transcript records every byte)")
	case more > 0:
		add(m.st.meta, "… "+paint.Size(more)+" more not shown (/save writes the whole payload)")
	}
	return out
}

// keptNote says, between open and closing, how much of a payload of size
// bytes the pane kept when it kept only its head (budget.go), in the words
// of y's notice ("copied the first … of …"), so that the header of the
// expanded view says it before the cut text does; "" when it kept it whole.
func keptNote(size, kept int, open, closing string) string {
	if size <= kept {
		return ""
	}
	return open + "the first " + paint.Size(kept) + " kept" + closing
}

// wrap breaks sanitised text into lines of at most w cells.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	if ansi.StringWidth(s) <= w {
		return []string{s}
	}
	return strings.Split(ansi.Hardwrap(s, w, true), "\n")
}
