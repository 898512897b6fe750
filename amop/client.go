// Package amop is the AMOP adapter the rest of amoptui sees: join and leave
// topics, ordinary and private (authenticated, private.go), send unicast
// and multicast, answer unicast requests, and receive everything
// (messages, connection states, drop counts, private topics' verification
// states) on one bounded channel.
//
// The implementation (sdk.go) drives the unmodified go-sdk v1.1.1 client,
// which talks only to an in-process guard (package amop/guard) that owns the
// real node session; see architecture.md for why.
package amop

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Client is an AMOP connection as the UI and the headless commands use it.
// All methods are safe for concurrent use.
type Client interface {
	// Join subscribes to topic. Joining a topic twice is not an error.
	Join(topic string) error
	// Leave unsubscribes from topic.
	Leave(topic string) error
	// Topics lists the joined topics in the order they were joined.
	Topics() []string
	// Unicast sends data to one subscriber of topic chosen by the node and
	// returns its reply. It returns by ctx's deadline at the latest.
	Unicast(ctx context.Context, topic string, data []byte) ([]byte, error)
	// Multicast sends data to every subscriber of topic. It returns once the
	// node has accepted the message, by ctx's deadline at the latest.
	Multicast(ctx context.Context, topic string, data []byte) error
	// JoinPrivate subscribes to the private (authenticated) topic with key:
	// nodes deliver its messages only once a publisher of the topic has
	// verified that this client holds one of its allowed keys
	// (PrivateEvent reports what can be observed of that). Joining again
	// with the same key is not an error; with another key it joins afresh.
	JoinPrivate(topic string, key *PrivateKey) error
	// PublishPrivate makes this client a publisher of the private topic:
	// it checks, for the nodes, the subscribers that claim one of allowed.
	// Publishing again replaces the keys.
	PublishPrivate(topic string, allowed []*PublicKey) error
	// LeavePrivate stops subscribing to and publishing the private topic.
	LeavePrivate(topic string) error
	// UnicastPrivate is Unicast on the private topic: only verified
	// subscribers are picked. No publisher role is needed to send.
	UnicastPrivate(ctx context.Context, topic string, data []byte) ([]byte, error)
	// MulticastPrivate is Multicast on the private topic, to its verified
	// subscribers.
	MulticastPrivate(ctx context.Context, topic string, data []byte) error
	// SetAutoReply sets how unicast requests on topic are answered; topic ""
	// sets the default for topics without a policy of their own.
	SetAutoReply(topic string, p ReplyPolicy)
	// AutoReply returns the policy in force for topic.
	AutoReply(topic string) ReplyPolicy
	// Events is the single bounded stream of everything that happens. It is
	// closed by Close. A slow reader loses messages, never blocks the
	// network: losses are counted and reported as DropEvents.
	Events() <-chan Event
	// Status is a snapshot of the connection state.
	Status() Status
	// Stats is a snapshot of the counters.
	Stats() Stats
	// Close releases the client and closes Events.
	Close() error
}

// Mode is how a message is sent: to one subscriber or to all.
type Mode uint8

// The two AMOP send modes.
const (
	Unicast Mode = iota
	Multicast
)

// String returns "unicast" or "multicast".
func (m Mode) String() string {
	if m == Multicast {
		return "multicast"
	}
	return "unicast"
}

// ParseMode reads "unicast"/"uni" or "multicast"/"multi" in any case.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "unicast", "uni", "u":
		return Unicast, nil
	case "multicast", "multi", "m", "broadcast":
		return Multicast, nil
	}
	return Unicast, fmt.Errorf("unknown mode %q: want unicast or multicast", s)
}

// ReplyMode selects how a unicast request is answered.
type ReplyMode uint8

// Auto-reply modes.
const (
	ReplyOff  ReplyMode = iota // answer with an empty reply (go-sdk always answers)
	ReplyEcho                  // answer with the request's own payload
	ReplyText                  // answer with a fixed text
	ReplyFunc                  // answer with what Responder computes (package responder)
)

// ReplyPolicy is the auto-reply for incoming unicast requests.
type ReplyPolicy struct {
	Mode ReplyMode
	Text string // the reply when Mode is ReplyText
	// Responder computes the reply when Mode is ReplyFunc. It runs in
	// go-sdk's handler, which holds the topic's queue in the guard (one
	// push in flight per topic) while it runs: it must return within a
	// bounded time, below the node's wait for a reply (5 s on FISCO BCOS
	// 2.x and amop/local), or the node has moved on to another subscriber.
	Responder Responder
}

// Request is a unicast request as a Responder sees it.
type Request struct {
	Topic   string
	Data    []byte
	Seq     string // the AMOP frame's seq (32 hex digits) when known
	Private bool   // on the private topic Topic
}

// Responder computes replies to unicast requests (ReplyFunc).
type Responder interface {
	// Respond returns the reply to req. On an error the request is
	// answered with an empty reply (go-sdk always answers) and the error
	// is reported in the MessageEvent.
	Respond(req Request) ([]byte, error)
	// String describes the responder for a status line.
	String() string
}

// ParseReplyPolicy reads "off", "echo" or any other text, which becomes a
// fixed reply. An empty string is "off".
func ParseReplyPolicy(s string) ReplyPolicy {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "off", "none":
		return ReplyPolicy{Mode: ReplyOff}
	case "echo":
		return ReplyPolicy{Mode: ReplyEcho}
	}
	return ReplyPolicy{Mode: ReplyText, Text: s}
}

// String describes the policy for a status line: off, echo or "TEXT".
func (p ReplyPolicy) String() string {
	switch p.Mode {
	case ReplyEcho:
		return "echo"
	case ReplyText:
		return fmt.Sprintf("%q", p.Text)
	case ReplyFunc:
		if p.Responder != nil {
			return p.Responder.String()
		}
	}
	return "off"
}

