// Package guard owns the node session on behalf of go-sdk v1.1.1.
//
// go-sdk is the AMOP client the project is built on, but it cannot be
// trusted with a network connection: it deadlocks on reconnect, spins a core
// after Close, waits forever for answers, strands the second frame of a TLS
// record, crashes the process on one malformed AMOP frame and accepts any
// node certificate (gosdk-pitfalls.md). None of that can be fixed from
// outside its API, so go-sdk only ever talks to a Guard: an in-process TLS
// endpoint on 127.0.0.1 that answers like a node. The Guard holds the real
// session to the configured endpoints and
//
//   - verifies the node certificate against the CA, fails over between
//     endpoints and reconnects with backoff and jitter, redoing the handshake
//     and replaying go-sdk's latest topic list (0x32) each time;
//   - never breaks go-sdk's connection, so go-sdk's reconnect path is never
//     entered;
//   - answers every go-sdk request within a deadline, with an error frame
//     when the node is gone or late;
//   - validates every frame from the node and drops (and counts) malformed
//     ones and AMOP on reserved topics;
//   - writes one frame per TLS record toward go-sdk (the records of frames
//     that arrived together share a system call) and bounds the pushes in
//     flight per topic — one unicast request, a window of multicasts that
//     the client's handler hands on in the node's order (lane.go) — which
//     keeps per-topic order (go-sdk handles each push in a goroutine of its
//     own) and bounds go-sdk's goroutines;
//   - detects a dead or frozen node with its own heartbeat.
package guard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	ftls "github.com/FISCO-BCOS/crypto/tls"

	"github.com/amoptui/amoptui/amop/wire"
)

// Result codes the guard puts in error frames it answers go-sdk with. They
// lie outside the AMOP range (100–104), so the adapter can tell "the node
// said" from "the guard said"; go-sdk reports them as "response error: N".
const (
	ResultNotConnected int32 = 20001 // no node session
	ResultDeadline     int32 = 20002 // the node did not answer in time
	ResultLost         int32 = 20003 // the node session was lost while waiting
	ResultMalformed    int32 = 20004 // the node's answer was malformed
	ResultReserved     int32 = 20005 // the topic is reserved
	ResultClosed       int32 = 20006 // the guard is shutting down
	ResultOversize     int32 = 20007 // the node's answer was over Config.MaxIncoming and was dropped
)

// State is the state of the node session.
type State uint8

// Session states.
const (
	Connecting   State = iota // no session yet
	Connected                 // a node session is up
	Reconnecting              // lost, retrying with backoff
	Down                      // refused for good by the last attempt (certificate, chain), still retrying slowly; or closed
)

// String names the state.
func (s State) String() string {
	return [...]string{"connecting", "connected", "reconnecting", "down"}[min(int(s), 3)]
}

// Status reports the node session.
type Status struct {
	State    State
	Endpoint string // connected to, or being tried
	Attempt  int    // failed attempts since the last session
	Err      error  // the last error
	// Retry is the pause before the next attempt, after a failure or a
	// lost session (0 while connected).
	Retry   time.Duration
	Since   time.Time
	Version wire.ClientVersion // the node's getClientVersion, while connected
	// Resubscribed is how many topics were replayed to the node when this
	// session started after a loss (0 on the first session).
	Resubscribed int
}

// Stats are the guard's counters.
type Stats struct {
	Malformed    uint64 // frames from the node dropped as malformed
	Reserved     uint64 // AMOP frames on reserved topics not forwarded
	Unmatched    uint64 // replies from the node to nothing pending (duplicate, unknown seq)
	Late         uint64 // replies that came after the guard had answered go-sdk with ResultDeadline
	Overflow     uint64 // pushes dropped because the client fell behind the node (a topic's queue was full, or go-sdk stopped reading)
	Oversize     uint64 // frames from the node over MaxIncoming, dropped without being buffered
	NotJoined    uint64 // AMOP pushes from the node on topics go-sdk never subscribed to, dropped
	PushTimeouts uint64 // pushes go-sdk did not answer in time
	Deadlines    uint64 // go-sdk requests answered with ResultDeadline
	Reconnects   uint64 // sessions established after a loss
	FromNode     uint64 // frames read from the node
	ToNode       uint64 // frames written to the node
	ToSDK        uint64 // frames written to go-sdk, each a TLS record of its own
	ToSDKWrites  uint64 // system calls that wrote them (and the TLS handshake): frames that arrived together share one
}

