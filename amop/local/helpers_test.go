package local_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/FISCO-BCOS/crypto/tls"
	"github.com/FISCO-BCOS/crypto/x509"
	"github.com/FISCO-BCOS/go-sdk/client"
	"github.com/FISCO-BCOS/go-sdk/conf"
	"github.com/sirupsen/logrus"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

func TestMain(m *testing.M) {
	// go-sdk logs through the global logrus: "channel Read error" and its
	// reconnect attempts after each test's network closes.
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}

// wait bounds every blocking go-sdk call: go-sdk itself never times out.
const wait = 10 * time.Second

// within runs f and fails the test if it does not return in d.
func within[T any](t testing.TB, d time.Duration, what string, f func() (T, error)) (T, error) {
	t.Helper()
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	go func() {
		v, err := f()
		ch <- res{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
		var zero T
		return zero, nil
	}
}

// sdkConfig is the go-sdk configuration the examples use, for node i of n.
func sdkConfig(n *local.Network, i int) *conf.Config {
	d := n.CertDir()
	return &conf.Config{ChainID: 1, GroupID: 1, DynamicKey: true, NodeURL: n.Addr(i),
		CAFile: filepath.Join(d, local.CAFile), Cert: filepath.Join(d, local.SDKCertFile), Key: filepath.Join(d, local.SDKKeyFile)}
}

func dialSDKConfig(t testing.TB, cfg *conf.Config) (*client.Client, error) {
	t.Helper()
	return within(t, wait, "client.Dial", func() (*client.Client, error) { return client.Dial(cfg) })
}

// dialSDK connects an unmodified go-sdk client to node i. It is never
// closed: go-sdk's Close spins a core; the network's Close ends it.
func dialSDK(t testing.TB, n *local.Network, i int) *client.Client {
	t.Helper()
	c, err := dialSDKConfig(t, sdkConfig(n, i))
	if err != nil {
		t.Fatalf("client.Dial %s: %v", n.Addr(i), err)
	}
	settleBeforeClose(t, n)
	return c
}

var settled sync.Map // *local.Network → struct{}

// settleBeforeClose makes the test wait, before RunT's Close (cleanups run
// last-registered first), until no frame has reached the network for 60 ms.
// go-sdk writes a handler's reply on the handler's goroutine after the
// handler returns, while the reconnect path that Close triggers sets the
// connection field to nil without a lock (gosdk-pitfalls.md #11): a reply
// still in flight at Close is a data race inside go-sdk that -race reports.
func settleBeforeClose(t testing.TB, n *local.Network) {
	if _, dup := settled.LoadOrStore(n, struct{}{}); dup {
		return
	}
	t.Cleanup(func() {
		defer settled.Delete(n)
		last, quiet := n.Stats().FramesIn, 0
		for i := 0; i < 100 && quiet < 3; i++ {
			time.Sleep(20 * time.Millisecond)
			if cur := n.Stats().FramesIn; cur == last {
				quiet++
			} else {
				last, quiet = cur, 0
			}
		}
	})
}

func subscribe(t testing.TB, c *client.Client, topic string, h func([]byte, *[]byte)) {
	t.Helper()
	if err := c.SubscribeTopic(topic, h); err != nil {
		t.Fatalf("SubscribeTopic %q: %v", topic, err)
	}
}

func waitSubs(t testing.TB, n *local.Network, topic string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := n.WaitSubscribers(ctx, topic, want); err != nil {
		t.Fatal(err)
	}
}

func sendAMOP(t testing.TB, c *client.Client, topic string, data []byte) ([]byte, error) {
	t.Helper()
	return within(t, wait, "SendAMOPMsg", func() ([]byte, error) { return c.SendAMOPMsg(topic, data) })
}

func broadcast(t testing.TB, c *client.Client, topic string, data []byte) error {
	t.Helper()
	_, err := within(t, wait, "BroadcastAMOPMsg", func() (struct{}, error) { return struct{}{}, c.BroadcastAMOPMsg(topic, data) })
	return err
}

// eventually polls cond every 10 ms for up to d.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rawClient is a minimal SDK written against the wire package: it sends
// exactly the bytes a test wants and records every frame, in order, and the
// size of every TLS read (one record each).
type rawClient struct {
	t      testing.TB
	conn   *tls.Conn
	frames chan wire.Frame
	done   chan struct{}
	err    error // the read error that ended the reader; valid after done

	mu    sync.Mutex
	reads []int
}

// clientTLS loads dir's CA and sdk pair (or certName/keyName) into a client
// configuration like go-sdk's.
func clientTLS(t testing.TB, dir, certName, keyName string) *tls.Config {
	t.Helper()
	caPEM, err := os.ReadFile(filepath.Join(dir, local.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.CurveSecp256k1, tls.CurveP256}}
	if certName != "" {
		cert, err := tls.LoadX509KeyPair(filepath.Join(dir, certName), filepath.Join(dir, keyName))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

func dialRawTLS(addr string, cfg *tls.Config) (*tls.Conn, error) {
	c, err := tls.DialWithDialer(&netDialer, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func dialRaw(t testing.TB, n *local.Network, i int) *rawClient {
	t.Helper()
	conn, err := dialRawTLS(n.Addr(i), clientTLS(t, n.CertDir(), local.SDKCertFile, local.SDKKeyFile))
	if err != nil {
		t.Fatalf("dial %s: %v", n.Addr(i), err)
	}
	return newRaw(t, conn)
}

func newRaw(t testing.TB, conn *tls.Conn) *rawClient {
	c := &rawClient{t: t, conn: conn, frames: make(chan wire.Frame, 10000), done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() {
		c.conn.Close()
		<-c.done
	})
	return c
}

type countingReader struct{ c *rawClient }

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.c.conn.Read(p)
	if n > 0 {
		r.c.mu.Lock()
		r.c.reads = append(r.c.reads, n)
		r.c.mu.Unlock()
	}
	return n, err
}

func (c *rawClient) readLoop() {
	defer close(c.done)
	r := wire.NewReader(countingReader{c}, 0)
	for {
		raw, err := r.Next()
		if err != nil {
			c.err = err
			return
		}
		f, err := wire.Parse(raw)
		if err != nil {
			c.err = err
			return
		}
		c.frames <- f
	}
}

func (c *rawClient) readSizes() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.reads...)
}

func (c *rawClient) write(b []byte) {
	c.t.Helper()
	// wait, plus a second per MiB: a 40 MB topic list has taken most of
	// 10 s to write under -race on a loaded machine.
	c.conn.SetWriteDeadline(time.Now().Add(wait + time.Duration(len(b)>>20)*time.Second))
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("raw write: %v", err)
	}
}

func (c *rawClient) send(typ wire.Type, seq wire.Seq, body []byte) {
	c.t.Helper()
	f := wire.Frame{Type: typ, Seq: seq, Body: body}
	c.write(f.Encode())
}

func (c *rawClient) sendTopic(typ wire.Type, seq wire.Seq, result int32, topic string, data []byte) {
	c.t.Helper()
	b, err := wire.EncodeTopicFrame(typ, &seq, result, topic, data)
	if err != nil {
		c.t.Fatal(err)
	}
	c.write(b)
}

// next returns the next frame, or fails the test after d.
func (c *rawClient) next(d time.Duration) wire.Frame {
	c.t.Helper()
	f, ok := c.tryNext(d)
	if !ok {
		c.t.Fatalf("no frame within %v (reader: %v)", d, c.readErr())
	}
	return f
}

func (c *rawClient) tryNext(d time.Duration) (wire.Frame, bool) {
	select {
	case f := <-c.frames:
		return f, true
	case <-time.After(d):
		return wire.Frame{}, false
	}
}

func (c *rawClient) readErr() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// handshake does the 0x14 exchange go-sdk does first.
func (c *rawClient) handshake() {
	c.t.Helper()
	seq := wire.NewSeq()
	c.send(wire.TypeHandshake, seq, []byte(`{"minimumSupport":1,"maximumSupport":3,"clientType":"raw"}`))
	f := c.next(wait)
	if f.Type != wire.TypeHandshake || f.Seq != seq {
		c.t.Fatalf("handshake reply %s seq %s", f.Type, f.Seq)
	}
}

func (c *rawClient) subscribe(topics ...string) {
	c.t.Helper()
	c.send(wire.TypeSubscribe, wire.NewSeq(), wire.EncodeTopics(topics))
}

// closedWithin reports whether the node closed the connection within d.
func (c *rawClient) closedWithin(d time.Duration) bool {
	deadline := time.After(d)
	for {
		select {
		case <-c.done:
			return true
		case <-c.frames:
		case <-deadline:
			return false
		}
	}
}

// networkGoroutines lists the goroutines running the network's code.
func networkGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		s := string(g)
		for _, fn := range []string{"local.(*Network)", "local.(*node)", "local.(*session)"} {
			if strings.Contains(s, "amop/"+fn) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func checkNoNetworkGoroutines(t testing.TB) {
	t.Helper()
	var left []string
	deadline := time.Now().Add(3 * time.Second)
	for {
		left = networkGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%d network goroutines left after Close:\n%s", len(left), strings.Join(left, "\n\n"))
}

// logBuffer is a slog handler target that tests can read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func isCode(err error, code int) bool {
	return err != nil && strings.Contains(err.Error(), fmt.Sprintf("error code %d", code))
}

// netDialer bounds every raw dial.
var netDialer = net.Dialer{Timeout: 5 * time.Second}

// dialShort dials with a handshake bounded by d.
func dialShort(addr string, cfg *tls.Config, d time.Duration) (*tls.Conn, error) {
	return tls.DialWithDialer(&net.Dialer{Timeout: d}, "tcp", addr, cfg)
}

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
