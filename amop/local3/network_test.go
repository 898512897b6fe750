package local3

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amoptui/amoptui/amop/wire3"
)

const wait = 10 * time.Second

func TestHandshake(t *testing.T) {
	n := start(t, Options{})
	c := dial(t, n, 0)
	h := c.handshake()
	s := h.Summary()
	if h.ProtocolVersion != 2 || s.Chain != "chain0" || s.Group != "group0" || s.Version != "3.16.4" || s.SM {
		t.Fatalf("handshake %+v summary %+v", h, s)
	}
	if len(h.GroupInfoList[0].NodeList) != 2 {
		t.Fatalf("%d nodes listed", len(h.GroupInfoList[0].NodeList))
	}
	// A lower maximum is what is negotiated; a minimum over 2 drops us.
	seq := newSeq()
	c.send(wire3.Message{Type: wire3.TypeHandshake, Seq: seq, Payload: []byte(`{"minVersion":0,"maxVersion":1,"moduleID":2}`)})
	if m := c.next(wait); m.Seq != seq || !bytes.Contains(m.Payload, []byte(`"protocolVersion":1`)) {
		t.Fatalf("negotiated %q", m.Payload)
	}
	c.send(wire3.Message{Type: wire3.TypeHandshake, Seq: newSeq(), Payload: []byte(`{"minVersion":3,"maxVersion":4,"moduleID":2}`)})
	c.closed(wait)
}

func TestJSONRPCOverHTTP(t *testing.T) {
	n := start(t, Options{})
	tr := &http.Transport{TLSClientConfig: clientTLS(t, n.CertDir())}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: wait}).Post("https://"+n.Addr(0)+"/", "application/json",
		strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"getBlockNumber","params":["group0",""]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !bytes.Contains(b, []byte(`"id":7`)) || !bytes.Contains(b, []byte(`-32601`)) {
		t.Fatalf("answer %s", b)
	}
	// Over the WebSocket too, on the request's seq.
	c := dial(t, n, 0)
	seq := newSeq()
	c.send(wire3.Message{Type: wire3.TypeRPC, Seq: seq, Payload: []byte(`{"jsonrpc":"2.0","id":1,"method":"x"}`)})
	if m := c.next(wait); m.Seq != seq || !bytes.Contains(m.Payload, []byte("-32601")) {
		t.Fatalf("ws rpc answer %s %q", m.Type, m.Payload)
	}
}

func TestUnicastIdeal(t *testing.T) {
	n := start(t, Options{})
	sub := dial(t, n, 1)
	sub.subscribe("t")
	waitSubs(t, n, "t", 1)
	pub := dial(t, n, 0)
	seq := pub.request("t", "ping")
	req, body := sub.push(wait)
	if req.Seq == seq || len(req.Seq) != wire3.SeqLen || body.Topic != "t" || string(body.Data) != "ping" {
		t.Fatalf("push %+v %+v", req, body)
	}
	sub.answer(req, "pong")
	m := pub.next(wait)
	if m.Type != wire3.TypeResponse || m.Seq != seq || m.Status != 0 || string(m.Payload) != "pong" {
		t.Fatalf("answer %s seq %q status %d %q", m.Type, m.Seq, m.Status, m.Payload)
	}
	// The sender never gets its own request, even when it is the only
	// subscriber.
	pub.subscribe("mine")
	waitSubs(t, n, "mine", 1)
	s2 := pub.request("mine", "x")
	if m := pub.next(wait); m.Seq != s2 || m.Type != wire3.TypeResponse || m.Status != wire3.CodeNoPeer {
		t.Fatalf("self send: %s status %d", m.Type, m.Status)
	}
}

func TestNoSubscriber(t *testing.T) {
	for _, faithful := range []bool{false, true} {
		n := start(t, Options{Like: like(faithful)})
		pub := dial(t, n, 0)
		seq := pub.request("nobody", "x")
		m := pub.next(wait)
		want := wire3.TypeResponse
		if faithful {
			want = wire3.TypeNone
		}
		if m.Seq != seq || m.Type != want || m.Status != wire3.CodeNoPeer || string(m.Payload) != wire3.TextNoPeerPrefix+"nobody" {
			t.Fatalf("faithful=%v: %s status %d %q", faithful, m.Type, m.Status, m.Payload)
		}
	}
}

