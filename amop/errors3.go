package amop

import (
	"fmt"
	"time"

	"github.com/amoptui/amoptui/amop/wire3"
)

// The codes a FISCO BCOS 3.x node answers an AMOP request with
// (fisco3-amop.md; wire3 has where each comes from). They do not overlap the
// 2.x codes (100–104), so CodeError tells them apart by value alone.
const (
	CodeNoPeer3          = wire3.CodeNoPeer              // 3001
	CodeNoClient3        = wire3.CodeNoClient            // 3002
	CodeSendFailed3      = wire3.CodeSendFailed          // 3003
	CodeTimeout3         = wire3.CodeWsTimeout           // -4008
	CodeSubscriberGone3  = wire3.CodeWsSessionDisconnect // -4006
	CodeTooLarge3        = wire3.CodeWsMessageOverflow   // -4011
	CodeAMOPUnavailable3 = wire3.CodeUnavailable         // -1
)

// TopicSync3Text is how long 3.x nodes may take to tell each other about a
// subscription (AMOPImpl TOPIC_SYNC_PERIOD, 2000 ms).
const TopicSync3Text = "2 s"

// SubscriberWait3 is how long a 3.x node waits for the subscriber it handed
// a unicast to before it answers the sender -4008 (CodeTimeout3; the
// WebSocket layer's 30 s request timeout, fisco3-amop.md).
const SubscriberWait3 = 30 * time.Second

// explain3 is CodeError.Explain for the 3.x codes; "" for others.
func explain3(code int, topic string) string {
	switch code {
	case CodeNoPeer3:
		return fmt.Sprintf("nobody is subscribed to %q on any reachable node, as far as this node knows: nobody joined it, "+
			"or a subscriber joined less than %s ago and its node has not told this one yet", topic, TopicSync3Text)
	case CodeNoClient3:
		return fmt.Sprintf("the node picked for %q had no subscriber left to hand it to (one left or disconnected less than %s ago), "+
			"or the subscriber it reached has left the topic", topic, TopicSync3Text)
	case CodeSendFailed3:
		return fmt.Sprintf("no node holding a subscriber of %q could be reached", topic)
	case wire3.CodeUnsupportedType:
		return "the node does not support this kind of message"
	case CodeAMOPUnavailable3:
		return "AMOP is not available on this node (its gateway is unreachable, or it is a read-only node)"
	case CodeTimeout3:
		return fmt.Sprintf("the subscriber of %q picked by the node did not answer within the node's %.0f s", topic, SubscriberWait3.Seconds())
	case CodeSubscriberGone3:
		return fmt.Sprintf("the subscriber of %q picked by the node disconnected before it answered", topic)
	case CodeTooLarge3:
		return "the message is larger than the node's 32 MiB limit"
	}
	if wire3.IsWsCode(code) {
		return fmt.Sprintf("the node's WebSocket layer failed to deliver it (error %d)", code)
	}
	return ""
}

// short3 is CodeError.Short for the 3.x codes; "" for others.
func short3(code int) string {
	switch code {
	case CodeNoPeer3:
		return "no subscriber"
	case CodeNoClient3:
		return "subscriber gone"
	case CodeSendFailed3:
		return "no node reachable"
	case CodeAMOPUnavailable3:
		return "AMOP unavailable"
	case CodeTimeout3:
		return "subscriber timeout"
	case CodeSubscriberGone3:
		return "subscriber disconnected"
	case CodeTooLarge3:
		return "too large for the node"
	}
	if wire3.IsWsCode(code) {
		return "delivery failed"
	}
	return ""
}
