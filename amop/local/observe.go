package local

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Observing the network: what `amoptui node` and the TUI's /network show.
// Routing reports every decision to the observer. The per-topic counters
// (unicasts routed, multicasts, failures) are always on, from the
// network's start: a few atomic additions after a lock-free map look-up,
// so a view opened late still shows every message. The decisions
// themselves are kept only once someone asks (Network.Decisions or
// Network.View turn that on): then each costs one short, uncontended lock
// and a copy into a fixed ring, never an allocation, a channel send or a
// wait, so watching cannot slow routing. A reader that polls too rarely
// loses the oldest decisions (it is told how many); the counters are
// exact.

// DecisionKind is what the network did with a message.
type DecisionKind uint8

// The decisions.
const (
	// Routed: a unicast answered by the subscriber it was pushed to.
	Routed DecisionKind = iota
	// Retried: a subscriber failed a unicast push (timeout, gone, full);
	// the next one is tried.
	Retried
	// NoSubscriber: a unicast with nobody to take it (AMOP 100).
	NoSubscriber
	// PushFailed: every subscriber tried failed (AMOP 104).
	PushFailed
	// Multicast: a multicast pushed to Targets sessions.
	Multicast
	// OwnNodeDropped: the faithful 2.9 mode dropped AMOP for a session on
	// the sender's own node, as FISCO BCOS 2.8–2.11 nodes do.
	OwnNodeDropped
	// Refused: AMOP refused (a reserved topic, a limit: AMOP 103).
	Refused
)

// SessionRef names a session: its id and its node.
type SessionRef struct {
	Node int
	ID   uint64 // 0 when not known
}

// String is "s3@node0", or "node1" when only the node is known.
func (r SessionRef) String() string {
	if r.ID == 0 {
		return fmt.Sprintf("node%d", r.Node)
	}
	return fmt.Sprintf("s%d@node%d", r.ID, r.Node)
}

// Decision is one routing decision.
type Decision struct {
	At      time.Time
	Kind    DecisionKind
	Topic   string // as on the wire: untrusted, sanitise before display
	From    SessionRef
	To      SessionRef    // Routed, Retried: the subscriber
	Targets int           // Multicast: sessions pushed to
	Latency time.Duration // Routed: from the request to the reply
}

// String is the decision in words, e.g.
// "unicast 'svc' from s3@node0 → s7@node1, 0.4 ms". The topic is quoted
// as is: sanitise the result before it reaches a terminal.
func (d Decision) String() string {
	t := "'" + d.Topic + "'"
	switch d.Kind {
	case Routed:
		return fmt.Sprintf("unicast %s from %s → %s, %s", t, d.From, d.To, ms(d.Latency))
	case Retried:
		return fmt.Sprintf("unicast %s from %s: %s did not answer, trying the next subscriber", t, d.From, d.To)
	case NoSubscriber:
		return fmt.Sprintf("unicast %s from %s: no subscriber (AMOP 100)", t, d.From)
	case PushFailed:
		return fmt.Sprintf("unicast %s from %s: every subscriber failed (AMOP 104)", t, d.From)
	case Multicast:
		return fmt.Sprintf("multicast %s from %s → %d sessions", t, d.From, d.Targets)
	case OwnNodeDropped:
		return fmt.Sprintf("dropped %s from %s: own node (2.9 semantics)", t, d.From)
	case Refused:
		return fmt.Sprintf("refused %s from %s (AMOP 103)", t, d.From)
	}
	return "?"
}