// TestFaithfulVerbatim: a faithful node hands the sender the subscriber's
// answer as it is — type, status, ext and payload — on the sender's seq.
func TestFaithfulVerbatim(t *testing.T) {
	n := start(t, Options{Like: Like3164, TopicSync: 50 * time.Millisecond})
	sub := dial(t, n, 1)
	sub.subscribe("t")
	waitSubs(t, n, "t", 1)
	pub := dial(t, n, 0)
	seq := pub.request("t", "q")
	req, _ := sub.push(wait)
	sub.send(wire3.Message{Type: 0x7777, Status: 5, Ext: 3, Seq: req.Seq, Payload: []byte("odd")})
	m := pub.next(wait)
	if m.Type != 0x7777 || m.Status != 5 || m.Ext != 3 || m.Seq != seq || string(m.Payload) != "odd" {
		t.Fatalf("got %+v", m)
	}
}

// TestFaithfulRemoteFirst: subscribers on other nodes are tried before the
// sender's own node; the own node serves only when no other holds the topic.
func TestFaithfulRemoteFirst(t *testing.T) {
	n := start(t, Options{Like: Like3164, TopicSync: 50 * time.Millisecond})
	local := dial(t, n, 0)
	local.subscribe("t")
	remote := dial(t, n, 1)
	remote.subscribe("t")
	waitSubs(t, n, "t", 2)
	pub := dial(t, n, 0)
	for i := 0; i < 5; i++ {
		seq := pub.request("t", "x")
		req, _ := remote.push(wait)
		remote.answer(req, "r")
		if m := pub.next(wait); m.Seq != seq || string(m.Payload) != "r" {
			t.Fatalf("answer %+v", m)
		}
	}
	local.none(100 * time.Millisecond)
	// Without the remote subscriber, the own node's serves, with a new seq.
	remote.conn.Close()
	waitFor(t, wait, "the remote subscriber to go", func() bool { return n.Subscribers("t") == 1 })
	seq := pub.request("t", "y")
	req, _ := local.push(wait)
	if req.Seq == seq {
		t.Fatal("the local path reused the sender's seq")
	}
	local.answer(req, "l")
	if m := pub.next(wait); m.Seq != seq || string(m.Payload) != "l" {
		t.Fatalf("answer %+v", m)
	}
}

// TestFaithfulTopicSync: other nodes learn a subscription at the next sync.
func TestFaithfulTopicSync(t *testing.T) {
	n := start(t, Options{Like: Like3164, TopicSync: 400 * time.Millisecond})
	pub := dial(t, n, 0)
	sub := dial(t, n, 1)
	sub.handshake()
	sub.subscribe("t")
	waitFor(t, wait, "the subscription", func() bool { return n.Subscribers("t") == 1 })
	pub.request("t", "early")
	if m := pub.next(wait); m.Type != wire3.TypeNone || m.Status != wire3.CodeNoPeer {
		t.Fatalf("before the sync: %s %d", m.Type, m.Status)
	}
	waitSubs(t, n, "t", 1)
	pub.request("t", "late")
	req, body := sub.push(wait)
	if string(body.Data) != "late" {
		t.Fatalf("%q", body.Data)
	}
	sub.answer(req, "ok")
	pub.next(wait)
}

// TestUnsubscribe: a faithful node keeps delivering a topic the session
// dropped from its list; an ideal one stops.
func TestUnsubscribe(t *testing.T) {
	for _, faithful := range []bool{false, true} {
		n := start(t, Options{Like: like(faithful), TopicSync: -1})
		sub := dial(t, n, 1)
		sub.subscribe("a", "b")
		waitSubs(t, n, "a", 1)
		sub.subscribe("b")
		pub := dial(t, n, 0)
		waitFor(t, wait, "the new list", func() bool { return n.Stats().SubTopics == 2 })
		seq := pub.request("a", "x")
		if faithful {
			req, _ := sub.push(wait)
			sub.answer(req, "still here")
			if m := pub.next(wait); string(m.Payload) != "still here" {
				t.Fatalf("%q", m.Payload)
			}
		} else if m := pub.next(wait); m.Seq != seq || m.Status != wire3.CodeNoPeer {
			t.Fatalf("ideal: %s %d", m.Type, m.Status)
		}
	}
}

