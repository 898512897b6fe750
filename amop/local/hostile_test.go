package local_test

import (
	"errors"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/wire"
)

// TestHostileWritesWhatItSays checks each misbehaviour on the bytes a raw
// client receives, and that it touches only the session it was aimed at.
func TestHostileWritesWhatItSays(t *testing.T) {
	t.Parallel()
	n := local.RunT(t, local.Options{Nodes: 1})
	if _, err := n.Hostile(0, "nobody", local.Behaviour{Kind: local.Silence}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Hostile(3, "v", local.Behaviour{Kind: local.Silence}); err == nil {
		t.Fatal("node 3 of 1 accepted")
	}
	// victim gets a heartbeat answer and a multicast push from pub after
	// the behaviour is set; bystander, also subscribed to "m", must see
	// them untouched.
	run := func(t *testing.T, b local.Behaviour) (victim *rawClient, hb wire.Seq) {
		t.Helper()
		victim = dialRaw(t, n, 0)
		victim.handshake()
		victim.subscribe("v-"+b.Kind.String(), "m")
		waitSubs(t, n, "v-"+b.Kind.String(), 1)
		if got, err := n.Hostile(0, "v-"+b.Kind.String(), b); err != nil || got != 1 {
			t.Fatalf("Hostile = %d, %v", got, err)
		}
		hb = wire.NewSeq()
		victim.send(wire.TypeHeartbeat, hb, nil)
		return victim, hb
	}
	bystander := dialRaw(t, n, 0)
	bystander.handshake()
	bystander.subscribe("m")
	waitSubs(t, n, "m", 1)
	pub := dialRaw(t, n, 0)
	pub.handshake()
	multicast := func(t *testing.T, data string) {
		t.Helper()
		seq := wire.NewSeq()
		pub.sendTopic(wire.TypeMulticast, seq, 0, "m", []byte(data))
		if f := pub.next(wait); f.Seq != seq || f.Type != wire.TypeAMOPResponse {
			t.Fatalf("ack %s", f.Type)
		}
		if f := bystander.next(wait); string(f.Body[2:]) != data || f.Body[0] != 2 {
			t.Fatalf("bystander got %q", f.Body)
		}
	}

	t.Run("bad topic length", func(t *testing.T) {
		v, hb := run(t, local.Behaviour{Kind: local.BadTopicLength})
		if f := v.next(wait); f.Seq != hb || f.Type != wire.TypeHeartbeat {
			t.Fatalf("heartbeat answer %s", f.Type)
		}
		multicast(t, "lie")
		f := v.next(wait)
		if f.Type != wire.TypeMulticast || int(f.Body[0]) != len(f.Body)+1 {
			t.Fatalf("push %s body %q", f.Type, f.Body)
		}
		if _, _, err := wire.DecodeTopic(f.Body); err == nil {
			t.Fatal("the topic body decodes")
		}
	})
	for _, k := range []local.HostileKind{local.ShortLength, local.HugeLength} {
		t.Run(k.String(), func(t *testing.T) {
			v, _ := run(t, local.Behaviour{Kind: k})
			if !v.closedWithin(wait) {
				t.Fatal("the reader accepted the frame")
			}
			var we *wire.Error
			if !errors.As(v.readErr(), &we) {
				t.Fatalf("reader error %v", v.readErr())
			}
		})
	}
	t.Run("one-byte records", func(t *testing.T) {
		v, hb := run(t, local.Behaviour{Kind: local.OneByteRecords})
		f := v.next(wait)
		if f.Seq != hb {
			t.Fatalf("heartbeat answer %s", f.Seq)
		}
		// The answer is the last thing read: its bytes are the last reads,
		// one each. (Counting from a mark taken after run returned flaked:
		// the reader may already have taken some of them by then.)
		sizes := v.readSizes()
		n := f.Len()
		if len(sizes) < n {
			t.Fatalf("%d reads in all for a %d-byte frame", len(sizes), n)
		}
		for _, s := range sizes[len(sizes)-n:] {
			if s != 1 {
				t.Fatalf("a read of %d bytes", s)
			}
		}
	})
	t.Run("coalesce", func(t *testing.T) {
		v, hb := run(t, local.Behaviour{Kind: local.Coalesce})
		if f := v.next(wait); f.Seq != hb {
			t.Fatalf("heartbeat answer %s", f.Type)
		}
		before := len(v.readSizes())
		a, b := wire.Frame{Type: wire.TypeHeartbeat, Seq: wire.NewSeq()}, wire.Frame{Type: wire.TypeHeartbeat, Seq: wire.NewSeq()}
		v.write(append(a.Encode(), b.Encode()...))
		if f := v.next(wait); f.Seq != a.Seq {
			t.Fatalf("first frame %s", f.Seq)
		}
		if f := v.next(wait); f.Seq != b.Seq {
			t.Fatalf("second frame %s", f.Seq)
		}
		if sizes := v.readSizes()[before:]; len(sizes) != 1 {
			t.Fatalf("reads %v: want both frames in one record", sizes)
		}
	})
	t.Run("unknown type", func(t *testing.T) {
		v, hb := run(t, local.Behaviour{Kind: local.UnknownType})
		if f := v.next(wait); f.Type != 0x99 {
			t.Fatalf("first frame %s", f.Type)
		}
		if f := v.next(wait); f.Seq != hb {
			t.Fatalf("second frame %s", f.Type)
		}
	})
	t.Run("unknown seq and duplicates", func(t *testing.T) {
		for _, k := range []local.HostileKind{local.UnknownSeq, local.DuplicateReplies} {
			v, _ := run(t, local.Behaviour{Kind: k})
			v.next(wait) // the heartbeat answer is not twisted
			seq := wire.NewSeq()
			v.sendTopic(wire.TypeMulticast, seq, 0, "nobody", []byte("x"))
			a, b := v.next(wait), v.next(wait)
			if a.Type != wire.TypeAMOPResponse || b.Type != wire.TypeAMOPResponse || b.Seq != seq {
				t.Fatalf("%s: %s %s then %s %s", k, a.Type, a.Seq, b.Type, b.Seq)
			}
			if (k == local.UnknownSeq) == (a.Seq == seq) {
				t.Fatalf("%s: first answer has seq %s", k, a.Seq)
			}
		}
	})
	t.Run("late replies", func(t *testing.T) {
		v, hb := run(t, local.Behaviour{Kind: local.LateReplies, Delay: 300 * time.Millisecond})
		v.next(wait)
		seq := wire.NewSeq()
		start := time.Now()
		v.sendTopic(wire.TypeMulticast, seq, 0, "nobody", []byte("x"))
		v.send(wire.TypeHeartbeat, hb, nil)
		if f := v.next(wait); f.Type != wire.TypeHeartbeat {
			t.Fatalf("the heartbeat answer waited: %s first", f.Type)
		}
		if f := v.next(wait); f.Seq != seq || time.Since(start) < 300*time.Millisecond {
			t.Fatalf("answer %s after %v", f.Seq, time.Since(start))
		}
	})
	t.Run("silence then honest", func(t *testing.T) {
		v, _ := run(t, local.Behaviour{Kind: local.Silence})
		multicast(t, "unheard")
		if f, ok := v.tryNext(300 * time.Millisecond); ok {
			t.Fatalf("a silent node wrote %s", f.Type)
		}
		if _, err := n.Hostile(0, "v-silence", local.Behaviour{}); err != nil {
			t.Fatal(err)
		}
		multicast(t, "heard")
		if f := v.next(wait); f.Type != wire.TypeMulticast || string(f.Body[2:]) != "heard" {
			t.Fatalf("after Honest: %s %q", f.Type, f.Body)
		}
	})
	if got := local.HostileKind(99).String(); got != "hostile(99)" {
		t.Fatal(got)
	}
}
