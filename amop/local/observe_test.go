package local_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/netobs"
)

func observeClient(t *testing.T, n *local.Network, node int) *amop.SDK {
	t.Helper()
	dir := n.CertDir()
	a, err := amop.New(amop.Config{Endpoints: []string{n.Addr(node)}, AutoReply: amop.ParseReplyPolicy("pong"), SendTimeout: 5 * time.Second,
		CAFile: filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return a
}

// waitDecisions polls until want decisions have come since `since`.
func waitDecisions(t *testing.T, n *local.Network, since uint64, want int) []netobs.Decision {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds, _, _ := n.Decisions(since)
		if len(ds) >= want {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d decisions, want %d: %v", len(ds), want, ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestObserverSeesRoutingDecisions(t *testing.T) {
	n := local.RunT(t, local.Options{})
	sub := observeClient(t, n, 1)
	pub := observeClient(t, n, 0)
	// Nothing is kept before someone watches.
	if ds, next, _ := n.Decisions(0); len(ds) != 0 || next != 0 {
		t.Fatalf("decisions before watching: %v", ds)
	}
	if err := sub.Join("svc"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "svc", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Unicast(ctx, "svc", []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if err := pub.Multicast(ctx, "svc", []byte("all")); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Unicast(ctx, "nobody", []byte("x")); err == nil {
		t.Fatal("unicast to nobody answered")
	}
	ds := waitDecisions(t, n, 0, 3)
	r, m, none := ds[0], ds[1], ds[2]
	if r.Kind != netobs.Routed || r.Topic != "svc" || r.From.Node != 0 || r.To.Node != 1 || r.To.ID == 0 || r.Latency <= 0 {
		t.Fatalf("routed: %+v", r)
	}
	if !strings.HasPrefix(r.String(), "unicast 'svc' from s") || !strings.Contains(r.String(), "@node0 → s") || !strings.Contains(r.String(), "@node1, ") {
		t.Fatalf("routed in words: %q", r.String())
	}
	if m.Kind != netobs.Multicast || m.Targets != 1 || none.Kind != netobs.NoSubscriber || !strings.Contains(none.String(), "AMOP 100") {
		t.Fatalf("multicast %+v, no subscriber %+v", m, none)
	}
	v := n.View()
	if len(v.Nodes) != 2 || len(v.Nodes[0].Sessions) != 1 || len(v.Nodes[1].Sessions) != 1 {
		t.Fatalf("view nodes %+v", v.Nodes)
	}
	var svc *netobs.TopicView
	for i := range v.Topics {
		if v.Topics[i].Topic == "svc" {
			svc = &v.Topics[i]
		}
	}
	if svc == nil || len(svc.Subscribers) != 1 || svc.Subscribers[0].Node != 1 || svc.Counts.Unicast != 1 || svc.Counts.Multicast != 1 {
		t.Fatalf("topic svc in the view: %+v (all %+v)", svc, v.Topics)
	}
}

func TestObserverRingIsBounded(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	pub := observeClient(t, n, 0)
	n.Decisions(0) // start watching
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < 600; i++ {
		if err := pub.Multicast(ctx, "flood", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	ds, next, lost := n.Decisions(0)
	if next != 600 || len(ds) != 512 || lost != 88 {
		t.Fatalf("%d decisions, next %d, lost %d", len(ds), next, lost)
	}
	if ds, _, lost := n.Decisions(590); len(ds) != 10 || lost != 0 {
		t.Fatalf("from 590: %d, lost %d", len(ds), lost)
	}
}

func TestObserverFaithfulOwnNodeDrop(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1, Like: "2.9"})
	sub := observeClient(t, n, 0)
	pub := observeClient(t, n, 0)
	n.Decisions(0)
	if err := sub.Join("own"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The subscription reaches the node within a moment; then a multicast
	// from the same node is dropped for it, as 2.9 nodes do.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := pub.Multicast(ctx, "own", []byte("x")); err != nil {
			t.Fatal(err)
		}
		ds, _, _ := n.Decisions(0)
		for _, d := range ds {
			if d.Kind == netobs.OwnNodeDropped {
				if !strings.Contains(d.String(), "dropped 'own' from s") || !strings.Contains(d.String(), "own node (2.9 semantics)") {
					t.Fatalf("in words: %q", d.String())
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no own-node drop in %v", ds)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCountsFromTheStart: the per-topic counts include the traffic routed
// before anyone watched (M10); only the decisions themselves start being
// kept when someone asks.
func TestCountsFromTheStart(t *testing.T) {
	n := local.RunT(t, local.Options{})
	sub := observeClient(t, n, 1)
	pub := observeClient(t, n, 0)
	if err := sub.Join("early"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "early", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Unicast(ctx, "early", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := pub.Multicast(ctx, "early", []byte("all")); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Unicast(ctx, "nobody", []byte("x")); err == nil {
		t.Fatal("unicast to nobody answered")
	}
	counts := func() map[string]netobs.TopicCounts {
		out := map[string]netobs.TopicCounts{}
		for _, tv := range n.View().Topics {
			out[tv.Topic] = tv.Counts
		}
		return out
	}
	got := counts()
	if got["early"] != (netobs.TopicCounts{Unicast: 1, Multicast: 1}) || got["nobody"] != (netobs.TopicCounts{Failed: 1}) {
		t.Fatalf("counts before watching: %+v", got)
	}
	if ds, _, _ := n.Decisions(0); len(ds) != 0 {
		t.Fatalf("decisions from before watching: %v", ds)
	}
	if _, err := pub.Unicast(ctx, "early", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if ds := waitDecisions(t, n, 0, 1); ds[0].Kind != netobs.Routed || ds[0].Topic != "early" {
		t.Fatalf("decision after watching: %+v", ds[0])
	}
	if c := counts()["early"]; c.Unicast != 2 {
		t.Fatalf("counts after watching: %+v", c)
	}
}
