package topicpane

import (
	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/ui/internal/paint"
)

// Styles are the inline styles of a pane. Only colours and text attributes
// are honoured: the pane measures and pads every line itself.
type Styles struct {
	Border       lipgloss.Style // frame of a pane that is not the active one
	BorderActive lipgloss.Style // frame of the active pane
	Title        lipgloss.Style // topic name and notes in the frame
	Timestamp    lipgloss.Style
	Received     lipgloss.Style // the ← arrow
	Sent         lipgloss.Style // the → arrow
	Unicast      lipgloss.Style // the "uni" label
	Multicast    lipgloss.Style // the "multi" label
	Payload      lipgloss.Style
	Meta         lipgloss.Style // sizes, round-trip times, placeholders
	OK           lipgloss.Style // ✓ and the reply
	Error        lipgloss.Style // ✗ and the reason; error notes
	Pending      lipgloss.Style // the spinner
	System       lipgloss.Style // notes from the TUI
	Selected     lipgloss.Style // the selection marker
	Notice       lipgloss.Style // "N new ↓", "N older dropped"
}

// painted is Styles resolved once into paints (see package paint).
type painted struct {
	frame, frameActive paint.FrameStyle
	ts, recv, sent     paint.Paint
	uni, multi         paint.Paint
	payload, meta      paint.Paint
	ok, err, pending   paint.Paint
	system, sel        paint.Paint
	notice             paint.Paint
}

func (s Styles) paint() painted {
	return painted{
		frame:       paint.FrameStyle{Border: paint.Light, Line: paint.From(s.Border), Title: paint.From(s.Title)},
		frameActive: paint.FrameStyle{Border: paint.Heavy, Line: paint.From(s.BorderActive), Title: paint.From(s.Title.Bold(true))},
		ts:          paint.From(s.Timestamp),
		recv:        paint.From(s.Received),
		sent:        paint.From(s.Sent),
		uni:         paint.From(s.Unicast),
		multi:       paint.From(s.Multicast),
		payload:     paint.From(s.Payload),
		meta:        paint.From(s.Meta),
		ok:          paint.From(s.OK),
		err:         paint.From(s.Error),
		pending:     paint.From(s.Pending),
		system:      paint.From(s.System),
		sel:         paint.From(s.Selected),
		notice:      paint.From(s.Notice),
	}
}
