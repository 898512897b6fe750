package local3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amoptui/amoptui/amop/wire3"
)

// sharedCerts is one certificate directory for the whole test binary: an
// RSA-2048 key takes a noticeable time to generate, and most tests do not
// care whose certificates they use.
var sharedCerts string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "local3-test-")
	if err != nil {
		panic(err)
	}
	if _, err := prepareCertDir(dir, 3); err != nil {
		panic(err)
	}
	sharedCerts = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// start runs a network on the shared certificates.
func start(t *testing.T, o Options) *Network {
	t.Helper()
	if o.CertDir == "" {
		o.CertDir = sharedCerts
	}
	return RunT(t, o)
}

// clientTLS is what an SDK dials with: sdk.crt/sdk.key, the node's chain
// verified against ca.crt and no host name.
func clientTLS(t testing.TB, dir string) *tls.Config {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, SDKCertFile), filepath.Join(dir, SDKKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &tls.Config{
		Certificates: []tls.Certificate{pair}, InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			c, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			_, err = c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			return err
		},
	}
}

// raw is a test client speaking the protocol by hand.
type raw struct {
	t    *testing.T
	conn *websocket.Conn
	in   chan wire3.Message
	bad  chan []byte // messages that did not decode
	gone chan struct{}
}

func dial(t *testing.T, n *Network, node int) *raw {
	t.Helper()
	c, err := tryDial(t, n, node)
	if err != nil {
		t.Fatalf("dial node %d: %v", node, err)
	}
	return c
}

func tryDial(t *testing.T, n *Network, node int) (*raw, error) {
	t.Helper()
	return tryDialPong(t, n, node, true)
}

// tryDialPong dials; pong false makes a client that never answers pings.
func tryDialPong(t *testing.T, n *Network, node int, pong bool) (*raw, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	scheme := "ws"
	if !n.opts.DisableTLS {
		scheme = "wss"
		d.TLSClientConfig = clientTLS(t, n.CertDir())
	}
	conn, _, err := d.Dial(scheme+"://"+n.Addr(node)+"/", http.Header{})
	if err != nil {
		return nil, err
	}
	c := &raw{t: t, conn: conn, in: make(chan wire3.Message, 1024), bad: make(chan []byte, 64), gone: make(chan struct{})}
	if !pong {
		conn.SetPingHandler(func(string) error { return nil })
	}
	go func() {
		defer close(c.gone)
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			m, err := wire3.Decode(b)
			if err != nil {
				select {
				case c.bad <- b:
				default:
				}
				continue
			}
			c.in <- m
		}
	}()
	t.Cleanup(func() { conn.Close(); <-c.gone })
	return c, nil
}

func (c *raw) send(m wire3.Message) {
	c.t.Helper()
	b, err := m.Encode()
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *raw) sendRaw(b []byte) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next returns the next message, failing the test after d.
func (c *raw) next(d time.Duration) wire3.Message {
	c.t.Helper()
	select {
	case m := <-c.in:
		return m
	case <-c.gone:
		c.t.Fatal("connection closed while waiting for a message")
	case <-time.After(d):
		c.t.Fatalf("no message within %s", d)
	}
	return wire3.Message{}
}

// none checks that nothing arrives for d.
func (c *raw) none(d time.Duration) {
	c.t.Helper()
	select {
	case m := <-c.in:
		c.t.Fatalf("unexpected message %s seq %q status %d: %q", m.Type, m.Seq, m.Status, m.Payload)
	case <-time.After(d):
	}
}

// closed waits for the node to close the connection.
func (c *raw) closed(d time.Duration) {
	c.t.Helper()
	select {
	case <-c.gone:
	case <-time.After(d):
		c.t.Fatalf("connection still open after %s", d)
	}
}

func (c *raw) handshake() wire3.HandshakeResponse {
	c.t.Helper()
	seq := newSeq()
	c.send(wire3.Message{Type: wire3.TypeHandshake, Seq: seq, Payload: wire3.NewHandshakeRequest().Encode()})
	m := c.next(5 * time.Second)
	if m.Seq != seq || m.Type != wire3.TypeHandshake {
		c.t.Fatalf("handshake answered with %s seq %q", m.Type, m.Seq)
	}
	h, err := wire3.DecodeHandshakeResponse(m.Payload)
	if err != nil {
		c.t.Fatal(err)
	}
	return h
}

func (c *raw) subscribe(topics ...string) {
	c.send(wire3.Message{Type: wire3.TypeSubTopic, Seq: newSeq(), Payload: wire3.Topics{Topics: topics}.Encode()})
}

// request sends a unicast and returns its seq.
func (c *raw) request(topic, data string) string {
	c.t.Helper()
	body, _ := (&wire3.Request{Topic: topic, Data: []byte(data)}).Encode()
	seq := newSeq()
	c.send(wire3.Message{Type: wire3.TypeRequest, Seq: seq, Payload: body})
	return seq
}

func (c *raw) broadcast(topic, data string) string {
	c.t.Helper()
	body, _ := (&wire3.Request{Topic: topic, Data: []byte(data)}).Encode()
	seq := newSeq()
	c.send(wire3.Message{Type: wire3.TypeBroadcast, Seq: seq, Payload: body})
	return seq
}

// answer replies to a pushed request.
func (c *raw) answer(req wire3.Message, data string) {
	c.send(wire3.Message{Type: wire3.TypeResponse, Seq: req.Seq, Payload: []byte(data)})
}

// push waits for an AMOP request or broadcast on topic and returns it with
// its decoded body.
func (c *raw) push(d time.Duration) (wire3.Message, wire3.Request) {
	c.t.Helper()
	m := c.next(d)
	if m.Type != wire3.TypeRequest && m.Type != wire3.TypeBroadcast {
		c.t.Fatalf("expected a push, got %s status %d %q", m.Type, m.Status, m.Payload)
	}
	r, err := wire3.DecodeRequest(m.Payload)
	if err != nil {
		c.t.Fatal(err)
	}
	return m, r
}

func waitSubs(t *testing.T, n *Network, topic string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, topic, want); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isErrText(m wire3.Message, prefix string) bool {
	return strings.HasPrefix(string(m.Payload), prefix)
}
