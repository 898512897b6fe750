package ui

import (
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/history"
	"github.com/amoptui/amoptui/ui/netview"
	"github.com/amoptui/amoptui/ui/topicpane"
)

// Layout is how topic panes share the screen.
type Layout uint8

// The layouts; one key toggles between them.
const (
	LayoutTiled  Layout = iota // several topic panes at once
	LayoutSingle               // only the active topic's pane
)

// String returns "tiled" or "single".
func (l Layout) String() string {
	if l == LayoutSingle {
		return "single"
	}
	return "tiled"
}

// ParseLayout reads "tiled" or "single"; anything else is tiled, ok false.
func ParseLayout(s string) (Layout, bool) {
	switch s {
	case "tiled", "tile", "":
		return LayoutTiled, true
	case "single":
		return LayoutSingle, true
	}
	return LayoutTiled, false
}

// Theme selects the palette variant.
type Theme uint8

// Themes. ThemeAuto asks the terminal for its background before the program
// starts (in New); NO_COLOR in the environment always wins and gives
// ThemeMono.
const (
	ThemeAuto  Theme = iota // adapt to the terminal background
	ThemeDark               // colours for a dark background
	ThemeLight              // colours for a light background
	ThemeMono               // no colour at all (what NO_COLOR gives)
)

// ParseTheme reads auto, dark, light, mono (or none/no-color).
func ParseTheme(s string) (Theme, bool) {
	switch s {
	case "auto", "":
		return ThemeAuto, true
	case "dark":
		return ThemeDark, true
	case "light":
		return ThemeLight, true
	case "mono", "none", "no-color", "nocolor":
		return ThemeMono, true
	}
	return ThemeAuto, false
}

// Defaults of Options.
const (
	DefaultScrollback  = 10000
	DefaultTotalBytes  = 64 << 20 // memory.go
	DefaultHistory     = 100
	DefaultTimeFormat  = "15:04:05.000"
	DefaultSendTimeout = 10 * time.Second
)

// Options is everything main decides for the UI (from config and flags).
// The zero value works: every field has a default.
type Options struct {
	// Topics are joined at start, in order, besides those the client has
	// already joined.
	Topics []string
	// Publish are topics given a send-only pane at start: sent to without
	// joining them (a topic in Topics too listens and sends).
	Publish []string
	// Private are private topics joined (Key set) and/or published
	// (Allowed set) at start, in order.
	Private []PrivateTopic
	// Mode is the initial send mode.
	Mode amop.Mode
	// AutoReply, when set, is applied to the client at start as the default
	// policy (topic ""); nil leaves the client's policy alone.
	AutoReply *amop.ReplyPolicy
	// Scrollback is the per-topic cap in messages (DefaultScrollback).
	Scrollback int
	// PaneBytes is the memory budget of each pane (topicpane.DefaultBytes)
	// and TotalBytes that of all of them together (DefaultTotalBytes):
	// see memory.go.
	PaneBytes  int64
	TotalBytes int64
	// History is the per-topic input history cap (DefaultHistory).
	History int
	// TimeFormat is the time.Format layout of line timestamps
	// (DefaultTimeFormat, milliseconds).
	TimeFormat string
	// Layout is the initial layout.
	Layout Layout
	// Theme selects colours; see Theme.
	Theme Theme
	// SendTimeout bounds every send (DefaultSendTimeout).
	SendTimeout time.Duration
	// Banner lines are shown in every pane at start, e.g. that an embedded
	// local network was started and the command a second terminal runs.
	Banner []string
	// Diagnose, when set, is asked once, off the UI thread, after the first
	// failed connection attempt, for what the error alone does not say — that
	// the endpoint is a FISCO BCOS 3.x node while the 2.x line was forced,
	// say. A non-empty answer goes to every pane and the footer; "" says
	// nothing.
	Diagnose func() string
	// Transcript, when set, receives every event as it happens (see
	// Transcript). The UI never closes it.
	Transcript Transcript
	// Renderer is the lipgloss renderer styles are built with; nil uses
	// lipgloss.DefaultRenderer (standard output).
	Renderer *lipgloss.Renderer
	// Replies answer unicast requests per topic beyond AutoReply: the
	// configuration's [reply] tables (see ReplyConfig).
	Replies ReplyConfig
	// HistoryStore, when set, keeps the input history across runs;
	// HistoryLoaded is what it held at start (loaded before New: no IO in
	// the model).
	HistoryStore  *history.Store
	HistoryLoaded []history.Topic
	// Clipboard is where y copies the selected payload.
	Clipboard Clipboard
	// Network is the embedded network this TUI started, for /network (nil
	// when it joined another); NetworkTitle describes it in the frame.
	Network      netview.Source
	NetworkTitle string
	// Now is the clock of timestamps and round-trip times; nil is time.Now.
	// Tests pass a fixed clock so that golden files are stable.
	Now func() time.Time
}

// PrivateTopic is a private topic to take part in at start: as a
// subscriber proving Key, as a publisher accepting Allowed, or both.
type PrivateTopic struct {
	Topic   string
	Key     *amop.PrivateKey
	Allowed []*amop.PublicKey
}

func (o Options) withDefaults() Options {
	if o.Scrollback <= 0 {
		o.Scrollback = DefaultScrollback
	}
	if o.PaneBytes <= 0 {
		o.PaneBytes = topicpane.DefaultBytes
	}
	if o.TotalBytes <= 0 {
		o.TotalBytes = DefaultTotalBytes
	}
	if o.History <= 0 {
		o.History = DefaultHistory
	}
	if o.TimeFormat == "" {
		o.TimeFormat = DefaultTimeFormat
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = DefaultSendTimeout
	}
	if o.Renderer == nil {
		o.Renderer = lipgloss.DefaultRenderer()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
