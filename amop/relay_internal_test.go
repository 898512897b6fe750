package amop

import (
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

// TestRelayCarriesGoSDK: the benchmarks' floor of the guard's design — go-sdk
// through a guard.Relay, two TLS sockets and nothing between — really
// carries AMOP both ways: a unicast across two nodes gets its subscriber's
// reply, and a multicast reaches the subscriber. A relay that dropped or
// merged records would make the floor look lower than it is.
func TestRelayCarriesGoSDK(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 2})
	dir := n.CertDir()
	cfg := func(i int) Config {
		return Config{Endpoints: []string{n.Addr(i)},
			CAFile: dir + "/ca.crt", CertFile: dir + "/sdk.crt", KeyFile: dir + "/sdk.key"}
	}
	sub, err := DialRelayed(cfg(1))
	if err != nil {
		t.Fatal(err)
	}
	if sub.relay == nil {
		t.Fatal("DialRelayed connected go-sdk without a relay")
	}
	// Before the network closes (cleanups run last first): a relay left
	// listening would take go-sdk's redials, and a redial that succeeds
	// races inside go-sdk (gosdk-pitfalls.md A#4).
	t.Cleanup(func() { _ = sub.Close() })
	got := make(chan string, 10)
	if err := sub.Subscribe("floor", func(data []byte) []byte {
		got <- string(data)
		return append([]byte("pong:"), data...)
	}); err != nil {
		t.Fatal(err)
	}
	waitSubscribers(t, n, "floor")
	pub, err := DialRelayed(cfg(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	for i := range 20 {
		reply, err := pub.Unicast("floor", []byte{'a' + byte(i)})
		if err != nil {
			t.Fatalf("unicast %d: %v", i, err)
		}
		if want := "pong:" + string(rune('a'+i)); string(reply) != want {
			t.Fatalf("unicast %d: reply %q, want %q", i, reply, want)
		}
		<-got
	}
	before := n.Stats()
	if err := pub.Multicast("floor", []byte("all")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != "all" {
			t.Fatalf("multicast delivered %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the multicast did not reach the subscriber through the relay")
	}
	// go-sdk answers the push on a goroutine after the handler returns;
	// let that answer reach the node before the network closes under
	// go-sdk (its reconnect path races its push goroutines, gosdk-pitfalls
	// A#4).
	for end := time.Now().Add(10 * time.Second); n.Stats().FramesIn-before.FramesIn < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("go-sdk's answer to the multicast never reached the node")
		}
	}
}
