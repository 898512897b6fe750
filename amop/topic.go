package amop

import (
	"strings"
	"unicode/utf8"
)

// MaxTopicBytes is the longest topic AMOP carries, in bytes of UTF-8: a CJK
// topic reaches it at about 84 characters.
const MaxTopicBytes = 254

// Reserved topic prefixes: go-sdk uses them internally (block notifications
// and the helper topics of private topics), and a message on them crashes
// go-sdk receivers.
const (
	BlockNotifyPrefix = "_block_notify_"
	PrivatePrefix     = "#!$"
)

// ValidateTopic checks a topic once, before anything is sent: non-empty,
// valid UTF-8, at most 254 bytes, free of control characters (a tab would
// corrupt the nodes' tab-separated topic sync), and not reserved.
func ValidateTopic(topic string) error {
	switch {
	case topic == "":
		return &TopicError{Topic: topic, Reason: "it is empty"}
	case !utf8.ValidString(topic):
		return &TopicError{Topic: topic, Reason: "it is not valid UTF-8"}
	case len(topic) > MaxTopicBytes:
		return &TopicError{Topic: topic, Reason: "it is longer than 254 bytes"}
	case strings.HasPrefix(topic, BlockNotifyPrefix):
		return &TopicError{Topic: topic, Reason: "the prefix " + BlockNotifyPrefix + " is reserved for block notifications"}
	case strings.HasPrefix(topic, PrivatePrefix):
		return &TopicError{Topic: topic, Reason: "the prefix " + PrivatePrefix + " is reserved for private-topic helpers"}
	}
	for _, r := range topic {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return &TopicError{Topic: topic, Reason: "it contains control characters"}
		}
	}
	return nil
}
