package amop_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// fast is guard timing for tests: quick liveness and retries, so restarts
// are survived in well under a second.
var fast = amop.GuardTuning{
	HeartbeatInterval: 200 * time.Millisecond, HeartbeatTimeout: 1500 * time.Millisecond,
	BackoffMin: 50 * time.Millisecond, BackoffMax: 400 * time.Millisecond,
	DialTimeout: 2 * time.Second,
}

func certConfig(dir string, endpoints ...string) amop.Config {
	return amop.Config{
		Endpoints: endpoints,
		CAFile:    filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key"),
		SendTimeout: 5 * time.Second, Guard: fast,
	}
}

// client connects an adapter to endpoints of n and waits for the session.
func client(t testing.TB, n *local.Network, mod func(*amop.Config), endpoints ...string) *amop.SDK {
	t.Helper()
	cfg := certConfig(n.CertDir(), endpoints...)
	if mod != nil {
		mod(&cfg)
	}
	a, err := amop.New(cfg)
	if err != nil {
		t.Fatalf("amop.New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return a
}

func waitSubs(t testing.TB, n *local.Network, topic string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, topic, want); err != nil {
		t.Fatal(err)
	}
}

// nextMessage returns the next MessageEvent within d, skipping other events.
func nextMessage(t testing.TB, a *amop.SDK, d time.Duration) *amop.MessageEvent {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-a.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if m, ok := ev.(*amop.MessageEvent); ok {
				return m
			}
		case <-timer.C:
			t.Fatalf("no message within %s", d)
			return nil
		}
	}
}

func ctxFor(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

func TestUnicastAndMulticastAcrossNodes(t *testing.T) {
	n := local.RunT(t, local.Options{})
	sub := client(t, n, func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy("pong") }, n.Addr(1))
	pub := client(t, n, nil, n.Addr(0))
	if err := sub.Join("hello"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "hello", 1)

	ctx, cancel := ctxFor(5 * time.Second)
	defer cancel()
	reply, err := pub.Unicast(ctx, "hello", []byte("ping"))
	if err != nil || string(reply) != "pong" {
		t.Fatalf("Unicast = %q, %v", reply, err)
	}
	m := nextMessage(t, sub, 5*time.Second)
	if m.Topic != "hello" || string(m.Data) != "ping" || m.Mode != amop.Unicast || !m.Replied || string(m.Reply) != "pong" {
		t.Fatalf("subscriber saw %+v", m)
	}
	if err := pub.Multicast(ctx, "hello", []byte("all")); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, sub, 5*time.Second); m.Mode != amop.Multicast || string(m.Data) != "all" || m.Replied {
		t.Fatalf("multicast seen as %+v", m)
	}
	st := pub.Status()
	if st.State != amop.StateConnected || st.Endpoint != n.Addr(0) || st.Node.ChainID != 1 || st.Node.Version != "2.9.0" {
		t.Fatalf("status %+v", st)
	}
}

