package local3

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/amoptui/amoptui/amop/netobs"
	"github.com/amoptui/amoptui/amop/wire3"
)

// ErrClosed is returned by the methods of a closed Network.
var ErrClosed = errors.New("local3: network closed")

// The behaviours Options.Like selects.
const (
	// LikeIdeal is the network a demo wants (the default).
	LikeIdeal = "ideal"
	// Like3164 is a FISCO BCOS v3.16.4 node, as its C++ source behaves.
	Like3164 = "3.16.4"
)

// ParseLike returns the canonical name of a node behaviour: "" and "ideal"
// are LikeIdeal, "3.16" and "3.16.4" are Like3164.
func ParseLike(s string) (string, error) {
	switch strings.TrimSpace(s) {
	case "", LikeIdeal:
		return LikeIdeal, nil
	case "3.16", Like3164:
		return Like3164, nil
	}
	return "", fmt.Errorf("local3: like %q: want %q (the default), \"3.16\" or %q", s, LikeIdeal, Like3164)
}

// BuildType is how the nodes name themselves in the platform field of their
// handshake's binaryInfo, in the words 2.x nodes' "Build Type" uses for
// amoptui's local network: clients tell the ideal network from real nodes
// by it (amop.NodeInfo.Ideal).
func BuildType(like string) string {
	if like == Like3164 {
		return "amoptui local network · like " + Like3164
	}
	return "amoptui local network · ideal"
}

// Options configure a Network. The zero value is two ideal nodes on
// 127.0.0.1:0 with fresh certificates in a temporary directory.
type Options struct {
	// Listen lists the nodes' RPC addresses; when empty, Nodes nodes listen
	// on 127.0.0.1:0.
	Listen []string
	// Nodes is the node count when Listen is empty (default 2).
	Nodes int
	// CertDir holds the certificates (see the package documentation); empty
	// means a temporary directory that Close removes.
	CertDir string
	// ChainID and GroupID are what the handshake reports (default "chain0"
	// and "group0", build_chain's defaults).
	ChainID, GroupID string
	// NodeVersion is the node binary's version the handshake reports
	// (default "3.16.4").
	NodeVersion string
	// Like selects the nodes' behaviour: "" or "ideal" (LikeIdeal, the
	// default) for the network a demo wants, "3.16" or "3.16.4" (Like3164)
	// for nodes that behave as FISCO BCOS v3.16.4 nodes do (see the package
	// documentation).
	Like string
	// ReplyTimeout is how long a node waits for a subscriber's answer
	// (default 30 s, AMOPClient::sendMessageToClient).
	ReplyTimeout time.Duration
	// TopicSync is the period at which a node publishes its topics to the
	// others (AMOPImpl TOPIC_SYNC_PERIOD). Default: 2 s for Like3164,
	// immediate (0) for ideal nodes; negative means immediate.
	TopicSync time.Duration
	// IdleTimeout: a session that sends nothing for half of it is pinged,
	// and closed after all of it (default 10 s as WsStream; negative
	// disables).
	IdleTimeout time.Duration
	// HandshakeTimeout bounds the TLS and WebSocket handshakes (30 s).
	HandshakeTimeout time.Duration
	// WriteTimeout bounds one write and a wait for room in a session's send
	// queue; a session that exceeds it is closed as a slow consumer (30 s).
	WriteTimeout time.Duration
	// MaxMessage is the largest message read (default 32 MiB); a larger
	// one closes the session, as on a real node.
	MaxMessage int
	// DisableTLS serves plain ws:// (rpc.enable_ssl=false).
	DisableTLS bool
	// SM makes the nodes a chain built with build_chain -s: the handshake
	// reports the SM crypto suite and, unless DisableTLS, the TLS layer shows
	// an SM2 certificate that no ordinary TLS client can parse, as an SM-TLS
	// (NTLS) node does.
	SM bool
	// Logger receives the network's logs; nil discards them.
	Logger *slog.Logger
}