func ms(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// TopicCounts are a topic's totals since the network started: unicasts
// routed to a subscriber that answered, multicasts pushed, and sends that
// failed (no subscriber, every subscriber failed, own node dropped it,
// refused).
type TopicCounts struct {
	Unicast, Multicast, Failed uint64
}

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

type observer struct {
	on   atomic.Bool
	mu   sync.Mutex
	ring [ringSize]Decision
	next uint64 // index of the next decision; ring[next%ringSize]

	counts  sync.Map     // topic → *topicCounter, always counted
	ncounts atomic.Int64 // entries in counts
	other   topicCounter // the topics past maxObservedTopics
}

// record counts d, and keeps it when someone is watching.
func (o *observer) record(d Decision) {
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
func (o *observer) count(d Decision) {
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
func (o *observer) counter(topic string) *topicCounter {
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

// countsOf is topic's totals (zero when it never had a decision).
func (o *observer) countsOf(topic string) TopicCounts {
	if v, ok := o.counts.Load(topic); ok {
		return v.(*topicCounter).load()
	}
	return TopicCounts{}
}

func (o *observer) start() { o.on.Store(true) }

// Decisions returns the decisions made since index `since` (0 for all that
// are kept), oldest first, the index to ask from next time, and how many
// were lost because the ring wrapped before they were read. The first call
// turns observing on.
func (n *Network) Decisions(since uint64) (ds []Decision, next, lost uint64) {
	o := &n.obs
	o.start()
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

// NodeView is one node as View sees it.
type NodeView struct {
	Index    int
	Addr     string
	Up       bool
	Sessions []SessionView
}

// SessionView is one session of a node.
type SessionView struct {
	ID     uint64
	Remote string
	Topics []string // sorted; untrusted
}

// TopicView is one topic and its subscribers.
type TopicView struct {
	Topic       string
	Subscribers []SessionRef
	Counts      TopicCounts
}

// View is a snapshot of the network: nodes, their sessions, the topics and
// who subscribes to them, with each topic's counts since the network
// started (the first call turns the keeping of decisions on).
type View struct {
	Like   string
	Nodes  []NodeView
	Topics []TopicView
}

// View takes the snapshot.
func (n *Network) View() View {
	n.obs.start()
	v := View{Like: n.opts.Like}
	subs := map[string][]SessionRef{}
	type seen struct {
		nd *node
		s  []*session
	}
	var all []seen
	n.mu.Lock()
	for _, nd := range n.nodes {
		nv := NodeView{Index: nd.idx, Addr: nd.addr, Up: nd.ln != nil}
		var ss []*session
		for s := range nd.sessions {
			ss = append(ss, s)
			sv := SessionView{ID: s.id, Remote: s.remote}
			if n.f == nil {
				for t := range s.topics {
					sv.Topics = append(sv.Topics, t)
				}
			}
			nv.Sessions = append(nv.Sessions, sv)
		}
		all = append(all, seen{nd, ss})
		v.Nodes = append(v.Nodes, nv)
	}
	n.mu.Unlock()
	// The faithful nodes keep their sessions' topics under their own lock,
	// taken after the network's is released (never both at once here).
	for i, a := range all {
		if n.f != nil && a.nd.f != nil {
			a.nd.f.mu.Lock()
			for j, s := range a.s {
				if s.f != nil {
					for t := range s.f.topics {
						v.Nodes[i].Sessions[j].Topics = append(v.Nodes[i].Sessions[j].Topics, t)
					}
				}
			}
			a.nd.f.mu.Unlock()
		}
		nv := &v.Nodes[i]
		for j := range nv.Sessions {
			sv := &nv.Sessions[j]
			slices.Sort(sv.Topics)
			for _, t := range sv.Topics {
				subs[t] = append(subs[t], SessionRef{Node: nv.Index, ID: sv.ID})
			}
		}
		slices.SortFunc(nv.Sessions, func(a, b SessionView) int { return cmpID(a.ID, b.ID) })
	}
	for t, refs := range subs {
		slices.SortFunc(refs, func(a, b SessionRef) int { return cmpID(a.ID, b.ID) })
		v.Topics = append(v.Topics, TopicView{Topic: t, Subscribers: refs, Counts: n.obs.countsOf(t)})
	}
	n.obs.counts.Range(func(k, c any) bool {
		t := k.(string)
		if _, ok := subs[t]; !ok && t != "" {
			if tc := c.(*topicCounter).load(); tc != (TopicCounts{}) {
				v.Topics = append(v.Topics, TopicView{Topic: t, Counts: tc})
			}
		}
		return true
	})
	slices.SortFunc(v.Topics, func(a, b TopicView) int { return strings.Compare(a.Topic, b.Topic) })
	return v
}

func cmpID(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ref names s for the observer.
func (s *session) ref() SessionRef { return SessionRef{Node: s.node.idx, ID: s.id} }
