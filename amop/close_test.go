package amop_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// TestCloseSendsTheLastReply: a subscriber that closes as soon as it has
// seen a unicast request (`sub --count 1 --reply echo` does) still answers
// it. go-sdk encodes the 4 MiB echo after the message was handed on, byte
// by byte; Close used to give it a second and then cut the session, and
// the publisher got AMOP 104 (seen in CI under -race with 1 MiB).
func TestCloseSendsTheLastReply(t *testing.T) {
	n := local.RunT(t, local.Options{PushTimeout: time.Minute})
	sub := client(t, n, func(c *amop.Config) {
		c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyEcho}
		c.MaxIncoming = 16 << 20
	}, n.Addr(1))
	pub := client(t, n, func(c *amop.Config) { c.SendTimeout = time.Minute }, n.Addr(0))
	if err := sub.Join("last"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "last", 1)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
	type result struct {
		reply []byte
		err   error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := ctxFor(time.Minute)
		defer cancel()
		r, err := pub.Unicast(ctx, "last", payload)
		done <- result{r, err}
	}()
	m := nextMessage(t, sub, time.Minute)
	if !m.Replied || len(m.Data) != len(payload) {
		t.Fatalf("received %d bytes, replied %v", len(m.Data), m.Replied)
	}
	start := time.Now()
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	closed := time.Since(start)
	select {
	case r := <-done:
		if r.err != nil || !bytes.Equal(r.reply, payload) {
			t.Fatalf("the publisher got %d bytes, %v (Close took %v)", len(r.reply), r.err, closed)
		}
		t.Logf("Close waited %v for the 4 MiB answer", closed.Round(time.Millisecond))
	case <-time.After(90 * time.Second):
		t.Fatal("no answer for the publisher")
	}
}