// TestTimeouts: a subscriber that never answers costs the sender the node's
// reply timeout and an error — or, faithfully, when the subscriber is on the
// sender's own node, two timeouts and an empty message it cannot match.
func TestTimeouts(t *testing.T) {
	for _, faithful := range []bool{false, true} {
		n := start(t, Options{Like: like(faithful), ReplyTimeout: 300 * time.Millisecond, TopicSync: -1})
		sub := dial(t, n, 1)
		sub.subscribe("t")
		waitSubs(t, n, "t", 1)
		pub := dial(t, n, 0)
		seq := pub.request("t", "x")
		sub.push(wait)
		m := pub.next(wait)
		if m.Seq != seq || m.Status != wire3.CodeWsTimeout || string(m.Payload) != wire3.TextWsTimeout {
			t.Fatalf("faithful=%v: %s %d %q", faithful, m.Type, m.Status, m.Payload)
		}
	}
	n := start(t, Options{Like: Like3164, ReplyTimeout: 300 * time.Millisecond, TopicSync: -1})
	sub := dial(t, n, 0)
	sub.subscribe("t")
	waitSubs(t, n, "t", 1)
	pub := dial(t, n, 0)
	seq := pub.request("t", "x")
	first, _ := sub.push(wait)
	second, _ := sub.push(wait) // the fallback: the sender's own message
	if first.Seq == seq || second.Seq != seq {
		t.Fatalf("seqs %q %q, sent %q", first.Seq, second.Seq, seq)
	}
	if m := pub.next(wait); m.Seq != "" || m.Type != wire3.TypeNone || len(m.Payload) != 0 {
		t.Fatalf("after the fallback: %+v", m)
	}
}

// TestSubscriberGone: the subscriber's session ends before it answers.
func TestSubscriberGone(t *testing.T) {
	n := start(t, Options{})
	sub := dial(t, n, 1)
	sub.subscribe("t")
	waitSubs(t, n, "t", 1)
	pub := dial(t, n, 0)
	seq := pub.request("t", "x")
	sub.push(wait)
	sub.conn.Close()
	m := pub.next(wait)
	if m.Seq != seq || m.Status != wire3.CodeWsSessionDisconnect || !isErrText(m, wire3.TextDisconnectPrefix) {
		t.Fatalf("%s %d %q", m.Type, m.Status, m.Payload)
	}
}

func TestBroadcast(t *testing.T) {
	for _, faithful := range []bool{false, true} {
		n := start(t, Options{Like: like(faithful), TopicSync: -1})
		pub := dial(t, n, 0)
		pub.subscribe("t")
		local := dial(t, n, 0)
		local.subscribe("t")
		remote := dial(t, n, 1)
		remote.subscribe("t")
		waitSubs(t, n, "t", 3)
		seq := pub.broadcast("t", "all")
		lm, lb := local.push(wait)
		rm, rb := remote.push(wait)
		if lm.Seq != seq || rm.Seq != "" || string(lb.Data) != "all" || string(rb.Data) != "all" || rm.Type != wire3.TypeBroadcast {
			t.Fatalf("local %+v remote %+v", lm, rm)
		}
		if faithful {
			if m, _ := pub.push(wait); m.Seq != seq {
				t.Fatalf("own broadcast %+v", m)
			}
		} else {
			pub.none(100 * time.Millisecond)
		}
	}
}

