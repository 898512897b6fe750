package local_test

// The local network against bad input, restarts, freezes, idle and slow
// sessions, and its own shutdown.

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/FISCO-BCOS/go-sdk/conf"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// TestMalformedClosesOnlyThatSession sends each kind of malformed input on
// its own session; each is closed, a go-sdk pair keeps working.
func TestMalformedClosesOnlyThatSession(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{MaxFrame: 1 << 20})
	sub := dialSDK(t, n, 1)
	subscribe(t, sub, "ok", func(data []byte, resp *[]byte) { *resp = data })
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "ok", 1)

	header := func(length uint32, typ wire.Type) []byte {
		seq := wire.NewSeq()
		b := wire.AppendHeader(nil, typ, &seq, 0, 0)
		b[0], b[1], b[2], b[3] = byte(length>>24), byte(length>>16), byte(length>>8), byte(length)
		return b
	}
	frame := func(typ wire.Type, body []byte) []byte {
		f := wire.Frame{Type: typ, Seq: wire.NewSeq(), Body: body}
		return f.Encode()
	}
	cases := []struct {
		name string
		b    []byte
	}{
		{"length < 42", header(10, wire.TypeHeartbeat)},
		{"length over the limit", header(2<<20, wire.TypeAMOPRequest)},
		{"topic overrun in 0x30", frame(wire.TypeAMOPRequest, []byte{200, 'a'})},
		{"topic overrun in 0x35", frame(wire.TypeMulticast, []byte{5, 'o', 'k'})},
		{"topic length 0", frame(wire.TypeAMOPRequest, []byte{0, 'x'})},
		{"unknown type", frame(0x99, nil)},
		{"bad JSON in 0x14", frame(wire.TypeHandshake, []byte(`{"minimumSupport":`))},
		{"bad JSON in 0x32", frame(wire.TypeSubscribe, []byte(`["ok",`))},
		{"not a list in 0x32", frame(wire.TypeSubscribe, []byte(`{"a":1}`))},
	}
	for i, tc := range cases {
		c := dialRaw(t, n, i%2)
		c.handshake()
		c.write(tc.b)
		if !c.closedWithin(wait) {
			t.Fatalf("%s: session not closed", tc.name)
		}
		got, err := sendAMOP(t, pub, "ok", []byte(tc.name))
		if err != nil || string(got) != tc.name {
			t.Fatalf("after %s: %q %v", tc.name, got, err)
		}
	}
	if st := n.Stats(); st.ClosedMalformed != uint64(len(cases)) || st.Sessions[0] != 1 || st.Sessions[1] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestMalformedReplyNotRelayed: a subscriber whose reply has a lying topic
// length (go-sdk would panic on it) is closed, and the request moves on.
func TestMalformedReplyNotRelayed(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	liar := dialRaw(t, n, 1)
	liar.handshake()
	liar.subscribe("liar")
	waitSubs(t, n, "liar", 1)
	pub := dialRaw(t, n, 0)
	seq := wire.NewSeq()
	pub.sendTopic(wire.TypeAMOPRequest, seq, 0, "liar", []byte("q"))
	push := liar.next(wait)
	bad := wire.Frame{Type: wire.TypeAMOPResponse, Seq: push.Seq, Body: []byte{250, 'x'}}
	liar.write(bad.Encode())
	if !liar.closedWithin(wait) {
		t.Fatal("liar not closed")
	}
	f := pub.next(wait)
	if f.Seq != seq || f.Result != local.CodePushFailed {
		t.Fatalf("publisher got %s result %d", f.Type, f.Result)
	}
}

func TestStopStartNodeSameAddress(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	addr := n.Addr(1)
	c := dialRaw(t, n, 1)
	c.handshake()
	c.subscribe("restart")
	waitSubs(t, n, "restart", 1)
	if err := n.StopNode(1); err != nil {
		t.Fatal(err)
	}
	if !c.closedWithin(wait) {
		t.Fatal("session survived StopNode")
	}
	if n.Subscribers("restart") != 0 || n.Stats().Sessions[1] != 0 {
		t.Fatalf("state after StopNode: %d subscribers, %+v", n.Subscribers("restart"), n.Stats())
	}
	if conn, err := dialRawTLS(addr, clientTLS(t, n.CertDir(), local.SDKCertFile, local.SDKKeyFile)); err == nil {
		conn.Close()
		t.Fatal("a stopped node accepted a connection")
	}
	if err := n.StopNode(1); err != nil {
		t.Fatalf("second StopNode: %v", err)
	}
	if err := n.StartNode(1); err != nil {
		t.Fatal(err)
	}
	if n.Addr(1) != addr {
		t.Fatalf("address moved from %s to %s", addr, n.Addr(1))
	}
	sub := dialSDK(t, n, 1)
	subscribe(t, sub, "restart", func(_ []byte, resp *[]byte) { *resp = []byte("back") })
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "restart", 1)
	if got, err := sendAMOP(t, pub, "restart", nil); err != nil || string(got) != "back" {
		t.Fatalf("after restart: %q %v", got, err)
	}
	if err := n.StopNode(5); err == nil {
		t.Fatal("StopNode(5) on two nodes succeeded")
	}
}

