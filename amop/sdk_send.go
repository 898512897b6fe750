package amop

// What is sent: unicast and multicast through go-sdk, bounded by the
// caller's deadline, late replies, and go-sdk's errors in plain words.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/amoptui/amoptui/amop/guard"
)

// Unicast implements Client.
func (a *SDK) Unicast(ctx context.Context, topic string, data []byte) ([]byte, error) {
	if err := ValidateTopic(topic); err != nil {
		return nil, err
	}
	return a.run(ctx, sendInfo{topic: topic, mode: Unicast}, data, func() ([]byte, error) {
		return a.conn.SendAMOPMsg(topic, data)
	})
}

// Multicast implements Client.
func (a *SDK) Multicast(ctx context.Context, topic string, data []byte) error {
	if err := ValidateTopic(topic); err != nil {
		return err
	}
	_, err := a.run(ctx, sendInfo{topic: topic, mode: Multicast}, data, func() ([]byte, error) {
		return nil, a.conn.BroadcastAMOPMsg(topic, data)
	})
	return err
}

// sendInfo describes a send for its errors and its late answer.
type sendInfo struct {
	topic   string
	mode    Mode
	private bool
}

// Outcomes of a go-sdk call racing its caller's deadline.
const (
	callWaiting   int32 = iota // neither has happened yet
	callTaken                  // the caller took the result
	callAbandoned              // the caller gave up; a result is a late answer
)

// run runs a go-sdk send call under ctx. go-sdk ignores contexts and would
// wait forever; the call runs on its own goroutine, which the guard's
// deadline releases shortly after ours. An answer that comes after the
// caller gave up is reported as a LateReplyEvent (late.go).
func (a *SDK) run(ctx context.Context, si sendInfo, data []byte, call func() ([]byte, error)) ([]byte, error) {
	if len(data) > a.cfg.MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), a.cfg.MaxPayload)
	}
	if a.isClosed() {
		return nil, ErrClosed
	}
	if a.g.IsDown() {
		// Refused for good (a certificate, the chain) or go-sdk's
		// connection lost: a send would only wait out its deadline.
		if st := a.g.Status(); st.State == guard.Down && st.Err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotConnected, st.Err)
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.cfg.SendTimeout)
		defer cancel()
	}
	type result struct {
		reply []byte
		err   error
	}
	start := time.Now()
	ls := &lateSend{topic: si.topic, mode: si.mode, private: si.private, start: start}
	var state atomic.Int32
	done := make(chan result, 1)
	go func() {
		reply, err := call()
		err = a.markPrivate(si, mapSDKError(si.topic, err))
		if state.CompareAndSwap(callWaiting, callTaken) {
			done <- result{reply, err}
			return
		}
		// The caller gave up (ls was written before it said so).
		a.lateResult(ls, reply, err)
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			ls.id = a.late.newID()
		}
		if !state.CompareAndSwap(callWaiting, callAbandoned) {
			r = <-done // the answer won the race after all
			break
		}
		if ls.id == 0 {
			r.err = fmt.Errorf("amop: send cancelled: %w", ctx.Err())
		} else {
			r.err = &TimeoutError{ID: ls.id, Topic: si.topic, After: time.Since(start)}
		}
	case <-a.done:
		// Closed meanwhile: a request the guard had not read before it
		// parked go-sdk's connection would never be answered.
		if !state.CompareAndSwap(callWaiting, callAbandoned) {
			r = <-done
			break
		}
		r.err = ErrClosed
	}
	var te *TimeoutError
	if errors.As(r.err, &te) && te.ticket != 0 && te.ID == 0 {
		// The guard gave up before our deadline and holds a ticket for
		// the node's answer.
		if ls.id == 0 {
			ls.id = a.late.newID()
		}
		te.ID, te.After = ls.id, time.Since(start)
		a.expectLate(te.ticket, *ls)
	}
	if r.err != nil {
		a.failed.Add(1)
	} else {
		a.sent.Add(1)
	}
	return r.reply, r.err
}

// lateResult handles what go-sdk returned for a send whose caller had
// already given up.
func (a *SDK) lateResult(ls *lateSend, reply []byte, err error) {
	if ls.id == 0 {
		return // cancelled or closed, not timed out: nobody waits for news
	}
	var te *TimeoutError
	var ce *CodeError
	switch {
	case err == nil:
		a.emitLate(*ls, guard.Late{Data: reply, Received: time.Now()})
	case errors.As(err, &te) && te.ticket != 0:
		a.expectLate(te.ticket, *ls)
	case errors.As(err, &ce):
		a.emitLate(*ls, guard.Late{Result: int32(ce.Code), Received: time.Now()})
	}
}

// markPrivate marks AMOP codes of a private send as answers about a private
// topic, whose "no subscriber" means no verified one.
func (a *SDK) markPrivate(si sendInfo, err error) error {
	var ce *CodeError
	if si.private && errors.As(err, &ce) {
		ce.Private = true
	}
	return err
}

var (
	codeRE   = regexp.MustCompile(`error code (\d+)`)
	resultRE = regexp.MustCompile(`response error: ?(-?\d+)`)
)

// mapSDKError turns go-sdk's error strings (the only form it gives) into the
// adapter's typed errors.
func mapSDKError(topic string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if m := codeRE.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.Atoi(m[1])
		return &CodeError{Code: code, Topic: topic}
	}
	if m := resultRE.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.Atoi(m[1])
		if t, ok := guard.DeadlineTicket(int64(code)); ok {
			return &TimeoutError{Topic: topic, ticket: t}
		}
		switch int32(code) {
		case guard.ResultNotConnected:
			return ErrNotConnected
		case guard.ResultDeadline:
			return ErrTimeout
		case guard.ResultLost:
			return ErrConnectionLost
		case guard.ResultMalformed:
			return ErrMalformedReply
		case guard.ResultOversize:
			return ErrReplyTooLarge
		case guard.ResultReserved:
			return &TopicError{Topic: topic, Reason: "the topic is reserved"}
		case guard.ResultClosed:
			return ErrClosed
		}
		return &CodeError{Code: code, Topic: topic}
	}
	if strings.Contains(msg, "connection unavailable") || strings.Contains(msg, "connection lost") {
		return ErrNotConnected
	}
	return fmt.Errorf("amop: %w", err)
}
