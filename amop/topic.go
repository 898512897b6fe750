package amop

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/amoptui/amoptui/amop/wire"
)

// MaxTopicBytes is the longest topic AMOP carries, in bytes of UTF-8: a CJK
// topic reaches it at about 84 characters.
const MaxTopicBytes = 254

// Reserved topic prefixes: go-sdk uses them internally (block notifications
// and the helper topics of private topics), and a message on them crashes
// go-sdk receivers.
const (
	BlockNotifyPrefix = wire.BlockNotifyPrefix
	PrivatePrefix     = wire.InternalPrefix
)

// ValidateTopic checks a topic once, before anything is sent: non-empty,
// valid UTF-8, at most 254 bytes, free of control characters (a tab would
// corrupt the nodes' tab-separated topic sync), and not reserved.
func ValidateTopic(topic string) error {
	switch {
	case topic == "":
		return &TopicError{Topic: topic, Reason: "it is empty", Short: "empty topic"}
	case !utf8.ValidString(topic):
		return &TopicError{Topic: topic, Reason: "it is not valid UTF-8", Short: "topic is not valid UTF-8"}
	case len(topic) > MaxTopicBytes:
		return &TopicError{Topic: topic, Reason: "it is longer than 254 bytes",
			Short: "topic too long: " + strconv.Itoa(len(topic)) + " bytes, at most " + strconv.Itoa(MaxTopicBytes)}
	case strings.HasPrefix(topic, BlockNotifyPrefix):
		return &TopicError{Topic: topic, Reason: "the prefix " + BlockNotifyPrefix + " is reserved for block notifications",
			Short: "reserved topic prefix " + BlockNotifyPrefix + " (block notifications)"}
	case strings.HasPrefix(topic, PrivatePrefix):
		return &TopicError{Topic: topic, Reason: "the prefix " + PrivatePrefix + " is reserved for private-topic helpers",
			Short: "reserved topic prefix " + PrivatePrefix + " (private-topic helpers)"}
	}
	for _, r := range topic {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return &TopicError{Topic: topic, Reason: "it contains control characters", Short: "control character in topic"}
		}
	}
	return nil
}

// The helper-topic prefixes go-sdk v1.1.1 builds a private topic T with
// (amop-protocol.md §3): messages travel on NeedVerifyPrefix+T; a
// subscriber also subscribes its challenge topic VerifyChannelPrefix +
// NeedVerifyPrefix + T + "_" + 32 hex digits; a publisher subscribes
// PushChannelPrefix + NeedVerifyPrefix + T.
const (
	NeedVerifyPrefix    = wire.NeedVerifyPrefix
	VerifyChannelPrefix = wire.VerifyChannelPrefix
	PushChannelPrefix   = wire.PushChannelPrefix
	// challengeSuffixLen is "_" and a UUID without its dashes.
	challengeSuffixLen = 1 + 32
)

// Private topic length limits in bytes, derived from go-sdk v1.1.1's
// conn/channel.go so that a too-long name fails up front with a reason
// instead of deep inside go-sdk, or silently.
const (
	// MaxPrivateSubscriberTopic is the longest private topic a subscriber
	// can join: its challenge topic must fit MaxTopicBytes (go-sdk's
	// subscribePrivateTopic refuses it otherwise): 254−17−19−33 = 185.
	// Sends use it too: nobody can subscribe to a longer private topic.
	MaxPrivateSubscriberTopic = MaxTopicBytes - len(VerifyChannelPrefix) - len(NeedVerifyPrefix) - challengeSuffixLen
	// MaxPrivatePublisherTopic is the longest private topic a publisher can
	// verify subscribers of: answering a node's 0x37, go-sdk prefixes the
	// subscriber's challenge topic with VerifyChannelPrefix once more, and
	// when that exceeds 254 bytes it silently never answers, so subscribers
	// stay unverified for ever (go-sdk's own publish check allows 185):
	// 185−17 = 168.
	MaxPrivatePublisherTopic = MaxPrivateSubscriberTopic - len(VerifyChannelPrefix)
)

// PrivateRole is a client's part in a private topic.
type PrivateRole uint8

// The two roles. A client may take both on one topic, but it is never
// verified by itself: the node never routes a client's challenge to itself.
const (
	// PrivateSubscriber holds a private key and proves it when challenged;
	// nodes deliver the topic's messages only to verified subscribers.
	PrivateSubscriber PrivateRole = iota
	// PrivatePublisher holds the allowed public keys and checks the
	// subscribers the node asks it to.
	PrivatePublisher
)

// String returns "subscriber" or "publisher".
func (r PrivateRole) String() string {
	if r == PrivatePublisher {
		return "publisher"
	}
	return "subscriber"
}

// ValidatePrivateTopic checks the name of a private topic (without any
// prefix) for role: an ordinary topic's rules (ValidateTopic) and the
// role's length limit. Sends to a private topic are checked as a
// subscriber's.
func ValidatePrivateTopic(topic string, role PrivateRole) error {
	if err := ValidateTopic(topic); err != nil {
		return err
	}
	limit := MaxPrivateSubscriberTopic
	why := "its go-sdk challenge topic " + VerifyChannelPrefix + NeedVerifyPrefix + "…_<uuid> must fit 254 bytes"
	if role == PrivatePublisher {
		limit = MaxPrivatePublisherTopic
		why = "go-sdk cannot answer the node's verification requests for longer names"
	}
	if len(topic) > limit {
		return &TopicError{Topic: topic, Reason: "a private topic's " + role.String() + " allows at most " +
			strconv.Itoa(limit) + " bytes, this one has " + strconv.Itoa(len(topic)) + ": " + why,
			Short: "private topic too long: " + strconv.Itoa(len(topic)) + " bytes, a " + role.String() + " takes at most " + strconv.Itoa(limit) + " (" + why + ")"}
	}
	return nil
}
