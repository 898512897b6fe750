package local_test

// Faithful mode, rows 1–9, 17, 18 and 20 of real-nodes.md: the channel
// session of a FISCO BCOS 2.9.1 node, frame by frame, through raw TLS
// clients that send exactly the bytes each row is about.

import (
	"encoding/binary"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/FISCO-BCOS/crypto/tls"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// TestFaithfulRow01TLS: SecureInitializer.cpp (TLS 1.2, ECDHE on secp256k1
// only, a client certificate required) and ChannelServer::newVerifyCallback
// (the SDK certificate's issuer must be the node certificate's). An SDK
// certificate from the chain CA itself, while the nodes' come from an
// agency, is refused by faithful nodes and accepted by ideal ones; so is a
// client that offers only P-256 for ECDHE.
func TestFaithfulRow01TLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := local.NewAgencyCertDir(dir, 2, local.CertOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := local.IssueCert(dir, "rootsdk", local.CertOptions{}); err != nil { // issued by ca.crt, not the agency
		t.Fatal(err)
	}
	faithful := runFaithful(t, local.Options{CertDir: dir})
	ideal := local.RunT(t, local.Options{CertDir: dir})

	handshake := func(n *local.Network, cfg *tls.Config) error {
		c, err := dialShort(n.Addr(0), cfg, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		// TLS 1.2: the server's verdict on the client certificate arrives
		// with its Finished; a read makes a refusal visible.
		c.SetDeadline(time.Now().Add(2 * time.Second))
		seq := wire.NewSeq()
		f := wire.Frame{Type: wire.TypeHeartbeat, Seq: seq, Body: []byte("0")}
		if _, err := c.Write(f.Encode()); err != nil {
			return err
		}
		_, err = c.Read(make([]byte, 64))
		return err
	}
	good := clientTLS(t, dir, local.SDKCertFile, local.SDKKeyFile)
	if err := handshake(faithful, good); err != nil {
		t.Fatalf("the agency's SDK certificate: %v", err)
	}
	root := clientTLS(t, dir, "rootsdk.crt", "rootsdk.key")
	if err := handshake(faithful, root); err == nil {
		t.Fatal("faithful node accepted an SDK certificate of another issuer")
	}
	if err := handshake(ideal, root); err != nil {
		t.Fatalf("ideal node refused an SDK certificate under its CA: %v", err)
	}
	p256 := clientTLS(t, dir, local.SDKCertFile, local.SDKKeyFile)
	p256.CurvePreferences = []tls.CurveID{tls.CurveP256}
	if err := handshake(faithful, p256); err == nil {
		t.Fatal("faithful node agreed on ECDHE over P-256")
	}
	if err := handshake(ideal, p256); err != nil {
		t.Fatalf("ideal node with a P-256-only client: %v", err)
	}
	// go-sdk, which offers secp256k1, connects through the agency chain.
	cfg := sdkConfig(faithful, 1)
	cfg.CAFile, cfg.Cert, cfg.Key = filepath.Join(dir, local.CAFile), filepath.Join(dir, local.SDKCertFile), filepath.Join(dir, local.SDKKeyFile)
	if _, err := dialSDKConfig(t, cfg); err != nil {
		t.Fatalf("go-sdk: %v", err)
	}
	settleBeforeClose(t, faithful)
}

// TestFaithfulRow02ShortLength: ChannelMessage::decodeAMOP with a length
// under 42 throws; ChannelSession::onRead catches it and never reads again.
// The session is not closed: later frames are not answered, and the 60 s
// idle timer (IdleTimeout here) ends it. A length over 100 MiB returns -1:
// disconnected at once.
func TestFaithfulRow02ShortLength(t *testing.T) {
	t.Parallel()
	const idle = 1500 * time.Millisecond
	n := runFaithful(t, local.Options{IdleTimeout: idle})
	c := rawReady(t, n, 0)
	short := make([]byte, wire.HeaderLen)
	binary.BigEndian.PutUint32(short, 10)
	start := time.Now()
	c.write(short)
	c.send(wire.TypeHeartbeat, wire.NewSeq(), nil) // never read
	if c.closedWithin(idle / 2) {
		t.Fatalf("closed %v after the short frame; a real node only stops reading", time.Since(start))
	}
	if !c.closedWithin(idle + 5*time.Second) {
		t.Fatal("not closed by the idle timer")
	}
	if el := time.Since(start); el < idle*9/10 {
		t.Fatalf("closed after %v, before the idle timeout %v", el, idle)
	}
	if st := n.Stats(); st.ClosedIdle != 1 || st.ClosedMalformed != 0 {
		t.Fatalf("stats %+v", st)
	}

	d := rawReady(t, n, 1)
	huge := make([]byte, wire.HeaderLen)
	binary.BigEndian.PutUint32(huge, wire.DefaultMaxFrame+1)
	d.write(huge)
	if !d.closedWithin(wait) {
		t.Fatal("a frame over 100 MiB did not disconnect")
	}
}

// TestFaithfulRow03OneFramePerRecord: ChannelSession::writeBuffer/startWrite
// post one async_write per frame, so two frames never share a TLS record
// (go-sdk decodes one frame per read).
func TestFaithfulRow03OneFramePerRecord(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{})
	c := rawReady(t, n, 0)
	const count = 50
	var burst []byte
	for range count {
		f := wire.Frame{Type: wire.TypeHeartbeat, Seq: wire.NewSeq()}
		burst = f.AppendTo(burst)
	}
	c.write(burst)
	for range count {
		c.nextOf(wire.TypeHeartbeat, wait)
	}
	reads := c.readSizes()
	want := wire.HeaderLen + len(wire.HeartbeatReply)
	for i, r := range reads[1:] { // the first read is the handshake's answer
		if r != want {
			t.Fatalf("read %d holds %d bytes; want one %d-byte frame per record (reads %v)", i+1, r, want, reads)
		}
	}
}

// TestFaithfulRow04Reorder: ChannelSession::onMessage hands every request
// to an 8-thread pool, so frames of one session are handled in any order:
// a burst of multicasts reaches a subscriber out of order. With Workers 1
// the order holds (the knob that keeps the model testable).
func TestFaithfulRow04Reorder(t *testing.T) {
	t.Parallel()
	reordered := func(workers, count int) (bool, int) {
		n := runFaithful(t, local.Options{Workers: workers})
		sub := rawReady(t, n, 1, "order")
		pub := rawReady(t, n, 0)
		waitSubs(t, n, "order", 1)
		for round := 1; round <= 5; round++ {
			var burst []byte
			for i := range count {
				seq := wire.NewSeq()
				b, _ := wire.EncodeTopicFrame(wire.TypeMulticast, &seq, 0, "order", []byte(strconv.Itoa(i)))
				burst = append(burst, b...)
			}
			pub.write(burst)
			last, out := -1, false
			for range count {
				_, data := topicData(t, sub.nextOf(wire.TypeMulticast, wait))
				i, _ := strconv.Atoi(data)
				if i < last {
					out = true
				}
				last = max(last, i)
			}
			for range count {
				pub.nextOf(wire.TypeAMOPResponse, wait)
			}
			if out {
				return true, round
			}
		}
		return false, 5
	}
	if out, rounds := reordered(8, 400); !out {
		t.Fatalf("%d bursts of multicasts through 8 workers all arrived in order", rounds)
	} else {
		t.Logf("out of order in burst %d", rounds)
	}
	// Fewer than a session queue's frames per burst, so that no push waits
	// for room (which could reorder on its own).
	if out, _ := reordered(1, 100); out {
		t.Fatal("one worker reordered frames")
	}
}

// TestFaithfulRow04AnswerAnyType: a frame whose seq is a pending push's is
// its answer whatever its type (ChannelSession::onMessage looks the seq up
// first), and that answer is relayed as it is.
func TestFaithfulRow04AnswerAnyType(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{})
	sub := rawReady(t, n, 1, "any")
	pub := rawReady(t, n, 0)
	waitSubs(t, n, "any", 1)
	seq := wire.NewSeq()
	pub.sendTopic(wire.TypeAMOPRequest, seq, 0, "any", []byte("q"))
	push := sub.nextOf(wire.TypeAMOPRequest, wait)
	sub.send(wire.TypeHeartbeat, push.Seq, []byte("not a heartbeat")) // type 0x13, the push's seq
	got := pub.nextOf(wire.TypeHeartbeat, wait)
	if got.Seq != seq || string(got.Body) != "not a heartbeat" {
		t.Fatalf("relayed %s seq %s body %q", got.Type, got.Seq, got.Body)
	}
}