// Config configures a Guard.
type Config struct {
	// Endpoints are the nodes' channel addresses, tried in order.
	Endpoints []string
	// Credentials are the SDK's TLS material (LoadCredentials).
	Credentials *Credentials
	// SkipNodeVerify disables the node certificate check (verify_node = false).
	SkipNodeVerify bool
	// VerifyHint is how the user turns the check off, for NodeCertError
	// (NodeCertError.Hint; "set verify_node = false" when empty).
	VerifyHint string
	// Check vets a node after its getClientVersion; an error refuses the node.
	Check func(wire.ClientVersion) error
	// OnState is called on every state change, from the guard's goroutine;
	// it must not block.
	OnState func(Status)
	// OnCounters is called, without blocking, when a drop counter changes.
	OnCounters func(Stats)
	// OnLate is called, without blocking, with the node's answer to an
	// AMOP request the guard had already answered with a deadline ticket
	// (late.go), from the session's reader.
	OnLate func(Late)
	// OnPrivate is called, without blocking, for private-topic traffic
	// relayed either way (see PrivateNote), from the guard's goroutines.
	OnPrivate func(PrivateNote)

	MaxFrame          int           // frame limit both ways (wire.DefaultMaxFrame)
	MaxIncoming       int           // largest payload accepted from the node (DefaultMaxIncoming)
	RequestTimeout    time.Duration // deadline of a go-sdk request (12 s)
	PushTimeout       time.Duration // how long go-sdk may take to answer a push (10 s)
	DialTimeout       time.Duration // TCP+TLS+handshake+version per attempt (5 s)
	HeartbeatInterval time.Duration // liveness probe period (2 s)
	HeartbeatTimeout  time.Duration // silence after which the node is dead (6 s)
	BackoffMin        time.Duration // first retry delay (200 ms)
	BackoffMax        time.Duration // retry delay cap (5 s)
	// Window is how many multicast pushes may be in flight toward go-sdk
	// on one of the client's topics (lane.go); above 1, pushes on those
	// topics are marked, and the client's handler must give their data to
	// Take. 0 or 1: one push in flight per topic, unmarked.
	Window    int
	LaneLimit int          // pushes queued per topic before dropping (4096)
	LaneBytes int          // bytes queued before dropping, per topic and all topics together (64 MiB)
	Logger    *slog.Logger // nil: discard
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.RequestTimeout, 12*time.Second)
	def(&c.PushTimeout, 10*time.Second)
	def(&c.DialTimeout, 5*time.Second)
	def(&c.HeartbeatInterval, 2*time.Second)
	def(&c.HeartbeatTimeout, 6*time.Second)
	def(&c.BackoffMin, 200*time.Millisecond)
	def(&c.BackoffMax, 5*time.Second)
	if c.MaxFrame <= 0 {
		c.MaxFrame = wire.DefaultMaxFrame
	}
	if c.MaxIncoming <= 0 {
		c.MaxIncoming = DefaultMaxIncoming
	}
	if c.LaneLimit <= 0 {
		c.LaneLimit = 4096
	}
	if c.LaneBytes <= 0 {
		// go-sdk drains ~35 MiB/s (it decodes byte by byte): more than a
		// couple of seconds of backlog is memory, not delivery.
		c.LaneBytes = 64 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Guard is the in-process endpoint go-sdk dials and the owner of the node
// session.
type Guard struct {
	cfg   Config
	eph   *ephemeral
	ln    net.Listener
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup
	stats struct {
		malformed, reserved, unmatched, late, overflow, oversize, notJoined, pushTimeouts, deadlines, reconnects,
		fromNode, toNode, toSDK, toSDKWrites atomic.Uint64
	}

	subMu  sync.Mutex  // orders topic-list writes to the node (store and send as one step)
	settle settleState // a burst of topic lists is followed by the latest once more (settle.go); under subMu

	mu        sync.Mutex
	status    Status
	up        *upSession // nil while not connected
	down      *downSession
	topics    []byte // go-sdk's latest 0x32 body
	nTopics   int
	joined    map[string]struct{}   // every topic go-sdk has ever subscribed to (bounded by maxJoined)
	pending   map[wire.Seq]*request // go-sdk requests forwarded to the node
	inflight  map[wire.Seq]*push    // pushes awaiting go-sdk's 0x31, by the seq go-sdk saw
	expired   map[wire.Seq]expiry   // requests answered with a deadline, to tell a late answer from a stray one (late.go)
	lanes     map[string]*lane      // per-topic push queues toward go-sdk
	laneBytes int                   // bytes queued in all lanes (LaneBytes)
	busy      map[*lane]struct{}    // lanes with a push in flight
	marked    map[uint64]*push      // marked pushes queued or in flight, by id (lane.go)
	relaying  atomic.Int32          // go-sdk answers to unicast pushes retired but not yet written to the node
	isDown    atomic.Bool           // status.State == Down, read without mu by IsDown
	nextMark  uint64
	closed    bool
}

// Start listens on 127.0.0.1 and begins connecting to the node. It does not
// wait for the node: go-sdk can dial at once, and the state is reported
// through OnState.
func Start(cfg Config) (*Guard, error) {
	cfg.defaults()
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("guard: no node endpoints configured")
	}
	if cfg.Credentials == nil {
		return nil, errors.New("guard: no TLS credentials")
	}
	eph, err := newEphemeral()
	if err != nil {
		return nil, fmt.Errorf("guard: ephemeral certificates: %w", err)
	}
	// TLS is layered per connection in admit, over a batchconn.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("guard: listen on 127.0.0.1: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	g := &Guard{
		cfg: cfg, eph: eph, ln: ln, ctx: ctx, stop: stop,
		pending:  make(map[wire.Seq]*request),
		inflight: make(map[wire.Seq]*push),
		expired:  make(map[wire.Seq]expiry),
		lanes:    make(map[string]*lane),
		busy:     make(map[*lane]struct{}),
		marked:   make(map[uint64]*push),
		joined:   make(map[string]struct{}),
	}
	g.status = Status{State: Connecting, Endpoint: cfg.Endpoints[0], Since: time.Now()}
	g.wg.Add(3)
	go g.acceptLoop()
	go g.connectLoop()
	go g.sweepLoop()
	return g, nil
}

