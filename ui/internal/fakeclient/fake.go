// Package fakeclient is a test double of amop.Client for the UI's unit
// tests and benchmarks: it records calls, answers sends with what the test
// scripted, and lets the test push events. End-to-end tests use the real
// adapter against amop/local instead.
package fakeclient

import (
	"context"
	"sync"

	"github.com/amoptui/amoptui/amop"
)

// Call is one recorded send.
type Call struct {
	Topic   string
	Mode    amop.Mode
	Data    []byte
	Private bool // UnicastPrivate or MulticastPrivate
}

// PrivateCall is one recorded JoinPrivate, PublishPrivate or LeavePrivate.
type PrivateCall struct {
	Op      string // "join", "publish" or "leave"
	Topic   string
	Key     *amop.PrivateKey
	Allowed []*amop.PublicKey
}

// Client is the test double. The zero value is not usable; call New.
type Client struct {
	mu      sync.Mutex
	events  chan amop.Event
	topics  []string
	policy  map[string]amop.ReplyPolicy
	status  amop.Status
	sends   []Call
	joins   []string
	leaves  []string
	private []PrivateCall
	closed  bool
	closeMu sync.Once

	// Reply answers a unicast; nil answers "pong".
	Reply func(topic string, data []byte) ([]byte, error)
	// Err, when set, fails every send with it.
	Err error
	// Block makes sends wait for their context (to test timeouts).
	Block bool
	// JoinErr fails every Join.
	JoinErr error
}

// New returns a connected fake whose Events channel holds buf events.
func New(buf int) *Client {
	return &Client{
		events: make(chan amop.Event, buf),
		policy: map[string]amop.ReplyPolicy{},
		status: amop.Status{
			State: amop.StateConnected, Endpoint: "127.0.0.1:20200",
			Node: amop.NodeInfo{Version: "2.9.0", BuildType: "amoptui local network · ideal", ChainID: 1, GroupID: 1},
		},
	}
}

// Push delivers ev on Events (blocking when the buffer is full).
func (c *Client) Push(ev amop.Event) { c.events <- ev }

// SetStatus changes what Status returns (push a StateEvent to tell the UI).
func (c *Client) SetStatus(st amop.Status) {
	c.mu.Lock()
	c.status = st
	c.mu.Unlock()
}

// Sends returns the sends made so far.
func (c *Client) Sends() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Call(nil), c.sends...)
}

// Joins returns the topics joined so far, in order.
func (c *Client) Joins() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.joins...)
}

// Leaves returns the topics left so far, in order.
func (c *Client) Leaves() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.leaves...)
}

// Join implements amop.Client.
func (c *Client) Join(topic string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.joins = append(c.joins, topic)
	if c.JoinErr != nil {
		return c.JoinErr
	}
	for _, t := range c.topics {
		if t == topic {
			return nil
		}
	}
	c.topics = append(c.topics, topic)
	return nil
}

// Leave implements amop.Client.
func (c *Client) Leave(topic string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leaves = append(c.leaves, topic)
	for i, t := range c.topics {
		if t == topic {
			c.topics = append(c.topics[:i], c.topics[i+1:]...)
			break
		}
	}
	return nil
}

// Topics implements amop.Client.
func (c *Client) Topics() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.topics...)
}

func (c *Client) send(ctx context.Context, topic string, mode amop.Mode, data []byte, private bool) ([]byte, error) {
	c.mu.Lock()
	c.sends = append(c.sends, Call{Topic: topic, Mode: mode, Data: append([]byte(nil), data...), Private: private})
	block, err, reply := c.Block, c.Err, c.Reply
	c.mu.Unlock()
	if block {
		<-ctx.Done()
		return nil, amop.ErrTimeout
	}
	if err != nil {
		return nil, err
	}
	if mode == amop.Multicast {
		return nil, nil
	}
	if reply != nil {
		return reply(topic, data)
	}
	return []byte("pong"), nil
}

// Unicast implements amop.Client.
func (c *Client) Unicast(ctx context.Context, topic string, data []byte) ([]byte, error) {
	return c.send(ctx, topic, amop.Unicast, data, false)
}

// Multicast implements amop.Client.
func (c *Client) Multicast(ctx context.Context, topic string, data []byte) error {
	_, err := c.send(ctx, topic, amop.Multicast, data, false)
	return err
}

// PrivateCalls returns the private-topic calls made so far, in order.
func (c *Client) PrivateCalls() []PrivateCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]PrivateCall(nil), c.private...)
}

// JoinPrivate implements amop.Client; it fails with JoinErr.
func (c *Client) JoinPrivate(topic string, key *amop.PrivateKey) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.private = append(c.private, PrivateCall{Op: "join", Topic: topic, Key: key})
	return c.JoinErr
}

// PublishPrivate implements amop.Client; it fails with JoinErr.
func (c *Client) PublishPrivate(topic string, allowed []*amop.PublicKey) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.private = append(c.private, PrivateCall{Op: "publish", Topic: topic, Allowed: allowed})
	return c.JoinErr
}

// LeavePrivate implements amop.Client.
func (c *Client) LeavePrivate(topic string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.private = append(c.private, PrivateCall{Op: "leave", Topic: topic})
	return nil
}

// UnicastPrivate implements amop.Client.
func (c *Client) UnicastPrivate(ctx context.Context, topic string, data []byte) ([]byte, error) {
	return c.send(ctx, topic, amop.Unicast, data, true)
}

// MulticastPrivate implements amop.Client.
func (c *Client) MulticastPrivate(ctx context.Context, topic string, data []byte) error {
	_, err := c.send(ctx, topic, amop.Multicast, data, true)
	return err
}

// SetAutoReply implements amop.Client.
func (c *Client) SetAutoReply(topic string, p amop.ReplyPolicy) {
	c.mu.Lock()
	c.policy[topic] = p
	c.mu.Unlock()
}

// AutoReply implements amop.Client.
func (c *Client) AutoReply(topic string) amop.ReplyPolicy {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.policy[topic]; ok {
		return p
	}
	return c.policy[""]
}

// Events implements amop.Client.
func (c *Client) Events() <-chan amop.Event { return c.events }

// Status implements amop.Client.
func (c *Client) Status() amop.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Stats implements amop.Client.
func (c *Client) Stats() amop.Stats { return amop.Stats{} }

// Close implements amop.Client: Events is closed.
func (c *Client) Close() error {
	c.closeMu.Do(func() { close(c.events) })
	return nil
}
