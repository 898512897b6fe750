package amop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/FISCO-BCOS/go-sdk/conn"
	"github.com/sirupsen/logrus"

	"github.com/amoptui/amoptui/amop/guard"
	"github.com/amoptui/amoptui/amop/wire"
	"github.com/amoptui/amoptui/reclaim"
	"github.com/amoptui/amoptui/userfile"
)

// Config configures the go-sdk adapter.
type Config struct {
	// Endpoints are the nodes' channel addresses (HOST:PORT), tried in order.
	Endpoints []string
	// CAFile, CertFile and KeyFile are the SDK's TLS files (ca.crt, sdk.crt,
	// sdk.key). CAPEM, CertPEM and KeyPEM, when set, are used instead.
	CAFile, CertFile, KeyFile string
	CAPEM, CertPEM, KeyPEM    []byte
	// ChainID, GroupID and SM must match the node, as go-sdk's client.Dial
	// checks. Zero ChainID and GroupID mean 1.
	ChainID int64
	GroupID int
	SM      bool
	// SkipNodeVerify turns off the node certificate check (go-sdk never
	// verifies it; we do by default).
	SkipNodeVerify bool
	// VerifyHint is how the user turns that check off, named by the error
	// about a node certificate that fails it: "set verify_node = false"
	// when empty (the configuration file), "--no-verify-node" for sub and
	// pub.
	VerifyHint string
	// SendTimeout is the deadline of a send whose context has none (10 s).
	// A real node waits up to 30 s for each node it tries
	// (NodeCandidateWait), so an answer may come after it: it arrives as a
	// LateReplyEvent.
	SendTimeout time.Duration
	// MaxPayload caps outgoing payloads (8 MiB): go-sdk's codec costs
	// ~30–40 ns per byte, and a node refuses frames over 100 MiB.
	MaxPayload int
	// MaxIncoming caps the payloads accepted from the node (16 MiB,
	// guard.DefaultMaxIncoming): a larger frame is read through without
	// being kept and dropped, counted as Oversize (a unicast request is
	// refused at once, a reply to our send fails it). go-sdk copies a
	// payload several times over and decodes it byte by byte.
	MaxIncoming int
	// EventBuffer is the capacity of Events (4096).
	EventBuffer int
	// AutoReply is the default answer to incoming unicast requests.
	AutoReply ReplyPolicy
	// SDKLog receives go-sdk's logrus output; nil discards it. It must never
	// be the terminal while a TUI runs.
	SDKLog io.Writer
	// Logger receives the adapter's and the guard's own log; nil discards.
	Logger *slog.Logger
	// Guard tunes the guard (timeouts, backoff) — mostly for tests.
	Guard GuardTuning
}

// GuardTuning overrides the guard's timing; zero values keep its defaults.
type GuardTuning struct {
	HeartbeatInterval, HeartbeatTimeout time.Duration
	BackoffMin, BackoffMax              time.Duration
	DialTimeout, PushTimeout            time.Duration
}

// Extra sentinel errors of the go-sdk adapter.
var (
	// ErrConnectionLost is a send whose node session died before it was
	// answered.
	ErrConnectionLost = errors.New("amop: the node connection was lost before an answer arrived")
	// ErrMalformedReply is an answer from the node that the guard had to
	// drop because it would crash go-sdk.
	ErrMalformedReply = errors.New("amop: the node's answer was malformed and was dropped")
	// ErrReplyTooLarge is an answer over Config.MaxIncoming, which the
	// guard dropped without reading it into memory.
	ErrReplyTooLarge = errors.New("amop: the answer was larger than the incoming limit (max_incoming) and was dropped")
	// ErrTooLarge is a payload over Config.MaxPayload.
	ErrTooLarge = errors.New("amop: payload too large")
)

