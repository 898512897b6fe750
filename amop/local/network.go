package local

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/FISCO-BCOS/crypto/tls"
	"github.com/FISCO-BCOS/crypto/x509"

	"github.com/amoptui/amoptui/amop/netobs"
	"github.com/amoptui/amoptui/amop/wire"
)

// AMOP result codes the network answers with (go-sdk's names in brackets).
const (
	// CodeNoSubscriber [remotePeerUnavailable]: nobody subscribes to the
	// topic; sent at once, with an empty body.
	CodeNoSubscriber = 100
	// CodeRefused [rejectAmopReqForOverBandwidthLimit]: the request was
	// refused; this network uses it for AMOP on "_block_notify_" topics.
	CodeRefused = 103
	// CodePushFailed [sendChannelMessageFailed]: every subscriber tried
	// timed out or went away; the body is the request's original body.
	CodePushFailed = 104
)

// ReservedTopicPrefix starts the block-notify topics go-sdk subscribes on its
// own; AMOP on them is refused (see the package documentation).
const ReservedTopicPrefix = wire.BlockNotifyPrefix

// ErrClosed is returned by the methods of a closed Network.
var ErrClosed = errors.New("local: network closed")

// Network is a running local AMOP network. Its methods are safe for
// concurrent use.
type Network struct {
	opts    Options
	log     *slog.Logger
	certDir string
	tempDir bool
	nodes   []*node
	f       *fnet // the faithful mode's state; nil in ideal mode
	closing chan struct{}
	wg      sync.WaitGroup // every goroutine and pending timer callback
	stats   counters
	reading readBudget   // bytes of frames being read (Options.MaxReading)
	queued  atomic.Int64 // bytes in send queues (Options.MaxQueued)

	mu      sync.Mutex // guards what follows, the nodes' session sets and the sessions' routing state
	closed  bool
	rng     *rand.Rand
	subs    map[string]map[*session]time.Time // topic → subscribed session → visible to other nodes from
	changed chan struct{}                     // closed and replaced on every change of subs or of a verification state
	nextID  uint64

	verifyKick chan struct{} // wakes the verifier (private.go)
	verifySeq  uint64        // seq counter of 0x37, as dev::newSeq()

	obs netobs.Observer // routing decisions for whoever watches (observe.go)

	hsMu   sync.Mutex
	hsSeen map[string]*hsEntry
}

// Tester is the part of testing.TB that RunT needs.
type Tester interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// RunT starts a network for a test and closes it when the test ends; it
// fails the test if the network cannot start.
func RunT(t Tester, opts Options) *Network {
	t.Helper()
	n, err := Start(opts)
	if err != nil {
		t.Fatalf("local.RunT: %v", err)
		return nil
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// Start prepares the certificates and starts every node. An address already
// in use is an error naming it.
func Start(opts Options) (*Network, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	n := &Network{
		opts:    opts,
		log:     opts.Logger,
		certDir: opts.CertDir,
		closing: make(chan struct{}),
		subs:    map[string]map[*session]time.Time{},
		changed: make(chan struct{}),
		hsSeen:  map[string]*hsEntry{},
		reading: readBudget{limit: int64(opts.MaxReading)},

		verifyKick: make(chan struct{}, 1),
	}
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("local: seeding the RNG: %w", err)
	}
	n.rng = rand.New(rand.NewChaCha8(seed))
	if n.certDir == "" {
		d, err := os.MkdirTemp("", "amoptui-network-")
		if err != nil {
			return nil, fmt.Errorf("local: %w", err)
		}
		n.certDir, n.tempDir = d, true
	}
	certs, err := prepareCertDir(n.certDir, opts.Nodes, opts.KeyType)
	if err != nil {
		n.removeTemp()
		return nil, err
	}
	for i, addr := range opts.Listen {
		nd := &node{net: n, idx: i, addr: addr, sessions: map[*session]struct{}{}, conns: map[net.Conn]struct{}{}}
		nd.tlsConfig = serverTLSConfig(certs.nodes[i], certs.ca.pool)
		nd.thaw = make(chan struct{})
		close(nd.thaw)
		n.nodes = append(n.nodes, nd)
	}
	if opts.Like == Like291 {
		if n.f, err = newFnet(n, certs); err != nil {
			n.removeTemp()
			return nil, err
		}
		for i, nd := range n.nodes {
			faithfulTLS(nd.tlsConfig, certs.nodes[i].Leaf)
		}
		if opts.BlockInterval > 0 {
			n.wg.Add(1)
			go n.blockLoop()
		}
	} else {
		n.wg.Add(1)
		go n.verifyLoop()
	}
	for _, nd := range n.nodes {
		if err := nd.start(); err != nil {
			n.Close()
			return nil, err
		}
	}
	n.log.Info("local AMOP network started", "nodes", n.Addrs(), "certs", n.certDir, "chain", opts.ChainID, "group", opts.GroupID)
	return n, nil
}

// serverTLSConfig is a real node's channel TLS: 1.2 only, a client
// certificate required and verified against the CA, secp256k1 then P-256.
func serverTLSConfig(cert tls.Certificate, ca *x509.CertPool) *tls.Config {
	return &tls.Config{
		Certificates:     []tls.Certificate{cert},
		ClientAuth:       tls.RequireAndVerifyClientCert,
		ClientCAs:        ca,
		MinVersion:       tls.VersionTLS12,
		MaxVersion:       tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.CurveSecp256k1, tls.CurveP256},
		// AES-GCM by server preference: go-sdk's TLS fork never initialises
		// its CPU feature flags, believes there is no AES hardware and would
		// pick ChaCha20, about half as fast on any x86 server.
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,
		},
		PreferServerCipherSuites: true,
	}
}

