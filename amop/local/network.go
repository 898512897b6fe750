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

// Options configure a Network. The zero value is two nodes on 127.0.0.1:0
// with certificates in a temporary directory.
type Options struct {
	// Listen lists the nodes' addresses; when empty, Nodes nodes listen on
	// 127.0.0.1:0 (a free port each).
	Listen []string
	// Nodes is the node count when Listen is empty (default 2).
	Nodes int
	// CertDir holds the certificates (see the package documentation); empty
	// means a temporary directory that Close removes.
	CertDir string
	// KeyType is the curve of the certificates generated in CertDir.
	KeyType KeyType
	// ChainID is the chain id getClientVersion reports (default 1); go-sdk's
	// client.Dial fails when it differs from its configuration.
	ChainID int64
	// GroupID is the group the nodes serve (default 1).
	GroupID int
	// NodeVersion is the "FISCO-BCOS Version" reported (default "2.9.0").
	NodeVersion string
	// SupportedVersion is the "Supported Version" reported and the
	// handshake's nodeVersion (default "2.9.0"); go-sdk wants x.y.z.
	SupportedVersion string
	// SM makes the nodes report an SM (guomi) chain: " gm" is appended to
	// the FISCO-BCOS Version, and go-sdk then requires IsSMCrypto. TLS stays
	// ECDSA, as with sm_crypto_channel=false.
	SM bool
	// PushTimeout bounds the wait for a subscriber's reply to a unicast push
	// before the next subscriber is tried (default 5 s, as real nodes).
	PushTimeout time.Duration
	// IdleTimeout closes a session with no completed read or write for that
	// long (default 60 s, as real nodes; negative disables).
	IdleTimeout time.Duration
	// TopicDelay delays the visibility of a session's new topics to the
	// OTHER nodes, like the ≤ 5 s topic sync of real nodes; 0 is immediate.
	TopicDelay time.Duration
	// WriteTimeout bounds one TLS write, a session's own reader's wait for
	// room in its send queue, and how long a session may go on refusing
	// pushes (its queue full since it was last empty); a session that
	// exceeds any of them is closed as a slow consumer (default 30 s).
	WriteTimeout time.Duration
	// VerifyInterval is how often a private topic's subscriber that is
	// still VERIFYING is offered to a publisher again (default 5 s, the
	// heartbeat of real nodes). New subscribers and publishers are matched
	// at once.
	VerifyInterval time.Duration
	// MaxFrame is the largest frame accepted (default wire.DefaultMaxFrame,
	// 100 MiB as nodes from 2.8.0); a larger one closes the session.
	MaxFrame int

	// The limits below keep one client from freezing, bloating or silencing
	// the network (README "Reliability" lists them). Real nodes have none
	// of them beyond the 100 MiB frame: their topic sets, send queues and
	// pending requests are unbounded.

	// MaxReading caps the bytes of frames being read, all sessions
	// together (default 256 MiB). A frame's buffer grows as its bytes
	// arrive, never to the length its header declares; a session whose
	// frame would take the total over the cap is closed.
	MaxReading int
	// MaxQueued caps the bytes waiting in send queues, all sessions
	// together (default 256 MiB); a frame shared by a multicast's
	// subscribers counts once. Over it, pushes are dropped.
	MaxQueued int
	// SessionQueue and SessionQueueBytes bound one session's send queue
	// (default 4096 frames, 16 MiB; an empty queue takes any one frame).
	// Pushes to a session over them are dropped and counted
	// (Stats.DroppedSlow), and a session that cannot take its pushes for
	// WriteTimeout is closed. Answers owed to it may use twice as much;
	// past that it is closed.
	SessionQueue, SessionQueueBytes int
	// MaxTopics and MaxTopicBytes bound one session's topic list: its
	// count and the size of the 0x32 body (default 4096 topics, 2 MiB).
	// MaxPrivateTopics bounds the private-topic names among them (those
	// starting "#!$"; default 128). A topic list over a limit is refused
	// and logged; the session keeps its previous topics.
	MaxTopics, MaxTopicBytes, MaxPrivateTopics int
	// MaxPendingUnicast and MaxPendingUnicastBytes bound one session's
	// unicast requests awaiting a subscriber's answer (default 1024
	// requests, 16 MiB; one request of any size is always taken); a
	// request over them is answered CodeRefused at once.
	MaxPendingUnicast, MaxPendingUnicastBytes int
	// Logger receives the network's logs; nil discards them.
	Logger *slog.Logger

	// Like selects the nodes' behaviour: "" or "ideal" (LikeIdeal, the
	// default) for this package's kinder nodes, "2.9" or "2.9.1" (Like291)
	// for nodes that behave as FISCO BCOS v2.9.1 nodes do, row by row of
	// real-nodes.md (faithful.go). Faithful nodes report FISCO-BCOS Version
	// 2.9.1 whatever NodeVersion says, and ignore TopicDelay and
	// VerifyInterval (SyncInterval does both jobs, as on a real node).
	Like string
	// SyncInterval is the faithful nodes' P2P heartbeat (default 5 s, as
	// real nodes): how often a node sends its topic seq to each peer, so how
	// late other nodes learn of a subscription, and how often a private
	// topic still being verified is offered to a publisher again.
	SyncInterval time.Duration
	// NodeTimeout is how long a faithful node waits for one node to answer
	// a unicast before it tries the next (default 30 s, as real nodes).
	NodeTimeout time.Duration
	// Workers is the size of each faithful node's two thread pools, for
	// SDK requests and for answers to its pushes (default 8, a real node's
	// channel_thread_count); 1 keeps each session's frames in order.
	Workers int
	// BlockInterval is how often the faithful chain makes a block and sends
	// block notifications (default 3 s; negative: never).
	BlockInterval time.Duration
}

