package fisco3

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/wire3"
)

// Join implements amop.Client: the whole list goes to the node at once
// (and again after every reconnect); nodes do not answer it.
func (c *Client) Join(topic string) error {
	if err := amop.ValidateTopic(topic); err != nil {
		return err
	}
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if c.isClosed() {
		return amop.ErrClosed
	}
	if slices.Contains(c.topics, topic) {
		return nil
	}
	c.topics = append(c.topics, topic)
	c.sendTopicsLocked()
	return nil
}

// Leave implements amop.Client. A v3.16.4 node keeps the topic in its
// table until the session ends; its requests are answered with status 3002
// meanwhile (see recv.go).
func (c *Client) Leave(topic string) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if c.isClosed() {
		return amop.ErrClosed
	}
	i := slices.Index(c.topics, topic)
	if i < 0 {
		return fmt.Errorf("%w to %q", amop.ErrNotJoined, topic)
	}
	c.topics = slices.Delete(c.topics, i, i+1)
	c.sendTopicsLocked()
	return nil
}

// sendTopicsLocked sends the topic list on the current session; subMu is
// held. A failed write ends the session, and the next one sends the list.
func (c *Client) sendTopicsLocked() {
	c.mu.Lock()
	s := c.cur
	c.mu.Unlock()
	if s == nil {
		return
	}
	if err := s.send(wire3.Message{Type: wire3.TypeSubTopic, Seq: newSeq(), Payload: wire3.Topics{Topics: c.topics}.Encode()}, time.Now().Add(writeTimeout)); err != nil {
		s.fail(err)
	}
}

func (c *Client) joined(topic string) bool {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	return slices.Contains(c.topics, topic)
}

// Topics implements amop.Client.
func (c *Client) Topics() []string {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	return slices.Clone(c.topics)
}

// SetAutoReply implements amop.Client.
func (c *Client) SetAutoReply(topic string, p amop.ReplyPolicy) {
	c.replyMu.Lock()
	defer c.replyMu.Unlock()
	if topic == "" {
		c.defRep = p
		return
	}
	c.replies[topic] = p
}

// AutoReply implements amop.Client.
func (c *Client) AutoReply(topic string) amop.ReplyPolicy {
	c.replyMu.RLock()
	defer c.replyMu.RUnlock()
	if p, ok := c.replies[topic]; ok {
		return p
	}
	return c.defRep
}

// JoinPrivate implements amop.Client: 3.x has no private topics.
func (c *Client) JoinPrivate(string, *amop.PrivateKey) error { return amop.ErrNoPrivateTopics }

// PublishPrivate implements amop.Client: 3.x has no private topics.
func (c *Client) PublishPrivate(string, []*amop.PublicKey) error { return amop.ErrNoPrivateTopics }

// LeavePrivate implements amop.Client: 3.x has no private topics.
func (c *Client) LeavePrivate(string) error { return amop.ErrNoPrivateTopics }

// UnicastPrivate implements amop.Client: 3.x has no private topics.
func (c *Client) UnicastPrivate(context.Context, string, []byte) ([]byte, error) {
	return nil, amop.ErrNoPrivateTopics
}

// MulticastPrivate implements amop.Client: 3.x has no private topics.
func (c *Client) MulticastPrivate(context.Context, string, []byte) error {
	return amop.ErrNoPrivateTopics
}
