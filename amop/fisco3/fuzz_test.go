package fisco3_test

import (
	"context"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/fisco3"
	"github.com/amoptui/amoptui/amop/local3"
	"github.com/amoptui/amoptui/amop/wire3"
)

// FuzzNodeMessages writes fuzzed messages from a node into a running
// client's session (each input cut into messages at its 0xff bytes): the
// client never panics, nothing but its own topic reaches Events, and it
// still answers a unicast afterwards. The seed corpus in
// testdata/fuzz/FuzzNodeMessages replays in plain go test.
func FuzzNodeMessages(f *testing.F) {
	req, _ := (&wire3.Request{Topic: "f", Data: []byte("x")}).Encode()
	push, _ := (&wire3.Message{Type: wire3.TypeRequest, Seq: "0123456789abcdef0123456789abcdef", Payload: req}).Encode()
	other, _ := (&wire3.Request{Topic: "other", Data: []byte("x")}).Encode()
	stray, _ := (&wire3.Message{Type: wire3.TypeBroadcast, Payload: other}).Encode()
	f.Add(push)
	f.Add(stray)
	f.Add([]byte{0, 0, 1, 0x13, 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0xff, 0, 0})
	n, err := local3.Start(local3.Options{CertDir: certs})
	if err != nil {
		f.Fatal(err)
	}
	defer n.Close()
	victim := fuzzClient(f, n, 1, amop.ReplyPolicy{Mode: amop.ReplyEcho})
	defer victim.Close()
	victim.Join("f")
	pub := fuzzClient(f, n, 0, amop.ReplyPolicy{})
	defer pub.Close()
	f.Fuzz(func(t *testing.T, b []byte) {
		var msgs [][]byte
		start := 0
		for i, x := range b {
			if x == 0xff {
				msgs = append(msgs, b[start:i])
				start = i + 1
			}
		}
		msgs = append(msgs, b[start:])
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := n.WaitSubscribers(ctx, "f", 1); err != nil {
			t.Fatal(err)
		}
		n.Inject(1, "f", msgs)
		for {
			select {
			case ev := <-victim.Events():
				if m, ok := ev.(*amop.MessageEvent); ok && m.Topic != "f" {
					t.Fatalf("a message for %q reached Events", m.Topic)
				}
				continue
			default:
			}
			break
		}
		for {
			if err := n.WaitSubscribers(ctx, "f", 1); err != nil {
				t.Fatal(err)
			}
			reply, err := pub.Unicast(ctx, "f", []byte("alive?"))
			if err == nil && string(reply) == "alive?" {
				return
			}
			if ctx.Err() != nil {
				t.Fatalf("the client does not answer any more: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func fuzzClient(f *testing.F, n *local3.Network, node int, p amop.ReplyPolicy) *fisco3.Client {
	cfg := config(n.CertDir(), n.Addr(node))
	cfg.AutoReply = p
	c, err := fisco3.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		f.Fatal(err)
	}
	return c
}
