package amop_test

import (
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// FuzzNodeFrames is the other direction of the socket-level fuzz: frames a
// broken or hostile node could send, written by the local network into a
// real adapter's session. Their lengths are right (a wrong length only
// ends the session, which TestHostileNode covers); type, seq, result and
// body are the fuzzer's. The guard must keep go-sdk alive — a malformed
// frame reaching it panics the test binary — and the adapter connected: a
// multicast sent after the input arrives.
func FuzzNodeFrames(f *testing.F) {
	n := local.RunT(f, local.Options{Nodes: 1})
	a := client(f, n, func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy("echo") }, n.Addr(0))
	if err := a.Join("t"); err != nil {
		f.Fatal(err)
	}
	ctx, cancel := ctxFor(10 * time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "t", 1); err != nil {
		f.Fatal(err)
	}
	// kind, flags, body length, body…
	f.Add([]byte{4, 1, 3, 'a', 'b', 'c'})                  // 0x35 on "t"
	f.Add([]byte{3, 3, 1, 'x'})                            // 0x30 on a reserved topic
	f.Add([]byte{4, 0, 2, 200, 't'})                       // lying topic length
	f.Add([]byte{5, 0x10, 0})                              // 0x31 with the zero seq
	f.Add([]byte{8, 0, 12, '{', '"', 't', 'o', 'p', 'i'})  // 0x37 with a bad body
	f.Add([]byte{0, 0x40, 2, '{', '}', 12, 0, 0, 1, 0, 0}) // 0x12 with a result, then 0x99
	var count int
	f.Fuzz(func(t *testing.T, data []byte) {
		count++
		frames := nodeFrames(data)
		probe := "probe-" + strconv.Itoa(count)
		frames = append(frames, topicFrame(t, wire.TypeMulticast, "t", probe))
		if _, err := n.Inject(0, "t", frames); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(10 * time.Second)
		for {
			select {
			case ev := <-a.Events():
				if m, ok := ev.(*amop.MessageEvent); ok && string(m.Data) == probe {
					if st := a.Status(); st.State != amop.StateConnected {
						t.Fatalf("state %v after the input", st.State)
					}
					return
				}
			case <-deadline:
				t.Fatalf("the probe after %d frames never arrived; status %+v, stats %+v", len(frames)-1, a.Status(), a.Stats())
			}
		}
	})
}

var fuzzTypes = []wire.Type{wire.TypeRPC, wire.TypeHeartbeat, wire.TypeHandshake, wire.TypeAMOPRequest, wire.TypeMulticast,
	wire.TypeAMOPResponse, wire.TypeSubscribe, wire.TypeEventRegister, wire.TypeVerifyRequest, wire.TypeTopicStatus,
	wire.TypeTxNotify, wire.TypeBlockNotify, wire.TypeEventPush, 0x99, 0}

var fuzzTopics = []string{"t", "_block_notify_1", "other", "#!$VerifyChannel_#!$TopicNeedVerify_t_0123"}

// nodeFrames turns fuzz bytes into at most 16 frames with correct lengths:
// per frame a kind byte (the type: one of fuzzTypes, or the next two bytes
// when kind ≥ 0xf0), a flags byte (bit 0: wrap the body in a topic body,
// bits 1–2: which topic; bit 4: the zero seq, bit 5: a fixed seq; bit 6: a
// non-zero result) and a length byte, then the body.
func nodeFrames(data []byte) [][]byte {
	var out [][]byte
	for i := 0; len(data) >= 3 && i < 16; i++ {
		kind, flags, l := data[0], data[1], int(data[2])
		data = data[3:]
		typ := fuzzTypes[int(kind)%len(fuzzTypes)]
		if kind >= 0xf0 && len(data) >= 2 {
			typ = wire.Type(binary.BigEndian.Uint16(data))
			data = data[2:]
		}
		body := data[:min(l, len(data))]
		data = data[len(body):]
		if flags&1 != 0 {
			if b, err := wire.AppendTopicBody(nil, fuzzTopics[int(flags>>1)%len(fuzzTopics)], body); err == nil {
				body = b
			}
		}
		seq := wire.Seq{}
		copy(seq[:], strconv.Itoa(10000000+i)+"0123456789abcdef0123456789abcdef")
		switch {
		case flags&0x10 != 0:
			seq = wire.ZeroSeq
		case flags&0x20 != 0:
			copy(seq[:], "ffffffffffffffffffffffffffffffff")
		}
		var result int32
		if flags&0x40 != 0 {
			result = int32(int8(flags)) * 97
		}
		fr := wire.Frame{Type: typ, Seq: seq, Result: result, Body: body}
		out = append(out, fr.Encode())
	}
	return out
}