// TestFaithfulRow05UnknownType: onClientRequest logs an unknown type and
// ignores it; the session stays and answers what follows. The node-to-SDK
// types from an SDK are unknown to it as well.
func TestFaithfulRow05UnknownType(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{})
	c := rawReady(t, n, 0)
	for _, typ := range []wire.Type{0x99, wire.TypeVerifyRequest, wire.TypeBlockNotify, wire.TypeTxNotify, wire.TypeEventPush} {
		c.send(typ, wire.NewSeq(), []byte("?"))
	}
	seq := wire.NewSeq()
	c.send(wire.TypeHeartbeat, seq, nil)
	if f := c.next(wait); f.Type != wire.TypeHeartbeat || f.Seq != seq {
		t.Fatalf("after unknown types: %s seq %s", f.Type, f.Seq)
	}
	if got := n.FaithfulStats().Ignored; got != 5 {
		t.Fatalf("ignored %d frames; want 5", got)
	}
	if n.Stats().ClosedMalformed != 0 {
		t.Fatal("a session was closed")
	}
}

// TestFaithfulRow06Handshake: onClientHandshake. Bad JSON and values
// jsoncpp cannot read get no answer (the session stays); missing bounds
// default to 1; a range that misses 1..3 disconnects; the protocol is
// min(3, client maximum); the answer is the request's own frame (its result
// field too) with {"nodeVersion":<supported>,"protocol":N}\n.
func TestFaithfulRow06Handshake(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{SupportedVersion: "2.9.0"})
	c := dialRaw(t, n, 0)
	for _, body := range []string{`{nope`, `{"minimumSupport":"1","maximumSupport":3}`, `[1,3]`, ``} {
		c.send(wire.TypeHandshake, wire.NewSeq(), []byte(body))
	}
	c.quiet(wire.TypeHandshake, 300*time.Millisecond, "a handshake a real node cannot read")
	for _, tc := range []struct {
		body, want string
	}{
		{`{"minimumSupport":1,"maximumSupport":3,"clientType":"Go-SDK"}`, "{\"nodeVersion\":\"2.9.0\",\"protocol\":3}\n"},
		{`{"maximumSupport":2} trailing text is ignored`, "{\"nodeVersion\":\"2.9.0\",\"protocol\":2}\n"},
		{`{}`, "{\"nodeVersion\":\"2.9.0\",\"protocol\":1}\n"},
		{`{"minimumSupport":2,"maximumSupport":9}`, "{\"nodeVersion\":\"2.9.0\",\"protocol\":3}\n"},
	} {
		seq := wire.NewSeq()
		f := wire.Frame{Type: wire.TypeHandshake, Seq: seq, Result: 7, Body: []byte(tc.body)}
		c.write(f.Encode())
		got := c.nextOf(wire.TypeHandshake, wait)
		if got.Seq != seq || got.Result != 7 || string(got.Body) != tc.want {
			t.Fatalf("%s: seq %s result %d body %q; want the same seq, result 7, %q", tc.body, got.Seq, got.Result, got.Body, tc.want)
		}
	}
	for _, body := range []string{`{"minimumSupport":4,"maximumSupport":5}`, `{"minimumSupport":0,"maximumSupport":0}`} {
		d := dialRaw(t, n, 1)
		d.send(wire.TypeHandshake, wire.NewSeq(), []byte(body))
		if !d.closedWithin(wait) {
			t.Fatalf("%s: not disconnected", body)
		}
	}
}

