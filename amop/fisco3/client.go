// Package fisco3 is the FISCO BCOS 3.x side of amop.Client, in pure Go: no
// go-sdk v3, whose cgo library cannot be fetched here (fisco3-amop.md). It
// holds one session at a time to the configured nodes' RPC ports — a
// WebSocket (github.com/gorilla/websocket) over mutual TLS, or plain ws://
// when the chain has TLS off — and gives the 3.x path what amop/guard gives
// the 2.x one:
//
//   - the node certificate verified against ca.crt (no host name: 3.x
//     certificates have no subjectAltName); failover between endpoints and
//     reconnect with backoff and jitter; the whole topic list sent again
//     after every handshake;
//   - every send bounded by its deadline, and answered: a reply, a typed
//     error, a TimeoutError whose late answer arrives as a LateReplyEvent,
//     or ErrConnectionLost;
//   - every message from the node validated (wire3); malformed ones,
//     unknown types, answers to nothing and oversize messages counted and
//     dropped, block and group notifications ignored;
//   - a frozen node found within HeartbeatTimeout by pings; the node's own
//     pings answered as long as the session lives;
//   - bounded memory: pushes wait in a bounded queue per topic (which keeps
//     their order) for the auto-reply and the event stream, and Events
//     drops and counts when nobody reads it.
//
// What 3.x does differently, the client absorbs: nodes do not acknowledge a
// broadcast (Multicast returns once the message is written), do not answer
// a topic list, and keep delivering a topic the client left until the
// session ends (such a request is answered with status 3002 and a sentence,
// so its sender is not left waiting 30 s). There are no private topics.
package fisco3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/guard"
	"github.com/amoptui/amoptui/amop/wire3"
)

// Config is the 3.x client's configuration: amop.Config's endpoints,
// certificates, timeouts and auto-reply (its 2.x-only fields — chain and
// group ids, the SM flag, SDKLog — are not used), and the WebSocket scheme.
type Config struct {
	amop.Config
	// PlainWS connects with ws:// and no TLS, for chains whose nodes run
	// with rpc.enable_ssl=false; no certificate is needed then.
	PlainWS bool
}

// Tuning defaults (amop.GuardTuning overrides them).
const (
	defaultDial       = 5 * time.Second
	defaultPing       = 2 * time.Second
	defaultSilence    = 6 * time.Second
	defaultBackoffMin = 200 * time.Millisecond
	defaultBackoffMax = 5 * time.Second
	writeTimeout      = 5 * time.Second
	laneLimit         = 4096
	laneBytes         = 64 << 20
)

// overhead is what a unicast adds around its data: the message header, a
// 32-byte seq and the AMOPRequest header (the topic is counted apart).
const overhead = wire3.HeaderLen + wire3.SeqLen + wire3.RequestHeaderLen

// Client is the 3.x amop.Client.
type Client struct {
	cfg         Config
	tls         *tls.Config // nil with PlainWS
	log         *slog.Logger
	maxData     int           // the largest data a send takes, before the topic's bytes
	maxIncoming int           // the largest message kept from the node (Config.MaxIncoming)
	httpWait    time.Duration // probes only: the bound on the HTTP answer (capHTTP)

	ctx    context.Context
	stop   context.CancelFunc
	events chan amop.Event
	wg     sync.WaitGroup

	evMu   sync.RWMutex // guards sends on events against Close
	closed bool

	mu       sync.Mutex
	status   amop.Status
	cur      *session // nil while not connected
	pending  map[string]*call
	expired  map[string]lateSend // sends that timed out, by seq, for their late answers
	lateID   uint64
	sessions int   // node sessions established so far
	lastErr  error // the latest connection error

	subMu  sync.Mutex // orders topic-list changes and their sends
	topics []string

	replyMu sync.RWMutex
	replies map[string]amop.ReplyPolicy
	defRep  amop.ReplyPolicy

	laneMu sync.Mutex
	lanes  map[string]*lane

	c                counters
	pendingState     atomic.Pointer[amop.Status]
	dirty            atomic.Bool // counters to report in a CounterEvent
	unreported       atomic.Uint64
	unreportedBehind atomic.Uint64
}

// call is a unicast awaiting its answer.
type call struct {
	s     *session
	topic string
	start time.Time
	done  chan answer // capacity 1
}

type answer struct {
	m   wire3.Message
	err error
}

