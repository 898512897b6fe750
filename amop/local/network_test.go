package local_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

func TestUnicastCrossNode(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	sub := dialSDK(t, n, 1)
	subscribe(t, sub, "cross", func(data []byte, resp *[]byte) { *resp = append([]byte("pong:"), data...) })
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "cross", 1)
	got, err := sendAMOP(t, pub, "cross", []byte("ping"))
	if err != nil || string(got) != "pong:ping" {
		t.Fatalf("SendAMOPMsg = %q, %v; want pong:ping", got, err)
	}
	if st := n.Stats(); st.Unicast != 1 || st.UnicastReplies != 1 || st.Sessions[0] != 1 || st.Sessions[1] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestMulticastInOrder checks what the node guarantees: every subscriber,
// on any node, gets every frame of a publisher's stream, in order, and the
// publisher gets none of its own. Raw subscribers see the frames as
// written; go-sdk would shuffle them (one goroutine per message).
func TestMulticastInOrder(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	subs := []*rawClient{dialRaw(t, n, 0), dialRaw(t, n, 1), dialRaw(t, n, 1)}
	for _, s := range subs {
		s.handshake()
		s.subscribe("order")
	}
	pub := dialSDK(t, n, 0)
	var self atomic.Int32
	subscribe(t, pub, "order", func([]byte, *[]byte) { self.Add(1) })
	waitSubs(t, n, "order", 4)

	const count = 200
	for i := range count {
		if err := broadcast(t, pub, "order", []byte("m"+strconv.Itoa(i))); err != nil {
			t.Fatalf("BroadcastAMOPMsg %d: %v", i, err)
		}
	}
	for k, s := range subs {
		for i := range count {
			f := s.next(wait)
			topic, data, err := wire.DecodeTopic(f.Body)
			if f.Type != wire.TypeMulticast || err != nil || string(topic) != "order" || string(data) != "m"+strconv.Itoa(i) {
				t.Fatalf("subscriber %d frame %d: %s %q %q %v", k, i, f.Type, topic, data, err)
			}
			if k == 0 { // answer like go-sdk does; the node must drop it quietly
				s.sendTopic(wire.TypeAMOPResponse, f.Seq, 0, "order", nil)
			}
		}
	}
	if self.Load() != 0 {
		t.Fatalf("the publisher received %d of its own multicasts", self.Load())
	}
	eventually(t, wait, "unmatched replies counted", func() bool { return n.Stats().UnmatchedReplies >= count })
	if st := n.Stats(); st.Multicast != count || st.MulticastPushes != 3*count || st.ClosedMalformed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestMulticastGoSDKSubscribers(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	const count = 50
	var mu sync.Mutex
	got := make([]map[string]bool, 3)
	for i := range got {
		got[i] = map[string]bool{}
		c := dialSDK(t, n, i%2)
		subscribe(t, c, "fan", func(data []byte, _ *[]byte) {
			mu.Lock()
			got[i][string(data)] = true
			mu.Unlock()
		})
	}
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "fan", 3)
	for i := range count {
		if err := broadcast(t, pub, "fan", []byte("m"+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, wait, "every message at every subscriber", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, g := range got {
			if len(g) != count {
				return false
			}
		}
		return true
	})
}

func TestNoSubscriberAnswers100AtOnce(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	pub := dialSDK(t, n, 0)
	// The best of three, so that a scheduling hiccup of a loaded machine
	// does not count; a node that waited for anything would fail all three.
	best := time.Hour
	for range 3 {
		start := time.Now()
		_, err := sendAMOP(t, pub, "nobody", []byte("x"))
		best = min(best, time.Since(start))
		if !isCode(err, local.CodeNoSubscriber) {
			t.Fatalf("err = %v; want error code 100", err)
		}
	}
	if best > 100*time.Millisecond {
		t.Fatalf("100 took %v", best)
	}
	t.Logf("error code 100 in %v", best)
	// A multicast is accepted even when nobody listens.
	if err := broadcast(t, pub, "nobody", []byte("x")); err != nil {
		t.Fatalf("multicast with no subscriber: %v", err)
	}
	if st := n.Stats(); st.Replies100 != 3 || st.Multicast != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestPushTimeoutGives104WithOriginalBody claims what a real node does, so
// it runs against the faithful nodes too.
func TestPushTimeoutGives104WithOriginalBody(t *testing.T) {
	t.Parallel()
	for _, like := range []string{local.LikeIdeal, local.Like291} {
		t.Run(like, func(t *testing.T) {
			t.Parallel()
			testPushTimeoutGives104WithOriginalBody(t, like)
		})
	}
}

func testPushTimeoutGives104WithOriginalBody(t *testing.T, like string) {
	const timeout = 300 * time.Millisecond
	n := local.RunT(t, local.Options{PushTimeout: timeout, Like: like, SyncInterval: fastSync, BlockInterval: -1})
	silent := dialRaw(t, n, 1)
	silent.handshake()
	silent.subscribe("silent")
	waitSubs(t, n, "silent", 1)

	pub := dialSDK(t, n, 0)
	start := time.Now()
	_, err := sendAMOP(t, pub, "silent", []byte("anyone?"))
	if el := time.Since(start); !isCode(err, local.CodePushFailed) || el < timeout || el > timeout+2*time.Second {
		t.Fatalf("after %v: err = %v; want error code 104 after %v", el, err, timeout)
	}

	// The 104 frame carries the request's own body, as a real node's.
	rp := dialRaw(t, n, 0)
	seq := wire.NewSeq()
	rp.sendTopic(wire.TypeAMOPRequest, seq, 0, "silent", []byte("body"))
	f := rp.next(wait)
	topic, data, err := wire.DecodeTopic(f.Body)
	if f.Type != wire.TypeAMOPResponse || f.Seq != seq || f.Result != local.CodePushFailed || err != nil ||
		string(topic) != "silent" || string(data) != "body" {
		t.Fatalf("got %s seq %s result %d %q %q %v", f.Type, f.Seq, f.Result, topic, data, err)
	}
	if st := n.Stats(); st.Replies104 != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// TestPushTimeoutTriesNextSubscriber: the first subscriber never answers;
// after the push timeout the request goes to the other one, and the
// publisher gets that reply, not an error.
func TestPushTimeoutTriesNextSubscriber(t *testing.T) {
	t.Parallel()
	const timeout = time.Second
	n := local.RunT(t, local.Options{PushTimeout: timeout})
	silent := dialRaw(t, n, 1)
	silent.handshake()
	silent.subscribe("next")
	waitSubs(t, n, "next", 1)

	pub := dialSDK(t, n, 0)
	sub := dialSDK(t, n, 0) // connected now, subscribed only once the push is out
	type res struct {
		b   []byte
		err error
		el  time.Duration
	}
	ch := make(chan res, 1)
	start := time.Now()
	go func() {
		b, err := pub.SendAMOPMsg("next", []byte("q"))
		ch <- res{b, err, time.Since(start)}
	}()
	if f := silent.next(wait); f.Type != wire.TypeAMOPRequest {
		t.Fatalf("silent subscriber got %s", f.Type)
	}
	// Only now does a second subscriber appear: the retry must find it.
	subscribe(t, sub, "next", func(data []byte, resp *[]byte) { *resp = []byte("answer") })
	waitSubs(t, n, "next", 2)
	select {
	case r := <-ch:
		if r.err != nil || string(r.b) != "answer" || r.el < timeout {
			t.Fatalf("after %v: %q, %v", r.el, r.b, r.err)
		}
	case <-time.After(wait):
		t.Fatal("no answer")
	}
	if st := n.Stats(); st.UnicastRetries != 1 || st.Replies104 != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestLostSubscriberTriesNext: a subscriber that disconnects with the push
// pending hands the request on at once, without waiting for the timeout.
func TestLostSubscriberTriesNext(t *testing.T) {
	t.Parallel()
	const timeout = 30 * time.Second // far beyond the wait below
	n := local.RunT(t, local.Options{PushTimeout: timeout})
	quitter := dialRaw(t, n, 1)
	quitter.handshake()
	quitter.subscribe("lost")
	waitSubs(t, n, "lost", 1)
	pub := dialSDK(t, n, 0)
	ch := make(chan []byte, 1)
	go func() {
		b, err := pub.SendAMOPMsg("lost", []byte("q"))
		if err != nil {
			b = []byte(err.Error())
		}
		ch <- b
	}()
	quitter.next(wait)
	sub := dialSDK(t, n, 1)
	subscribe(t, sub, "lost", func(_ []byte, resp *[]byte) { *resp = []byte("from the other one") })
	waitSubs(t, n, "lost", 2)
	quitter.conn.Close()
	select {
	case b := <-ch:
		if string(b) != "from the other one" {
			t.Fatalf("got %q", b)
		}
	case <-time.After(wait): // < timeout: the loss, not the timer, moved it on
		t.Fatal("no answer")
	}
}

func TestLargePayloadIntact(t *testing.T) {
	t.Parallel()
	// go-sdk copies a payload byte by byte as it decodes it, at both ends:
	// under -race on a loaded machine a 1 MiB round trip has taken seconds,
	// near the default 5 s PushTimeout, after which the node answers 104.
	// This test is about the bytes, not the time: the node waits a minute.
	n := local.RunT(t, local.Options{PushTimeout: time.Minute})
	payload := make([]byte, 1<<20)
	rand.Read(payload)
	var gotReq atomic.Bool
	sub := dialSDK(t, n, 1)
	subscribe(t, sub, "big", func(data []byte, resp *[]byte) {
		gotReq.Store(bytes.Equal(data, payload))
		*resp = append([]byte(nil), data...)
	})
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "big", 1)
	start := time.Now()
	got, err := within(t, 90*time.Second, "a 1 MiB SendAMOPMsg", func() ([]byte, error) { return pub.SendAMOPMsg("big", payload) })
	if err != nil || !bytes.Equal(got, payload) || !gotReq.Load() {
		t.Fatalf("1 MiB round trip: %d bytes back after %v, request intact %v, err %v", len(got), time.Since(start), gotReq.Load(), err)
	}
	t.Logf("1 MiB round trip in %v", time.Since(start))
}

// TestUnicastPickIsUniform: a real node's time-seeded pick sends every
// request of one second to the same subscriber; ours must be uniform.
func TestUnicastPickIsUniform(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	for i := range 3 {
		c := dialSDK(t, n, i%2)
		id := []byte(strconv.Itoa(i))
		subscribe(t, c, "fair", func(_ []byte, resp *[]byte) { *resp = id })
	}
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "fair", 3)
	const total = 450
	var counts [3]int
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for w := range 3 { // go-sdk handles concurrent sends; it keeps the run short
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range total / 3 {
				got, err := pub.SendAMOPMsg("fair", []byte("w"+strconv.Itoa(w)))
				if err != nil {
					errs <- err
					return
				}
				k, err := strconv.Atoi(string(got))
				if err != nil || k < 0 || k > 2 {
					errs <- fmt.Errorf("reply %q", got)
					return
				}
				mu.Lock()
				counts[k]++
				mu.Unlock()
			}
		}()
	}
	if _, err := within(t, 30*time.Second, "unicast burst", func() (struct{}, error) { wg.Wait(); return struct{}{}, nil }); err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	chi2 := 0.0
	for _, c := range counts {
		d := float64(c) - total/3.0
		chi2 += d * d / (total / 3.0)
	}
	// χ² with 2 degrees of freedom exceeds 18.42 with probability 1e-4.
	if chi2 > 18.42 || math.IsNaN(chi2) {
		t.Fatalf("counts %v: χ² = %.2f, not uniform", counts, chi2)
	}
	t.Logf("counts %v, χ² = %.2f", counts, chi2)
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	var got atomic.Int32
	sub := dialSDK(t, n, 1)
	subscribe(t, sub, "bye", func(_ []byte, resp *[]byte) { got.Add(1); *resp = []byte("ok") })
	barrier := dialRaw(t, n, 1)
	barrier.handshake()
	barrier.subscribe("bye-barrier")
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "bye", 1)
	if b, err := sendAMOP(t, pub, "bye", []byte("1")); err != nil || string(b) != "ok" {
		t.Fatalf("before: %q %v", b, err)
	}
	if err := sub.UnsubscribeTopic("bye"); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "the unsubscribe", func() bool { return n.Subscribers("bye") == 0 })
	if _, err := sendAMOP(t, pub, "bye", []byte("2")); !isCode(err, local.CodeNoSubscriber) {
		t.Fatalf("after unsubscribe: %v; want error code 100", err)
	}
	if err := broadcast(t, pub, "bye", []byte("3")); err != nil {
		t.Fatal(err)
	}
	// The barrier subscriber is on the same node; once its multicast
	// arrived, one for "bye" would have too.
	waitSubs(t, n, "bye-barrier", 1)
	if err := broadcast(t, pub, "bye-barrier", []byte("4")); err != nil {
		t.Fatal(err)
	}
	barrier.next(wait)
	time.Sleep(50 * time.Millisecond) // go-sdk runs handlers on their own goroutines
	if got.Load() != 1 {
		t.Fatalf("handler ran %d times; want 1", got.Load())
	}
}

