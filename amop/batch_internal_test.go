package amop

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

func injectFrame(t *testing.T, typ wire.Type, topic, data string) []byte {
	t.Helper()
	seq := wire.NewSeq()
	f, err := wire.EncodeTopicFrame(typ, &seq, 0, topic, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func waitSubscribers(t *testing.T, n *local.Network, topic string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
}

// TestNodeBatchesRecordsForGoSDK: the node writes the frames queued for a
// session together, in one system call, each a TLS record of its own. The
// real go-sdk, which decodes at most one frame per TLS read and would strand
// a second frame of a record for 30 s, gets every one of them at once.
func TestNodeBatchesRecordsForGoSDK(t *testing.T) {
	n := local.RunT(t, local.Options{Nodes: 1})
	dir := n.CertDir()
	b, err := DialBare(Config{Endpoints: []string{n.Addr(0)},
		CAFile: dir + "/ca.crt", CertFile: dir + "/sdk.crt", KeyFile: dir + "/sdk.key"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{}, 1000)
	if err := b.Subscribe("b", func([]byte) []byte { got <- struct{}{}; return nil }); err != nil {
		t.Fatal(err)
	}
	waitSubscribers(t, n, "b")
	const total = 500
	frames := make([][]byte, total)
	for i := range frames {
		frames[i] = injectFrame(t, wire.TypeMulticast, "b", strconv.Itoa(i))
	}
	before := n.Stats()
	if _, err := n.Inject(0, "b", frames); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(20 * time.Second)
	for i := 0; i < total; i++ {
		select {
		case <-got:
		case <-deadline:
			t.Fatalf("go-sdk got %d of %d frames within 20 s: records were merged", i, total)
		}
	}
	after := n.Stats()
	out, calls := after.FramesOut-before.FramesOut, after.WriteCalls-before.WriteCalls
	// go-sdk answers each push after its handler returned, on the push's
	// own goroutine; if the network closed before those answers went out,
	// go-sdk's reconnect path would clear its connection under them (a
	// data race inside go-sdk, gosdk-pitfalls.md A#4). Wait for them.
	for end := time.Now().Add(20 * time.Second); n.Stats().FramesIn-before.FramesIn < total; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the node read %d of go-sdk's %d answers", n.Stats().FramesIn-before.FramesIn, total)
		}
	}
	if calls >= out {
		t.Fatalf("%d frames in %d system calls: nothing was batched", out, calls)
	}
	t.Logf("%d frames to bare go-sdk in %d system calls", out, calls)
}
