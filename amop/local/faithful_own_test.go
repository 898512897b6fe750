package local_test

import (
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// TestFaithfulRow13TimerFollowsTheMessage: the timer of
// Service::onLocalAMOPMessage captures the P2P message and looks up
// message->seq() when it fires, not the seq the callback was stored under.
// A request whose own-node entry another request's timer failed moves on
// to a peer, and that send gives its message a fresh seq
// (asyncSendMessageByNodeID: setSeq when seq is 0); its own timer then
// finds nothing under the new seq and fails nobody. So a request that
// takes seq 0 after it waits its whole NodeTimeout.
//
//	A (own only)  at 0:        holds seq 0, answered 100 at T
//	B (own only)  at 1 s:      not stored; its timer fires at T+1 s
//	C (own, peer) at T:        holds seq 0; B's timer fails it at T+1 s,
//	                           so it goes to the peer (new seq), answered
//	D (own only)  at T+1 s:    holds seq 0; C's timer, at 2T, looks up
//	                           C's new seq: D is failed by its own timer
//	                           at 2T+1 s, T after it was sent
func TestFaithfulRow13TimerFollowsTheMessage(t *testing.T) {
	t.Parallel()
	const nodeTimeout = 3 * time.Second
	n := runFaithful(t, local.Options{NodeTimeout: nodeTimeout})
	rawReady(t, n, 0, "own", "both") // a session on the sender's node: never receives (row 13)
	peer := rawReady(t, n, 1, "both")
	peer.respond("peer")
	waitSubs(t, n, "own", 1)
	waitSubs(t, n, "both", 2)
	// Candidates of "both" are [node 1, node 0]: this second picks node 0
	// first. "own" has one candidate, node 0, in any second.
	fixedClock(t, n, secondPicking(t, 1, 2))
	pub := rawReady(t, n, 0)

	a, b, c, d := wire.NewSeq(), wire.NewSeq(), wire.NewSeq(), wire.NewSeq()
	pub.sendTopic(wire.TypeAMOPRequest, a, 0, "own", []byte("a"))
	time.Sleep(time.Second)
	pub.sendTopic(wire.TypeAMOPRequest, b, 0, "own", []byte("b"))
	if f := pub.nextOf(wire.TypeAMOPResponse, nodeTimeout+wait); f.Seq != a || f.Result != local.CodeNoSubscriber {
		t.Fatalf("first answer: seq %s result %d; want A's 100", f.Seq, f.Result)
	}
	sentC := time.Now()
	pub.sendTopic(wire.TypeAMOPRequest, c, 0, "both", []byte("c"))
	f := pub.nextOf(wire.TypeAMOPResponse, nodeTimeout+wait)
	if _, data := topicData(t, f); f.Seq != c || f.Result != 0 || data != "peer" || time.Since(sentC) >= nodeTimeout*2/3 {
		t.Fatalf("C: after %v seq %s result %d %q; want the peer's answer when B's timer fails C's entry, well before %v",
			time.Since(sentC), f.Seq, f.Result, data, nodeTimeout)
	}
	sentD := time.Now()
	pub.sendTopic(wire.TypeAMOPRequest, d, 0, "own", []byte("d"))
	f = pub.nextOf(wire.TypeAMOPResponse, nodeTimeout+wait)
	if el := time.Since(sentD); f.Seq != d || f.Result != local.CodeNoSubscriber || el < nodeTimeout-200*time.Millisecond {
		t.Fatalf("D: after %v seq %s result %d; want D's 100 after its own %v (C's timer must not fail it)", el, f.Seq, f.Result, nodeTimeout)
	}
	pub.quiet(wire.TypeAMOPResponse, time.Second, "B, whose callback was never stored")
}
