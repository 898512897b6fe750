package local3

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/netobs"
	"github.com/amoptui/amoptui/amop/wire3"
)

// waitDecisions polls until want decisions have come since `since`.
func waitDecisions(t *testing.T, n *Network, since uint64, want int) []netobs.Decision {
	t.Helper()
	var ds []netobs.Decision
	waitFor(t, wait, "decisions", func() bool {
		ds, _, _ = n.Decisions(since)
		return len(ds) >= want
	})
	return ds
}

// sessionOn is the id of the only session of node i in v.
func sessionOn(t *testing.T, v netobs.View, i int) netobs.SessionView {
	t.Helper()
	if len(v.Nodes) <= i || len(v.Nodes[i].Sessions) != 1 {
		t.Fatalf("node %d in %+v: want one session", i, v.Nodes)
	}
	return v.Nodes[i].Sessions[0]
}

func topicOf(v netobs.View, topic string) (netobs.TopicView, bool) {
	i := slices.IndexFunc(v.Topics, func(tv netobs.TopicView) bool { return tv.Topic == topic })
	if i < 0 {
		return netobs.TopicView{}, false
	}
	return v.Topics[i], true
}

func TestObserverIdeal(t *testing.T) {
	n := start(t, Options{})
	sub := dial(t, n, 1)
	sub.subscribe("svc", "news")
	waitSubs(t, n, "svc", 1)
	pub := dial(t, n, 0)
	// Nothing is kept before someone watches; the view turns keeping on.
	if ds, next, _ := n.Decisions(0); len(ds) != 0 || next != 0 {
		t.Fatalf("decisions before watching: %v", ds)
	}
	// The publisher's session is in its node's table a moment after its
	// dial returns (seen once in CI): wait for it.
	var v netobs.View
	waitFor(t, wait, "the publisher's session", func() bool {
		v = n.View()
		return len(v.Nodes) == 2 && len(v.Nodes[0].Sessions) == 1
	})
	if v.Like != LikeIdeal || len(v.Nodes) != 2 || !v.Nodes[0].Up || v.Nodes[1].Addr != n.Addr(1) {
		t.Fatalf("view %+v", v)
	}
	ps, ss := sessionOn(t, v, 0), sessionOn(t, v, 1)
	if len(ps.Topics) != 0 || !slices.Equal(ss.Topics, []string{"news", "svc"}) || ss.Remote == "" {
		t.Fatalf("sessions %+v %+v", ps, ss)
	}
	from, to := netobs.SessionRef{Node: 0, ID: ps.ID}, netobs.SessionRef{Node: 1, ID: ss.ID}
	if tv, ok := topicOf(v, "svc"); !ok || !slices.Equal(tv.Subscribers, []netobs.SessionRef{to}) || tv.Counts != (netobs.TopicCounts{}) {
		t.Fatalf("topic svc %+v", tv)
	}

	const unicasts = 3
	for range unicasts {
		pub.request("svc", "ping")
		req, _ := sub.push(wait)
		sub.answer(req, "pong")
		if m := pub.next(wait); m.Type != wire3.TypeResponse || string(m.Payload) != "pong" {
			t.Fatalf("answer %s %q", m.Type, m.Payload)
		}
	}
	pub.broadcast("svc", "all")
	sub.push(wait)
	pub.request("nobody", "x")
	if m := pub.next(wait); m.Status != wire3.CodeNoPeer {
		t.Fatalf("no subscriber answered %d %q", m.Status, m.Payload)
	}
	ds := waitDecisions(t, n, 0, unicasts+2)
	for _, r := range ds[:unicasts] {
		if r.Kind != netobs.Routed || r.Topic != "svc" || r.From != from || r.To != to || r.Latency <= 0 {
			t.Fatalf("routed: %+v", r)
		}
	}
	if s := ds[0].String(); !strings.HasPrefix(s, "unicast 'svc' from "+from.String()+" → "+to.String()+", ") {
		t.Fatalf("routed in words: %q", s)
	}
	m, none := ds[unicasts], ds[unicasts+1]
	if m.Kind != netobs.Multicast || m.Targets != 1 || m.From != from {
		t.Fatalf("multicast: %+v", m)
	}
	if none.Kind != netobs.NoSubscriber || none.Code != wire3.CodeNoPeer || !strings.Contains(none.String(), "no subscriber (AMOP 3001)") {
		t.Fatalf("no subscriber: %+v %q", none, none.String())
	}

	v = n.View()
	if tv, _ := topicOf(v, "svc"); tv.Counts != (netobs.TopicCounts{Unicast: unicasts, Multicast: 1}) {
		t.Fatalf("svc counts %+v", tv.Counts)
	}
	if tv, ok := topicOf(v, "nobody"); !ok || len(tv.Subscribers) != 0 || tv.Counts != (netobs.TopicCounts{Failed: 1}) {
		t.Fatalf("nobody %+v", tv)
	}
	if tv, _ := topicOf(v, "news"); tv.Counts != (netobs.TopicCounts{}) || len(tv.Subscribers) != 1 {
		t.Fatalf("news %+v", tv)
	}
	// Leaving a topic shows at once: an ideal node takes the new list.
	sub.subscribe("news")
	waitFor(t, wait, "svc to lose its subscriber", func() bool {
		tv, _ := topicOf(n.View(), "svc")
		return len(tv.Subscribers) == 0 && tv.Counts.Unicast == unicasts
	})
}

// TestObserverFaithfulRetry: a 3.16.4 node whose only subscriber does not
// answer gives it up for the sender's own node's sessions (the same one
// here), and then fails: Retried, then PushFailed with the timeout's code.
func TestObserverFaithfulRetry(t *testing.T) {
	n := start(t, Options{Like: Like3164, ReplyTimeout: 300 * time.Millisecond})
	sub := dial(t, n, 0)
	sub.subscribe("svc")
	waitSubs(t, n, "svc", 1)
	pub := dial(t, n, 0)
	_, next, _ := n.Decisions(0)

	pub.request("svc", "ping")
	req, _ := sub.push(wait)
	sub.answer(req, "pong")
	if m := pub.next(wait); string(m.Payload) != "pong" {
		t.Fatalf("answer %s %q", m.Type, m.Payload)
	}
	pub.request("svc", "ignored")
	sub.push(wait) // not answered: times out, then the fallback push
	sub.push(wait)
	ds := waitDecisions(t, n, next, 3)
	v := n.View()
	var subRef netobs.SessionRef
	for _, s := range v.Nodes[0].Sessions {
		if slices.Contains(s.Topics, "svc") {
			subRef = netobs.SessionRef{Node: 0, ID: s.ID}
		}
	}
	r, retried, failed := ds[0], ds[1], ds[2]
	if r.Kind != netobs.Routed || r.To != subRef || subRef.ID == 0 {
		t.Fatalf("routed %+v, subscriber %v", r, subRef)
	}
	if retried.Kind != netobs.Retried || retried.To != subRef || !strings.Contains(retried.String(), "did not answer") {
		t.Fatalf("retried %+v", retried)
	}
	if failed.Kind != netobs.PushFailed || failed.Code != wire3.CodeWsTimeout || !strings.Contains(failed.String(), "(AMOP -4008)") {
		t.Fatalf("failed %+v %q", failed, failed.String())
	}
	if tv, _ := topicOf(v, "svc"); tv.Counts != (netobs.TopicCounts{Unicast: 1, Failed: 1}) {
		t.Fatalf("svc counts %+v", tv.Counts)
	}
}
