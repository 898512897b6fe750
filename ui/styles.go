package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/ui/input"
	"github.com/amoptui/amoptui/ui/statusbar"
	"github.com/amoptui/amoptui/ui/topiclist"
	"github.com/amoptui/amoptui/ui/topicpane"
)

// Palette is the set of colours everything is drawn with. Each colour has a
// light- and a dark-background variant so the UI reads well on both; a
// theme from config can later override it.
type Palette struct {
	Accent   lipgloss.AdaptiveColor // active frames, the selection
	Subtle   lipgloss.AdaptiveColor // inactive frames, separators
	Muted    lipgloss.AdaptiveColor // timestamps, sizes, hints
	Text     lipgloss.AdaptiveColor // payloads
	OK       lipgloss.AdaptiveColor // ✓, connected
	Warn     lipgloss.AdaptiveColor // pending, reconnecting
	Error    lipgloss.AdaptiveColor // ✗, down, non-zero loss counters
	Unicast  lipgloss.AdaptiveColor // the unicast label and badge
	Multi    lipgloss.AdaptiveColor // the multicast label and badge
	BadgeFg  lipgloss.AdaptiveColor // text on a mode badge
	Received lipgloss.AdaptiveColor // the ← arrow
	Sent     lipgloss.AdaptiveColor // the → arrow
}

// DefaultPalette is chosen for contrast on both light and dark terminals
// (the light variants are darker, the dark ones lighter).
func DefaultPalette() Palette {
	return Palette{
		Accent:   lipgloss.AdaptiveColor{Light: "#5B3CC4", Dark: "#A991F7"},
		Subtle:   lipgloss.AdaptiveColor{Light: "#9A9A9A", Dark: "#5C5C5C"},
		Muted:    lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8F8F8F"},
		Text:     lipgloss.AdaptiveColor{Light: "#1C1C1C", Dark: "#E4E4E4"},
		OK:       lipgloss.AdaptiveColor{Light: "#17803D", Dark: "#5FD38D"},
		Warn:     lipgloss.AdaptiveColor{Light: "#A15C00", Dark: "#F2B84B"},
		Error:    lipgloss.AdaptiveColor{Light: "#C4242B", Dark: "#FF6B6B"},
		Unicast:  lipgloss.AdaptiveColor{Light: "#0B63A8", Dark: "#5CB8FF"},
		Multi:    lipgloss.AdaptiveColor{Light: "#A32C8C", Dark: "#F07BDA"},
		BadgeFg:  lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#111111"},
		Received: lipgloss.AdaptiveColor{Light: "#0B7A75", Dark: "#4FD1C5"},
		Sent:     lipgloss.AdaptiveColor{Light: "#5B3CC4", Dark: "#A991F7"},
	}
}

// Styles are every style of the UI, grouped by the component that uses
// them. They are built once (never inside Update or View).
type Styles struct {
	Pane      topicpane.Styles
	List      topiclist.Styles
	Status    statusbar.Styles
	Input     input.Styles
	Help      help.Styles
	HelpFrame lipgloss.Style // the border of the help overlay
	HelpTitle lipgloss.Style
	Notice    lipgloss.Style // a transient confirmation in the footer
	Alert     lipgloss.Style // a transient error in the footer
	Dim       lipgloss.Style // "terminal too small", empty states
}

// DefaultStyles builds the styles from the default palette with renderer r.
func DefaultStyles(r *lipgloss.Renderer) Styles { return NewStyles(r, DefaultPalette()) }

// NewStyles builds the styles from p with renderer r.
func NewStyles(r *lipgloss.Renderer, p Palette) Styles {
	s := func() lipgloss.Style { return r.NewStyle() }
	fg := func(c lipgloss.AdaptiveColor) lipgloss.Style { return r.NewStyle().Foreground(c) }
	badge := func(c lipgloss.AdaptiveColor) lipgloss.Style {
		return r.NewStyle().Bold(true).Foreground(p.BadgeFg).Background(c)
	}
	return Styles{
		Pane: topicpane.Styles{
			Border:       fg(p.Subtle),
			BorderActive: fg(p.Accent),
			Title:        fg(p.Accent),
			Timestamp:    fg(p.Muted),
			Received:     fg(p.Received).Bold(true),
			Sent:         fg(p.Sent).Bold(true),
			Unicast:      fg(p.Unicast),
			Multicast:    fg(p.Multi),
			Payload:      fg(p.Text),
			Meta:         fg(p.Muted),
			OK:           fg(p.OK),
			Error:        fg(p.Error),
			Pending:      fg(p.Warn),
			System:       fg(p.Muted).Italic(true),
			Selected:     fg(p.Accent).Bold(true),
			Notice:       fg(p.Warn).Bold(true),
		},
		List: topiclist.Styles{
			Border:       fg(p.Subtle),
			BorderActive: fg(p.Accent),
			Title:        fg(p.Accent),
			Item:         fg(p.Text),
			Selected:     fg(p.Accent).Bold(true),
			Unread:       fg(p.Warn).Bold(true),
		},
		Status: statusbar.Styles{
			App:        fg(p.Accent).Bold(true),
			Connected:  fg(p.OK).Bold(true),
			Connecting: fg(p.Warn).Bold(true),
			Down:       fg(p.Error).Bold(true),
			Label:      fg(p.Muted),
			Value:      fg(p.Text),
			Alert:      fg(p.Error),
		},
		Input: input.Styles{
			Unicast:   badge(p.Unicast),
			Multicast: badge(p.Multi),
			Topic:     fg(p.Accent),
			Prompt:    fg(p.Accent).Bold(true),
			Text:      s(),
			Hint:      fg(p.Muted),
		},
		Help: help.Styles{
			Ellipsis:       fg(p.Subtle),
			ShortKey:       fg(p.Muted).Bold(true),
			ShortDesc:      fg(p.Muted),
			ShortSeparator: fg(p.Subtle),
			FullKey:        fg(p.Accent).Bold(true),
			FullDesc:       fg(p.Text),
			FullSeparator:  fg(p.Subtle),
		},
		HelpFrame: fg(p.Accent),
		HelpTitle: fg(p.Accent).Bold(true),
		Notice:    fg(p.OK),
		Alert:     fg(p.Error).Bold(true),
		Dim:       fg(p.Muted),
	}
}