// TestFaithfulRow07Heartbeat: onClientHeartbeat. On protocol 1 (before a
// handshake, or after one that settles on 1) only a body "0" is answered,
// with "1"; on protocols 2 and 3 every heartbeat gets {"heartBeat":1}\n.
func TestFaithfulRow07Heartbeat(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{})
	c := dialRaw(t, n, 0)
	c.send(wire.TypeHeartbeat, wire.NewSeq(), nil)
	c.send(wire.TypeHeartbeat, wire.NewSeq(), []byte(`{"heartbeat":"0"}`))
	c.quiet(wire.TypeHeartbeat, 300*time.Millisecond, "protocol 1, a body other than \"0\"")
	seq := wire.NewSeq()
	c.send(wire.TypeHeartbeat, seq, []byte("0"))
	if f := c.nextOf(wire.TypeHeartbeat, wait); f.Seq != seq || string(f.Body) != "1" {
		t.Fatalf("protocol 1: seq %s body %q; want 1", f.Seq, f.Body)
	}
	c.handshake() // protocol 3
	for _, body := range []string{"", "0", "anything"} {
		seq := wire.NewSeq()
		c.send(wire.TypeHeartbeat, seq, []byte(body))
		if f := c.nextOf(wire.TypeHeartbeat, wait); f.Seq != seq || string(f.Body) != "{\"heartBeat\":1}\n" {
			t.Fatalf("protocol 3, body %q: %q", body, f.Body)
		}
	}
}