const (
	defaultReplyTimeout = 30 * time.Second
	faithfulTopicSync   = 2 * time.Second
	queueLen            = 256
)

func (o *Options) normalize() error {
	like, err := ParseLike(o.Like)
	if err != nil {
		return err
	}
	o.Like = like
	if len(o.Listen) == 0 {
		if o.Nodes == 0 {
			o.Nodes = 2
		}
		if o.Nodes < 0 || o.Nodes > 64 {
			return fmt.Errorf("local3: %d nodes: want 1 to 64", o.Nodes)
		}
		o.Listen = make([]string, o.Nodes)
		for i := range o.Listen {
			o.Listen[i] = "127.0.0.1:0"
		}
	}
	o.Listen = append([]string(nil), o.Listen...)
	o.Nodes = len(o.Listen)
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.ChainID, "chain0")
	def(&o.GroupID, "group0")
	def(&o.NodeVersion, "3.16.4")
	dur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	dur(&o.ReplyTimeout, defaultReplyTimeout)
	switch {
	case o.TopicSync < 0:
		o.TopicSync = 0
	case o.TopicSync == 0 && o.Like == Like3164:
		o.TopicSync = faithfulTopicSync
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 10 * time.Second
	}
	dur(&o.HandshakeTimeout, 30*time.Second)
	dur(&o.WriteTimeout, 30*time.Second)
	if o.MaxMessage <= 0 {
		o.MaxMessage = wire3.MaxMessage
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Network is a running local 3.x network. Its methods are safe for
// concurrent use.
type Network struct {
	opts     Options
	faithful bool // Like3164
	log      *slog.Logger
	certDir  string
	tempDir  bool
	certs    *certSet
	nodes    []*node
	closing  chan struct{}
	wg       sync.WaitGroup // every goroutine and timer callback
	stats    counters
	obs      netobs.Observer // routing decisions for whoever watches (observe.go)

	mu      sync.Mutex // guards what follows and the nodes' and sessions' routing state
	closed  bool
	rng     *rand.Rand
	changed chan struct{} // closed and replaced whenever who-subscribes-what changes
	nextID  uint64
}

// Tester is the part of testing.TB that RunT needs.
type Tester interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// RunT starts a network for a test and closes it when the test ends.
func RunT(t Tester, opts Options) *Network {
	t.Helper()
	n, err := Start(opts)
	if err != nil {
		t.Fatalf("local3.RunT: %v", err)
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
	n := &Network{opts: opts, faithful: opts.Like == Like3164, log: opts.Logger, certDir: opts.CertDir, closing: make(chan struct{}), changed: make(chan struct{})}
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("local3: seeding the RNG: %w", err)
	}
	n.rng = rand.New(rand.NewChaCha8(seed))
	if n.certDir == "" {
		d, err := os.MkdirTemp("", "amoptui-network3-")
		if err != nil {
			return nil, fmt.Errorf("local3: %w", err)
		}
		n.certDir, n.tempDir = d, true
	}
	certs, err := prepareCertDir(n.certDir, opts.Nodes)
	if err != nil {
		n.removeTemp()
		return nil, err
	}
	n.certs = certs
	for i, addr := range opts.Listen {
		nd := &node{net: n, idx: i, addr: addr, sessions: map[*session]struct{}{}, topics: map[string]map[*session]struct{}{}}
		nd.thaw = make(chan struct{})
		close(nd.thaw)
		if !opts.DisableTLS {
			cert := certs.nodes[i]
			if opts.SM {
				if cert, err = smCertificate(certs.ca); err != nil {
					n.removeTemp()
					return nil, err
				}
			}
			nd.tlsConfig = serverTLS(cert, certs.ca)
		}
		n.nodes = append(n.nodes, nd)
	}
	n.wg.Add(1)
	go n.idleLoop()
	for _, nd := range n.nodes {
		if err := nd.start(); err != nil {
			n.Close()
			return nil, err
		}
	}
	n.log.Info("local FISCO BCOS 3.x network started", "nodes", n.Addrs(), "certs", n.certDir, "like", opts.Like)
	return n, nil
}

// Addr is node i's RPC address; it stays the same across StopNode and
// StartNode. It is "" for an index out of range.
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
		return nil, fmt.Errorf("local3: no node %d (the network has %d)", i, len(n.nodes))
	}
	return n.nodes[i], nil
}