// SDK is the Client built on go-sdk v1.1.1 behind the guard.
type SDK struct {
	cfg    Config
	g      *guard.Guard
	conn   *conn.Connection
	events chan Event
	done   chan struct{}
	wg     sync.WaitGroup

	// evMu guards sends on events against Close closing it: go-sdk runs
	// handlers on goroutines we cannot join.
	evMu   sync.RWMutex
	closed bool

	subMu  sync.Mutex // serialises go-sdk's (unsynchronised) topic map
	topics []string

	privMu      sync.Mutex // guards the private-topic records (private.go)
	private     map[string]*privTopic
	privPending map[privKey]*PrivateEvent
	connected   atomic.Bool // a node session has been up before
	late        lateBook    // sends that gave up and may still be answered (late.go)

	replyMu sync.RWMutex
	replies map[string]ReplyPolicy
	defRep  ReplyPolicy

	received, dropped, replied, sent, failed atomic.Uint64
	unreported                               atomic.Uint64 // drops not yet reported in a DropEvent
	unreportedBehind                         uint64        // of them, the guard's (flushLoop's own)
	pendingState                             atomic.Pointer[Status]
	countersDirty                            atomic.Bool
}

var logrusOnce sync.Mutex

// pushWindow is how many multicast pushes per topic the guard lets go-sdk
// hold at once (guard.Config.Window): enough that the pushes that arrive
// together reach go-sdk in one write and its answers come back together,
// few enough that go-sdk's goroutine per push stays a small number.
const pushWindow = 32

