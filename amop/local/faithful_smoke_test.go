package local_test

import (
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop/local"
)

func TestFaithfulSmoke(t *testing.T) {
	n := local.RunT(t, local.Options{Like: "2.9", SyncInterval: 200 * time.Millisecond})
	sub := dialSDK(t, n, 1)
	subscribe(t, sub, "cross", func(data []byte, resp *[]byte) { *resp = append([]byte("pong:"), data...) })
	pub := dialSDK(t, n, 0)
	waitSubs(t, n, "cross", 1)
	for range 5 {
		got, err := sendAMOP(t, pub, "cross", []byte("ping"))
		if err != nil || string(got) != "pong:ping" {
			t.Fatalf("SendAMOPMsg = %q, %v; want pong:ping", got, err)
		}
	}
	t.Logf("%+v %+v", n.Stats(), n.FaithfulStats())
}