// TestMalformed: under 10 bytes closes the session; a seq past the end is
// dropped by an ideal node and joined to the next message by a faithful one.
func TestMalformed(t *testing.T) {
	hs, _ := (&wire3.Message{Type: wire3.TypeHandshake, Seq: newSeq(), Payload: wire3.NewHandshakeRequest().Encode()}).Encode()
	for _, faithful := range []bool{false, true} {
		n := start(t, Options{Like: like(faithful)})
		c := dial(t, n, 0)
		c.sendRaw(hs[:20])
		c.sendRaw(hs[20:])
		if faithful {
			if m := c.next(wait); m.Type != wire3.TypeHandshake {
				t.Fatalf("joined message answered with %s", m.Type)
			}
		} else {
			c.none(200 * time.Millisecond)
			if n.Stats().Malformed < 2 {
				t.Fatalf("malformed %d", n.Stats().Malformed)
			}
		}
		// A bad request body: an ideal node answers -4005, a faithful one
		// loses it.
		seq := newSeq()
		c.send(wire3.Message{Type: wire3.TypeRequest, Seq: seq, Payload: []byte{0, 0, 0, 0, 0, 9, 'x'}})
		if faithful {
			c.none(200 * time.Millisecond)
		} else if m := c.next(wait); m.Seq != seq || m.Status != wire3.CodeWsPacket {
			t.Fatalf("bad body: %+v", m)
		}
		c.sendRaw([]byte{1, 2, 3})
		c.closed(wait)
	}
}

func TestOversizeClosesSession(t *testing.T) {
	n := start(t, Options{MaxMessage: 4 << 10})
	c := dial(t, n, 0)
	c.sendRaw(make([]byte, 8<<10))
	c.closed(wait)
	waitFor(t, wait, "the oversize close to be counted", func() bool { return n.Stats().ClosedOversize == 1 })
}

