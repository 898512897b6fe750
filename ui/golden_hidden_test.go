package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/amoptui/amoptui/amop"
)

// neverAnswers is the error of a node that accepts TCP and never speaks,
// as the adapter reports it (the local port changes on every attempt).
const neverAnswers = "TLS handshake with 127.0.0.1:27101: read tcp 127.0.0.1:44444->127.0.0.1:27101: i/o timeout"

// TestGoldenNothingHidden: the screens where the black-box test found the
// important part cut (M5, M11), at the smallest, the usual and a large
// terminal. Each golden is also checked for what must show.
func TestGoldenNothingHidden(t *testing.T) {
	connecting := amop.Status{State: amop.StateConnecting, Endpoint: "127.0.0.1:27101", Attempt: 3, LastErr: neverAnswers}
	banner := []string{"started an embedded local AMOP network on 127.0.0.1:20200,20201", "Second terminal: amoptui --node 127.0.0.1:20201"}
	cases := []struct {
		name string
		make func(t *testing.T, w, h int) Model
		want []string // each on one line of the screen
	}{
		{"connecting", func(t *testing.T, w, h int) Model {
			c := newFake()
			c.SetStatus(amop.Status{State: amop.StateConnecting, Endpoint: "127.0.0.1:27101"})
			m := newModel(t, c, testOptions("hello"), w, h)
			return update(m, events(&amop.StateEvent{Status: connecting}))
		}, []string{"TLS handshake: no answer", ":27101", "retrying"}},
		{"connecting_empty", func(t *testing.T, w, h int) Model {
			c := newFake()
			c.SetStatus(amop.Status{State: amop.StateConnecting, Endpoint: "127.0.0.1:27101"})
			opts := testOptions()
			opts.Banner = banner
			m := newModel(t, c, opts, w, h)
			return update(m, events(&amop.StateEvent{Status: connecting}))
		}, []string{"TLS handshake: no answer", "127.0.0.1:20201"}},
		{"match_rule", func(t *testing.T, w, h int) Model {
			m := demo(t, w, h, demoOptions())
			return do(m, `/reply match '^ping (\d+)$' 'pong {{.Match 1}} {{file "resp.json"}}'`)
		}, []string{"received 5", "sent 2", "failed 1", "auto-reply: match"}},
		{"topic_error", func(t *testing.T, w, h int) Model {
			return do(demo(t, w, h, demoOptions()), "/join "+strings.Repeat("t", 255))
		}, []string{" topic too long: 255 bytes, at most 254"}},
		{"own_node", func(t *testing.T, w, h int) Model {
			c := newFake()
			m := newModel(t, c, testOptions("svc"), w, h)
			m = update(m, joinedMsg{topic: "svc"})
			m = onRealChain(m, c, "")
			return do(m, "ping")
		}, []string{"avoid it: /leave svc here", "another client"}},
	}
	for _, c := range cases {
		for _, sz := range [][2]int{{60, 15}, {80, 24}, {160, 48}} {
			t.Run(c.name+"/"+sizeName(sz[0], sz[1]), func(t *testing.T) {
				v := c.make(t, sz[0], sz[1]).View()
				ls := lines(v)
				if len(ls) != sz[1] {
					t.Fatalf("%d lines", len(ls))
				}
				for i, l := range ls {
					if w := lipgloss.Width(l); w != sz[0] {
						t.Fatalf("line %d is %d wide: %q", i, w, l)
					}
				}
				for _, want := range c.want {
					if !onOneLine(ls, want) {
						t.Errorf("no line shows %q:\n%s", want, v)
					}
				}
				if strings.HasPrefix(c.name, "connecting") {
					// The whole error, wrapped: every word of it shows.
					for _, word := range strings.Fields(neverAnswers) {
						if !strings.Contains(v, word) {
							t.Errorf("the error's %q does not show:\n%s", word, v)
						}
					}
				}
				golden.RequireEqual(t, []byte(v))
			})
		}
	}
}

// onOneLine reports whether one of ls contains s, frame and padding aside.
func onOneLine(ls []string, s string) bool {
	for _, l := range ls {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