// result is what Unicast returns for a: the reply, the node's error code, or
// why no answer came.
func (a answer) result(topic string) ([]byte, error) {
	if a.err != nil {
		return nil, a.err
	}
	if a.m.Status != 0 {
		return nil, &amop.CodeError{Code: int(a.m.Status), Topic: topic}
	}
	return a.m.Payload, nil
}

// lateSend is a unicast that timed out and may still be answered.
type lateSend struct {
	id    uint64
	topic string
	start time.Time
	until time.Time
}

// lateKeep is how long a timed-out send is remembered: a node waits 30 s
// for the subscriber, and a faithful one's fallback as long again.
const lateKeep = 2 * time.Minute

// maxExpired bounds the timed-out sends remembered.
const maxExpired = 4096

// New checks the configuration and certificates and starts connecting; it
// does not wait for a node (WaitReady does), so a UI can come up at once.
func New(cfg Config) (*Client, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("amop: no node endpoints configured")
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 10 * time.Second
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 4096
	}
	g := &cfg.Guard
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&g.DialTimeout, defaultDial)
	def(&g.HeartbeatInterval, defaultPing)
	def(&g.HeartbeatTimeout, defaultSilence)
	def(&g.BackoffMin, defaultBackoffMin)
	def(&g.BackoffMax, defaultBackoffMax)
	c := &Client{
		cfg: cfg, log: cfg.Logger,
		maxData: wire3.MaxMessage - overhead,
		events:  make(chan amop.Event, cfg.EventBuffer),
		pending: map[string]*call{}, expired: map[string]lateSend{},
		replies: map[string]amop.ReplyPolicy{}, defRep: cfg.AutoReply,
		lanes: map[string]*lane{},
	}
	if cfg.MaxPayload > 0 {
		c.maxData = min(c.maxData, cfg.MaxPayload)
	}
	c.maxIncoming = cfg.MaxIncoming
	if c.maxIncoming <= 0 {
		c.maxIncoming = guard.DefaultMaxIncoming
	}
	// The limit applies to payloads; a message adds its header and seq.
	c.maxIncoming = min(c.maxIncoming+overhead, wire3.MaxMessage)
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if !cfg.PlainWS {
		creds, err := LoadCredentials(cfg.Config)
		if err != nil {
			return nil, &amop.ConfigError{Err: err}
		}
		c.tls = creds.clientTLS(!cfg.SkipNodeVerify)
	}
	c.ctx, c.stop = context.WithCancel(context.Background())
	c.status = amop.Status{State: amop.StateConnecting, Endpoint: cfg.Endpoints[0], Since: time.Now()}
	c.wg.Add(2)
	go c.connectLoop()
	go c.flushLoop()
	return c, nil
}

// Unicast implements amop.Client.
func (c *Client) Unicast(ctx context.Context, topic string, data []byte) ([]byte, error) {
	reply, err := c.unicast(ctx, topic, data)
	if err != nil {
		c.c.failed.Add(1)
	} else {
		c.c.sent.Add(1)
	}
	return reply, err
}

func (c *Client) unicast(ctx context.Context, topic string, data []byte) ([]byte, error) {
	body, err := c.request(topic, data)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	seq := newSeq()
	cl := &call{topic: topic, start: time.Now(), done: make(chan answer, 1)}
	c.mu.Lock()
	s := c.cur
	if s == nil {
		c.mu.Unlock()
		return nil, amop.ErrNotConnected
	}
	cl.s = s
	c.pending[seq] = cl
	c.mu.Unlock()
	deadline, _ := ctx.Deadline()
	if err := s.send(wire3.Message{Type: wire3.TypeRequest, Seq: seq, Payload: body}, deadline); err != nil {
		// A write that failed or timed out half-way leaves the WebSocket
		// unusable: the session ends either way.
		c.forget(seq)
		s.fail(err)
		if ctx.Err() != nil {
			return nil, &amop.TimeoutError{Topic: topic, After: time.Since(cl.start)}
		}
		return nil, fmt.Errorf("%w: %v", amop.ErrConnectionLost, err)
	}
	select {
	case a := <-cl.done:
		return a.result(topic)
	case <-ctx.Done():
		if !c.forget(seq) {
			// The answer won the race: it is the result.
			return (<-cl.done).result(topic)
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, fmt.Errorf("amop: send cancelled: %w", ctx.Err())
		}
		return nil, c.expire(seq, cl)
	case <-c.ctx.Done():
		c.forget(seq)
		return nil, amop.ErrClosed
	}
}

