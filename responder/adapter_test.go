package responder_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/responder"
)

// pair connects a subscriber (node 1) and a publisher (node 0) of n through
// the real adapter.
func pair(t *testing.T, n *local.Network) (sub, pub *amop.SDK) {
	t.Helper()
	mk := func(ep string) *amop.SDK {
		dir := n.CertDir()
		a, err := amop.New(amop.Config{Endpoints: []string{ep}, SendTimeout: 8 * time.Second,
			CAFile: filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
		return a
	}
	return mk(n.Addr(1)), mk(n.Addr(0))
}

func nextMessage(t *testing.T, a *amop.SDK, topic string) *amop.MessageEvent {
	t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	for {
		select {
		case ev := <-a.Events():
			if m, ok := ev.(*amop.MessageEvent); ok && m.Topic == topic {
				return m
			}
		case <-timer.C:
			t.Fatalf("no message on %s", topic)
		}
	}
}

// TestExecThroughTheAdapter runs a responder inside go-sdk's handler over
// real TLS to the local network: the reply is the command's stdout, the
// seq in its environment is the frame's, a failure is an empty reply with
// the reason in the event, and a slow responder on one topic does not hold
// up another topic.
func TestExecThroughTheAdapter(t *testing.T) {
	n := local.RunT(t, local.Options{})
	sub, pub := pair(t, n)
	upper, _, err := responder.NewExec(responder.ExecOptions{Command: `sh -c 'printf "%s:" "$AMOP_SEQ"; tr a-z A-Z'`})
	if err != nil {
		t.Fatal(err)
	}
	fail, _, _ := responder.NewExec(responder.ExecOptions{Command: "sh -c 'echo nope >&2; exit 2'"})
	slow, _, _ := responder.NewExec(responder.ExecOptions{Command: "sleep 2"})
	sub.SetAutoReply("svc", amop.ReplyPolicy{Mode: amop.ReplyFunc, Responder: upper})
	sub.SetAutoReply("bad", amop.ReplyPolicy{Mode: amop.ReplyFunc, Responder: fail})
	sub.SetAutoReply("slow", amop.ReplyPolicy{Mode: amop.ReplyFunc, Responder: slow})
	for _, tp := range []string{"svc", "bad", "slow"} {
		if err := sub.Join(tp); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tp := range []string{"svc", "bad", "slow"} {
		if err := n.WaitSubscribers(ctx, tp, 1); err != nil {
			t.Fatal(err)
		}
	}

	reply, err := pub.Unicast(ctx, "svc", []byte("hello; $(rm -rf /)"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}:HELLO; \$\(RM -RF /\)$`).Match(reply) {
		t.Fatalf("reply %q", reply)
	}
	m := nextMessage(t, sub, "svc")
	if !m.Replied || string(m.Reply) != string(reply) || m.ReplyErr != "" {
		t.Fatalf("event %+v", m)
	}

	reply, err = pub.Unicast(ctx, "bad", []byte("x"))
	if err != nil || len(reply) != 0 {
		t.Fatalf("failing responder: %q, %v", reply, err)
	}
	if m := nextMessage(t, sub, "bad"); !strings.Contains(m.ReplyErr, "exit status 2: nope") || m.Replied {
		t.Fatalf("event %+v", m)
	}

	// The slow topic is busy for 2 s; svc answers meanwhile.
	slowDone := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		_, _ = pub.Unicast(ctx, "slow", []byte("x"))
		slowDone <- time.Since(start)
	}()
	time.Sleep(200 * time.Millisecond) // let the slow request reach its responder
	start := time.Now()
	if _, err := pub.Unicast(ctx, "svc", []byte("quick")); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Fatalf("svc waited %v behind the slow topic", took)
	}
	select {
	case d := <-slowDone:
		if d < 1500*time.Millisecond {
			t.Fatalf("the slow responder answered in %v", d)
		}
	case <-ctx.Done():
		t.Fatal("slow request never answered")
	}
}
