package amop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/FISCO-BCOS/go-sdk/conn"
	"github.com/sirupsen/logrus"

	"github.com/amoptui/amoptui/amop/guard"
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
	redirectSDKLog(cfg)

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

// redirectSDKLog sends go-sdk's log — the global logrus — to cfg.SDKLog or
// nowhere: its lines must never reach a terminal the TUI owns, nor the
// stderr of a command whose output is read.
func redirectSDKLog(cfg Config) {
	logrusOnce.Lock()
	if cfg.SDKLog != nil {
		logrus.SetOutput(cfg.SDKLog)
	} else {
		logrus.SetOutput(io.Discard)
	}
	logrus.SetLevel(logrus.WarnLevel)
	logrusOnce.Unlock()
}
