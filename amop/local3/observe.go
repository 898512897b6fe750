package local3

import (
	"time"

	"github.com/amoptui/amoptui/amop/netobs"
	"github.com/amoptui/amoptui/amop/wire3"
)

// Observing the network, as the 2.x one is observed (package netobs): the
// routing in route.go records each outcome into n.obs — a unicast
// answered, a subscriber given up for the next, no subscriber, every
// subscriber failed, a broadcast pushed, a request refused — and View and
// Decisions are what `amoptui node --fisco 3` shows. Recording never waits
// (netobs says why), so watching cannot slow routing.

// Decisions returns the routing decisions made since index `since` (0 for
// all that are kept), oldest first, the index to ask from next time, and
// how many were lost because the ring wrapped before they were read. The
// first call turns the keeping of decisions on.
func (n *Network) Decisions(since uint64) (ds []netobs.Decision, next, lost uint64) {
	return n.obs.Decisions(since)
}

// View is a snapshot of the network: nodes, their sessions and the topics
// each session is routed for, the topics and their subscribers, with each
// topic's counts since the network started (the first call turns the
// keeping of decisions on).
func (n *Network) View() netobs.View {
	n.obs.Start()
	v := netobs.View{Like: n.opts.Like}
	// One lock, the one routing takes, held only to copy: the topics are
	// read from the node's table (what routing uses), not the sessions'
	// own lists, which a faithful node never shrinks.
	n.mu.Lock()
	for _, nd := range n.nodes {
		nv := netobs.NodeView{Index: nd.idx, Addr: nd.addr, Up: nd.running}
		at := map[*session]int{}
		for s := range nd.sessions {
			at[s] = len(nv.Sessions)
			nv.Sessions = append(nv.Sessions, netobs.SessionView{ID: s.id, Remote: s.endpoint})
		}
		for t, set := range nd.topics {
			for s := range set {
				if i, ok := at[s]; ok {
					nv.Sessions[i].Topics = append(nv.Sessions[i].Topics, t)
				}
			}
		}
		v.Nodes = append(v.Nodes, nv)
	}
	n.mu.Unlock()
	n.obs.Finish(&v)
	return v
}

// ref names s for the observer.
func (s *session) ref() netobs.SessionRef { return netobs.SessionRef{Node: s.node.idx, ID: s.id} }

// recordRouted records a unicast of from's on topic answered by to.
func (n *Network) recordRouted(from *session, topic string, to *session, start time.Time) {
	d := netobs.Decision{Kind: netobs.Routed, Topic: topic, From: from.ref(), Latency: time.Since(start)}
	if to != nil {
		d.To = to.ref()
	}
	n.obs.Record(d)
}

// recordFailure records a unicast of from's on topic that failed with
// code: nobody to take it (3001, or 3002 when the node picked had no
// session after all), or every subscriber tried failed (anything else).
func (n *Network) recordFailure(from *session, topic string, code int) {
	kind := netobs.PushFailed
	if code == wire3.CodeNoPeer || code == wire3.CodeNoClient {
		kind = netobs.NoSubscriber
	}
	n.obs.Record(netobs.Decision{Kind: kind, Topic: topic, From: from.ref(), Code: code})
}