func TestMulticastReachesEverySubscriberInOrder(t *testing.T) {
	n := local.RunT(t, local.Options{})
	var subs []*amop.SDK
	for i := 0; i < 3; i++ {
		s := client(t, n, nil, n.Addr(i%2))
		if err := s.Join("feed"); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	waitSubs(t, n, "feed", 3)
	pub := client(t, n, nil, n.Addr(0))
	const msgs = 300
	for i := 0; i < msgs; i++ {
		ctx, cancel := ctxFor(5 * time.Second)
		err := pub.Multicast(ctx, "feed", []byte(fmt.Sprint(i)))
		cancel()
		if err != nil {
			t.Fatalf("multicast %d: %v", i, err)
		}
	}
	for si, s := range subs {
		for i := 0; i < msgs; i++ {
			m := nextMessage(t, s, 5*time.Second)
			if string(m.Data) != fmt.Sprint(i) {
				t.Fatalf("subscriber %d: message %d is %q (out of order or lost)", si, i, m.Data)
			}
		}
	}
}

func TestNoSubscriberIsCode100(t *testing.T) {
	n := local.RunT(t, local.Options{})
	pub := client(t, n, nil, n.Addr(0))
	ctx, cancel := ctxFor(5 * time.Second)
	defer cancel()
	start := time.Now()
	_, err := pub.Unicast(ctx, "nobody", []byte("x"))
	if !errors.Is(err, &amop.CodeError{Code: amop.CodeNoSubscriber}) {
		t.Fatalf("got %v, want AMOP 100", err)
	}
	if !strings.Contains(err.Error(), `nobody is subscribed to "nobody"`) {
		t.Fatalf("plain-language text missing: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("100 took %s", d)
	}
	if s := pub.Stats(); s.Failed != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// deadAddr is a loopback address where nothing listens.
func deadAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestFailoverToTheNextEndpoint(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	a := client(t, n, nil, deadAddr(t), n.Addr(0))
	if st := a.Status(); st.Endpoint != n.Addr(0) {
		t.Fatalf("connected to %q, want %q", st.Endpoint, n.Addr(0))
	}
}

func TestSubscriptionSurvivesNodeRestarts(t *testing.T) {
	n := local.RunT(t, local.Options{})
	sub := client(t, n, nil, n.Addr(1))
	pub := client(t, n, nil, n.Addr(0))
	if err := sub.Join("hello"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "hello", 1)
	for round := 0; round < 3; round++ {
		if err := n.StopNode(1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if err := n.StartNode(1); err != nil {
			t.Fatal(err)
		}
		waitSubs(t, n, "hello", 1)
		ctx, cancel := ctxFor(5 * time.Second)
		msg := fmt.Sprintf("after restart %d", round)
		if err := pub.Multicast(ctx, "hello", []byte(msg)); err != nil {
			t.Fatal(err)
		}
		cancel()
		for {
			m := nextMessage(t, sub, 5*time.Second)
			if string(m.Data) == msg {
				break
			}
		}
		if st := sub.Status(); st.State != amop.StateConnected || st.Resubscribed != 1 {
			t.Fatalf("round %d: status %+v, want connected with 1 topic re-subscribed", round, st)
		}
	}
	if s := sub.Stats(); s.Reconnects != 3 {
		t.Fatalf("reconnects = %d, want 3", s.Reconnects)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestRestartsLeakNothingAndIdleIsQuiet(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a node 10 times")
	}
	n := local.RunT(t, local.Options{Nodes: 1})
	a := client(t, n, nil, n.Addr(0))
	if err := a.Join("hello"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "hello", 1)
	base := runtime.NumGoroutine()
	for i := 0; i < 10; i++ {
		if err := n.StopNode(0); err != nil {
			t.Fatal(err)
		}
		if err := n.StartNode(0); err != nil {
			t.Fatal(err)
		}
		waitSubs(t, n, "hello", 1)
	}
	ctx, cancel := ctxFor(10 * time.Second)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if g := runtime.NumGoroutine(); g > base+10 {
		t.Fatalf("goroutines grew from %d to %d over 10 restarts", base, g)
	}
	// Idle: a spinning go-sdk (its Close bug) would burn a whole core.
	time.Sleep(300 * time.Millisecond)
	before, start := cpuTime(), time.Now()
	time.Sleep(2 * time.Second)
	used, wall := cpuTime()-before, time.Since(start)
	if frac := float64(used) / float64(wall); frac > 0.05 {
		t.Fatalf("idle process used %.1f%% of a core", 100*frac)
	}
}

func TestFrozenNodeDetectedWithinTenSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the default liveness deadline")
	}
	n := local.RunT(t, local.Options{Nodes: 1})
	// Default guard timing: this is the promise to users.
	a := client(t, n, func(c *amop.Config) { c.Guard = amop.GuardTuning{BackoffMin: 50 * time.Millisecond} }, n.Addr(0))
	if err := n.Freeze(0); err != nil {
		t.Fatal(err)
	}
	defer n.Thaw(0)
	start := time.Now()
	for a.Status().State == amop.StateConnected {
		if time.Since(start) > 10*time.Second {
			t.Fatal("frozen node still seen as connected after 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("frozen node detected after %s: %s", time.Since(start).Round(time.Millisecond), a.Status().LastErr)
}

func TestUnicastInFlightWhenNodeDies(t *testing.T) {
	n := local.RunT(t, local.Options{})
	sub := client(t, n, nil, n.Addr(1))
	pub := client(t, n, nil, n.Addr(0))
	if err := sub.Join("slow"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "slow", 1)
	// The subscriber's node stops answering, so the request stays in flight;
	// then the publisher's node dies.
	if err := n.Freeze(1); err != nil {
		t.Fatal(err)
	}
	defer n.Thaw(1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = n.StopNode(0)
	}()
	ctx, cancel := ctxFor(4 * time.Second)
	defer cancel()
	start := time.Now()
	_, err := pub.Unicast(ctx, "slow", []byte("x"))
	if err == nil {
		t.Fatal("unicast succeeded through a dead node")
	}
	if d := time.Since(start); d > 4500*time.Millisecond {
		t.Fatalf("returned after %s, past its deadline", d)
	}
	if !errors.Is(err, amop.ErrConnectionLost) && !errors.Is(err, amop.ErrTimeout) {
		t.Fatalf("got %v", err)
	}
}

func topicFrame(t testing.TB, typ wire.Type, topic string, data string) []byte {
	t.Helper()
	seq := wire.NewSeq()
	raw, err := wire.EncodeTopicFrame(typ, &seq, 0, topic, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestMalformedFramesNeverReachGoSDK(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	a := client(t, n, nil, n.Addr(0))
	if err := a.Join("t"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "t", 1)
	seq := wire.NewSeq()
	overrun := (&wire.Frame{Type: wire.TypeMulticast, Seq: seq, Body: []byte{200, 't'}}).Encode()
	zeroLen := (&wire.Frame{Type: wire.TypeMulticast, Seq: seq, Body: []byte{0, 't'}}).Encode()
	unknown := (&wire.Frame{Type: 0x99, Seq: seq, Body: []byte("?")}).Encode()
	reserved := topicFrame(t, wire.TypeMulticast, "_block_notify_1", "boom")
	first, second := topicFrame(t, wire.TypeMulticast, "t", "one"), topicFrame(t, wire.TypeMulticast, "t", "two")
	pair := append(append([]byte{}, first...), second...)
	// go-sdk panics on overrun and reserved, allocates gigabytes on bad
	// lengths, and strands the second frame of a shared record for 30 s.
	if _, err := n.Inject(0, "t", [][]byte{overrun, zeroLen, unknown, reserved, pair}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, want := range []string{"one", "two"} {
		if m := nextMessage(t, a, 3*time.Second); string(m.Data) != want {
			t.Fatalf("got %q, want %q", m.Data, want)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the coalesced pair took %s", d)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		s := a.Stats()
		if s.Malformed >= 3 && s.Reserved >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: want 3 malformed and 1 reserved", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A length < 42 breaks the stream: the guard drops the session and
	// reconnects; the adapter stays up and keeps working.
	bad := make([]byte, wire.HeaderLen)
	bad[3] = 10
	if _, err := n.Inject(0, "t", [][]byte{bad}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	ctx, cancel := ctxFor(10 * time.Second)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "t", 1)
	if _, err := n.Inject(0, "t", [][]byte{topicFrame(t, wire.TypeMulticast, "t", "after")}); err != nil {
		t.Fatal(err)
	}
	for {
		if m := nextMessage(t, a, 5*time.Second); string(m.Data) == "after" {
			break
		}
	}
}

func TestFloodKeepsMemoryAndGoroutinesBounded(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	a := client(t, n, func(c *amop.Config) { c.EventBuffer = 256 }, n.Addr(0))
	if err := a.Join("flood"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "flood", 1)
	base := runtime.NumGoroutine()
	payload := strings.Repeat("x", 128)
	// 10,000 messages a second for two seconds, and nobody reads Events.
	var peak int
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				if g := runtime.NumGoroutine(); g > peak {
					peak = g
				}
			}
		}
	}()
	for tick := 0; tick < 20; tick++ {
		batch := make([][]byte, 1000)
		for i := range batch {
			batch[i] = topicFrame(t, wire.TypeMulticast, "flood", payload)
		}
		if _, err := n.Inject(0, "flood", batch); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if peak > base+50 {
		t.Fatalf("goroutines peaked at %d (base %d)", peak, base)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > 256<<20 {
		t.Fatalf("heap %d MiB after the flood", ms.HeapAlloc>>20)
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.Stats().Dropped == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no drops counted: %+v", a.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The drops are reported on the channel too.
	timeout := time.After(5 * time.Second)
	for reported := false; !reported; {
		select {
		case ev := <-a.Events():
			d, ok := ev.(*amop.DropEvent)
			reported = ok && d.Total > 0
		case <-timeout:
			t.Fatal("no DropEvent on the channel")
		}
	}
	t.Logf("stats after flood: %+v, peak goroutines %d (base %d), heap %d KiB", a.Stats(), peak, base, ms.HeapAlloc>>10)
}