const (
	handshakeTimeout     = 10 * time.Second
	handshakeLogInterval = 10 * time.Second
)

func (o *Options) normalize() error {
	if err := o.normalizeLike(); err != nil {
		return err
	}
	if len(o.Listen) == 0 {
		if o.Nodes == 0 {
			o.Nodes = 2
		}
		if o.Nodes < 0 || o.Nodes > 64 {
			return fmt.Errorf("local: %d nodes: want 1 to 64", o.Nodes)
		}
		o.Listen = make([]string, o.Nodes)
		for i := range o.Listen {
			o.Listen[i] = "127.0.0.1:0"
		}
	}
	o.Listen = append([]string(nil), o.Listen...)
	o.Nodes = len(o.Listen)
	if o.ChainID == 0 {
		o.ChainID = 1
	}
	if o.GroupID == 0 {
		o.GroupID = 1
	}
	if o.NodeVersion == "" {
		o.NodeVersion = "2.9.0"
	}
	if o.SupportedVersion == "" {
		o.SupportedVersion = "2.9.0"
	}
	if o.PushTimeout <= 0 {
		o.PushTimeout = 5 * time.Second
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 60 * time.Second
	}
	if o.TopicDelay < 0 {
		o.TopicDelay = 0
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.VerifyInterval <= 0 {
		o.VerifyInterval = verifyIntervalDefault
	}
	if o.MaxFrame <= 0 {
		o.MaxFrame = wire.DefaultMaxFrame
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxReading, 256<<20)
	def(&o.MaxQueued, 256<<20)
	def(&o.SessionQueue, 4096)
	def(&o.SessionQueueBytes, 16<<20)
	def(&o.MaxTopics, 4096)
	def(&o.MaxTopicBytes, 2<<20)
	def(&o.MaxPrivateTopics, 128)
	def(&o.MaxPendingUnicast, 1024)
	def(&o.MaxPendingUnicastBytes, 16<<20)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

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

	obs observer // routing decisions for whoever watches (observe.go)

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
