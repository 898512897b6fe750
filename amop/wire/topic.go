package wire

// MaxTopicLen is the longest topic an AMOP body can carry: its length byte
// holds len(topic)+1, and go-sdk refuses anything longer.
const MaxTopicLen = 254

// DecodeTopic splits an AMOP body ([L = len(topic)+1][topic][data]) into its
// topic and data, both aliasing body. It rejects an empty body, L = 0 and an
// L that runs past the body: go-sdk v1.1.1 panics on the last one.
func DecodeTopic(body []byte) (topic, data []byte, err error) {
	if len(body) == 0 {
		return nil, nil, ErrEmptyBody
	}
	l := int(body[0])
	if l == 0 {
		return nil, nil, ErrTopicLength
	}
	if l > len(body) {
		return nil, nil, &Error{Kind: KindTopicOverrun, Length: uint64(l), Limit: len(body)}
	}
	return body[1:l:l], body[l:], nil
}

// TopicBodyLen is the size of the AMOP body for topic and a payload of
// dataLen bytes.
func TopicBodyLen(topic string, dataLen int) int { return 1 + len(topic) + dataLen }

// AppendTopicBody appends an AMOP body to dst.
func AppendTopicBody(dst []byte, topic string, data []byte) ([]byte, error) {
	if len(topic) > MaxTopicLen {
		return dst, &Error{Kind: KindTopicTooLong, Length: uint64(len(topic))}
	}
	dst = append(dst, byte(len(topic)+1))
	dst = append(dst, topic...)
	return append(dst, data...), nil
}

// EncodeTopicFrame encodes a whole AMOP frame (header and topic body) in one
// allocation.
func EncodeTopicFrame(typ Type, seq *Seq, result int32, topic string, data []byte) ([]byte, error) {
	if len(topic) > MaxTopicLen {
		return nil, &Error{Kind: KindTopicTooLong, Length: uint64(len(topic))}
	}
	bodyLen := TopicBodyLen(topic, len(data))
	buf := make([]byte, 0, HeaderLen+bodyLen)
	buf = AppendHeader(buf, typ, seq, result, bodyLen)
	return AppendTopicBody(buf, topic, data)
}

// Topic-name prefixes with a meaning in the protocol. They are defined here,
// once, because the node side (local), the guard and the adapter all act on
// them.
const (
	// BlockNotifyPrefix starts the topic of block notifications
	// (_block_notify_<group>); go-sdk registers a nil handler for it and
	// crashes on an AMOP message to it.
	BlockNotifyPrefix = "_block_notify_"
	// InternalPrefix starts every topic go-sdk uses internally for private
	// topics.
	InternalPrefix = "#!$"
	// NeedVerifyPrefix starts a private topic's name on the wire: the topic
	// its messages travel on.
	NeedVerifyPrefix = "#!$TopicNeedVerify_"
	// VerifyChannelPrefix starts a subscriber's challenge topic:
	// VerifyChannelPrefix + NeedVerifyPrefix + topic + "_" + 32 hex digits.
	VerifyChannelPrefix = "#!$VerifyChannel_"
	// PushChannelPrefix starts a publisher's topic, on which nodes send it
	// verification requests: PushChannelPrefix + NeedVerifyPrefix + topic.
	PushChannelPrefix = "#!$PushChannel_"
)
