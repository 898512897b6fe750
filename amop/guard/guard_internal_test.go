package guard

import (
	"testing"

	"github.com/amoptui/amoptui/amop/wire"
)

// TestIsPush: only frames that carry a message to go-sdk count as dropped
// messages once its connection is lost; answers, heartbeats and block
// notifications do not.
func TestIsPush(t *testing.T) {
	seq := wire.NewSeq()
	for typ, want := range map[wire.Type]bool{
		wire.TypeAMOPRequest:  true,
		wire.TypeMulticast:    true,
		wire.TypeAMOPResponse: false,
		wire.TypeHeartbeat:    false,
		wire.TypeBlockNotify:  false,
	} {
		f := wire.Frame{Type: typ, Seq: seq, Body: []byte("x")}
		if got := isPush(f.AppendTo(nil)); got != want {
			t.Errorf("isPush(type %#x) = %v, want %v", typ, got, want)
		}
	}
	if isPush([]byte{0, 0, 0}) {
		t.Error("a short frame counted as a push")
	}
}