// TestIdlePing: a silent session is pinged at half the idle timeout; one
// that answers pings stays, one that does not is closed.
func TestIdlePing(t *testing.T) {
	n := start(t, Options{IdleTimeout: 600 * time.Millisecond})
	alive := dial(t, n, 0)
	dead, err := tryDialPong(t, n, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	dead.closed(wait)
	waitFor(t, wait, "the idle close to be counted", func() bool { return n.Stats().Pings > 0 && n.Stats().ClosedIdle > 0 })
	select {
	case <-alive.gone:
		t.Fatal("a session answering pings was closed")
	default:
	}
}

func TestStopStartNode(t *testing.T) {
	n := start(t, Options{})
	addr := n.Addr(0)
	c := dial(t, n, 0)
	c.subscribe("t")
	waitSubs(t, n, "t", 1)
	if err := n.StopNode(0); err != nil {
		t.Fatal(err)
	}
	c.closed(wait)
	if n.Subscribers("t") != 0 {
		t.Fatal("a stopped node's subscriber is still listed")
	}
	if _, err := tryDial(t, n, 0); err == nil {
		t.Fatal("dialled a stopped node")
	}
	if err := n.StartNode(0); err != nil {
		t.Fatal(err)
	}
	if n.Addr(0) != addr {
		t.Fatalf("address changed: %s → %s", addr, n.Addr(0))
	}
	dial(t, n, 0).handshake()
}

func TestFreeze(t *testing.T) {
	n := start(t, Options{})
	c := dial(t, n, 0)
	n.Freeze(0)
	seq := newSeq()
	c.send(wire3.Message{Type: wire3.TypeHandshake, Seq: seq, Payload: wire3.NewHandshakeRequest().Encode()})
	c.none(200 * time.Millisecond)
	n.Thaw(0)
	if m := c.next(wait); m.Seq != seq {
		t.Fatalf("%+v", m)
	}
}

func TestPlainWS(t *testing.T) {
	n := start(t, Options{DisableTLS: true})
	dial(t, n, 1).handshake()
}

// TestSMNode: an SM-TLS node's certificate does not parse in an ordinary TLS
// client, and its handshake says SM.
func TestSMNode(t *testing.T) {
	n := start(t, Options{SM: true})
	_, err := tryDial(t, n, 0)
	if err == nil || !strings.Contains(err.Error(), "unsupported elliptic curve") {
		t.Fatalf("dial an SM node: %v", err)
	}
	p := start(t, Options{SM: true, DisableTLS: true})
	if s := dial(t, p, 0).handshake().Summary(); !s.SM {
		t.Fatalf("summary %+v", s)
	}
}

// TestCertificatesLikeBuildChain: RSA-2048, PKCS#8 keys, CA:FALSE leaves with
// no key usage and no subjectAltName, reused on the next start.
func TestCertificatesLikeBuildChain(t *testing.T) {
	dir := t.TempDir()
	n := RunT(t, Options{CertDir: dir, Nodes: 1})
	for _, f := range []string{CAFile, CAKeyFile, SDKCertFile, SDKKeyFile, NodeCertFile(0), NodeKeyFile(0)} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, SDKCertFile))
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := c.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
		t.Fatalf("key %T", c.PublicKey)
	}
	if c.IsCA || !c.BasicConstraintsValid || len(c.DNSNames)+len(c.IPAddresses) != 0 || c.KeyUsage != 0 || len(c.ExtKeyUsage) != 0 {
		t.Fatalf("sdk.crt extensions: CA %v SAN %v %v KU %v EKU %v", c.IsCA, c.DNSNames, c.IPAddresses, c.KeyUsage, c.ExtKeyUsage)
	}
	kb, _ := os.ReadFile(filepath.Join(dir, SDKKeyFile))
	if kblk, _ := pem.Decode(kb); kblk.Type != "PRIVATE KEY" {
		t.Fatalf("sdk.key is %s", kblk.Type)
	}
	dial(t, n, 0).handshake()
	n.Close()
	ca, _ := os.ReadFile(filepath.Join(dir, CAFile))
	m := RunT(t, Options{CertDir: dir, Nodes: 1})
	ca2, _ := os.ReadFile(filepath.Join(dir, CAFile))
	if !bytes.Equal(ca, ca2) {
		t.Fatal("the CA was regenerated")
	}
	dial(t, m, 0).handshake()
	// A foreign node certificate is an error naming it.
	other := t.TempDir()
	if err := NewCertDir(other); err != nil {
		t.Fatal(err)
	}
	m.Close()
	os.MkdirAll(filepath.Join(dir, "node0"), 0o700)
	copyFile(t, filepath.Join(other, SDKCertFile), filepath.Join(dir, NodeCertFile(0)))
	copyFile(t, filepath.Join(other, SDKKeyFile), filepath.Join(dir, NodeKeyFile(0)))
	if _, err := Start(Options{CertDir: dir, Nodes: 1}); err == nil || !strings.Contains(err.Error(), NodeCertFile(0)) {
		t.Fatalf("foreign node certificate: %v", err)
	}
}

// TestForeignClientRefused: a client of another CA fails the TLS handshake.
func TestForeignClientRefused(t *testing.T) {
	n := start(t, Options{})
	other := t.TempDir()
	if err := NewCertDir(other); err != nil {
		t.Fatal(err)
	}
	d := websocket.Dialer{HandshakeTimeout: wait, TLSClientConfig: clientTLS(t, other)}
	d.TLSClientConfig.VerifyPeerCertificate = nil
	if _, _, err := d.Dial("wss://"+n.Addr(0)+"/", nil); err == nil {
		t.Fatal("a foreign client was accepted")
	}
	waitFor(t, wait, "the failure to be counted", func() bool { return n.Stats().TLSFailures > 0 })
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCloseLeavesNoGoroutines: Close waits for every goroutine and timer of
// the network, sessions and pending pushes included.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	n, err := Start(Options{CertDir: sharedCerts, ReplyTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sub := dial(t, n, 1)
	sub.subscribe("t")
	waitSubs(t, n, "t", 1)
	pub := dial(t, n, 0)
	pub.request("t", "pending for an hour")
	sub.push(wait)
	n.Close()
	pub.closed(wait)
	sub.closed(wait)
	waitFor(t, wait, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before+1 })
}

func like(faithful bool) string {
	if faithful {
		return Like3164
	}
	return LikeIdeal
}
