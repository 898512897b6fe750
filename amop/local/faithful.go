package local

// The faithful mode: nodes that behave as FISCO BCOS v2.9.1 nodes do, row by
// row of real-nodes.md, each behaviour built from the C++ source and marked
// with its row and the file:function it comes from. This file holds the
// mode's selection, the per-node state and the node process's life (start,
// stop, P2P links); faithful_session.go the channel session (frames, thread
// pools, handshake, heartbeat, JSON-RPC, events, 0x32, 0x38);
// faithful_route.go AMOP routing; faithful_sync.go the 5 s topic sync and
// private-topic verification; faithful_rng.go the node's random pick.
//
// Nothing here runs under Network.mu except brief bookkeeping (the goroutine
// tracker and the change notification): each node has its own lock, and no
// lock is held while another node's is taken.

import (
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/FISCO-BCOS/crypto/ecdsa"
	"github.com/FISCO-BCOS/crypto/tls"
	"github.com/FISCO-BCOS/crypto/x509"
)

// The behaviours Options.Like selects.
const (
	// LikeIdeal is this package's own, kinder nodes (the default): what a
	// demo wants. The package documentation lists how they differ.
	LikeIdeal = "ideal"
	// Like291 is a FISCO BCOS v2.9.1 node, as its C++ source behaves.
	Like291 = "2.9.1"
)

// ParseLike returns the canonical name of a node behaviour: "" and "ideal"
// are LikeIdeal, "2.9" and "2.9.1" are Like291; anything else is an error
// that names the accepted values.
func ParseLike(s string) (string, error) {
	switch strings.TrimSpace(s) {
	case "", LikeIdeal:
		return LikeIdeal, nil
	case "2.9", Like291:
		return Like291, nil
	}
	return "", fmt.Errorf("local: like %q: want %q (the default), \"2.9\" or %q", s, LikeIdeal, Like291)
}

// BuildType is the "Build Type" getClientVersion reports for a behaviour. It
// is a contract with the client: a node that does not say "· ideal" is
// treated as a real chain.
func BuildType(like string) string {
	if like == Like291 {
		return "amoptui local network · like 2.9.1"
	}
	return "amoptui local network · ideal"
}

// Defaults of the faithful mode's options.
const (
	defaultSyncInterval  = 5 * time.Second  // P2PSession::HEARTBEAT_INTERVEL
	defaultNodeTimeout   = 30 * time.Second // ChannelRPCServer::onClientChannelRequest: options.timeout
	defaultWorkers       = 8                // RPCInitializer: rpc.channel_thread_count
	defaultBlockInterval = 3 * time.Second
	poolQueue            = 1024 // jobs waiting per pool before a session's reader waits
)

// normalizeLike checks Like and fills in the faithful mode's defaults; it
// runs before the other defaults because the reported version depends on
// the mode.
func (o *Options) normalizeLike() error {
	like, err := ParseLike(o.Like)
	if err != nil {
		return err
	}
	o.Like = like
	if like != Like291 {
		return nil
	}
	// The binary's version (Rpc.cpp getClientVersion: binaryInfo.version);
	// " gm" is added on SM chains as for ideal nodes.
	o.NodeVersion = "2.9.1"
	if o.SyncInterval <= 0 {
		o.SyncInterval = defaultSyncInterval
	}
	if o.NodeTimeout <= 0 {
		o.NodeTimeout = defaultNodeTimeout
	}
	if o.Workers <= 0 {
		o.Workers = defaultWorkers
	}
	if o.BlockInterval == 0 {
		o.BlockInterval = defaultBlockInterval
	}
	return nil
}

// Like is the behaviour of the network's nodes (LikeIdeal or Like291).
func (n *Network) Like() string { return n.opts.Like }

// faithful reports whether the network runs in the faithful mode.
func (n *Network) faithful() bool { return n.f != nil }

// fnet is the faithful mode's state of a network.
type fnet struct {
	nodes   []*fnode
	linkGen atomic.Uint64 // numbers P2P link incarnations
	// seq37 is dev::newSeq() (libdevcore/Common.cpp): a process-wide
	// counter, printed as 32 zero-padded decimal digits, for 0x37.
	seq37  atomic.Uint64
	block  atomic.Int64 // the chain's height
	clock  func() time.Time
	stats  fcounters
	closed atomic.Bool
}

// fcounters are the faithful mode's own counters.
type fcounters struct {
	ownNodeDropped, unanswered, ignored, crashes, blocks, topicFetches, verifyRequests, statusApplied atomic.Uint64
}

