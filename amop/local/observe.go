package local

import (
	"github.com/amoptui/amoptui/amop/netobs"
)

// Observing the network: routing reports every decision to n.obs (package
// netobs says what that costs: never a wait), and View and Decisions are
// what `amoptui node` and the TUI's /network show.

// Decisions returns the decisions made since index `since` (0 for all that
// are kept), oldest first, the index to ask from next time, and how many
// were lost because the ring wrapped before they were read. The first call
// turns observing on.
func (n *Network) Decisions(since uint64) (ds []netobs.Decision, next, lost uint64) {
	return n.obs.Decisions(since)
}

// View is a snapshot of the network: nodes, their sessions, the topics and
// who subscribes to them, with each topic's counts since the network
// started (the first call turns the keeping of decisions on).
func (n *Network) View() netobs.View {
	n.obs.Start()
	v := netobs.View{Like: n.opts.Like}
	type seen struct {
		nd *node
		s  []*session
	}
	var all []seen
	n.mu.Lock()
	for _, nd := range n.nodes {
		nv := netobs.NodeView{Index: nd.idx, Addr: nd.addr, Up: nd.ln != nil}
		var ss []*session
		for s := range nd.sessions {
			ss = append(ss, s)
			sv := netobs.SessionView{ID: s.id, Remote: s.remote}
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
	}
	n.obs.Finish(&v)
	return v
}

// ref names s for the observer.
func (s *session) ref() netobs.SessionRef { return netobs.SessionRef{Node: s.node.idx, ID: s.id} }