// StopNode closes node i's listener and every session on it, as a node
// process that exits. Stopping a stopped node does nothing.
func (n *Network) StopNode(i int) error {
	nd, err := n.node(i)
	if err != nil {
		return err
	}
	nd.stop()
	return nil
}

// StartNode makes a stopped node listen again on its address.
func (n *Network) StartNode(i int) error {
	nd, err := n.node(i)
	if err != nil {
		return err
	}
	return nd.start()
}

// Freeze makes node i stop reading from and writing to its sessions (pings
// included) while every connection stays open: a hung node. New sessions
// wait too. Thaw resumes it.
func (n *Network) Freeze(i int) error {
	nd, err := n.node(i)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case <-nd.thaw:
		nd.thaw = make(chan struct{})
	default:
	}
	return nil
}

// Thaw resumes a frozen node.
func (n *Network) Thaw(i int) error {
	nd, err := n.node(i)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case <-nd.thaw:
	default:
		close(nd.thaw)
	}
	return nil
}

// Subscribers is the number of sessions, on all nodes, subscribed to topic
// (on a faithful network, including sessions that unsubscribed: nodes keep
// a topic until the session ends).
func (n *Network) Subscribers(topic string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, nd := range n.nodes {
		c += len(nd.topics[topic])
	}
	return c
}

// WaitSubscribers waits until at least want sessions are subscribed to topic
// and every other node sees them (after the topic sync). Tests call it after
// a subscribe instead of sleeping: 3.x nodes never answer a subscription.
// Without a deadline in ctx it gives up after 30 s.
func (n *Network) WaitSubscribers(ctx context.Context, topic string, want int) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	for {
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			return ErrClosed
		}
		count := 0
		for _, nd := range n.nodes {
			if nd.visibleLocked(topic) {
				count += len(nd.topics[topic])
			}
		}
		changed := n.changed
		n.mu.Unlock()
		if count >= want {
			return nil
		}
		select {
		case <-changed:
		case <-n.closing:
			return ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("local3: %d of %d subscribers to %q: %w", count, want, topic, ctx.Err())
		}
	}
}

// Inject writes raw binary WebSocket messages, valid or not, to every session
// of node node subscribed to topic, in order with the sessions' other
// traffic, and returns how many sessions it wrote to.
func (n *Network) Inject(node int, topic string, msgs [][]byte) (int, error) {
	nd, err := n.node(node)
	if err != nil {
		return 0, err
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return 0, ErrClosed
	}
	var targets []*session
	for s := range nd.topics[topic] {
		targets = append(targets, s)
	}
	n.mu.Unlock()
	for _, s := range targets {
		for _, m := range msgs {
			s.enqueue(outMsg{data: append([]byte(nil), m...)})
		}
	}
	return len(targets), nil
}

// Close stops every node and returns when all of the network's goroutines
// have ended. A temporary certificate directory is removed.
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
	n.log.Info("local FISCO BCOS 3.x network stopped")
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

// spawn runs f on a goroutine the network waits for in Close.
func (n *Network) spawn(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// after runs f after d on a goroutine the network waits for; the returned
// stop cancels it when it has not started.
func (n *Network) after(d time.Duration, f func()) (stop func() bool) {
	n.wg.Add(1)
	t := time.AfterFunc(d, func() {
		defer n.wg.Done()
		f()
	})
	return func() bool {
		if t.Stop() {
			n.wg.Done()
			return true
		}
		return false
	}
}

// listenAddr is what a node listens on; it is only net.Listen's wrapper so
// that errors name the address.
func listenAddr(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("local3: listen on %s: %w", addr, err)
	}
	return ln, nil
}