// New checks the configuration and certificates, starts the guard and
// connects go-sdk to it. It does not wait for a node: the state arrives on
// Events (and WaitReady waits for it), so a UI can come up at once.
func New(cfg Config) (*SDK, error) {
	if cfg.ChainID == 0 {
		cfg.ChainID = 1
	}
	if cfg.GroupID == 0 {
		cfg.GroupID = 1
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 10 * time.Second
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = 8 << 20
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 4096
	}
	if len(cfg.Endpoints) == 0 {
		return nil, &ConfigError{errors.New("amop: no node endpoints configured")}
	}
	creds, err := loadCredentials(cfg)
	if err != nil {
		return nil, err
	}
	// go-sdk logs through the global logrus; its lines must never reach a
	// terminal the TUI owns.
	logrusOnce.Lock()
	if cfg.SDKLog != nil {
		logrus.SetOutput(cfg.SDKLog)
	} else {
		logrus.SetOutput(io.Discard)
	}
	logrus.SetLevel(logrus.WarnLevel)
	logrusOnce.Unlock()

	a := &SDK{
		cfg:     cfg,
		events:  make(chan Event, cfg.EventBuffer),
		done:    make(chan struct{}),
		replies: make(map[string]ReplyPolicy),
		defRep:  cfg.AutoReply,

		private:     make(map[string]*privTopic),
		privPending: make(map[privKey]*PrivateEvent),
	}
	t := cfg.Guard
	g, err := guard.Start(guard.Config{
		Endpoints: cfg.Endpoints, Credentials: creds, SkipNodeVerify: cfg.SkipNodeVerify, VerifyHint: cfg.VerifyHint,
		Check:             checkNode(cfg.ChainID, cfg.SM),
		OnState:           a.onState,
		OnCounters:        func(guard.Stats) { a.countersDirty.Store(true) },
		OnPrivate:         a.onPrivate,
		OnLate:            a.onLate,
		RequestTimeout:    cfg.SendTimeout + 2*time.Second,
		HeartbeatInterval: t.HeartbeatInterval, HeartbeatTimeout: t.HeartbeatTimeout,
		BackoffMin: t.BackoffMin, BackoffMax: t.BackoffMax, DialTimeout: t.DialTimeout, PushTimeout: t.PushTimeout,
		MaxIncoming: cfg.MaxIncoming,
		Window:      pushWindow,
		Logger:      cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	a.g = g
	c, err := dialSDK(g, cfg.GroupID)
	if err != nil {
		_ = g.Close()
		return nil, err
	}
	a.conn = c
	// go-sdk registers a nil handler for its block-notification topic and
	// crashes if any AMOP message arrives on it (the guard also filters them).
	if err := c.SubscribeTopic(BlockNotifyPrefix+strconv.Itoa(cfg.GroupID), func([]byte, *[]byte) {}); err != nil {
		_ = g.Close()
		return nil, fmt.Errorf("amop: install block-notify handler: %w", err)
	}
	a.wg.Add(1)
	go a.flushLoop()
	return a, nil
}

// dialSDK connects go-sdk to the guard. The guard answers go-sdk's handshake
// itself, so this is local and quick; the deadline only guards against a bug
// turning into a hang.
func dialSDK(g *guard.Guard, group int) (*conn.Connection, error) {
	type result struct {
		c   *conn.Connection
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := conn.DialChannelWithClient(g.Addr(), g.ClientTLS(), group)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("amop: go-sdk could not connect to the guard: %w", r.err)
		}
		return r.c, nil
	case <-time.After(10 * time.Second):
		return nil, errors.New("amop: go-sdk did not finish connecting to the guard")
	}
}

// credentialSource gathers the configured TLS material, inline PEM first,
// else the files; errors name the file.
func credentialSource(cfg Config) (guard.Source, error) {
	src := guard.Source{CA: cfg.CAPEM, Cert: cfg.CertPEM, Key: cfg.KeyPEM,
		CAName: "inline ca_pem", CertName: "inline cert_pem", KeyName: "inline key_pem"}
	read := func(dst *[]byte, name *string, path, what string) error {
		if len(*dst) > 0 {
			return nil
		}
		if path == "" {
			return fmt.Errorf("amop: no %s configured", what)
		}
		b, err := userfile.Read(path, userfile.PEM)
		if err != nil {
			return fmt.Errorf("amop: %s: %w", what, err)
		}
		*dst, *name = b, path
		return nil
	}
	if err := read(&src.CA, &src.CAName, cfg.CAFile, "CA certificate (ca.crt)"); err != nil {
		return src, err
	}
	if err := read(&src.Cert, &src.CertName, cfg.CertFile, "SDK certificate (sdk.crt)"); err != nil {
		return src, err
	}
	if err := read(&src.Key, &src.KeyName, cfg.KeyFile, "SDK key (sdk.key)"); err != nil {
		return src, err
	}
	return src, nil
}

func loadCredentials(cfg Config) (*guard.Credentials, error) {
	src, err := credentialSource(cfg)
	if err != nil {
		return nil, &ConfigError{err}
	}
	c, err := guard.LoadCredentials(src, time.Now())
	if err != nil {
		return nil, &ConfigError{fmt.Errorf("amop: %w", err)}
	}
	return c, nil
}

// checkNode is what go-sdk's client.Dial checks, with errors that name the
// expected and the actual value.
func checkNode(chainID int64, sm bool) func(wire.ClientVersion) error {
	return func(v wire.ClientVersion) error {
		if !isVersion(v.SupportedVersion) {
			return fmt.Errorf("the node reports Supported Version %q, not x.y.z", v.SupportedVersion)
		}
		nodeSM := isSMVersion(v.FiscoBcosVersion)
		if nodeSM != sm {
			if nodeSM {
				return fmt.Errorf("the node runs the SM (guomi) crypto suite (FISCO-BCOS Version %q) but sm_crypto is false", v.FiscoBcosVersion)
			}
			return fmt.Errorf("sm_crypto is true but the node does not run the SM crypto suite (FISCO-BCOS Version %q)", v.FiscoBcosVersion)
		}
		id, err := strconv.ParseInt(v.ChainID, 10, 64)
		if err != nil {
			return fmt.Errorf("the node reports Chain Id %q, not a number", v.ChainID)
		}
		if id != chainID {
			return fmt.Errorf("chain id mismatch: the node is on chain %d, the configuration expects chain %d", id, chainID)
		}
		return nil
	}
}

// isSMVersion is go-sdk's test for an SM (guomi) node: "gm" or "GM" in its
// FISCO-BCOS Version.
func isSMVersion(v string) bool { return strings.Contains(v, "gm") || strings.Contains(v, "GM") }

func isVersion(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

// Join implements Client.
func (a *SDK) Join(topic string) error {
	if err := ValidateTopic(topic); err != nil {
		return err
	}
	a.subMu.Lock()
	defer a.subMu.Unlock()
	if a.isClosed() {
		return ErrClosed
	}
	for _, t := range a.topics {
		if t == topic {
			return nil
		}
	}
	if err := a.conn.SubscribeTopic(topic, a.handler(topic)); err != nil {
		return fmt.Errorf("amop: join %q: %w", topic, err)
	}
	a.topics = append(a.topics, topic)
	return nil
}

// Leave implements Client.
func (a *SDK) Leave(topic string) error {
	a.subMu.Lock()
	defer a.subMu.Unlock()
	if a.isClosed() {
		return ErrClosed
	}
	i := indexOf(a.topics, topic)
	if i < 0 {
		return fmt.Errorf("%w to %q", ErrNotJoined, topic)
	}
	if err := a.conn.UnsubscribeTopic(topic); err != nil {
		return fmt.Errorf("amop: leave %q: %w", topic, err)
	}
	a.topics = append(a.topics[:i], a.topics[i+1:]...)
	return nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// Topics implements Client.
func (a *SDK) Topics() []string {
	a.subMu.Lock()
	defer a.subMu.Unlock()
	return append([]string(nil), a.topics...)
}

// handler is go-sdk's callback for topic. go-sdk runs it on a goroutine per
// message and waits for it before answering, so it must return at once: it
// only reads the reply policy and hands the message to Events without
// blocking.
func (a *SDK) handler(topic string) func([]byte, *[]byte) {
	return a.topicHandler(topic, topic, false)
}

// topicHandler is handler for a topic that travels as wireTopic; a private
// topic's message also proves that this client was verified.
func (a *SDK) topicHandler(topic, wireTopic string, private bool) func([]byte, *[]byte) {
	marked := a.g.Marks(wireTopic)
	return func(data []byte, resp *[]byte) {
		at := time.Now()
		var inf guard.InFlight
		var ok bool
		if marked {
			// Several pushes may be in flight on the topic: Take strips
			// the guard's push id and holds this goroutine until the
			// pushes before it have been handed on, so that messages
			// leave in the node's order.
			var done func()
			inf, data, done, ok = a.g.Take(data)
			defer done()
		} else {
			inf, ok = a.g.Current(wireTopic)
		}
		ev := &MessageEvent{Topic: topic, Data: data, Mode: Unicast, At: at, Private: private}
		if private && a.advanceSub(topic, a.receivedState()) {
			a.emitSub(topic)
		}
		seq := ""
		if ok {
			ev.At, seq = inf.Received, inf.Seq
			if inf.Multicast {
				ev.Mode = Multicast
			}
		}
		if ev.Mode == Unicast {
			r, err := a.AutoReply(topic).Answer(Request{Topic: topic, Data: data, Seq: seq, Private: private})
			if err != nil {
				ev.ReplyErr = err.Error()
			}
			if r != nil {
				*resp = r
				ev.Reply, ev.Replied = r, true
				a.replied.Add(1)
			}
		}
		a.emitMessage(ev)
	}
}

func (a *SDK) emitMessage(ev *MessageEvent) {
	if len(ev.Data) >= reclaim.Big {
		// go-sdk decodes a payload through several copies of it (a 16 MiB
		// message leaves ~100 MiB of garbage): give it back to the system
		// once the burst is over. Frames over MaxIncoming never get this
		// far: the guard reads them through without keeping them.
		reclaim.Soon()
	}
	a.evMu.RLock()
	defer a.evMu.RUnlock()
	if a.closed {
		return
	}
	select {
	case a.events <- ev:
		a.received.Add(1)
	default:
		a.dropped.Add(1)
		a.unreported.Add(1)
	}
}

func (a *SDK) onState(s guard.Status) {
	if s.State == guard.Connected && a.connected.Swap(true) {
		// Reported before the new session's first frame is read, so no
		// challenge of the new session can come before this reset.
		a.resetSubs()
	}
	st := convertStatus(s, a.cfg.GroupID)
	a.pendingState.Store(&st)
	a.flushState()
}

// flushState delivers the latest state if there is room; otherwise the
// flush loop retries. Only the latest state matters, so older ones are
// overwritten rather than queued.
func (a *SDK) flushState() {
	st := a.pendingState.Swap(nil)
	if st == nil {
		return
	}
	a.evMu.RLock()
	defer a.evMu.RUnlock()
	if a.closed {
		return
	}
	select {
	case a.events <- &StateEvent{Status: *st}:
	default:
		a.pendingState.CompareAndSwap(nil, st)
	}
}

// flushLoop reports drops, counters and deferred states even when no new
// message arrives to carry them.
func (a *SDK) flushLoop() {
	defer a.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	// Pushes the guard dropped because the client fell behind the node
	// (go-sdk could not take them as fast as they came) are lost messages
	// too: they are reported with the adapter's own drops, and told apart.
	var overflow uint64
	for {
		select {
		case <-a.done:
			return
		case <-t.C:
		}
		a.flushState()
		a.flushPrivate()
		a.late.prune(time.Now())
		var behind uint64 // of the unreported drops, those of the guard
		if ov := a.g.Stats().Overflow; ov > overflow {
			a.unreported.Add(ov - overflow)
			a.unreportedBehind += ov - overflow
			overflow = ov
		}
		behind = a.unreportedBehind
		a.evMu.RLock()
		if !a.closed {
			if n := a.unreported.Load(); n > 0 {
				select {
				case a.events <- &DropEvent{Dropped: n, Total: a.dropped.Load() + overflow, Behind: behind, BehindTotal: overflow}:
					a.unreported.Add(-n)
					a.unreportedBehind -= behind
				default:
				}
			}
			if a.countersDirty.Load() {
				s := a.g.Stats()
				select {
				case a.events <- &CounterEvent{Malformed: s.Malformed + s.Unmatched, Reserved: s.Reserved,
					Oversize: s.Oversize, NotJoined: s.NotJoined}:
					a.countersDirty.Store(false)
				default:
				}
			}
		}
		a.evMu.RUnlock()
	}
}

func convertStatus(s guard.Status, group int) Status {
	st := Status{State: ConnState(s.State), Endpoint: s.Endpoint, Attempt: s.Attempt, Since: s.Since, Resubscribed: s.Resubscribed, Retry: s.Retry}
	if s.Err != nil {
		st.LastErr = s.Err.Error()
	}
	if s.State == guard.Connected {
		id, _ := strconv.ParseInt(s.Version.ChainID, 10, 64)
		st.Node = NodeInfo{Version: s.Version.FiscoBcosVersion, SupportedVersion: s.Version.SupportedVersion, BuildType: s.Version.BuildType,
			ChainID: id, GroupID: group, Line: Line2,
			SM: isSMVersion(s.Version.FiscoBcosVersion)}
	}
	return st
}

// SetAutoReply implements Client.
func (a *SDK) SetAutoReply(topic string, p ReplyPolicy) {
	a.replyMu.Lock()
	defer a.replyMu.Unlock()
	if topic == "" {
		a.defRep = p
		return
	}
	a.replies[topic] = p
}

// AutoReply implements Client.
func (a *SDK) AutoReply(topic string) ReplyPolicy {
	a.replyMu.RLock()
	defer a.replyMu.RUnlock()
	if p, ok := a.replies[topic]; ok {
		return p
	}
	return a.defRep
}

// Unicast implements Client.
func (a *SDK) Unicast(ctx context.Context, topic string, data []byte) ([]byte, error) {
	if err := ValidateTopic(topic); err != nil {
		return nil, err
	}
	return a.run(ctx, sendInfo{topic: topic, mode: Unicast}, data, func() ([]byte, error) {
		return a.conn.SendAMOPMsg(topic, data)
	})
}

// Multicast implements Client.
func (a *SDK) Multicast(ctx context.Context, topic string, data []byte) error {
	if err := ValidateTopic(topic); err != nil {
		return err
	}
	_, err := a.run(ctx, sendInfo{topic: topic, mode: Multicast}, data, func() ([]byte, error) {
		return nil, a.conn.BroadcastAMOPMsg(topic, data)
	})
	return err
}

// sendInfo describes a send for its errors and its late answer.
type sendInfo struct {
	topic   string
	mode    Mode
	private bool
}

// Outcomes of a go-sdk call racing its caller's deadline.
const (
	callWaiting   int32 = iota // neither has happened yet
	callTaken                  // the caller took the result
	callAbandoned              // the caller gave up; a result is a late answer
)

// run runs a go-sdk send call under ctx. go-sdk ignores contexts and would
// wait forever; the call runs on its own goroutine, which the guard's
// deadline releases shortly after ours. An answer that comes after the
// caller gave up is reported as a LateReplyEvent (late.go).
func (a *SDK) run(ctx context.Context, si sendInfo, data []byte, call func() ([]byte, error)) ([]byte, error) {
	if len(data) > a.cfg.MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), a.cfg.MaxPayload)
	}
	if a.isClosed() {
		return nil, ErrClosed
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.cfg.SendTimeout)
		defer cancel()
	}
	type result struct {
		reply []byte
		err   error
	}
	start := time.Now()
	ls := &lateSend{topic: si.topic, mode: si.mode, private: si.private, start: start}
	var state atomic.Int32
	done := make(chan result, 1)
	go func() {
		reply, err := call()
		err = a.markPrivate(si, mapSDKError(si.topic, err))
		if state.CompareAndSwap(callWaiting, callTaken) {
			done <- result{reply, err}
			return
		}
		// The caller gave up (ls was written before it said so).
		a.lateResult(ls, reply, err)
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			ls.id = a.late.newID()
		}
		if !state.CompareAndSwap(callWaiting, callAbandoned) {
			r = <-done // the answer won the race after all
			break
		}
		if ls.id == 0 {
			r.err = fmt.Errorf("amop: send cancelled: %w", ctx.Err())
		} else {
			r.err = &TimeoutError{ID: ls.id, Topic: si.topic, After: time.Since(start)}
		}
	case <-a.done:
		// Closed meanwhile: a request the guard had not read before it
		// parked go-sdk's connection would never be answered.
		if !state.CompareAndSwap(callWaiting, callAbandoned) {
			r = <-done
			break
		}
		r.err = ErrClosed
	}
	var te *TimeoutError
	if errors.As(r.err, &te) && te.ticket != 0 && te.ID == 0 {
		// The guard gave up before our deadline and holds a ticket for
		// the node's answer.
		if ls.id == 0 {
			ls.id = a.late.newID()
		}
		te.ID, te.After = ls.id, time.Since(start)
		a.expectLate(te.ticket, *ls)
	}
	if r.err != nil {
		a.failed.Add(1)
	} else {
		a.sent.Add(1)
	}
	return r.reply, r.err
}

