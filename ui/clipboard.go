package ui

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/atotto/clipboard"
	osc52 "github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/ui/internal/paint"
)

// osc52Max is the largest payload sent to the terminal's clipboard: many
// terminals cap OSC 52 (xterm near 100 KB once base64-encoded).
const osc52Max = 64 << 10

// Clipboard says where `y` copies a payload to.
type Clipboard struct {
	// Terminal receives the OSC 52 sequence: the program's output, the
	// same *os.File Bubble Tea renders to (whose writes Go serialises, so
	// the sequence never lands inside a frame). nil: no OSC 52.
	Terminal io.Writer
	// System also tries the desktop clipboard (xclip, xsel, wl-copy, …).
	System bool
	// File is the fallback written when the desktop clipboard is not
	// available (or the payload is too large for OSC 52); "" for none.
	File string
}

// copiedMsg is the outcome of a copy.
type copiedMsg struct {
	n      int
	of     int // the payload's size, when the pane kept only n bytes of it
	how    []string
	hidden []string // control characters and the like in the payload (sanitize.Hidden)
	err    error
}

// copyCmd copies data: OSC 52 to the terminal, the desktop clipboard when
// there is one, else the fallback file.
func copyCmd(c Clipboard, data []byte) tea.Cmd {
	return func() tea.Msg {
		// The real bytes are copied: a payload is evidence, and a copy
		// that differs from what arrived would mislead. What in it a
		// terminal or a shell would act on is named in the notice.
		msg := copiedMsg{n: len(data), hidden: sanitize.Hidden(data, 4)}
		if c.Terminal != nil && len(data) <= osc52Max {
			if _, err := osc52.New(string(data)).WriteTo(c.Terminal); err == nil {
				msg.how = append(msg.how, "OSC 52")
			}
		}
		system := false
		if c.System && !clipboard.Unsupported {
			system = clipboard.WriteAll(string(data)) == nil
			if system {
				msg.how = append(msg.how, "system clipboard")
			}
		}
		if !system && c.File != "" {
			err := os.MkdirAll(filepath.Dir(c.File), 0o700)
			if err == nil {
				err = os.WriteFile(c.File, data, 0o600)
			}
			if err == nil {
				msg.how = append(msg.how, "saved to "+c.File)
			} else if len(msg.how) == 0 {
				msg.err = err
			}
		}
		if len(msg.how) == 0 && msg.err == nil {
			msg.err = errors.New("no clipboard: the payload is too large for OSC 52 and no fallback is set")
		}
		return msg
	}
}

// copySelected copies the selected message of the active pane.
func (m *Model) copySelected() tea.Cmd {
	p := m.panes[m.list.Selected()]
	if p == nil {
		return nil
	}
	data, ok := p.SelectedData()
	if !ok {
		return m.setNotice("select a message first (↑/↓ or a click), then y copies it", true)
	}
	cmd := copyCmd(m.opts.Clipboard, data)
	if size := p.SelectedSize(); size > len(data) {
		return func() tea.Msg {
			msg := cmd().(copiedMsg)
			msg.of = size
			return msg
		}
	}
	return cmd
}

func (m Model) updateCopied(msg copiedMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		return m, m.setNotice("copy failed: "+sanitize.String(msg.err.Error()), true)
	}
	text := "copied " + paint.Size(msg.n) + " · " + sanitize.String(strings.Join(msg.how, " · "))
	if msg.of > msg.n {
		text = "copied the first " + paint.Size(msg.n) + " of " + paint.Size(msg.of) + " (the pane did not keep the rest; --transcript records every byte) · " +
			sanitize.String(strings.Join(msg.how, " · "))
	}
	if len(msg.hidden) > 0 {
		// An error's colour: pasted into a shell, an ESC or a CR can hide
		// what runs ("rm -rf ~ ␛[2K␍ echo harmless").
		return m, m.setNotice(text+" · careful: it holds control characters ("+strings.Join(msg.hidden, ", ")+
			") that a terminal or a shell would act on when it is pasted", true)
	}
	return m, m.setNotice(text, false)
}