func TestClientDialChecks(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{ChainID: 7, SM: false})
	cfg := sdkConfig(n, 0)
	cfg.ChainID = 7
	if _, err := dialSDKConfig(t, cfg); err != nil {
		t.Fatalf("matching chain id: %v", err)
	}
	cfg = sdkConfig(n, 1)
	_, err := dialSDKConfig(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "chain ID of node is 7, but configuration is 1") {
		t.Fatalf("chain id mismatch: %v", err)
	}

	sm := local.RunT(t, local.Options{SM: true})
	cfg = sdkConfig(sm, 0)
	if _, err := dialSDKConfig(t, cfg); err == nil || !strings.Contains(err.Error(), "SMCrypt=false") {
		t.Fatalf("SM mismatch: %v", err)
	}
}

func TestRawProtocolAnswers(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{ChainID: 42, GroupID: 3, NodeVersion: "2.9.1", SupportedVersion: "2.9.0"})
	c := dialRaw(t, n, 0)

	seq := wire.NewSeq()
	c.send(wire.TypeHandshake, seq, []byte(`{"minimumSupport":1,"maximumSupport":2,"clientType":"raw"}`))
	f := c.next(wait)
	h, err := wire.DecodeHandshakeResponse(f.Body)
	if f.Type != wire.TypeHandshake || f.Seq != seq || err != nil || h.Protocol != 2 || h.NodeVersion != "2.9.0" {
		t.Fatalf("handshake: %s %q %+v %v", f.Type, f.Body, h, err)
	}

	seq = wire.NewSeq()
	c.send(wire.TypeRPC, seq, []byte(`{"jsonrpc":"2.0","id":5,"method":"getClientVersion"}`))
	f = c.next(wait)
	var resp struct {
		ID     int               `json:"id"`
		Result map[string]string `json:"result"`
	}
	if err := json.Unmarshal(f.Body, &resp); err != nil || f.Type != wire.TypeRPC || f.Seq != seq || f.Result != 0 || resp.ID != 5 {
		t.Fatalf("getClientVersion: %s %q %v", f.Type, f.Body, err)
	}
	for _, k := range []string{"Build Time", "Build Type", "Chain Id", "FISCO-BCOS Version", "Git Branch", "Git Commit Hash", "Supported Version"} {
		if resp.Result[k] == "" {
			t.Errorf("getClientVersion lacks %q: %q", k, f.Body)
		}
	}
	if r := resp.Result; r["Chain Id"] != "42" || r["FISCO-BCOS Version"] != "2.9.1" || r["Supported Version"] != "2.9.0" {
		t.Errorf("getClientVersion: %v", r)
	}

	c.send(wire.TypeRPC, wire.NewSeq(), []byte(`{"jsonrpc":"2.0","id":6,"method":"getBlockNumber","params":[3]}`))
	if f = c.next(wait); !bytes.Contains(f.Body, []byte(`"error"`)) || !bytes.Contains(f.Body, []byte(`"id":6`)) {
		t.Fatalf("other method: %q", f.Body)
	}
	c.send(wire.TypeRPC, wire.NewSeq(), []byte(`{nope`))
	if f = c.next(wait); !bytes.Contains(f.Body, []byte(`-32700`)) {
		t.Fatalf("bad RPC JSON: %q", f.Body)
	}

	seq = wire.NewSeq()
	c.send(wire.TypeHeartbeat, seq, nil)
	if f = c.next(wait); f.Type != wire.TypeHeartbeat || f.Seq != seq || string(f.Body) != "{\"heartBeat\":1}\n" {
		t.Fatalf("heartbeat: %s %q", f.Type, f.Body)
	}

	// Private-topic and event frames neither close the session nor crash.
	c.send(wire.TypeTopicStatus, wire.NewSeq(), []byte(`{"checkResult":0,"nodeId":"x","topic":"t"}`))
	c.send(wire.TypeVerifyRequest, wire.NewSeq(), []byte(`{}`))
	seq = wire.NewSeq()
	c.sendTopic(wire.TypeEventRegister, seq, 0, "", []byte(`{"filterID":"x"}`))
	f = c.next(wait)
	if _, data, err := wire.DecodeTopic(f.Body); f.Seq != seq || err != nil || !bytes.Contains(data, []byte(`"result":-1`)) {
		t.Fatalf("event register: %q %v", f.Body, err)
	}
	seq = wire.NewSeq()
	c.send(wire.TypeHeartbeat, seq, nil)
	if f = c.next(wait); f.Seq != seq {
		t.Fatalf("session broken after 0x37/0x38: %s", f.Type)
	}
}

