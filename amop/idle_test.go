package amop_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// TestLargeMessageAfterQuiet: a message larger than a write batch (64 KiB)
// after more than the guard's write timeouts of quiet (5 s toward the
// node, 10 s toward go-sdk) goes through both ways. The guard used to
// write it inside a batch under the deadline of the last write, long
// past: the subscriber's guard declared go-sdk wedged ("restart amoptui")
// and dropped everything after, and the publisher's redialled.
func TestLargeMessageAfterQuiet(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 11 s of quiet")
	}
	n := local.RunT(t, local.Options{})
	sub := client(t, n, func(c *amop.Config) { c.AutoReply = amop.ReplyPolicy{Mode: amop.ReplyEcho} }, n.Addr(1))
	pub := client(t, n, func(c *amop.Config) { c.SendTimeout = 20 * time.Second }, n.Addr(0))
	if err := sub.Join("quiet"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "quiet", 1)
	// One small exchange, then quiet past both write timeouts.
	ctx, cancel := ctxFor(10 * time.Second)
	defer cancel()
	if _, err := pub.Unicast(ctx, "quiet", []byte("warm")); err != nil {
		t.Fatal(err)
	}
	nextMessage(t, sub, 5*time.Second)
	time.Sleep(11 * time.Second)
	big := bytes.Repeat([]byte("abcdefgh"), 128<<10/8)
	ctx2, cancel2 := ctxFor(20 * time.Second)
	defer cancel2()
	reply, err := pub.Unicast(ctx2, "quiet", big)
	if err != nil || !bytes.Equal(reply, big) {
		t.Fatalf("128 KiB unicast after 11 s of quiet: %d bytes back, %v; subscriber %+v", len(reply), err, sub.Status())
	}
	if m := nextMessage(t, sub, 5*time.Second); len(m.Data) != len(big) {
		t.Fatalf("the subscriber got %d bytes", len(m.Data))
	}
	if err := pub.Multicast(ctx2, "quiet", big); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, sub, 5*time.Second); len(m.Data) != len(big) || sub.Status().State != amop.StateConnected {
		t.Fatalf("multicast: %d bytes, subscriber %+v", len(m.Data), sub.Status())
	}
}