// Addr is the address go-sdk dials.
func (g *Guard) Addr() string { return g.ln.Addr().String() }

// ClientTLS is the configuration go-sdk must dial with: it carries the only
// client certificate the endpoint accepts and verifies the endpoint's own.
func (g *Guard) ClientTLS() *ftls.Config { return g.eph.client.Clone() }

// Status returns the current state.
func (g *Guard) Status() Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.status
}

// IsDown reports, without taking the guard's lock, whether it is down
// (refused for good, go-sdk's connection lost, or closed): a send then
// fails at once (Status says why).
func (g *Guard) IsDown() bool { return g.isDown.Load() }

// Stats returns the counters.
func (g *Guard) Stats() Stats {
	s := &g.stats
	return Stats{
		Malformed: s.malformed.Load(), Reserved: s.reserved.Load(), Unmatched: s.unmatched.Load(), Late: s.late.Load(),
		Overflow: s.overflow.Load(), Oversize: s.oversize.Load(), NotJoined: s.notJoined.Load(),
		PushTimeouts: s.pushTimeouts.Load(), Deadlines: s.deadlines.Load(),
		Reconnects: s.reconnects.Load(), FromNode: s.fromNode.Load(), ToNode: s.toNode.Load(),
		ToSDK: s.toSDK.Load(), ToSDKWrites: s.toSDKWrites.Load(),
	}
}

// Close answers every pending go-sdk request with ResultClosed, closes the
// node session and the endpoint, and waits for the guard's goroutines.
// go-sdk's own connection is parked, not closed (see downSession.park): the
// caller is expected to exit or forget that go-sdk instance.
func (g *Guard) Close() error {
	// Let go-sdk finish the unicast pushes it is handling, and their
	// answers reach the node: their handlers have run (the messages were
	// delivered, `sub --count 1` counted one), and cutting the session now
	// would turn their replies into AMOP 104 for the publishers.
	for deadline := time.Now().Add(closeGrace); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if !g.answersOwed() {
			break
		}
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	answers := g.failPendingLocked(nil, ResultClosed)
	down, up := g.down, g.up
	g.mu.Unlock()
	if down != nil {
		for _, a := range answers {
			down.write(a)
		}
	}
	g.stopSettle()
	g.stop()
	_ = g.ln.Close()
	if up != nil {
		up.close()
	}
	if down != nil {
		down.park()
	}
	g.wg.Wait()
	g.setState(func(s *Status) { s.State = Down; s.Err = errors.New("closed") })
	return nil
}