func TestSelfDeliveryExcluded(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	var selfGot, otherGot atomic.Int32
	a := dialSDK(t, n, 0)
	subscribe(t, a, "self", func([]byte, *[]byte) { selfGot.Add(1) })
	waitSubs(t, n, "self", 1)
	if _, err := sendAMOP(t, a, "self", []byte("me?")); !isCode(err, local.CodeNoSubscriber) {
		t.Fatalf("own unicast: %v; want error code 100", err)
	}
	b := dialSDK(t, n, 0) // same node: local delivery works
	subscribe(t, b, "self", func(_ []byte, resp *[]byte) { otherGot.Add(1); *resp = []byte("b") })
	waitSubs(t, n, "self", 2)
	if got, err := sendAMOP(t, a, "self", []byte("you")); err != nil || string(got) != "b" {
		t.Fatalf("same-node unicast: %q %v", got, err)
	}
	if err := broadcast(t, a, "self", []byte("all")); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "the multicast at b", func() bool { return otherGot.Load() == 2 })
	time.Sleep(50 * time.Millisecond)
	if selfGot.Load() != 0 {
		t.Fatalf("a received %d of its own messages", selfGot.Load())
	}
}

func TestReservedTopicRefused(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	victim := dialSDK(t, n, 1) // subscribes _block_notify_1 with a nil handler
	_ = victim
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "_block_notify_1", 2)
	if _, err := sendAMOP(t, pub, "_block_notify_1", []byte("boom")); !isCode(err, local.CodeRefused) {
		t.Fatalf("unicast on a reserved topic: %v; want error code 103", err)
	}
	if err := broadcast(t, pub, "_block_notify_1", []byte("boom")); err == nil || !strings.Contains(err.Error(), "103") {
		t.Fatalf("multicast on a reserved topic: %v; want error code 103", err)
	}
	if st := n.Stats(); st.Refused != 2 || st.MulticastPushes != 0 || st.Unicast != 0 {
		t.Fatalf("stats %+v", st)
	}
}
