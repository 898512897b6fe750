package batchconn_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/internal/batchconn"
	"github.com/amoptui/amoptui/amop/wire"
)

// counting is a net.Conn that records every Write it gets, as the socket
// under a batchconn.Conn sees them.
type counting struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
	fail   error
}

func (c *counting) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return 0, c.fail
	}
	c.writes = append(c.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (c *counting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

func TestHoldSendsTheBatchInOneWrite(t *testing.T) {
	under := &counting{}
	c := batchconn.New(under, 100)
	if _, err := c.Write([]byte("through")); err != nil || under.count() != 1 {
		t.Fatalf("outside a batch: %v, %d writes", err, under.count())
	}
	c.Hold()
	c.Hold() // a second writer joins the batch
	for _, s := range []string{"a", "bb", "ccc"} {
		if n, err := c.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if under.count() != 1 || c.Buffered() != 6 {
		t.Fatalf("during the batch: %d writes, %d buffered", under.count(), c.Buffered())
	}
	if err := c.Release(); err != nil || under.count() != 1 {
		t.Fatalf("first release sent early: %v, %d writes", err, under.count())
	}
	if err := c.Release(); err != nil || under.count() != 2 || string(under.writes[1]) != "abbccc" {
		t.Fatalf("last release: %v, writes %q", err, under.writes)
	}
}

func TestABatchOverTheLimitIsSentInPieces(t *testing.T) {
	under := &counting{}
	c := batchconn.New(under, 10)
	c.Hold()
	c.Write(bytes.Repeat([]byte("x"), 6))
	c.Write(bytes.Repeat([]byte("y"), 6)) // would exceed 10: the first goes out
	big := bytes.Repeat([]byte("z"), 25)
	c.Write(big) // larger than the limit: the held bytes, then it, directly
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	want := []string{"xxxxxx", "yyyyyy", string(big)}
	if len(under.writes) != len(want) {
		t.Fatalf("writes %q, want %q", under.writes, want)
	}
	for i, w := range want {
		if string(under.writes[i]) != w {
			t.Fatalf("write %d = %q, want %q", i, under.writes[i], w)
		}
	}
}

func TestAFailedFlushIsSticky(t *testing.T) {
	boom := errors.New("boom")
	under := &counting{}
	c := batchconn.New(under, 0)
	c.Hold()
	c.Write([]byte("lost"))
	under.fail = boom
	if err := c.Release(); !errors.Is(err, boom) {
		t.Fatalf("Release = %v, want boom", err)
	}
	under.fail = nil
	if _, err := c.Write([]byte("after")); !errors.Is(err, boom) {
		t.Fatalf("Write after a failed flush = %v, want boom", err)
	}
}

// tlsPair is a real TLS 1.2 connection over loopback, the server side over a
// batchconn.Conn.
func tlsPair(t *testing.T) (client *tls.Conn, server *tls.Conn, bc *batchconn.Conn) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"t"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		ch <- accepted{c, err}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a := <-ch
	if a.err != nil {
		t.Fatal(a.err)
	}
	bc = batchconn.New(a.c, 0)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12}
	server = tls.Server(bc, cfg)
	client = tls.Client(raw, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
	errc := make(chan error, 1)
	go func() { errc <- server.Handshake() }()
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server, bc
}

// TestRecordsOfABatchStaySeparate: frames written in one batch arrive in
// one segment but as TLS records of their own, so a reader that takes one
// record per Read (go-sdk's TLS does) gets exactly one frame per Read.
func TestRecordsOfABatchStaySeparate(t *testing.T) {
	client, server, bc := tlsPair(t)
	frames := make([][]byte, 5)
	bc.Hold()
	for i := range frames {
		seq := wire.NewSeq()
		f, err := wire.EncodeTopicFrame(wire.TypeMulticast, &seq, 0, "t", bytes.Repeat([]byte{byte('a' + i)}, 100+i))
		if err != nil {
			t.Fatal(err)
		}
		frames[i] = f
		if _, err := server.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := bc.Release(); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	for i, f := range frames {
		n, err := client.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:n], f) {
			t.Fatalf("read %d returned %d bytes, want frame %d (%d bytes) alone", i, n, i, len(f))
		}
	}
}

// TestPeekSaysWhenTheBufferIsEmpty: in peek mode a reader gets every frame
// its TLS connection already holds, then a temporary timeout instead of a
// system call; the connection stays usable.
func TestPeekSaysWhenTheBufferIsEmpty(t *testing.T) {
	client, server, bc := tlsPair(t)
	var all []byte
	for i := 0; i < 3; i++ {
		seq := wire.NewSeq()
		f, _ := wire.EncodeTopicFrame(wire.TypeMulticast, &seq, 0, "t", []byte{byte(i)})
		all = append(all, f...)
		if _, err := client.Write(f); err != nil { // one record each
			t.Fatal(err)
		}
	}
	r := wire.NewReader(server, 0)
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	first, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	got := 1
	// The client's three records may arrive in one segment or several:
	// peek returns what arrived, then says it would wait.
	bc.Peek(true)
	for {
		_, err := r.Next()
		if batchconn.IsWouldWait(err) {
			break
		}
		if err != nil {
			t.Fatalf("peeking: %v", err)
		}
		got++
	}
	bc.Peek(false)
	for ; got < 3; got++ {
		if _, err := r.Next(); err != nil {
			t.Fatalf("after peeking, frame %d: %v", got, err)
		}
	}
	if !bytes.Equal(first, all[:len(first)]) {
		t.Fatal("first frame garbled")
	}
	// The stream goes on after a peek's timeout.
	if _, err := client.Write(all[:len(first)]); err != nil {
		t.Fatal(err)
	}
	if f, err := r.Next(); err != nil || !bytes.Equal(f, first) {
		t.Fatalf("after the peeks: %v", err)
	}
	var ne net.Error
	if !errors.As(errWould(bc), &ne) || !ne.Timeout() {
		t.Fatal("a peek's refusal is not a net.Error timeout")
	}
}

func errWould(bc *batchconn.Conn) error {
	bc.Peek(true)
	defer bc.Peek(false)
	_, err := bc.Read(make([]byte, 1))
	if err == io.EOF {
		return nil
	}
	return err
}

// TestTryReleaseNeverWaits: against a peer that does not read, TryRelease
// returns at once with what the socket did not take still held; a later
// Release sends it, in order, once the peer reads.
func TestTryReleaseNeverWaits(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peerc := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			peerc <- c
		}
		close(peerc)
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	peer := <-peerc
	if peer == nil {
		t.Fatal("no peer")
	}
	defer peer.Close()
	c := batchconn.New(raw, 64<<10)
	var sent []byte
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 2048) // 32 KiB
	held := 0
	for i := 0; i < 10000 && held == 0; i++ {
		c.Hold()
		c.Write(chunk)
		sent = append(sent, chunk...)
		start := time.Now()
		held, err = c.TryRelease()
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("TryRelease waited %v", d)
		}
	}
	if held == 0 {
		t.Fatal("the socket never filled up")
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(sent))))
		got <- b
	}()
	raw.SetWriteDeadline(time.Now().Add(20 * time.Second))
	c.Hold()
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, sent) {
		t.Fatalf("peer got %d bytes, %d sent, or out of order", len(b), len(sent))
	}
}