func TestFreezeThaw(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{PushTimeout: 200 * time.Millisecond})
	c := dialRaw(t, n, 1)
	c.handshake()
	c.subscribe("frozen")
	waitSubs(t, n, "frozen", 1)
	pub := dialSDK(t, n, 0)

	if err := n.Freeze(1); err != nil {
		t.Fatal(err)
	}
	seq := wire.NewSeq()
	c.send(wire.TypeHeartbeat, seq, nil)
	if f, ok := c.tryNext(300 * time.Millisecond); ok {
		t.Fatalf("a frozen node answered: %s", f.Type)
	}
	if c.readErr() != nil {
		t.Fatalf("connection lost while frozen: %v", c.readErr())
	}
	// New connections get no handshake.
	cfg := clientTLS(t, n.CertDir(), local.SDKCertFile, local.SDKKeyFile)
	if conn, err := dialShort(n.Addr(1), cfg, 300*time.Millisecond); err == nil {
		conn.Close()
		t.Fatal("a frozen node completed a handshake")
	}
	// Unicast to its subscriber times out: 104; multicast is not held up.
	if _, err := sendAMOP(t, pub, "frozen", []byte("u")); !isCode(err, local.CodePushFailed) {
		t.Fatalf("unicast to a frozen subscriber: %v", err)
	}
	if err := broadcast(t, pub, "frozen", []byte("m")); err != nil {
		t.Fatal(err)
	}

	if err := n.Thaw(1); err != nil {
		t.Fatal(err)
	}
	var sawHeartbeat bool
	for range 3 { // the queued push, the multicast and the heartbeat reply
		f := c.next(wait)
		sawHeartbeat = sawHeartbeat || f.Seq == seq && f.Type == wire.TypeHeartbeat
	}
	if !sawHeartbeat {
		t.Fatal("no heartbeat reply after Thaw")
	}
	if conn, err := dialShort(n.Addr(1), cfg, wait); err != nil {
		t.Fatalf("handshake after Thaw: %v", err)
	} else {
		conn.Close()
	}
}

func TestInjectWritesEachElementAsOneRecord(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{})
	c := dialRaw(t, n, 1)
	c.handshake()
	c.subscribe("inj")
	waitSubs(t, n, "inj", 1)
	before := len(c.readSizes())

	a, _ := wire.EncodeTopicFrame(wire.TypeMulticast, &wire.ZeroSeq, 0, "inj", []byte("a"))
	b, _ := wire.EncodeTopicFrame(wire.TypeMulticast, &wire.ZeroSeq, 0, "inj", []byte("b"))
	got, err := n.Inject(1, "inj", [][]byte{append(append([]byte(nil), a...), b...)})
	if err != nil || got != 1 {
		t.Fatalf("Inject = %d, %v", got, err)
	}
	for _, want := range []string{"a", "b"} {
		f := c.next(wait)
		if _, data, _ := wire.DecodeTopic(f.Body); string(data) != want {
			t.Fatalf("got %q, want %q", data, want)
		}
	}
	sizes := c.readSizes()[before:]
	if len(sizes) != 1 || sizes[0] != len(a)+len(b) {
		t.Fatalf("two frames in one write arrived in reads %v", sizes)
	}

	before = len(c.readSizes())
	var ones [][]byte
	for _, x := range a {
		ones = append(ones, []byte{x})
	}
	if _, err := n.Inject(1, "inj", ones); err != nil {
		t.Fatal(err)
	}
	c.next(wait)
	sizes = c.readSizes()[before:]
	if len(sizes) != len(a) {
		t.Fatalf("%d one-byte writes arrived in %d reads", len(a), len(sizes))
	}
	if got, _ := n.Inject(0, "inj", ones); got != 0 {
		t.Fatalf("Inject on node 0 reached %d sessions", got)
	}
}