// Addr is node i's listening address ("127.0.0.1:20200"); it stays the same
// across StopNode/StartNode. It is "" for an index out of range.
func (n *Network) Addr(i int) string {
	if i < 0 || i >= len(n.nodes) {
		return ""
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nodes[i].addr
}

// Addrs lists every node's address in node order.
func (n *Network) Addrs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, len(n.nodes))
	for i, nd := range n.nodes {
		out[i] = nd.addr
	}
	return out
}

// CertDir is the directory holding ca.crt, sdk.crt and sdk.key.
func (n *Network) CertDir() string { return n.certDir }

// Options returns the options in force, defaults filled in.
func (n *Network) Options() Options {
	o := n.opts
	o.Listen = n.Addrs()
	return o
}

func (n *Network) node(i int) (*node, error) {
	if i < 0 || i >= len(n.nodes) {
		return nil, fmt.Errorf("local: no node %d (the network has %d)", i, len(n.nodes))
	}
	return n.nodes[i], nil
}

// StopNode closes node i's listener and every session on it, as a node
// process that exits. Stopping a stopped node does nothing. A frozen node is
// thawed: a restarted process is not hung.
func (n *Network) StopNode(i int) error {
	nd, err := n.node(i)
	if err != nil {
		return err
	}
	nd.stop()
	return nil
}

// StartNode makes a stopped node listen again on its address. Starting a
// running node does nothing.
func (n *Network) StartNode(i int) error {
	nd, err := n.node(i)
	if err != nil {
		return err
	}
	return nd.start()
}

// Freeze makes node i stop reading from and writing to its sessions, and
// stop completing TLS handshakes, while every TCP connection stays open: a
// hung or half-open node. Frames routed to its sessions meanwhile are queued
// while there is room and dropped after (Stats.DroppedFrozen), so a frozen
// node never stalls the others; unicast pushes to it time out and move on.
func (n *Network) Freeze(i int) error {
	nd, err := n.node(i)
	if err != nil {
		return err
	}
	nd.freeze()
	return nil
}

// Thaw resumes a frozen node; queued frames are then written.
func (n *Network) Thaw(i int) error {
	nd, err := n.node(i)
	if err != nil {
		return err
	}
	nd.unfreeze()
	return nil
}

// Subscribers is the number of sessions, on all nodes, subscribed to topic,
// whether or not other nodes see the subscription yet.
func (n *Network) Subscribers(topic string) int {
	if n.f != nil {
		return n.fSubscribers(topic)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.subs[topic])
}

