package local_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// fastSync is the topic sync period of faithful tests whose row does not
// depend on it; the rows that do (10, and the 5 s of 19) use the real 5 s.
const fastSync = 100 * time.Millisecond

// runFaithful starts a faithful (like 2.9.1) network for a test: the sync
// period shortened unless opts sets it, no blocks unless opts asks, and one
// worker per pool unless opts sets Workers. A real node's 8 workers may
// handle two frames of a session out of order (row 4), and go-sdk sends a
// new 0x32 with every subscribe: two close together can be applied in the
// wrong order, leaving the node with the older topic list, on a real node
// as here. The test of another row must not depend on that luck; row 4's
// test and the Workers default check use the real 8.
func runFaithful(t *testing.T, opts local.Options) *local.Network {
	t.Helper()
	opts.Like = "2.9"
	if opts.SyncInterval == 0 {
		opts.SyncInterval = fastSync
	}
	if opts.Workers == 0 {
		opts.Workers = 1
	}
	if opts.BlockInterval == 0 {
		opts.BlockInterval = -1
	}
	return local.RunT(t, opts)
}

// fixedClock pins the second a faithful network seeds its picks with.
func fixedClock(t *testing.T, n *local.Network, unix int64) {
	t.Helper()
	local.SetClock(n, func() time.Time { return time.Unix(unix, 0) })
}

// secondPicking finds a second in which a node picks index want among n
// candidates (rows 12, 13).
func secondPicking(t *testing.T, want, n int) int64 {
	t.Helper()
	for s := int64(1_700_000_000); s < 1_700_001_000; s++ {
		if local.TimePick(s, n) == want {
			return s
		}
	}
	t.Fatalf("no second picks %d of %d", want, n)
	return 0
}

// rawReady dials node i with a raw client, does the 0x14 handshake
// (protocol 3) and subscribes topics, if any.
func rawReady(t *testing.T, n *local.Network, i int, topics ...string) *rawClient {
	t.Helper()
	c := dialRaw(t, n, i)
	c.handshake()
	if len(topics) > 0 {
		c.subscribe(topics...)
	}
	return c
}

// nextOf returns the next frame of type typ, skipping others (a block
// notify, a late answer), or fails after d.
func (c *rawClient) nextOf(typ wire.Type, d time.Duration) wire.Frame {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			c.t.Fatalf("no %s frame within %v (reader: %v)", typ, d, c.readErr())
		}
		f, ok := c.tryNext(left)
		if ok && f.Type == typ {
			return f
		}
	}
}

// quiet fails the test if a frame of type typ arrives within d.
func (c *rawClient) quiet(typ wire.Type, d time.Duration, what string) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		f, ok := c.tryNext(left)
		if ok && f.Type == typ {
			c.t.Fatalf("%s: got a %s frame (seq %s, result %d, body %q)", what, f.Type, f.Seq, f.Result, f.Body)
		}
	}
}

// topicData decodes an AMOP body or fails the test.
func topicData(t *testing.T, f wire.Frame) (string, string) {
	t.Helper()
	topic, data, err := wire.DecodeTopic(f.Body)
	if err != nil {
		t.Fatalf("%s body %q: %v", f.Type, f.Body, err)
	}
	return string(topic), string(data)
}

// rpc sends a JSON-RPC request on c and returns the answer's result.
func (c *rawClient) rpc(method string) map[string]any {
	c.t.Helper()
	seq := wire.NewSeq()
	c.send(wire.TypeRPC, seq, []byte(`{"jsonrpc":"2.0","id":1,"method":"`+method+`","params":[1]}`))
	f := c.nextOf(wire.TypeRPC, wait)
	if f.Seq != seq || f.Result != 0 || !strings.HasSuffix(string(f.Body), "\n") {
		c.t.Fatalf("0x12 answer seq %s result %d body %q", f.Seq, f.Result, f.Body)
	}
	var r struct {
		Result map[string]any `json:"result"`
	}
	if err := json.Unmarshal(f.Body, &r); err != nil {
		c.t.Fatalf("0x12 answer %q: %v", f.Body, err)
	}
	return r.Result
}

// respond answers every unicast push c receives with reply, on a goroutine
// of its own that owns c's frames from now on and ends with c.
func (c *rawClient) respond(reply string) {
	go func() {
		for {
			select {
			case f := <-c.frames:
				if f.Type != wire.TypeAMOPRequest {
					continue
				}
				topic, _, err := wire.DecodeTopic(f.Body)
				if err != nil {
					continue
				}
				b, err := wire.EncodeTopicFrame(wire.TypeAMOPResponse, &f.Seq, 0, string(topic), []byte(reply))
				if err != nil {
					continue
				}
				c.conn.SetWriteDeadline(time.Now().Add(wait))
				if _, err := c.conn.Write(b); err != nil {
					return
				}
			case <-c.done:
				return
			}
		}
	}()
}
