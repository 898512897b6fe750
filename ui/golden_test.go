package ui

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/amoptui/amoptui/amop"
)

// demo is the scenario of the golden files and of the README capture: three
// topics, received unicast and multicast messages (one auto-replied), and
// sent lines in every state.
func demo(t testing.TB, w, h int, opts Options) Model {
	t.Helper()
	c := newFake()
	clk := &clock{t: t0}
	opts.Now = clk.Now
	m := newModel(t, c, opts, w, h)
	for _, tp := range opts.Topics {
		m = update(m, joinedMsg{topic: tp})
	}
	req := msgEvent("hello", "ping from node 20201", amop.Unicast, 1500*time.Millisecond)
	req.Reply, req.Replied = []byte("pong"), true
	m = update(m, events(
		msgEvent("hello", "hello, FISCO BCOS, I am unicast publisher! 0", amop.Unicast, 0),
		req,
		msgEvent("orders", `{"order":4711,"qty":3,"sku":"AMOP-1"}`, amop.Multicast, 1*time.Second),
		msgEvent("orders", `{"order":4712,"qty":1,"sku":"AMOP-2"}`, amop.Multicast, 2*time.Second),
		&amop.MessageEvent{Topic: "alerts", Data: []byte{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01}, Mode: amop.Multicast, At: t0.Add(3 * time.Second)},
	))
	at := 4 * time.Second
	send := func(text string, mode amop.Mode, reply []byte, err error, rtt time.Duration) {
		at += 1234 * time.Millisecond
		clk.Set(t0.Add(at))
		m.input.SetMode(mode)
		m = typeText(m, text)
		m = update(m, keyEnter())
		if rtt < 0 {
			return
		}
		for id := range m.pending {
			m = update(m, sentMsg{id: id, reply: reply, err: err, rtt: rtt})
		}
	}
	send("ping", amop.Unicast, []byte("pong"), nil, 1800*time.Microsecond)
	send("status?", amop.Multicast, nil, nil, 900*time.Microsecond)
	send("anyone there?", amop.Unicast, nil, &amop.CodeError{Code: amop.CodeNoSubscriber, Topic: "hello"}, 3100*time.Microsecond)
	send("last one", amop.Unicast, nil, nil, -1)
	m.input.SetMode(amop.Unicast)
	return m
}

func demoOptions() Options {
	opts := testOptions("hello", "orders", "alerts")
	return opts
}

func TestGolden(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {60, 15}, {100, 30}, {120, 40}, {160, 48}} {
		t.Run(sizeName(sz[0], sz[1]), func(t *testing.T) {
			golden.RequireEqual(t, []byte(demo(t, sz[0], sz[1], demoOptions()).View()))
		})
	}
	t.Run("single", func(t *testing.T) {
		opts := demoOptions()
		opts.Layout = LayoutSingle
		golden.RequireEqual(t, []byte(demo(t, 100, 30, opts).View()))
	})
	t.Run("help", func(t *testing.T) {
		m := update(demo(t, 100, 30, demoOptions()), kp("f1"))
		golden.RequireEqual(t, []byte(m.View()))
	})
	t.Run("help_small", func(t *testing.T) {
		m := update(demo(t, 60, 15, demoOptions()), kp("f1"))
		golden.RequireEqual(t, []byte(m.View()))
	})
	t.Run("expanded_json", func(t *testing.T) {
		m := demo(t, 100, 30, demoOptions())
		m = update(m, kp("ctrl+n"))
		m = update(m, kp("tab"))
		m = update(m, kp("enter"))
		golden.RequireEqual(t, []byte(m.View()))
	})
	t.Run("expanded_hex", func(t *testing.T) {
		m := demo(t, 100, 30, demoOptions())
		m = update(m, kp("ctrl+p"))
		m = update(m, kp("tab"))
		m = update(m, kp("enter"))
		golden.RequireEqual(t, []byte(m.View()))
	})
	t.Run("reconnecting", func(t *testing.T) {
		m := demo(t, 100, 30, demoOptions())
		m = update(m, events(&amop.StateEvent{Status: amop.Status{State: amop.StateReconnecting, Endpoint: "127.0.0.1:20200", Attempt: 2, LastErr: "read tcp: connection reset by peer"}},
			&amop.DropEvent{Dropped: 12, Total: 12}))
		golden.RequireEqual(t, []byte(m.View()))
	})
	t.Run("empty", func(t *testing.T) {
		opts := testOptions()
		opts.Banner = []string{"started an embedded local AMOP network on 127.0.0.1:20200,20201", "second terminal: amoptui --node 127.0.0.1:20201"}
		golden.RequireEqual(t, []byte(newModel(t, newFake(), opts, 80, 24).View()))
	})
	t.Run("too_small", func(t *testing.T) {
		golden.RequireEqual(t, []byte(newModel(t, newFake(), testOptions("hello"), 59, 15).View()))
	})
}

func sizeName(w, h int) string { return itoa(w) + "x" + itoa(h) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