// WaitSubscribers waits until at least want sessions, across all nodes, are
// subscribed to topic and visible to every node (after Options.TopicDelay;
// in the faithful mode, once every other running node has synced it).
// Tests call it after a subscribe instead of sleeping: go-sdk sends its
// topic list without waiting for any answer. Without a deadline in ctx it
// gives up after 30 s.
func (n *Network) WaitSubscribers(ctx context.Context, topic string, want int) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	for {
		if n.f != nil {
			if done, err := n.fWaitSubscribers(ctx, topic, want); done {
				return err
			}
			continue
		}
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			return ErrClosed
		}
		now := time.Now()
		count := 0
		var next time.Time
		for _, at := range n.subs[topic] {
			if !at.After(now) {
				count++
			} else if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		changed := n.changed
		n.mu.Unlock()
		if count >= want {
			return nil
		}
		if err := n.waitChange(ctx, changed, next); err != nil {
			return fmt.Errorf("local: %d of %d subscribers to %q: %w", count, want, topic, err)
		}
	}
}

// waitChange waits for a topic change, the time next (when set), or the end.
func (n *Network) waitChange(ctx context.Context, changed <-chan struct{}, next time.Time) error {
	var wake <-chan time.Time
	if !next.IsZero() {
		t := time.NewTimer(time.Until(next))
		defer t.Stop()
		wake = t.C
	}
	select {
	case <-changed:
	case <-wake:
	case <-n.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// Inject writes raw bytes, valid frames or not, to every session of node
// node subscribed to topic: each element of writes is exactly one TLS
// Write, so two frames in one element share a record and one-byte elements
// make one-byte records. It returns the number of sessions written to once
// the writes are queued (in order with the sessions' other traffic).
func (n *Network) Inject(node int, topic string, writes [][]byte) (sessions int, err error) {
	nd, err := n.node(node)
	if err != nil {
		return 0, err
	}
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return 0, ErrClosed
	}
	targets := n.sessionsOn(nd, topic)
	owned := make([][]byte, len(writes))
	for i, w := range writes {
		owned[i] = append([]byte(nil), w...)
	}
	for _, s := range targets {
		for _, w := range owned {
			// A test facility may wait for room: it must queue everything.
			if !s.q.put(w, n.opts.WriteTimeout, s.done) {
				break
			}
			signal(s.q.ready)
		}
	}
	return len(targets), nil
}

// Close stops every node and returns when all of the network's goroutines
// have ended. A temporary certificate directory is removed. Close is
// idempotent.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	close(n.closing)
	n.mu.Unlock()
	for _, nd := range n.nodes {
		nd.stop()
	}
	n.wg.Wait()
	n.removeTemp()
	n.log.Info("local AMOP network stopped")
	return nil
}

func (n *Network) removeTemp() {
	if n.tempDir {
		os.RemoveAll(n.certDir)
	}
}

// notifyLocked wakes WaitSubscribers; n.mu is held.
func (n *Network) notifyLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// hsEntry rate-limits handshake-failure logs per source address: a client
// with a wrong certificate may retry hundreds of times a second (go-sdk's
// reconnect loop), and one line per attempt would drown the log.
type hsEntry struct {
	last       time.Time
	suppressed int
}

func (n *Network) logHandshakeFailure(remote net.Addr, err error) {
	n.stats.handshakeFailures.Add(1)
	host := remote.String()
	if h, _, e := net.SplitHostPort(host); e == nil {
		host = h
	}
	now := time.Now()
	n.hsMu.Lock()
	e := n.hsSeen[host]
	if e != nil && now.Sub(e.last) < handshakeLogInterval {
		e.suppressed++
		n.hsMu.Unlock()
		return
	}
	suppressed := 0
	if e != nil {
		suppressed = e.suppressed
	}
	if len(n.hsSeen) >= 1024 {
		for h, old := range n.hsSeen {
			if now.Sub(old.last) >= handshakeLogInterval {
				delete(n.hsSeen, h)
			}
		}
	}
	n.hsSeen[host] = &hsEntry{last: now}
	n.hsMu.Unlock()
	n.log.Warn("TLS handshake failed", "remote", host, "err", err, "suppressed_since_last", suppressed)
}
