package local_test

import (
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

func TestParseLike(t *testing.T) {
	for in, want := range map[string]string{"": "ideal", "ideal": "ideal", "2.9": "2.9.1", "2.9.1": "2.9.1", " 2.9 ": "2.9.1"} {
		if got, err := local.ParseLike(in); err != nil || got != want {
			t.Errorf("ParseLike(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"2.8", "3.0", "real", "2.9.0"} {
		_, err := local.ParseLike(bad)
		if err == nil || !strings.Contains(err.Error(), `"ideal"`) || !strings.Contains(err.Error(), `"2.9"`) || !strings.Contains(err.Error(), `"2.9.1"`) {
			t.Errorf("ParseLike(%q): %v; want an error naming the accepted values", bad, err)
		}
	}
	if _, err := local.Start(local.Options{Like: "2.10"}); err == nil {
		t.Fatal("Start accepted like 2.10")
	}
	n := local.RunT(t, local.Options{Like: "2.9", NodeVersion: "2.4.0", BlockInterval: -1})
	if o := n.Options(); o.Like != local.Like291 || o.NodeVersion != "2.9.1" || o.SyncInterval != 5*time.Second || o.NodeTimeout != 30*time.Second || o.Workers != 8 {
		t.Fatalf("faithful options %+v", o)
	}
	if n.NodeID(0) == "" || len(n.NodeID(1)) != 128 || n.NodeID(0) == n.NodeID(1) {
		t.Fatalf("node ids %q %q", n.NodeID(0), n.NodeID(1))
	}
	if o := local.RunT(t, local.Options{}).Options(); o.Like != local.LikeIdeal || o.NodeVersion != "2.9.0" {
		t.Fatalf("ideal options %+v", o)
	}
}

// TestFaithfulTopicLengthZeroEndsTheNode: onClientChannelRequest builds the
// topic as std::string(data+1, topicLen-1) outside any try; a length byte of
// 0 throws std::length_error on a thread-pool worker, and the uncaught
// exception ends the node process. The node is gone (sessions dropped,
// peers lose it) until StartNode.
func TestFaithfulTopicLengthZeroEndsTheNode(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{})
	victim := rawReady(t, n, 0)
	bystander := rawReady(t, n, 0, "x")
	waitSubs(t, n, "x", 1)
	body := []byte{0, 'x'}
	victim.send(wire.TypeMulticast, wire.NewSeq(), body)
	if !victim.closedWithin(wait) || !bystander.closedWithin(wait) {
		t.Fatal("the node's sessions outlived its process")
	}
	eventually(t, wait, "the crash counted", func() bool { return n.FaithfulStats().Crashes == 1 })
	if c, err := dialShort(n.Addr(0), clientTLS(t, n.CertDir(), local.SDKCertFile, local.SDKKeyFile), time.Second); err == nil {
		c.Close()
		t.Fatal("node 0 still accepts connections")
	}
	if err := n.StartNode(0); err != nil {
		t.Fatal(err)
	}
	rawReady(t, n, 0)
	// Other malformed bodies are survivable: an empty one is ignored, a
	// length byte past the body names a topic nobody has.
	c := rawReady(t, n, 1)
	c.send(wire.TypeAMOPRequest, wire.NewSeq(), nil)
	seq := wire.NewSeq()
	c.send(wire.TypeAMOPRequest, seq, []byte{200, 'x'})
	if f := c.nextOf(wire.TypeAMOPResponse, wait); f.Seq != seq || f.Result != local.CodeNoSubscriber {
		t.Fatalf("topic length past the body: seq %s result %d", f.Seq, f.Result)
	}
}

func TestFaithfulCloseLeavesNoGoroutine(t *testing.T) {
	// Not parallel: it inspects every goroutine of the process.
	n, err := local.Start(local.Options{Like: "2.9", Nodes: 3, SyncInterval: fastSync, BlockInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	silent := rawReady(t, n, 1, "hold", "_block_notify_1")
	own := rawReady(t, n, 0, "own")
	pub := rawReady(t, n, 0, local.PushChannelPrefix+local.NeedVerifyPrefix+"p")
	rawReady(t, n, 2, local.NeedVerifyPrefix+"p", local.VerifyChannelPrefix+local.NeedVerifyPrefix+"p_0123456789abcdef0123456789abcdef")
	waitSubs(t, n, "hold", 1)
	waitSubs(t, n, "own", 1)
	pub.sendTopic(wire.TypeAMOPRequest, wire.NewSeq(), 0, "hold", []byte("x")) // waits 5 s at node 1
	pub.sendTopic(wire.TypeAMOPRequest, wire.NewSeq(), 0, "own", []byte("x"))  // waits 30 s at node 0
	silent.nextOf(wire.TypeAMOPRequest, wait)
	pub.nextOf(wire.TypeVerifyRequest, wait)
	silent.nextOf(wire.TypeBlockNotify, wait)
	n.Freeze(2)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	checkNoNetworkGoroutines(t)
	if !silent.closedWithin(wait) || !own.closedWithin(wait) {
		t.Fatal("sessions outlived Close")
	}
}
