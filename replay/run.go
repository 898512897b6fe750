package replay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/amoptui/amoptui/amop"
)

// Sender is what Run sends with: the send calls of amop.Client.
type Sender interface {
	Unicast(ctx context.Context, topic string, data []byte) ([]byte, error)
	Multicast(ctx context.Context, topic string, data []byte) error
	UnicastPrivate(ctx context.Context, topic string, data []byte) ([]byte, error)
	MulticastPrivate(ctx context.Context, topic string, data []byte) error
}

// DefaultInFlight bounds the sends Run has under way at once.
const DefaultInFlight = 64

// Bounds of Options.Speed: from a thousand times slower than recorded to a
// thousand times faster. Past them a schedule means nothing (a gap of a
// millisecond becomes 17 minutes, or an hour a few milliseconds).
const (
	MinSpeed = 0.001
	MaxSpeed = 1000.0
)

// CheckSpeed says why x cannot be a replay speed, nil if it can: a finite
// number from MinSpeed to MaxSpeed (NaN and the infinities are not).
func CheckSpeed(x float64) error {
	if math.IsNaN(x) || x < MinSpeed || x > MaxSpeed {
		return fmt.Errorf("speed %v: want a number from %g to %g (2 replays twice as fast, 0.5 half as fast)", x, MinSpeed, MaxSpeed)
	}
	return nil
}

// Scaled is the recorded gap d at speed: d divided by speed, never below
// 0 and, where the quotient is past what a time.Duration holds, the
// longest one (math.MaxInt64) instead of an overflow.
func Scaled(d time.Duration, speed float64) time.Duration {
	f := float64(max(0, d)) / speed
	switch {
	case f >= float64(math.MaxInt64) || math.IsNaN(f):
		return math.MaxInt64
	case f <= 0:
		return 0
	}
	return time.Duration(f)
}

// Options configure Run.
type Options struct {
	// Speed divides the recorded gaps: 2 replays twice as fast (1 when 0).
	Speed float64
	// Fast ignores the recorded gaps: each message goes as soon as the
	// previous one has its answer (in order, one at a time).
	Fast bool
	// Timeout is each send's deadline (10 s when 0).
	Timeout time.Duration
	// To, when set, sends every message to this topic instead of its own.
	To string
	// InFlight bounds the sends under way (DefaultInFlight): a send whose
	// time has come while that many are waiting for answers goes late.
	InFlight int
}

// Result is the outcome of one replayed message.
type Result struct {
	Index, Total int     // 1-based position, and the count
	Msg          Message // as recorded (Topic is the one sent to)
	// Due is when it was due after the replay's start (the recorded
	// offset divided by the speed), Sent when it actually went.
	Due, Sent time.Duration
	Reply     []byte
	Err       error
	RTT       time.Duration
}

// Run sends msgs with their recorded spacing, each at its due time after
// the start; a send does not wait for the previous answer, so a slow reply
// does not shift the rest (up to Options.InFlight under way). It calls
// report for every result, from the calling goroutine, and returns the
// number of failed sends. A cancelled ctx stops it: messages not yet sent
// are not reported, and ctx's error is returned.
func Run(ctx context.Context, s Sender, msgs []Message, o Options, report func(Result)) (int, error) {
	if o.Speed == 0 {
		o.Speed = 1
	}
	if err := CheckSpeed(o.Speed); err != nil {
		return 0, fmt.Errorf("replay: %w", err)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.InFlight <= 0 {
		o.InFlight = DefaultInFlight
	}
	if o.Fast {
		o.InFlight = 1
	}
	if o.To != "" {
		if err := amop.ValidateTopic(o.To); err != nil {
			return 0, err
		}
	}
	results := make(chan Result, o.InFlight)
	inFlight, failed := 0, 0
	collect := func(r Result) {
		inFlight--
		if r.Err != nil {
			failed++
		}
		report(r)
	}
	// drain collects results until all sends are answered; a cancelled
	// ctx makes every send return by itself.
	drain := func() {
		for inFlight > 0 {
			collect(<-results)
		}
	}
	start := time.Now()
	var first time.Time
	if len(msgs) > 0 {
		first = msgs[0].At
	}
	timer := time.NewTimer(0)
	<-timer.C
	defer timer.Stop()
	for i, m := range msgs {
		var due time.Duration
		if !o.Fast {
			due = Scaled(m.At.Sub(first), o.Speed)
		}
		// Wait for the due time, collecting answers meanwhile.
		for {
			wait := due - time.Since(start)
			if wait <= 0 {
				break
			}
			timer.Reset(wait)
			select {
			case r := <-results:
				if !timer.Stop() {
					<-timer.C
				}
				collect(r)
			case <-timer.C:
			case <-ctx.Done():
				if !timer.Stop() {
					<-timer.C
				}
				drain()
				return failed, ctx.Err()
			}
		}
		for inFlight >= o.InFlight {
			collect(<-results)
		}
		if ctx.Err() != nil {
			drain()
			return failed, ctx.Err()
		}
		if o.To != "" {
			m.Topic = o.To
		}
		inFlight++
		r := Result{Index: i + 1, Total: len(msgs), Msg: m, Due: due, Sent: time.Since(start)}
		go func() { results <- send(ctx, s, r, o.Timeout) }()
	}
	drain()
	return failed, nil
}

// send sends one message and fills in its outcome.
func send(ctx context.Context, s Sender, r Result, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m := r.Msg
	t0 := time.Now()
	switch {
	case m.Private && m.Mode == amop.Multicast:
		r.Err = s.MulticastPrivate(ctx, m.Topic, m.Data)
	case m.Private:
		r.Reply, r.Err = s.UnicastPrivate(ctx, m.Topic, m.Data)
	case m.Mode == amop.Multicast:
		r.Err = s.Multicast(ctx, m.Topic, m.Data)
	default:
		r.Reply, r.Err = s.Unicast(ctx, m.Topic, m.Data)
	}
	r.RTT = time.Since(t0)
	if errors.Is(r.Err, context.DeadlineExceeded) {
		r.Err = fmt.Errorf("%w (%v)", amop.ErrTimeout, timeout)
	}
	return r
}

// Span is the recorded time from the first message to the last.
func Span(msgs []Message) time.Duration {
	if len(msgs) < 2 {
		return 0
	}
	return max(0, msgs[len(msgs)-1].At.Sub(msgs[0].At))
}