// forget removes a pending call; false when its answer already took it.
func (c *Client) forget(seq string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.pending[seq]
	delete(c.pending, seq)
	return ok
}

// expire remembers a send that timed out, so that its late answer reaches
// the caller as a LateReplyEvent, and returns its TimeoutError.
func (c *Client) expire(seq string, cl *call) error {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.expired) >= maxExpired {
		for k, l := range c.expired {
			if now.After(l.until) || len(c.expired) >= maxExpired {
				delete(c.expired, k)
			}
		}
	}
	c.lateID++
	c.expired[seq] = lateSend{id: c.lateID, topic: cl.topic, start: cl.start, until: now.Add(lateKeep)}
	return &amop.TimeoutError{ID: c.lateID, Topic: cl.topic, After: now.Sub(cl.start)}
}

// Multicast implements amop.Client. A 3.x node acknowledges nothing: the
// message is sent once it is written to the node.
func (c *Client) Multicast(ctx context.Context, topic string, data []byte) error {
	err := c.multicast(ctx, topic, data)
	if err != nil {
		c.c.failed.Add(1)
	} else {
		c.c.sent.Add(1)
	}
	return err
}

func (c *Client) multicast(ctx context.Context, topic string, data []byte) error {
	body, err := c.request(topic, data)
	if err != nil {
		return err
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	c.mu.Lock()
	s := c.cur
	c.mu.Unlock()
	if s == nil {
		return amop.ErrNotConnected
	}
	deadline, _ := ctx.Deadline()
	start := time.Now()
	if err := s.send(wire3.Message{Type: wire3.TypeBroadcast, Seq: newSeq(), Payload: body}, deadline); err != nil {
		s.fail(err)
		if ctx.Err() != nil {
			return &amop.TimeoutError{Topic: topic, After: time.Since(start)}
		}
		return fmt.Errorf("%w: %v", amop.ErrConnectionLost, err)
	}
	return nil
}

// request checks a send and encodes its AMOPRequest body.
func (c *Client) request(topic string, data []byte) ([]byte, error) {
	if err := amop.ValidateTopic(topic); err != nil {
		return nil, err
	}
	if len(data)+len(topic) > c.maxData {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d (a 3.x node reads at most %d MiB per message)",
			amop.ErrTooLarge, len(data), c.maxData-len(topic), wire3.MaxMessage>>20)
	}
	if c.isClosed() {
		return nil, amop.ErrClosed
	}
	return (&wire3.Request{Topic: topic, Data: data}).Encode()
}

func (c *Client) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.cfg.SendTimeout)
}

// Status implements amop.Client.
func (c *Client) Status() amop.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// WaitReady waits until a node session is up. It returns the connection
// error when every endpoint refused for good (certificate, not a 3.x node,
// SM TLS), or ctx's error.
func (c *Client) WaitReady(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		s := c.Status()
		switch s.State {
		case amop.StateConnected:
			return nil
		case amop.StateDown:
			if err := c.lastError(); err != nil {
				return fmt.Errorf("amop: %w", err)
			}
			return amop.ErrClosed
		}
		select {
		case <-ctx.Done():
			if err := c.lastError(); err != nil {
				return fmt.Errorf("amop: not connected after %d attempts: %w", s.Attempt, err)
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (c *Client) lastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

func (c *Client) isClosed() bool {
	c.evMu.RLock()
	defer c.evMu.RUnlock()
	return c.closed
}

// Close implements amop.Client: it ends the session, answers every pending
// send with ErrClosed, waits for the client's goroutines and closes Events.
func (c *Client) Close() error {
	c.evMu.Lock()
	if c.closed {
		c.evMu.Unlock()
		return nil
	}
	c.closed = true
	c.evMu.Unlock()
	c.stop()
	c.mu.Lock()
	s := c.cur
	c.mu.Unlock()
	if s != nil {
		s.fail(amop.ErrClosed)
	}
	c.wg.Wait()
	c.mu.Lock()
	c.status.State, c.status.LastErr, c.status.Since = amop.StateDown, "closed", time.Now()
	c.mu.Unlock()
	c.evMu.Lock()
	close(c.events)
	c.evMu.Unlock()
	return nil
}
