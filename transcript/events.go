package transcript

import (
	"errors"
	"fmt"
	"time"

	"github.com/amoptui/amoptui/amop"
)

// Sent is the record of a message about to be sent; id (> 0) links it to
// its Result.
func Sent(id uint64, topic string, mode amop.Mode, data []byte) Record {
	return Record{Kind: KindSent, ID: id, Topic: topic, Mode: mode.String(), Data: nonNil(data)}
}

// Result is the outcome of send id: for a unicast the reply, for a
// multicast the node's acceptance, with the round-trip time; or err, kept
// as its plain-language text and AMOP status code.
func Result(id uint64, topic string, mode amop.Mode, reply []byte, rtt time.Duration, err error) Record {
	r := Record{Kind: KindResult, ID: id, Topic: topic, Mode: mode.String(), RTT: rtt}
	if err != nil {
		r.Error = err.Error()
		var ce *amop.CodeError
		if errors.As(err, &ce) {
			r.Code = ce.Code
		}
		return r
	}
	r.OK = true
	if mode == amop.Unicast {
		r.Reply = nonNil(reply)
	}
	return r
}

// Received is the record of an incoming message, with the auto-reply sent
// for a unicast request.
func Received(ev *amop.MessageEvent) Record {
	r := Record{Time: ev.At, Kind: KindReceived, Topic: ev.Topic, Mode: ev.Mode.String(), Data: nonNil(ev.Data), Private: ev.Private}
	if ev.Replied {
		r.Replied, r.Reply = true, nonNil(ev.Reply)
	}
	if ev.ReplyErr != "" {
		r.Error = "auto-reply failed: " + ev.ReplyErr
	}
	return r
}

// State is the record of a connection state change.
func State(s amop.Status) Record {
	r := Record{Time: s.Since, Kind: KindState, State: s.State.String(), Node: s.Endpoint, Attempt: s.Attempt, Error: s.LastErr}
	if s.State == amop.StateConnected && s.Resubscribed > 0 {
		r.Text = fmt.Sprintf("re-subscribed %d topics", s.Resubscribed)
	}
	return r
}

// Drop is the record of lost messages; its text says how many of them were
// lost because the client fell behind the node rather than because the UI
// could not keep up.
func Drop(ev *amop.DropEvent) Record {
	r := Record{Kind: KindDrop, Dropped: ev.Dropped, Total: ev.Total}
	if ev.Behind > 0 {
		r.Text = fmt.Sprintf("%d of them because the client fell behind the node", ev.Behind)
	}
	return r
}

// nonNil keeps an empty payload distinct from no payload in the record.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
