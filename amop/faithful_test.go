package amop_test

import (
	"path/filepath"
	"testing"
	"time"

	gosdk "github.com/FISCO-BCOS/go-sdk/client"
	"github.com/FISCO-BCOS/go-sdk/conf"

	"github.com/amoptui/amoptui/amop/local"
)

// TestBlockNotifyTopicAMOPFromFaithfulNodes: a 2.9.1 node routes AMOP on
// _block_notify_<g> like any topic (real-nodes.md row 16), and every go-sdk
// session subscribes that topic at Dial with a nil handler, so a bare
// go-sdk client would crash on the first one. Through the adapter the guard
// drops them (counted as reserved) and the session goes on.
func TestBlockNotifyTopicAMOPFromFaithfulNodes(t *testing.T) {
	n := local.RunT(t, local.Options{Like: "2.9", SyncInterval: 100 * time.Millisecond, BlockInterval: -1})
	a := client(t, n, nil, n.Addr(1))
	if err := a.Join("t"); err != nil {
		t.Fatal(err)
	}
	waitSubs(t, n, "_block_notify_1", 1)
	waitSubs(t, n, "t", 1)
	d := n.CertDir()
	sender, err := gosdk.Dial(&conf.Config{ChainID: 1, GroupID: 1, DynamicKey: true, NodeURL: n.Addr(0),
		CAFile: filepath.Join(d, local.CAFile), Cert: filepath.Join(d, local.SDKCertFile), Key: filepath.Join(d, local.SDKKeyFile)})
	if err != nil {
		t.Fatal(err)
	}
	// The sender's own node also has the topic (its own go-sdk session):
	// multicast skips it (row 13); node 1 pushes to the adapter's session.
	if err := sender.BroadcastAMOPMsg("_block_notify_1", []byte("boom")); err != nil {
		t.Fatalf("multicast on _block_notify_1: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.Stats().Reserved < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: the guard did not drop the multicast on _block_notify_1", a.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := sender.BroadcastAMOPMsg("t", []byte("after")); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, a, 5*time.Second); string(m.Data) != "after" {
		t.Fatalf("got %q after the reserved frame", m.Data)
	}
}