// TestFaithfulRow08ClientVersion: Rpc.cpp getClientVersion fills seven
// keys: FISCO-BCOS Version is the binary's, 2.9.1 (" gm" on SM chains),
// Supported Version the configured one (2.9.0 by default), Chain Id a
// string; Build Type says "like 2.9.1" (ideal nodes say "ideal"). go-sdk's
// Dial accepts it.
func TestFaithfulRow08ClientVersion(t *testing.T) {
	t.Parallel()
	for _, sm := range []bool{false, true} {
		n := runFaithful(t, local.Options{SM: sm, ChainID: 9, NodeVersion: "2.4.0"})
		r := rawReady(t, n, 0).rpc("getClientVersion")
		want := map[string]string{"FISCO-BCOS Version": "2.9.1", "Supported Version": "2.9.0", "Chain Id": "9",
			"Build Type": "amoptui local network · like 2.9.1"}
		if sm {
			want["FISCO-BCOS Version"] = "2.9.1 gm"
		}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("SM %v: %q = %v; want %q", sm, k, r[k], v)
			}
		}
		if len(r) != 7 {
			t.Errorf("SM %v: %d keys: %v", sm, len(r), r)
		}
	}
	ideal := local.RunT(t, local.Options{})
	if bt := rawReady(t, ideal, 0).rpc("getClientVersion")["Build Type"]; bt != "amoptui local network · ideal" {
		t.Fatalf("ideal Build Type %v", bt)
	}
	n := runFaithful(t, local.Options{})
	dialSDK(t, n, 0)
}

// TestFaithfulRow09Subscribe: onClientTopicRequest replaces the session's
// topic set and answers nothing; JSON it cannot parse is ignored (the old
// set stays); a JSON value that is not an array of strings behaves as
// jsoncpp makes it: a scalar or an empty container clears the set, a
// non-empty object or a nested container throws and is ignored. One worker
// keeps the session's frames in order, so that a heartbeat's answer says
// the 0x32 before it was handled.
func TestFaithfulRow09Subscribe(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{Workers: 1})
	sub := rawReady(t, n, 0)
	pub := rawReady(t, n, 1)
	reaches := func(topic string) bool {
		seq := wire.NewSeq()
		pub.sendTopic(wire.TypeMulticast, seq, 0, topic, []byte("x"))
		pub.nextOf(wire.TypeAMOPResponse, wait)
		f, ok := sub.tryNext(300 * time.Millisecond)
		return ok && f.Seq == seq
	}
	handled := func() { // every frame sent before it was handled
		t.Helper()
		seq := wire.NewSeq()
		sub.send(wire.TypeHeartbeat, seq, nil)
		if f := sub.nextOf(wire.TypeHeartbeat, wait); f.Seq != seq {
			t.Fatalf("heartbeat answer seq %s", f.Seq)
		}
	}
	sub.send(wire.TypeSubscribe, wire.NewSeq(), []byte(`["a","a","b"] trailing text`))
	waitSubs(t, n, "a", 1)
	waitSubs(t, n, "b", 1)
	if !reaches("a") || !reaches("b") {
		t.Fatal("subscribed topics do not reach the session")
	}
	sub.send(wire.TypeSubscribe, wire.NewSeq(), []byte(`["c"]`)) // replaces
	handled()
	if reaches("a") {
		t.Fatal("0x32 did not replace the set")
	}
	waitSubs(t, n, "c", 1)
	if !reaches("c") {
		t.Fatal("the new set does not reach the session")
	}
	for _, bad := range []string{`["c"`, `{"a":1}`, `[["nested"]]`, `[{"o":1}]`, ``} {
		sub.send(wire.TypeSubscribe, wire.NewSeq(), []byte(bad))
	}
	handled()
	if !reaches("c") {
		t.Fatal("a 0x32 a real node cannot read changed the set")
	}
	if got := n.FaithfulStats().Ignored; got != 5 {
		t.Fatalf("ignored %d 0x32; want 5", got)
	}
	sub.send(wire.TypeSubscribe, wire.NewSeq(), []byte(`"c"`)) // a scalar: an empty set
	handled()
	if reaches("c") || n.Subscribers("c") != 0 {
		t.Fatal("a scalar 0x32 kept the set")
	}
	sub.quiet(wire.TypeSubscribe, 100*time.Millisecond, "an answer to 0x32")
}

