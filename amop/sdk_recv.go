package amop

// What arrives: go-sdk's per-topic callbacks, the auto-reply, and the
// state and messages handed to Events.

import (
	"strconv"
	"time"

	"github.com/amoptui/amoptui/amop/guard"
	"github.com/amoptui/amoptui/reclaim"
)

// handler is go-sdk's callback for topic. go-sdk runs it on a goroutine per
// message and waits for it before answering, so it must return at once: it
// only reads the reply policy and hands the message to Events without
// blocking.
func (a *SDK) handler(topic string) func([]byte, *[]byte) {
	return a.topicHandler(topic, topic, false)
}

// topicHandler is handler for a topic that travels as wireTopic; a private
// topic's message also proves that this client was verified.
func (a *SDK) topicHandler(topic, wireTopic string, private bool) func([]byte, *[]byte) {
	marked := a.g.Marks(wireTopic)
	return func(data []byte, resp *[]byte) {
		at := time.Now()
		var inf guard.InFlight
		var ok bool
		if marked {
			// Several pushes may be in flight on the topic: Take strips
			// the guard's push id and holds this goroutine until the
			// pushes before it have been handed on, so that messages
			// leave in the node's order.
			var done func()
			inf, data, done, ok = a.g.Take(data)
			defer done()
		} else {
			inf, ok = a.g.Current(wireTopic)
		}
		ev := &MessageEvent{Topic: topic, Data: data, Mode: Unicast, At: at, Private: private}
		if private && a.advanceSub(topic, a.receivedState()) {
			a.emitSub(topic)
		}
		seq := ""
		if ok {
			ev.At, seq = inf.Received, inf.Seq
			if inf.Multicast {
				ev.Mode = Multicast
			}
		}
		if ev.Mode == Unicast {
			r, err := a.AutoReply(topic).Answer(Request{Topic: topic, Data: data, Seq: seq, Private: private})
			if err != nil {
				ev.ReplyErr = err.Error()
			}
			if r != nil {
				*resp = r
				ev.Reply, ev.Replied = r, true
				a.replied.Add(1)
			}
		}
		a.emitMessage(ev)
	}
}

func (a *SDK) emitMessage(ev *MessageEvent) {
	if len(ev.Data) >= reclaim.Big {
		// go-sdk decodes a payload through several copies of it (a 16 MiB
		// message leaves ~100 MiB of garbage): give it back to the system
		// once the burst is over. Frames over MaxIncoming never get this
		// far: the guard reads them through without keeping them.
		reclaim.Soon()
	}
	a.evMu.RLock()
	defer a.evMu.RUnlock()
	if a.closed {
		return
	}
	select {
	case a.events <- ev:
		a.received.Add(1)
	default:
		a.dropped.Add(1)
		a.unreported.Add(1)
	}
}

func (a *SDK) onState(s guard.Status) {
	if s.State == guard.Connected && a.connected.Swap(true) {
		// Reported before the new session's first frame is read, so no
		// challenge of the new session can come before this reset.
		a.resetSubs()
	}
	st := convertStatus(s, a.cfg.GroupID)
	a.pendingState.Store(&st)
	a.flushState()
}

// flushState delivers the latest state if there is room; otherwise the
// flush loop retries. Only the latest state matters, so older ones are
// overwritten rather than queued.
func (a *SDK) flushState() {
	st := a.pendingState.Swap(nil)
	if st == nil {
		return
	}
	a.evMu.RLock()
	defer a.evMu.RUnlock()
	if a.closed {
		return
	}
	select {
	case a.events <- &StateEvent{Status: *st}:
	default:
		a.pendingState.CompareAndSwap(nil, st)
	}
}

// flushLoop reports drops, counters and deferred states even when no new
// message arrives to carry them.
func (a *SDK) flushLoop() {
	defer a.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	// Pushes the guard dropped because the client fell behind the node
	// (go-sdk could not take them as fast as they came) are lost messages
	// too: they are reported with the adapter's own drops, and told apart.
	var overflow uint64
	for {
		select {
		case <-a.done:
			return
		case <-t.C:
		}
		a.flushState()
		a.flushPrivate()
		a.late.prune(time.Now())
		var behind uint64 // of the unreported drops, those of the guard
		if ov := a.g.Stats().Overflow; ov > overflow {
			a.unreported.Add(ov - overflow)
			a.unreportedBehind += ov - overflow
			overflow = ov
		}
		behind = a.unreportedBehind
		a.evMu.RLock()
		if !a.closed {
			if n := a.unreported.Load(); n > 0 {
				select {
				case a.events <- &DropEvent{Dropped: n, Total: a.dropped.Load() + overflow, Behind: behind, BehindTotal: overflow}:
					a.unreported.Add(-n)
					a.unreportedBehind -= behind
				default:
				}
			}
			if a.countersDirty.Load() {
				s := a.g.Stats()
				select {
				case a.events <- &CounterEvent{Malformed: s.Malformed + s.Unmatched, Reserved: s.Reserved,
					Oversize: s.Oversize, NotJoined: s.NotJoined}:
					a.countersDirty.Store(false)
				default:
				}
			}
		}
		a.evMu.RUnlock()
	}
}

func convertStatus(s guard.Status, group int) Status {
	st := Status{State: ConnState(s.State), Endpoint: s.Endpoint, Attempt: s.Attempt, Since: s.Since, Resubscribed: s.Resubscribed, Retry: s.Retry}
	if s.Err != nil {
		st.LastErr = s.Err.Error()
	}
	if s.State == guard.Connected {
		id, _ := strconv.ParseInt(s.Version.ChainID, 10, 64)
		st.Node = NodeInfo{Version: s.Version.FiscoBcosVersion, SupportedVersion: s.Version.SupportedVersion, BuildType: s.Version.BuildType,
			ChainID: id, GroupID: group, Line: Line2,
			SM: isSMVersion(s.Version.FiscoBcosVersion)}
	}
	return st
}

// SetAutoReply implements Client.
func (a *SDK) SetAutoReply(topic string, p ReplyPolicy) {
	a.replyMu.Lock()
	defer a.replyMu.Unlock()
	if topic == "" {
		a.defRep = p
		return
	}
	a.replies[topic] = p
}

// AutoReply implements Client.
func (a *SDK) AutoReply(topic string) ReplyPolicy {
	a.replyMu.RLock()
	defer a.replyMu.RUnlock()
	if p, ok := a.replies[topic]; ok {
		return p
	}
	return a.defRep
}
