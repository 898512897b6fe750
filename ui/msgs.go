package ui

import (
	"context"
	"errors"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
)

// Event batching. The adapter can deliver tens of thousands of messages a
// second; repainting per message would burn the CPU and starve the keyboard.
// listen hands Update at most one batch per frame.
const (
	frameInterval = time.Second / 60
	maxBatch      = 4096 // per frame; beyond it the adapter's bounded channel drops and counts
)

// eventsMsg is a batch of adapter events, in order.
type eventsMsg struct {
	events []amop.Event
	at     time.Time // when the batch was handed over; paces the next one
	closed bool      // the stream ended after these events
}

// diagnosisMsg is Options.Diagnose's answer.
type diagnosisMsg struct{ text string }

// disconnectedMsg says Events was closed: the client is gone for good.
type disconnectedMsg struct{}

// sentMsg is the outcome of one send.
type sentMsg struct {
	id    uint64
	reply []byte
	err   error
	rtt   time.Duration
}

// sendExpiredMsg fires a little after a send's deadline. If the send has not
// answered by then (an adapter that ignores its context), the UI marks it
// failed itself, so that no line stays pending forever.
type sendExpiredMsg struct{ id uint64 }

// joinedMsg is the outcome of Client.Join.
type joinedMsg struct {
	topic string
	err   error
}

// leftMsg is the outcome of Client.Leave.
type leftMsg struct {
	topic string
	err   error
}

// replySetMsg says the auto-reply policy was applied.
type replySetMsg struct{ policy amop.ReplyPolicy }

// savedMsg is the outcome of /save.
type savedMsg struct {
	path    string
	topic   string
	lines   int // pane lines saved
	records int // records written: a sent line and its result are two
	cut     int // records whose payload or reply is only its head
	replace bool
	err     error
}

// noticeExpiredMsg clears the footer notice with the same id.
type noticeExpiredMsg struct{ id int }

// resubExpiredMsg takes "re-subscribed N topics" off the status line.
type resubExpiredMsg struct{ id int }

// listen waits for the next adapter events and returns them as one
// eventsMsg. It blocks for the first event; then it keeps collecting until
// one frame after the previous batch (last), so that under a flood Update
// runs at most once per frame while a lone message still shows at once.
// Every handler of its msgs must call it again (see update_amop.go), or
// delivery stops.
func listen(ch <-chan amop.Event, last time.Time) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return disconnectedMsg{}
		}
		batch := make([]amop.Event, 1, 16)
		batch[0] = ev
		wait := time.Until(last.Add(frameInterval))
		if wait <= 0 {
			// A frame has passed since the last batch: take what is
			// queued, without waiting.
			for len(batch) < maxBatch {
				select {
				case ev, ok := <-ch:
					if !ok {
						return eventsMsg{events: batch, at: time.Now(), closed: true}
					}
					batch = append(batch, ev)
				default:
					return eventsMsg{events: batch, at: time.Now()}
				}
			}
			return eventsMsg{events: batch, at: time.Now()}
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		for len(batch) < maxBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					return eventsMsg{events: batch, at: time.Now(), closed: true}
				}
				batch = append(batch, ev)
			case <-t.C:
				return eventsMsg{events: batch, at: time.Now()}
			}
		}
		// A full batch before the frame is over: wait it out. What arrives
		// meanwhile stays in the adapter's channel, which drops and counts
		// when full rather than letting the UI fall behind.
		<-t.C
		return eventsMsg{events: batch, at: time.Now()}
	}
}

// sendCmd sends data on topic (a private one with the private calls) with
// its own deadline and reports the outcome with the round-trip time
// measured by now.
func sendCmd(ctx context.Context, c amop.Client, id uint64, topic string, private bool, mode amop.Mode, data []byte, timeout time.Duration, now func() time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		start := now()
		var (
			reply []byte
			err   error
		)
		switch {
		case private && mode == amop.Multicast:
			err = c.MulticastPrivate(ctx, topic, data)
		case private:
			reply, err = c.UnicastPrivate(ctx, topic, data)
		case mode == amop.Multicast:
			err = c.Multicast(ctx, topic, data)
		default:
			reply, err = c.Unicast(ctx, topic, data)
			for {
				wait, again := retryNoSubscriber(c, err)
				if !again || !pause(ctx, wait) {
					break
				}
				reply, err = c.Unicast(ctx, topic, data)
			}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			// The adapter should say ErrTimeout itself; make sure the
			// pane shows the plain word either way.
			err = amop.ErrTimeout
		}
		return sentMsg{id: id, reply: reply, err: err, rtt: now().Sub(start)}
	}
}

// noSubscriberRetry is the pause before a unicast answered "no subscriber"
// is sent again while the nodes may still be learning of subscribers.
const noSubscriberRetry = 500 * time.Millisecond

// retryNoSubscriber says whether a unicast that ended in err should be
// sent again, and after what pause: within the topic-sync window after this
// client's node session began — the TUI's start, or a reconnect after a
// node restart — "no subscriber" may only mean "not known yet"
// (amop.NoSubscriberYet; pub --wait does the same). Outside the window the
// answer stands.
func retryNoSubscriber(c amop.Client, err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	left := amop.NoSubscriberYet(c, err, c.Status().Node.SyncWindow()+time.Second)
	return min(noSubscriberRetry, left), left > 0
}

// pause waits d, or less if ctx ends first (then it returns false).
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// expireCmd fires sendExpiredMsg after d.
func expireCmd(id uint64, d time.Duration) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return sendExpiredMsg{id: id} })
}

// joinCmd subscribes to topics one after the other, in order (the adapter
// serialises subscriptions anyway, and Topics keeps the join order), and
// reports each outcome as a joinedMsg.
func joinCmd(c amop.Client, topics ...string) tea.Cmd {
	if len(topics) == 0 {
		return nil
	}
	return func() tea.Msg {
		out := make(tea.BatchMsg, 0, len(topics))
		for _, t := range topics {
			msg := joinedMsg{topic: t, err: c.Join(t)}
			out = append(out, func() tea.Msg { return msg })
		}
		return out
	}
}

// leaveCmd unsubscribes from topic.
func leaveCmd(c amop.Client, topic string) tea.Cmd {
	return func() tea.Msg { return leftMsg{topic: topic, err: c.Leave(topic)} }
}

// setReplyCmd applies an auto-reply policy to every topic (the default).
func setReplyCmd(c amop.Client, p amop.ReplyPolicy) tea.Cmd {
	return func() tea.Msg {
		c.SetAutoReply("", p)
		return replySetMsg{policy: p}
	}
}

// noticeTimeout is how long a footer notice stays.
const noticeTimeout = 6 * time.Second

// resubShown is how long the status line says "re-subscribed N topics"
// after a reconnect; the panes keep the note.
const resubShown = 15 * time.Second

// expireResubCmd takes re-subscription id off the status line after
// resubShown.
func expireResubCmd(id int) tea.Cmd {
	return tea.Tick(resubShown, func(time.Time) tea.Msg { return resubExpiredMsg{id: id} })
}

// expireNoticeCmd clears notice id after noticeTimeout.
func expireNoticeCmd(id int) tea.Cmd {
	return tea.Tick(noticeTimeout, func(time.Time) tea.Msg { return noticeExpiredMsg{id: id} })
}
