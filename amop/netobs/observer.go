package netobs

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Observing a network: what `amoptui node` and the TUI's /network show.
// Routing reports every decision to the Observer. The per-topic counters
// (unicasts routed, multicasts, failures) are always on, from the
// network's start: a few atomic additions after a lock-free map look-up,
// so a view opened late still shows every message. The decisions
// themselves are kept only once someone asks (Decisions, or Start when a
// snapshot is taken): then each costs one short, uncontended lock and a
// copy into a fixed ring, never an allocation, a channel send or a wait, so
// watching cannot slow routing. A reader that polls too rarely loses the
// oldest decisions (it is told how many); the counters are exact.

// topicCounter is TopicCounts kept with atomics.
type topicCounter struct {
	unicast, multicast, failed atomic.Uint64
}

func (c *topicCounter) load() TopicCounts {
	return TopicCounts{Unicast: c.unicast.Load(), Multicast: c.multicast.Load(), Failed: c.failed.Load()}
}

// ringSize is how many decisions the observer keeps.
const ringSize = 512

// maxObservedTopics bounds the per-topic counters: a client that invents
// topics cannot grow them without end (the rest are counted under "").
const maxObservedTopics = 1024

// Observer counts and keeps a network's routing decisions. The zero value
// is ready: counting, not yet keeping. It is safe for concurrent use, and
// it must not be copied.
type Observer struct {
	on   atomic.Bool
	mu   sync.Mutex
	ring [ringSize]Decision
	next uint64 // index of the next decision; ring[next%ringSize]

	counts  sync.Map     // topic → *topicCounter, always counted
	ncounts atomic.Int64 // entries in counts
	other   topicCounter // the topics past maxObservedTopics
}

// Record counts d, and keeps it when someone is watching.
func (o *Observer) Record(d Decision) {
	o.count(d)
	if !o.on.Load() {
		return
	}
	if d.At.IsZero() {
		d.At = time.Now()
	}
	o.mu.Lock()
	o.ring[o.next%ringSize] = d
	o.next++
	o.mu.Unlock()
}

// count adds d to its topic's counters (a retry is not an outcome).
func (o *Observer) count(d Decision) {
	switch d.Kind {
	case Routed:
		o.counter(d.Topic).unicast.Add(1)
	case Multicast:
		o.counter(d.Topic).multicast.Add(1)
	case NoSubscriber, PushFailed, OwnNodeDropped, Refused:
		o.counter(d.Topic).failed.Add(1)
	}
}

// counter is topic's counters, made on its first decision; past
// maxObservedTopics topics share one, so that a client inventing topics
// cannot grow the map without end.
func (o *Observer) counter(topic string) *topicCounter {
	if v, ok := o.counts.Load(topic); ok {
		return v.(*topicCounter)
	}
	if o.ncounts.Load() >= maxObservedTopics {
		return &o.other
	}
	v, loaded := o.counts.LoadOrStore(topic, &topicCounter{})
	if !loaded {
		o.ncounts.Add(1)
	}
	return v.(*topicCounter)
}

// CountsOf is topic's totals (zero when it never had a decision).
func (o *Observer) CountsOf(topic string) TopicCounts {
	if v, ok := o.counts.Load(topic); ok {
		return v.(*topicCounter).load()
	}
	return TopicCounts{}
}

// Start turns the keeping of decisions on: a network does it when it is
// first asked for a snapshot or its decisions.
func (o *Observer) Start() { o.on.Store(true) }

// Decisions returns the decisions made since index `since` (0 for all that
// are kept), oldest first, the index to ask from next time, and how many
// were lost because the ring wrapped before they were read. The first call
// turns keeping on.
func (o *Observer) Decisions(since uint64) (ds []Decision, next, lost uint64) {
	o.Start()
	o.mu.Lock()
	defer o.mu.Unlock()
	next = o.next
	if next > ringSize && since < next-ringSize {
		lost = next - ringSize - since
		since = next - ringSize
	}
	for i := since; i < next; i++ {
		ds = append(ds, o.ring[i%ringSize])
	}
	return ds, next, lost
}

// Finish completes a snapshot whose nodes and sessions the network filled
// in: it sorts each session's topics and each node's sessions, and builds
// v.Topics — every subscribed topic with its subscribers, and every topic
// that had a decision but has no subscriber now — with their counts. Both
// networks call it, so that they describe themselves alike.
func (o *Observer) Finish(v *View) {
	subs := map[string][]SessionRef{}
	for i := range v.Nodes {
		nv := &v.Nodes[i]
		slices.SortFunc(nv.Sessions, func(a, b SessionView) int { return cmp.Compare(a.ID, b.ID) })
		for j := range nv.Sessions {
			sv := &nv.Sessions[j]
			slices.Sort(sv.Topics)
			for _, t := range sv.Topics {
				subs[t] = append(subs[t], SessionRef{Node: nv.Index, ID: sv.ID})
			}
		}
	}
	v.Topics = v.Topics[:0]
	for t, refs := range subs {
		slices.SortFunc(refs, func(a, b SessionRef) int { return cmp.Compare(a.ID, b.ID) })
		v.Topics = append(v.Topics, TopicView{Topic: t, Subscribers: refs, Counts: o.CountsOf(t)})
	}
	o.counts.Range(func(k, c any) bool {
		t := k.(string)
		if _, ok := subs[t]; !ok && t != "" {
			if tc := c.(*topicCounter).load(); tc != (TopicCounts{}) {
				v.Topics = append(v.Topics, TopicView{Topic: t, Counts: tc})
			}
		}
		return true
	})
	slices.SortFunc(v.Topics, func(a, b TopicView) int { return strings.Compare(a.Topic, b.Topic) })
}
