package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/ui/statusbar"
)

// wheelStep is how many lines one wheel notch scrolls.
const wheelStep = 3

// updateMouse: a click on a topic selects it, a click on a message selects
// it (and gives the pane the keyboard, so y copies it), the wheel scrolls
// the pane under the pointer (or the overlay), a click on the input line
// focuses it. Mouse events arrive only when mouse mode is on (the default;
// --no-mouse leaves the terminal's own selection alone).
func (m Model) updateMouse(msg tea.MouseMsg) (tea.Model, tea.Cmd) {
	if m.grid.tooSmall {
		return m, nil
	}
	wheel := msg.Button == tea.MouseButtonWheelUp || msg.Button == tea.MouseButtonWheelDown
	click := msg.Action == tea.MouseActionPress && msg.Button == tea.MouseButtonLeft
	if !wheel && !click {
		return m, nil
	}
	up := msg.Button == tea.MouseButtonWheelUp
	if m.showHelp {
		if wheel {
			d := wheelStep
			if up {
				d = -d
			}
			m.helpTop = max(0, min(m.helpTop+d, len(m.helpBody(m.width))-(m.grid.mainH-2)))
		}
		return m, nil
	}
	if m.stats.show {
		return m, nil
	}
	y := msg.Y - statusbar.Height
	if y == m.grid.mainH && click { // the input line
		return m, m.setFocus(FocusInput)
	}
	if y < 0 || y >= m.grid.mainH {
		return m, nil
	}
	if m.grid.listShown && msg.X < m.grid.listW {
		if !click {
			if up {
				m.list.Prev()
			} else {
				m.list.Next()
			}
			m.activate()
			return m, nil
		}
		if t := m.list.ItemAt(y - 1); t != "" {
			m.list.Select(m.list.Index(t))
			m.activate()
		}
		return m, nil
	}
	topic, row := m.paneAt(msg.X-m.grid.listW, y)
	p := m.panes[topic]
	if p == nil {
		return m, nil
	}
	if wheel {
		if up {
			p.ScrollUp(wheelStep)
		} else {
			p.ScrollDown(wheelStep)
		}
		return m, nil
	}
	if i := m.list.Index(topic); i != m.list.SelectedIndex() {
		m.list.Select(i)
		m.activate()
	}
	cmd := m.setFocus(FocusPane)
	p.SelectRow(row - 1)
	return m, cmd
}

// paneAt finds the pane at (x, y) of the pane area and the row within it
// (0 = its top border).
func (m Model) paneAt(x, y int) (string, int) {
	top := 0
	for _, r := range m.grid.rows {
		if y < top+r.h {
			left := 0
			for i, w := range r.widths {
				if x < left+w {
					return r.topics[i], y - top
				}
				left += w
			}
			return "", 0
		}
		top += r.h
	}
	return "", 0
}
