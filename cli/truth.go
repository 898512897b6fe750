package cli

// What sub and pub tell about a real chain (real-nodes.md): the 5 s in
// which other nodes do not know a new subscription yet, sends that wait for
// subscribers to be known (pub --wait), late replies, and what a multicast
// acknowledgement means. The facts and their words live in package amop.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
)

// realChain reports whether a is connected to a node that is not the ideal
// local network, which is then treated as a real chain.
func realChain(a amop.Client) bool {
	st := a.Status()
	return st.State == amop.StateConnected && !st.Node.Ideal()
}

// pubRetryEvery is how often pub asks again while no node knows a
// subscriber: often enough to send soon after the nodes sync (every 5 s),
// rarely enough not to load them.
const pubRetryEvery = 250 * time.Millisecond

// subscriberWait is pub's --wait: on a real chain, how long after its node
// session came up pub keeps trying a unicast that got AMOP 100, and how
// long it lets pass before its first multicast, so that `sub` then `pub`
// works first time although nodes learn of a new subscriber only within
// amop.SyncWindow. Zero turns it off; the ideal local network needs none.
type subscriberWait struct {
	a      amop.Client
	d      time.Duration
	std    stdio // where the one-time explanation goes
	told   bool
	active bool
}

func newSubscriberWait(a amop.Client, d time.Duration, std stdio) *subscriberWait {
	return &subscriberWait{a: a, d: d, std: std, active: d > 0 && realChain(a)}
}

// beforeMulticast waits, once, until subscribers that joined just before
// pub started are known to its node: a multicast is acknowledged even when
// no node knows a subscriber (real-nodes.md row 15), so there is no error
// to retry on. It waits at most amop.SyncWindow after the session began.
func (s *subscriberWait) beforeMulticast(ctx context.Context) bool {
	if !s.active || s.told {
		return ctx.Err() == nil
	}
	s.told = true
	st := s.a.Status()
	until := st.Since.Add(min(s.d, st.Node.SyncWindow()))
	left := time.Until(until)
	if left <= 0 {
		return true
	}
	s.std.notef("pub", "waiting %.1f s before the first multicast: nodes learn of a new subscriber within %s, "+
		"and a node accepts a multicast even when it knows no subscriber (--wait 0 sends at once)", left.Seconds(), st.Node.SyncWindowText())
	return sleepCtx(ctx, left)
}

// unicast sends with send and, while the window lasts, sends again when
// the answer is AMOP 100 (no node knows a subscriber yet).
func (s *subscriberWait) unicast(ctx context.Context, send func() ([]byte, error)) ([]byte, error) {
	for {
		reply, err := send()
		if !s.active {
			return reply, err
		}
		left := amop.NoSubscriberYet(s.a, err, s.d)
		if left <= 0 {
			return reply, err
		}
		if !s.told {
			s.told = true
			node := s.a.Status().Node
			s.std.notef("pub", "no node knows a subscriber of this topic yet (AMOP %d); nodes learn of a new one within %s, "+
				"so pub asks again for up to %.1f s more (--wait 0 turns this off)", node.NoSubscriberCode(), node.SyncWindowText(), left.Seconds())
		}
		if !sleepCtx(ctx, min(pubRetryEvery, left)) {
			return reply, err
		}
	}
}

// lateReplies collects the late answers to pub's sends (which timed out),
// reading the adapter's events on a goroutine of its own until ctx ends;
// the connection's states, drops and counters go to rep at once, so that
// pub says when it loses and regains its node during a run.
type lateReplies struct {
	ch   chan *amop.LateReplyEvent
	line amop.Line // the client's, for the words of a late acknowledgement
}

func watchLate(ctx context.Context, a amop.Client, rep *progress) *lateReplies {
	l := &lateReplies{ch: make(chan *amop.LateReplyEvent, 256)}
	if rep != nil {
		l.line = rep.line
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-a.Events():
				if !ok {
					return
				}
				if rep != nil && rep.event(ev) {
					continue
				}
				if le, ok := ev.(*amop.LateReplyEvent); ok {
					select {
					case l.ch <- le:
					default: // news, not data: the send already counted as failed
					}
				}
			}
		}
	}()
	return l
}