// FaithfulStats counts what only the faithful mode does.
type FaithfulStats struct {
	OwnNodeDropped uint64 // AMOP for the sender's own node, dropped (row 13)
	Unanswered     uint64 // unicasts never answered: the picked peer was gone at send time (row 22)
	Ignored        uint64 // frames a real node logs and ignores: unknown types, bad JSON, short bodies (rows 5, 6, 9)
	Crashes        uint64 // node processes ended by input the C++ node cannot survive
	Blocks         uint64 // blocks announced (row 17)
	TopicFetches   uint64 // topic lists fetched from a peer after its seq changed (row 10)
	VerifyRequests uint64 // 0x37 pushed to private topics' publishers (row 19)
	StatusApplied  uint64 // 0x38 that settled a peer's private topic (row 19)
}

// fnode is one node process of the faithful mode.
type fnode struct {
	net  *Network
	nd   *node
	idx  int
	id   string   // the node id: 128 hex digits of the node key's public point (row 19's "nodeId")
	idb  [64]byte // the same, as bytes
	leaf *x509.Certificate

	mu      sync.Mutex
	up      bool
	gen     uint64                       // bumped at every start and stop of the process
	req     *pool                        // ChannelServer m_requestThreadPool ("ChannelReq")
	resp    *pool                        // ChannelServer m_responseThreadPool ("ChannelResp")
	subs    map[string]map[*session]bool // topic → this node's sessions subscribed to it (ChannelRPCServer::getSessionByTopic)
	seq     uint32                       // Service::m_topicSeq
	snap    *topicSnapshot               // the topic list answered to peers, nil when stale
	peers   []*peerView                  // what this node knows of each other node (P2PSession), nil for itself
	beats   map[int]*ftimer              // heartbeat timer of the link to each peer
	local   map[uint64]*localEntry       // Service::m_localAMOPCallbacks, by P2P seq
	timers  map[*ftimer]bool             // timers that die with the process
	calls   map[*p2pCall]bool            // this node's P2P requests awaiting an answer
	p2pSeq  uint64                       // P2PMessageFactory::newSeq
	filters map[string]*session          // event-log filters by filterID
}

// newFnet builds the faithful state for n; certs holds the nodes' pairs.
func newFnet(n *Network, certs *certSet) (*fnet, error) {
	f := &fnet{clock: time.Now}
	for i, nd := range n.nodes {
		leaf := certs.nodes[i].Leaf
		pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("local: %s: the faithful mode needs an ECDSA node key", NodeCertFile(i))
		}
		fn := &fnode{net: n, nd: nd, idx: i, leaf: leaf}
		pub.X.FillBytes(fn.idb[:32])
		pub.Y.FillBytes(fn.idb[32:])
		fn.id = hex.EncodeToString(fn.idb[:])
		fn.reset()
		nd.f = fn
		f.nodes = append(f.nodes, fn)
	}
	return f, nil
}

// reset gives the node the state of a process that has just started or
// died: nothing subscribed, topic seq 0, no peers known.
func (fn *fnode) reset() {
	fn.subs = map[string]map[*session]bool{}
	fn.seq = 0
	fn.snap = nil
	fn.peers = make([]*peerView, len(fn.net.nodes))
	fn.beats = map[int]*ftimer{}
	fn.local = map[uint64]*localEntry{}
	fn.timers = map[*ftimer]bool{}
	fn.calls = map[*p2pCall]bool{}
	fn.filters = map[string]*session{}
}

// faithfulTLS makes a node's channel TLS a 2.9.1 node's (row 1).
// SecureInitializer.cpp initOriginConfig: ECDHE on secp256k1 only
// (SSL_CTX_set_tmp_ecdh(NID_secp256k1)); ChannelServer.cpp newVerifyCallback:
// check_cert_issuer is on by default, and every certificate of the SDK's
// chain that carries basicConstraints with CA:FALSE must have the issuer of
// the node's own certificate. A certificate without basicConstraints skips
// the check ("Get ca basic failed" returns preverified), as in the C++.
func faithfulTLS(cfg *tls.Config, nodeLeaf *x509.Certificate) {
	cfg.CurvePreferences = []tls.CurveID{tls.CurveSecp256k1}
	want := nodeLeaf.Issuer.String()
	cfg.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
		for _, chain := range chains {
			for _, c := range chain {
				if !c.BasicConstraintsValid || c.IsCA {
					continue
				}
				if got := c.Issuer.String(); got != want {
					return fmt.Errorf("the issuer of the SDK certificate (%s) is not the node certificate's (%s)", got, want)
				}
			}
		}
		return nil
	}
}

