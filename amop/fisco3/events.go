package fisco3

import (
	"time"

	"github.com/amoptui/amoptui/amop"
)

// Events implements amop.Client.
func (c *Client) Events() <-chan amop.Event { return c.events }

// emitMessage delivers a message without blocking; a full channel loses it,
// counted and reported in a DropEvent.
func (c *Client) emitMessage(ev *amop.MessageEvent) {
	c.evMu.RLock()
	defer c.evMu.RUnlock()
	if c.closed {
		return
	}
	select {
	case c.events <- ev:
		c.c.received.Add(1)
	default:
		c.drop()
	}
}

// drop counts a message lost before the UI saw it.
func (c *Client) drop() {
	c.c.dropped.Add(1)
	c.unreported.Add(1)
}

// dropBehind counts a push lost because its topic's lane was full: the
// client fell behind the node.
func (c *Client) dropBehind() {
	c.c.behind.Add(1)
	c.unreportedBehind.Add(1)
	c.drop()
}

// emit delivers news (a late answer) without blocking; a full channel loses
// it: the send's own line already says it failed.
func (c *Client) emit(ev amop.Event) {
	c.evMu.RLock()
	defer c.evMu.RUnlock()
	if c.closed {
		return
	}
	select {
	case c.events <- ev:
	default:
	}
}

// flushState delivers the latest state when there is room; otherwise the
// flush loop retries.
func (c *Client) flushState() {
	st := c.pendingState.Swap(nil)
	if st == nil {
		return
	}
	c.evMu.RLock()
	defer c.evMu.RUnlock()
	if c.closed {
		return
	}
	select {
	case c.events <- &amop.StateEvent{Status: *st}:
	default:
		c.pendingState.CompareAndSwap(nil, st)
	}
}

// flushLoop reports drops, counters and deferred states even when no new
// message comes to carry them, and forgets timed-out sends nobody answered.
func (c *Client) flushLoop() {
	defer c.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			c.flushState()
			c.flushCounts()
			c.pruneExpired(now)
		}
	}
}

func (c *Client) flushCounts() {
	c.evMu.RLock()
	defer c.evMu.RUnlock()
	if c.closed {
		return
	}
	if n := c.unreported.Load(); n > 0 {
		b := c.unreportedBehind.Load()
		select {
		case c.events <- &amop.DropEvent{Dropped: n, Total: c.c.dropped.Load(), Behind: b, BehindTotal: c.c.behind.Load()}:
			c.unreported.Add(-n)
			c.unreportedBehind.Add(-b)
		default:
		}
	}
	if c.dirty.Load() {
		st := c.Stats()
		select {
		case c.events <- &amop.CounterEvent{Malformed: st.Malformed, Oversize: st.Oversize, NotJoined: st.NotJoined}:
			c.dirty.Store(false)
		default:
		}
	}
}

func (c *Client) pruneExpired(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for seq, l := range c.expired {
		if now.After(l.until) {
			delete(c.expired, seq)
		}
	}
}