// TestFaithfulRow17BlockNotify: ChannelRPCServer::blockNotify after every
// block, to each session subscribed to _block_notify_<group>: type 0x1001,
// a seq of 32 '0', a topic body "<g>,<n>" on protocol 1 and
// {"blockNumber":n,"groupID":g}\n on 2 and 3.
func TestFaithfulRow17BlockNotify(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{GroupID: 3, BlockInterval: 100 * time.Millisecond})
	v3 := rawReady(t, n, 0, "_block_notify_3")
	v1 := dialRaw(t, n, 1)
	v1.subscribe("_block_notify_3")
	other := rawReady(t, n, 1, "_block_notify_1")
	f := v3.nextOf(wire.TypeBlockNotify, wait)
	topic, data := topicData(t, f)
	if f.Seq != wire.ZeroSeq || topic != "_block_notify_3" || !strings.HasPrefix(data, `{"blockNumber":`) || !strings.HasSuffix(data, ",\"groupID\":3}\n") {
		t.Fatalf("protocol 3 block notify: seq %s %q %q", f.Seq, topic, data)
	}
	f = v1.nextOf(wire.TypeBlockNotify, wait)
	if _, data := topicData(t, f); !strings.HasPrefix(data, "3,") {
		t.Fatalf("protocol 1 block notify %q; want \"3,<n>\"", data)
	}
	other.quiet(wire.TypeBlockNotify, 300*time.Millisecond, "another group's block notify")
	if n.FaithfulStats().Blocks == 0 {
		t.Fatal("no block counted")
	}
}

// TestFaithfulRow18EventLog: onClientRegisterEventLogRequest and
// onClientUnregisterEventLogRequest answer on the request's type and seq,
// in a topic body of topic "", {"result":N}\n: 0 for a filter
// EventLogFilterParams accepts, -41001 for one it cannot read, -41002 for
// an unknown group, -41007 to unregister an unknown filter.
func TestFaithfulRow18EventLog(t *testing.T) {
	t.Parallel()
	n := runFaithful(t, local.Options{})
	c := rawReady(t, n, 0)
	ask := func(typ wire.Type, filter string) string {
		t.Helper()
		seq := wire.NewSeq()
		c.sendTopic(typ, seq, 0, "", []byte(filter))
		f := c.nextOf(typ, wait)
		topic, data := topicData(t, f)
		if f.Seq != seq || f.Result != 0 || topic != "" {
			t.Fatalf("%s answer: seq %s result %d topic %q", typ, f.Seq, f.Result, topic)
		}
		return data
	}
	for _, tc := range []struct {
		typ    wire.Type
		filter string
		want   string
	}{
		{wire.TypeEventRegister, `{"filterID":"f1","groupID":"1","fromBlock":"latest","toBlock":"latest","addresses":[],"topics":[]}`, "{\"result\":0}\n"},
		{wire.TypeEventRegister, `not json`, "{\"result\":-41001}\n"},
		{wire.TypeEventRegister, `{"filterID":"f2","groupID":"2"}`, "{\"result\":-41002}\n"},
		{wire.TypeEventUnregister, `{"filterID":"f1","groupID":"1"}`, "{\"result\":0}\n"},
		{wire.TypeEventUnregister, `{"filterID":"f1","groupID":"1"}`, "{\"result\":-41007}\n"},
	} {
		if got := ask(tc.typ, tc.filter); got != tc.want {
			t.Errorf("%s %s: %q; want %q", tc.typ, tc.filter, got, tc.want)
		}
	}
}

// TestFaithfulRow20Idle: 60 s (IdleTimeout) with no completed read or write
// closes the session (ChannelSession::onIdle); writes to the session, such
// as block notifies, keep it alive.
func TestFaithfulRow20Idle(t *testing.T) {
	t.Parallel()
	const idle = time.Second
	n := runFaithful(t, local.Options{IdleTimeout: idle, BlockInterval: idle / 4})
	silent := rawReady(t, n, 0)
	fed := rawReady(t, n, 1, "_block_notify_1")
	if !silent.closedWithin(idle + 5*time.Second) {
		t.Fatal("an idle session stayed open")
	}
	if fed.closedWithin(2 * idle) {
		t.Fatal("a session that the node writes to was closed as idle")
	}
	if st := n.Stats(); st.ClosedIdle != 1 {
		t.Fatalf("closed idle %d; want 1", st.ClosedIdle)
	}
}