// ftimer is a timer the network's Close waits for.
type ftimer struct {
	n *Network
	t *time.Timer
}

// after runs f after d on a tracked timer; nil once the network is closed.
func (n *Network) after(d time.Duration, f func()) *ftimer {
	if !n.track() {
		return nil
	}
	ft := &ftimer{n: n}
	ft.t = time.AfterFunc(d, func() {
		defer n.wg.Done()
		f()
	})
	return ft
}

// stop cancels the timer if it has not fired.
func (ft *ftimer) stop() {
	if ft != nil && ft.t.Stop() {
		ft.n.wg.Done()
	}
}

// track counts one more goroutine or timer for Close to wait for; false
// once the network is closed.
func (n *Network) track() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.wg.Add(1)
	return true
}

// notify wakes WaitSubscribers and WaitPrivate after a change.
func (n *Network) notify() {
	n.mu.Lock()
	n.notifyLocked()
	n.mu.Unlock()
}

// pool is one of a node's thread pools (libdevcore/ThreadPool.h: an
// io_service run by N threads). Jobs are taken in order by whichever worker
// is free, so two frames of one session can be handled in either order
// (row 4). The C++ queue is unbounded; this one holds poolQueue jobs, after
// which the session reader that submits waits, as TCP would hold the client.
type pool struct {
	jobs chan func()
	quit chan struct{}
}

func (n *Network) newPool(workers int) *pool {
	p := &pool{jobs: make(chan func(), poolQueue), quit: make(chan struct{})}
	for range workers {
		if !n.track() {
			break
		}
		go func() {
			defer n.wg.Done()
			for {
				select {
				case <-p.quit:
					return
				case job := <-p.jobs:
					job()
				}
			}
		}()
	}
	return p
}

// submit queues job; false when the pool stopped or cancel fired first.
func (p *pool) submit(cancel <-chan struct{}, job func()) bool {
	select {
	case p.jobs <- job:
		return true
	case <-p.quit:
	case <-cancel:
	}
	return false
}

func (p *pool) stop() { close(p.quit) }

// start runs when the node's listener starts: a new process with fresh
// state, linked at once to every running peer (Service::start calls
// heartBeat, which connects to every static node, and P2PSession::start
// sends the first topic seq at once).
func (fn *fnode) start() {
	n := fn.net
	fn.mu.Lock()
	if fn.up {
		fn.mu.Unlock()
		return
	}
	fn.reset()
	fn.gen++
	fn.up = true
	fn.req = n.newPool(n.opts.Workers)
	fn.resp = n.newPool(n.opts.Workers)
	fn.mu.Unlock()
	for _, peer := range n.f.nodes {
		if peer != fn {
			n.link(fn, peer)
		}
	}
}

// stop runs when the node's process ends (StopNode, Close, a crash): its
// sessions are already closed; its state goes, and every peer loses the
// link at once (the TCP connection closes): the peer forgets this node's
// topics and fails its requests in flight to it over to the next node
// (libnetwork/Session.cpp drop, Service::onDisconnect; row 22).
func (fn *fnode) stop() {
	fn.mu.Lock()
	if !fn.up {
		fn.mu.Unlock()
		return
	}
	fn.up = false
	fn.gen++
	fn.req.stop()
	fn.resp.stop()
	for t := range fn.timers {
		t.stop()
	}
	for _, t := range fn.beats {
		t.stop()
	}
	for c := range fn.calls {
		c.timer.stop()
	}
	fn.reset()
	fn.mu.Unlock()
	for _, peer := range fn.net.f.nodes {
		if peer != fn {
			peer.unlink(fn.idx)
		}
	}
	fn.net.notify()
}

// crash ends the node process as the C++ node ends on an uncaught
// exception in a thread-pool worker (std::terminate): every session drops,
// peers lose it, and it stays down until StartNode.
func (fn *fnode) crash(why string) {
	n := fn.net
	n.f.stats.crashes.Add(1)
	n.log.Error("node process terminated, as the C++ node would", "node", fn.idx, "reason", why)
	if !n.track() {
		return
	}
	go func() { // not on the worker that crashed: stop waits for nothing of ours
		defer n.wg.Done()
		fn.nd.stop()
	}()
}