// lateResult handles what go-sdk returned for a send whose caller had
// already given up.
func (a *SDK) lateResult(ls *lateSend, reply []byte, err error) {
	if ls.id == 0 {
		return // cancelled or closed, not timed out: nobody waits for news
	}
	var te *TimeoutError
	var ce *CodeError
	switch {
	case err == nil:
		a.emitLate(*ls, guard.Late{Data: reply, Received: time.Now()})
	case errors.As(err, &te) && te.ticket != 0:
		a.expectLate(te.ticket, *ls)
	case errors.As(err, &ce):
		a.emitLate(*ls, guard.Late{Result: int32(ce.Code), Received: time.Now()})
	}
}

// markPrivate marks AMOP codes of a private send as answers about a private
// topic, whose "no subscriber" means no verified one.
func (a *SDK) markPrivate(si sendInfo, err error) error {
	var ce *CodeError
	if si.private && errors.As(err, &ce) {
		ce.Private = true
	}
	return err
}

var (
	codeRE   = regexp.MustCompile(`error code (\d+)`)
	resultRE = regexp.MustCompile(`response error: ?(-?\d+)`)
)

// mapSDKError turns go-sdk's error strings (the only form it gives) into the
// adapter's typed errors.
func mapSDKError(topic string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if m := codeRE.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.Atoi(m[1])
		return &CodeError{Code: code, Topic: topic}
	}
	if m := resultRE.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.Atoi(m[1])
		if t, ok := guard.DeadlineTicket(int64(code)); ok {
			return &TimeoutError{Topic: topic, ticket: t}
		}
		switch int32(code) {
		case guard.ResultNotConnected:
			return ErrNotConnected
		case guard.ResultDeadline:
			return ErrTimeout
		case guard.ResultLost:
			return ErrConnectionLost
		case guard.ResultMalformed:
			return ErrMalformedReply
		case guard.ResultOversize:
			return ErrReplyTooLarge
		case guard.ResultReserved:
			return &TopicError{Topic: topic, Reason: "the topic is reserved"}
		case guard.ResultClosed:
			return ErrClosed
		}
		return &CodeError{Code: code, Topic: topic}
	}
	if strings.Contains(msg, "connection unavailable") || strings.Contains(msg, "connection lost") {
		return ErrNotConnected
	}
	return fmt.Errorf("amop: %w", err)
}