// Reply computes the reply to a request under p; nil means no reply text.
func (p ReplyPolicy) Reply(request []byte) []byte {
	r, _ := p.Answer(Request{Data: request})
	return r
}

// Answer computes the reply to req under p; nil means no reply text. Only
// a Responder returns an error.
func (p ReplyPolicy) Answer(req Request) ([]byte, error) {
	switch p.Mode {
	case ReplyEcho:
		return req.Data, nil
	case ReplyText:
		return []byte(p.Text), nil
	case ReplyFunc:
		if p.Responder != nil {
			return p.Responder.Respond(req)
		}
	}
	return nil, nil
}

// Event is one item of Client.Events: a *MessageEvent, *StateEvent,
// *DropEvent, *CounterEvent, *PrivateEvent (a private topic's
// verification state, private.go) or *LateReplyEvent (the answer to a send
// that had timed out, late.go).
type Event interface{ isEvent() }

// MessageEvent is a message received on a joined topic.
type MessageEvent struct {
	Topic string
	Data  []byte
	Mode  Mode      // Unicast for a request (0x30), Multicast for a push (0x35)
	At    time.Time // when the adapter received it
	// Reply is what was sent back for a unicast request under the
	// auto-reply policy; Replied says whether anything was.
	Reply   []byte
	Replied bool
	// ReplyErr says why a Responder could not answer (the request then
	// got an empty reply): a timeout, an exit status, a template error.
	ReplyErr string
	// Private says it came on the private topic Topic (JoinPrivate), not
	// on the ordinary topic of the same name.
	Private bool
}

// StateEvent reports a change of the connection state.
type StateEvent struct{ Status Status }

// DropEvent reports messages lost, for one of two reasons: Events was not
// read fast enough (the UI or the command's output could not keep up), or
// the client fell behind the node (go-sdk could not take the pushes as fast
// as the node sent them, and the guard's queue for a topic overflowed).
type DropEvent struct {
	Dropped uint64 // lost since the previous DropEvent, for either reason
	Total   uint64 // lost since the client started
	// Behind and BehindTotal are the part of Dropped and Total lost because
	// the client fell behind the node; the rest were lost because Events
	// was not read fast enough.
	Behind, BehindTotal uint64
}

// CounterEvent reports that the guard discarded frames from the node:
// malformed ones, AMOP on reserved topics, frames over the incoming limit
// (Config.MaxIncoming) and pushes on topics this client never joined. It
// carries the totals.
type CounterEvent struct {
	Malformed uint64
	Reserved  uint64
	Oversize  uint64
	NotJoined uint64
}

func (*MessageEvent) isEvent() {}
func (*StateEvent) isEvent()   {}
func (*DropEvent) isEvent()    {}
func (*CounterEvent) isEvent() {}

// ConnState is the state of the node connection.
type ConnState uint8

// Connection states.
const (
	StateConnecting   ConnState = iota // first attempt under way
	StateConnected                     // a node session is up
	StateReconnecting                  // lost, retrying with backoff
	StateDown                          // given up (e.g. wrong chain id or certificate), or closed
)

// String names the state as the status bar shows it.
func (s ConnState) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateReconnecting:
		return "reconnecting"
	}
	return "down"
}

// NodeInfo is what the node said about itself: in getClientVersion on
// 2.x, in its handshake answer on 3.x.
type NodeInfo struct {
	Version          string // "FISCO-BCOS Version", e.g. "2.9.0"
	SupportedVersion string // "Supported Version"
	// BuildType is "Build Type": amoptui's local network says which mode
	// it runs in there (see Ideal and LocalMode, realchain.go).
	BuildType string
	ChainID   int64
	GroupID   int
	SM        bool // the node runs the SM (guomi) crypto suite
	// Line is the FISCO BCOS line the session speaks (Line2 or Line3).
	Line Line
	// Chain and Group name the chain and group as the node does when they
	// are not numbers: 3.x chain and group ids are strings ("chain0",
	// "group0"); empty on 2.x, whose ids are ChainID and GroupID.
	Chain, Group string
}

// Status is a snapshot of the connection.
type Status struct {
	State    ConnState
	Endpoint string // the node connected to, or being tried
	Attempt  int    // reconnect attempt number while reconnecting
	LastErr  string // the last connection error, sanitised by the UI before display
	// Retry is the pause before the next connection attempt (0 while
	// connected or trying).
	Retry time.Duration
	Since time.Time // when State was entered
	Node  NodeInfo  // valid while connected
	// Resubscribed is the number of topics replayed to the node after the
	// latest reconnect (0 after the first connect).
	Resubscribed int
}

// Stats are the client's running totals.
type Stats struct {
	Received   uint64 // messages delivered to Events
	Dropped    uint64 // messages lost: Events was full, or the client fell behind the node (Behind)
	Behind     uint64 // of Dropped: pushes the guard dropped because the client fell behind the node
	Replied    uint64 // unicast requests answered
	Sent       uint64 // sends that succeeded
	Failed     uint64 // sends that returned an error
	Malformed  uint64 // frames from the node dropped by the guard as malformed (or answering nothing we sent)
	Late       uint64 // answers that came after the guard had given up on their send (normal on a real chain; reported as LateReplyEvents)
	Reserved   uint64 // AMOP frames on reserved topics dropped by the guard
	Oversize   uint64 // frames from the node over Config.MaxIncoming, dropped unread
	NotJoined  uint64 // pushes from the node on topics this client never joined, dropped
	Reconnects uint64 // node sessions re-established after a loss
}
