package amop_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// TestTopicListBurstOnARealChain: a real node hands each topic list (0x32)
// to a pool of 8 threads and applies whichever runs last (real-nodes.md
// rows 4 and 9), so two lists sent moments apart — the replay on connect
// and a join, or a TUI joining several topics at start — can leave the
// node with the older one. After a burst the latest list is sent once
// more, so every topic joined is known to the other node within the 5 s
// sync, however the pool ordered the burst.
func TestTopicListBurstOnARealChain(t *testing.T) {
	n := local.RunT(t, local.Options{Like: "2.9"})
	pub := client(t, n, nil, n.Addr(0))
	for round := 0; round < 3; round++ {
		sub := client(t, n, func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy("pong") }, n.Addr(1))
		topics := []string{}
		for i := 0; i < 4; i++ {
			topic := fmt.Sprintf("b%d-%d", round, i)
			topics = append(topics, topic)
			if err := sub.Join(topic); err != nil {
				t.Fatal(err)
			}
		}
		joined := time.Now()
		for _, topic := range topics {
			var err error
			for {
				ctx, cancel := ctxFor(5 * time.Second)
				_, err = pub.Unicast(ctx, topic, []byte("x"))
				cancel()
				if !errors.Is(err, &amop.CodeError{Code: amop.CodeNoSubscriber}) || time.Since(joined) > 12*time.Second {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("round %d: %s never reached its subscriber (%s after the joins): %v", round, topic, time.Since(joined).Round(time.Millisecond), err)
			}
		}
		sub.Close()
	}
}
