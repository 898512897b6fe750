package ui

import "github.com/amoptui/amoptui/ui/topicpane"

// The TUI's memory follows what it keeps, and what it keeps is bounded in
// bytes, not only in lines: each pane holds at most Options.PaneBytes of
// lines and payloads (topicpane/budget.go: large payloads keep their heads,
// then the oldest lines go), and all panes together at most
// Options.TotalBytes. The defaults, 8 MiB a pane and 64 MiB in all, hold
// the default 10,000-line scrollback of ordinary messages in each of eight
// busy panes, and keep the resident size of the whole program within a few
// hundred megabytes whatever the nodes send: the heap doubles what is live
// before Go collects, and go-sdk needs several times a payload while it
// decodes one (the adapter then returns that memory: package reclaim, which
// /clear and a pane's large drops use too).

// shedLevel is the least a pane is asked to shed at a time when panes are
// brought down level with each other.
const shedLevel = 256 << 10

// shedMemory brings the panes under TotalBytes. The largest pane sheds
// first, down to the size of the next largest, so that a flood on one topic
// costs that topic its history before a quiet topic loses any.
func (m Model) shedMemory() {
	var total int64
	for _, p := range m.panes {
		total += p.Bytes()
	}
	excess := total - m.opts.TotalBytes
	done := map[*topicpane.Model]bool{} // panes that can shed nothing more
	for i := 0; excess > 0 && i < 10_000; i++ {
		var big, second *topicpane.Model
		for _, p := range m.panes {
			switch {
			case done[p]:
			case big == nil || p.Bytes() > big.Bytes():
				big, second = p, big
			case second == nil || p.Bytes() > second.Bytes():
				second = p
			}
		}
		if big == nil {
			return
		}
		n := excess
		if second != nil {
			n = min(excess, max(big.Bytes()-second.Bytes(), shedLevel))
		}
		freed := big.Shed(n)
		if freed <= 0 {
			done[big] = true
		}
		excess -= freed
	}
}