func TestIdleSessionsClosed(t *testing.T) {
	t.Parallel()
	const idleFor = 500 * time.Millisecond
	n := local.RunT(t, local.Options{IdleTimeout: idleFor})
	idle := dialRaw(t, n, 0)
	busy := dialRaw(t, n, 0)
	start := time.Now()
	stop := time.Now().Add(time.Second)
	for time.Now().Before(stop) {
		busy.send(wire.TypeHeartbeat, wire.NewSeq(), nil)
		busy.next(wait)
		time.Sleep(100 * time.Millisecond)
	}
	if !idle.closedWithin(wait) {
		t.Fatal("idle session not closed")
	}
	if el := time.Since(start); el < idleFor {
		t.Fatalf("closed after %v", el)
	}
	if busy.readErr() != nil {
		t.Fatalf("busy session closed: %v", busy.readErr())
	}
	if st := n.Stats(); st.ClosedIdle != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTopicDelay(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	n := local.RunT(t, local.Options{TopicDelay: delay})
	sub := dialSDK(t, n, 1)
	subscribe(t, sub, "slow", func(_ []byte, resp *[]byte) { *resp = []byte("hi") })
	start := time.Now()
	eventually(t, wait, "the subscription", func() bool { return n.Subscribers("slow") == 1 })
	local1 := dialSDK(t, n, 1)
	if got, err := sendAMOP(t, local1, "slow", nil); err != nil || string(got) != "hi" {
		t.Fatalf("same node, at once: %q %v", got, err)
	}
	remote := dialSDK(t, n, 0)
	if time.Since(start) < delay-400*time.Millisecond { // else too late to test, on a loaded machine
		if _, err := sendAMOP(t, remote, "slow", nil); !isCode(err, local.CodeNoSubscriber) {
			t.Fatalf("other node before the delay: %v; want error code 100", err)
		}
	}
	waitSubs(t, n, "slow", 1)
	if el := time.Since(start); el < delay-50*time.Millisecond {
		t.Fatalf("WaitSubscribers returned after %v", el)
	}
	if got, err := sendAMOP(t, remote, "slow", nil); err != nil || string(got) != "hi" {
		t.Fatalf("other node after the delay: %q %v", got, err)
	}
}

func TestHandshakeFailuresRefusedAndLoggedOnce(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	n := local.RunT(t, local.Options{Logger: slogTo(&logs)})

	// A client from another CA, through go-sdk.
	foreign := t.TempDir()
	if err := local.NewCertDir(foreign, local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := &conf.Config{ChainID: 1, GroupID: 1, DynamicKey: true, NodeURL: n.Addr(0),
		CAFile: foreign + "/ca.crt", Cert: foreign + "/sdk.crt", Key: foreign + "/sdk.key"}
	if _, err := dialSDKConfig(t, cfg); err == nil {
		t.Fatal("go-sdk with a foreign CA's certificate connected")
	}
	// No client certificate at all.
	if conn, err := dialRawTLS(n.Addr(1), clientTLS(t, n.CertDir(), "", "")); err == nil {
		conn.SetReadDeadline(time.Now().Add(wait))
		if _, err = conn.Read(make([]byte, 1)); err == nil {
			t.Fatal("a client without a certificate was served")
		}
		conn.Close()
	}
	// Expired and not-yet-valid certificates from the right CA.
	now := time.Now()
	for _, w := range []local.CertOptions{
		{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)},
		{NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(48 * time.Hour)},
	} {
		if _, _, err := local.IssueCert(n.CertDir(), "odd", w); err != nil {
			t.Fatal(err)
		}
		conn, err := dialRawTLS(n.Addr(0), clientTLS(t, n.CertDir(), "odd.crt", "odd.key"))
		if err == nil {
			conn.SetReadDeadline(time.Now().Add(wait))
			_, err = conn.Read(make([]byte, 1))
			conn.Close()
		}
		if err == nil {
			t.Fatalf("certificate valid %v..%v accepted", w.NotBefore, w.NotAfter)
		}
	}
	eventually(t, wait, "4 failures counted", func() bool { return n.Stats().HandshakeFailures >= 4 })
	if c := strings.Count(logs.String(), "TLS handshake failed"); c != 1 {
		t.Fatalf("%d handshake-failure log lines for one source; want 1:\n%s", c, logs.String())
	}
	// The network still serves the right client.
	dialSDK(t, n, 0)
}

// TestCloseLeavesNoGoroutine closes a network in the middle of things:
// sessions open, a unicast push pending, a node frozen, a handshake
// half-done.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	// Not parallel: it inspects every goroutine of the process.
	n, err := local.Start(local.Options{Nodes: 3, PushTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	silent := dialRaw(t, n, 1)
	silent.handshake()
	silent.subscribe("hold")
	pub := dialRaw(t, n, 0)
	waitSubs(t, n, "hold", 1)
	pub.sendTopic(wire.TypeAMOPRequest, wire.NewSeq(), 0, "hold", []byte("x"))
	silent.next(wait)
	dialRaw(t, n, 2)
	n.Freeze(2)
	half, err := netDialer.Dial("tcp", n.Addr(0)) // TCP only, never a TLS hello
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	eventually(t, wait, "sessions", func() bool {
		s := n.Stats().Sessions
		return s[0] == 1 && s[1] == 1 && s[2] == 1
	})
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	checkNoNetworkGoroutines(t)
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := n.Inject(0, "hold", nil); err != local.ErrClosed {
		t.Fatalf("Inject after Close: %v", err)
	}
	if !silent.closedWithin(wait) || !pub.closedWithin(wait) {
		t.Fatal("sessions outlived Close")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "hold", 1); err != local.ErrClosed {
		t.Fatalf("WaitSubscribers after Close: %v", err)
	}
}

// TestSlowPublisherDoesNotStallSubscribers: a publisher that stops reading
// must not make a healthy subscriber look dead to everyone else. Relaying
// the subscriber's replies to the stalled publisher used to block the
// subscriber's reader, so its replies to other publishers timed out into
// 104.
func TestSlowPublisherDoesNotStallSubscribers(t *testing.T) {
	// WriteTimeout is far above the wait for the backlog below: a node that
	// blocks the subscriber's reader on the slow publisher must not be
	// rescued by closing the slow publisher before that wait gives up.
	n := local.RunT(t, local.Options{Nodes: 1, PushTimeout: time.Second, WriteTimeout: 5 * time.Minute})
	sub := dialRaw(t, n, 0)
	sub.handshake()
	sub.subscribe("t1", "t2")
	waitSubs(t, n, "t2", 1)
	big := bytes.Repeat([]byte("r"), 64<<10)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a healthy subscriber: answers every push at once
		for {
			select {
			case <-stop:
				return
			case f := <-sub.frames:
				topic, _, err := wire.DecodeTopic(f.Body)
				if err != nil {
					return
				}
				raw, _ := wire.EncodeTopicFrame(wire.TypeAMOPResponse, &f.Seq, 0, string(topic), big)
				sub.conn.SetWriteDeadline(time.Now().Add(wait))
				if _, err := sub.conn.Write(raw); err != nil {
					return
				}
			}
		}
	}()
	// The slow publisher: sends many unicasts, never reads an answer.
	slow, err := dialRawTLS(n.Addr(0), clientTLS(t, n.CertDir(), local.SDKCertFile, local.SDKKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	const backlog = 600
	framesBefore := n.Stats().FramesIn
	for i := 0; i < backlog; i++ {
		seq := wire.NewSeq()
		raw, _ := wire.EncodeTopicFrame(wire.TypeAMOPRequest, &seq, 0, "t1", []byte("x"))
		slow.SetWriteDeadline(time.Now().Add(wait))
		if _, err := slow.Write(raw); err != nil {
			t.Fatal(err)
		}
	}
	// The backlog is built once the node has read the 600 requests and the
	// subscriber's 600 answers of 64 KiB (~37 MiB, more than the slow
	// publisher's socket holds): they are then the node's to queue. A node
	// that blocks the subscriber's reader on the slow publisher stops
	// reading here. Waiting for this, not for a fixed time, keeps the
	// request below from queueing behind the backlog in this test's own
	// subscriber, which answers in order: under -race on a loaded machine
	// that took over the request's 1 s PushTimeout, a failure of the test,
	// not of the node.
	for deadline := time.Now().Add(time.Minute); n.Stats().FramesIn < framesBefore+2*backlog; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the node read %d of the %d frames of the backlog in a minute: stalled behind the slow publisher? (stats %+v)",
				n.Stats().FramesIn-framesBefore, 2*backlog, n.Stats())
		}
	}
	other := dialRaw(t, n, 0)
	other.handshake()
	seq := wire.NewSeq()
	start := time.Now()
	other.sendTopic(wire.TypeAMOPRequest, seq, 0, "t2", []byte("hi"))
	for {
		f := other.next(10 * time.Second)
		if f.Seq != seq {
			continue
		}
		if f.Result != 0 {
			t.Fatalf("an unrelated unicast got result %d after %v (stats %+v)", f.Result, time.Since(start), n.Stats())
		}
		break
	}
}