// lateRecord is pub --json's line for the late answer to a send that
// timed out. Its "kind" keeps it out of pub --replay, which re-sends only
// the sends of a log.
type lateRecord struct {
	Time  string `json:"time"`
	Kind  string `json:"kind"`  // "late"
	Index int    `json:"index"` // the message's number, from 1, as pub counted them
	Topic string `json:"topic"`
	Mode  string `json:"mode"`
	OK    bool   `json:"ok"` // the node's answer was a reply, not a failure
	Reply string `json:"reply,omitempty"`
	// ReplyEncoding is "base64" when reply is not UTF-8.
	ReplyEncoding string  `json:"reply_encoding,omitempty"`
	Error         string  `json:"error,omitempty"`
	AfterMs       float64 `json:"after_ms"` // from the start of the send
}

// show writes the late answers that came so far as lines, or as JSON
// lines for --json.
func (l *lateReplies) show(w io.Writer, names map[uint64]int, asJSON bool) error {
	if asJSON {
		return l.writeJSON(w, names)
	}
	l.print(w, names)
	return nil
}

// writeJSON writes the late answers that came so far as lateRecords.
func (l *lateReplies) writeJSON(w io.Writer, names map[uint64]int) error {
	var err error
	l.each(names, func(n int, ev *amop.LateReplyEvent) {
		rec := lateRecord{Time: time.Now().Format("2006-01-02T15:04:05.000Z07:00"), Kind: "late", Index: n,
			Topic: ev.Topic, Mode: ev.Mode.String(), OK: ev.Err == nil, AfterMs: float64(ev.After.Microseconds()) / 1000}
		if ev.Err != nil {
			rec.Error = ev.Err.Error()
		} else if ev.Mode == amop.Unicast {
			rec.Reply, rec.ReplyEncoding = jsonBytes(ev.Reply)
		}
		if werr := writeJSONLine(w, rec); werr != nil && err == nil {
			err = werr
		}
	})
	return err
}

// print writes the late answers that came so far; names maps a send's
// TimeoutError ID to the number of its message.
func (l *lateReplies) print(w io.Writer, names map[uint64]int) {
	l.each(names, func(n int, ev *amop.LateReplyEvent) {
		switch {
		case ev.Err != nil:
			fmt.Fprintf(w, "  ↩ message %d, which timed out: the node answered %s: %s\n", n, amop.LateText(ev.After), sanitize.String(ev.Err.Error()))
		case ev.Mode == amop.Multicast:
			fmt.Fprintf(w, "  ↩ message %d, which timed out: %s %s\n", n, l.line.MulticastOK(), amop.LateText(ev.After))
		default:
			fmt.Fprintf(w, "  ↩ message %d, which timed out: reply \"%s\" %s\n", n, shown(ev.Reply), amop.LateText(ev.After))
		}
	})
}

// each hands f the late answers that came so far to the sends named in
// names (a send's TimeoutError ID → its message's number), once each.
func (l *lateReplies) each(names map[uint64]int, f func(n int, ev *amop.LateReplyEvent)) {
	for {
		select {
		case ev := <-l.ch:
			n, ok := names[ev.ID]
			if !ok {
				continue
			}
			f(n, ev)
			delete(names, ev.ID)
		default:
			return
		}
	}
}

// timeoutID is the ID of a send's TimeoutError, 0 for any other outcome.
func timeoutID(err error) uint64 {
	var te *amop.TimeoutError
	if errors.As(err, &te) {
		return te.ID
	}
	return 0
}

// syncNotice tells sub's user, on a real chain, that other nodes learn of
// its subscription within amop.SyncWindow, and when that has passed.
type syncNotice struct {
	t *time.Timer
}

// start (re)opens the window after a subscribe or a new node session.
func (s *syncNotice) start(a amop.Client, std stdio) {
	if !realChain(a) {
		return
	}
	node := a.Status().Node
	std.notef("sub", "%s (FISCO BCOS nodes sync topics every %s): a publisher on another node may get AMOP %d until then",
		"other nodes learn of the subscription within "+node.SyncWindowText(), node.SyncWindowText(), node.NoSubscriberCode())
	if s.t != nil {
		s.t.Stop()
	}
	s.t = time.NewTimer(node.SyncWindow())
}

// done fires when the window is over (nil channel while none is open).
func (s *syncNotice) done() <-chan time.Time {
	if s.t == nil {
		return nil
	}
	return s.t.C
}

// over reports the end of the window.
func (s *syncNotice) over(std stdio) {
	s.t = nil
	std.note("sub", "every node knows of the subscription now")
}

// stop releases the timer.
func (s *syncNotice) stop() {
	if s.t != nil {
		s.t.Stop()
	}
}