// Events implements Client.
func (a *SDK) Events() <-chan Event { return a.events }

// Status implements Client.
func (a *SDK) Status() Status { return convertStatus(a.g.Status(), a.cfg.GroupID) }

// Stats implements Client.
func (a *SDK) Stats() Stats {
	g := a.g.Stats()
	return Stats{
		Received: a.received.Load(), Dropped: a.dropped.Load() + g.Overflow, Behind: g.Overflow, Replied: a.replied.Load(),
		Sent: a.sent.Load(), Failed: a.failed.Load(), Malformed: g.Malformed + g.Unmatched, Late: g.Late, Reserved: g.Reserved,
		Oversize: g.Oversize, NotJoined: g.NotJoined, Reconnects: g.Reconnects,
	}
}

// WaitReady waits until a node session is up. It returns the connection
// error when the node refused us for good (certificate or chain mismatch),
// or ctx's error.
func (a *SDK) WaitReady(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		s := a.g.Status()
		switch s.State {
		case guard.Connected:
			return nil
		case guard.Down:
			if s.Err != nil {
				return fmt.Errorf("amop: %w", s.Err)
			}
			return ErrClosed
		}
		select {
		case <-ctx.Done():
			if s.Err != nil {
				return fmt.Errorf("amop: not connected after %d attempts: %w", s.Attempt, s.Err)
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (a *SDK) isClosed() bool {
	a.evMu.RLock()
	defer a.evMu.RUnlock()
	return a.closed
}

// Close implements Client. It stops the guard, which answers every pending
// go-sdk call; go-sdk's own Close is never called because it spins a core
// forever (gosdk-pitfalls.md A#5).
func (a *SDK) Close() error {
	a.evMu.Lock()
	if a.closed {
		a.evMu.Unlock()
		return nil
	}
	a.closed = true
	a.evMu.Unlock()
	close(a.done)
	a.wg.Wait()
	err := a.g.Close()
	a.evMu.Lock()
	close(a.events)
	a.evMu.Unlock()
	return err
}

// Probe reports whether a node at endpoint completes a TLS handshake with
// cfg's certificates (and, unless SkipNodeVerify, presents a certificate of
// cfg's CA) within timeout. Nothing AMOP is sent.
func Probe(cfg Config, endpoint string, timeout time.Duration) error {
	creds, err := loadCredentials(cfg)
	if err != nil {
		return err
	}
	return guard.Probe(endpoint, creds, !cfg.SkipNodeVerify, timeout)
}