// DefaultMaxIncoming is the largest payload accepted from a node by
// default: room for any message a person reads in a terminal, far below the
// 100 MiB a node may send. go-sdk copies a payload several times over while
// it decodes it, byte by byte, so a larger one would cost the client
// hundreds of megabytes and seconds of CPU.
const DefaultMaxIncoming = 16 << 20

// lateWindow is how long after its deadline an answer still counts as late
// rather than stray: a node tries each candidate node for up to 30 s.
const lateWindow = time.Minute

// closeGrace bounds how long Close waits for go-sdk's answers to pushes:
// the time a node gives one subscriber (5 s on a 2.9 node and on the local
// network), after which the answer is of no use. go-sdk encodes an answer
// byte by byte, so a 1 MiB echo under the race detector on a loaded
// machine has taken more than the second this used to be.
const closeGrace = 5 * time.Second

// answersOwed says whether go-sdk is still handling a unicast push, or its
// answer is on its way to the node (retired, or in the node session's
// batch).
func (g *Guard) answersOwed() bool {
	g.mu.Lock()
	owed, up := g.relaying.Load() > 0, g.up
	for _, p := range g.inflight {
		if p.typ != wire.TypeMulticast {
			owed = true
		}
	}
	g.mu.Unlock()
	return owed || (up != nil && up.buffered())
}

// setState applies f to the status and reports the result.
func (g *Guard) setState(f func(*Status)) {
	g.mu.Lock()
	before := g.status
	f(&g.status)
	if g.status.State != before.State {
		g.status.Since = time.Now()
	}
	g.isDown.Store(g.status.State == Down)
	st := g.status
	g.mu.Unlock()
	if g.cfg.OnState != nil {
		g.cfg.OnState(st)
	}
}

func (g *Guard) countersChanged() {
	if g.cfg.OnCounters != nil {
		g.cfg.OnCounters(g.Stats())
	}
}

// sweepLoop enforces the deadlines of go-sdk's requests and of pushes
// awaiting go-sdk. A ticker is cheaper than a timer per message on the hot
// path, and 100 ms of slack on a seconds-long deadline does not matter.
func (g *Guard) sweepLoop() {
	defer g.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-g.ctx.Done():
			return
		case now := <-t.C:
			g.sweep(now)
		}
	}
}

func (g *Guard) sweep(now time.Time) {
	var answers [][]byte
	g.mu.Lock()
	for seq, r := range g.pending {
		if now.After(r.deadline) {
			delete(g.pending, seq)
			e, code := expiry{at: now}, ResultDeadline
			if r.typ == wire.TypeAMOPRequest || r.typ == wire.TypeMulticast {
				e.ticket, e.amop = newTicket(), true
				code = ResultDeadlineTicket(e.ticket)
			}
			g.expired[seq] = e
			answers = append(answers, r.errorFrame(code))
			g.stats.deadlines.Add(1)
		}
	}
	for seq, e := range g.expired {
		if now.Sub(e.at) > lateWindow {
			delete(g.expired, seq)
		}
	}
	next := g.expireLocked(now)
	down := g.down
	g.mu.Unlock()
	if down == nil {
		return
	}
	for _, a := range answers {
		down.write(a)
	}
	for _, p := range next {
		down.write(p.raw)
	}
}

// batch is what one reader holds while it handles the frames that arrived
// together (see batchconn): go-sdk's connection, and, for go-sdk's reader,
// the node session. Both are released when the reader would have to wait.
type batch struct {
	open bool
	down *downSession
	up   *upSession
}

// begin opens the batch unless it is open: it holds the current go-sdk
// connection, and the node session too for go-sdk's reader (from != nil).
func (b *batch) begin(g *Guard, from *downSession) {
	if b.open {
		return
	}
	b.open = true
	g.mu.Lock()
	b.down = g.down
	if from != nil {
		b.up = g.up
	}
	g.mu.Unlock()
	if b.down != nil {
		b.down.hold()
	}
	if b.up != nil {
		b.up.hold()
	}
}

// end sends what the batch holds.
func (b *batch) end() {
	if !b.open {
		return
	}
	if b.up != nil {
		b.up.release()
	}
	if b.down != nil {
		b.down.release()
	}
	*b = batch{}
}
