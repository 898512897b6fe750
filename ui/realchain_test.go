package ui

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/ui/topicpane"
)

// The TUI against nodes that behave as FISCO BCOS 2.9.1 nodes do (the
// faithful local mode, real-nodes.md): what a user sees on a real chain.

// waitOut waits up to d until the output so far matches re.
func waitOut(t *testing.T, s *session, d time.Duration, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s.drain()
		if re.Match(s.out.Bytes()) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output never matched %v in %s; last frame:\n%s", re, d, tail(s.out.Bytes(), 4000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// subscriber is what `amoptui sub --reply pong` is: the adapter, joined,
// answering unicasts.
func subscriber(t *testing.T, n *local.Network, node int, topic, reply string) *amop.SDK {
	t.Helper()
	c := realClient(t, n, node)
	c.SetAutoReply("", amop.ParseReplyPolicy(reply))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Join(topic); err != nil {
		t.Fatal(err)
	}
	// Read its events, as sub does, so that nothing backs up.
	go func() {
		for range c.Events() {
		}
	}()
	return c
}

// sentEntries are the sent lines of topic's pane in the final model.
func sentEntries(m Model, topic string) []topicpane.Entry {
	var out []topicpane.Entry
	for _, e := range m.Pane(topic).Entries() {
		if e.Kind == topicpane.KindSent {
			out = append(out, e)
		}
	}
	return out
}

// TestSendOnlyPaneOnARealChain: a TUI that only publishes svc on node 0 and
// a subscriber answering "pong" on node 1: twenty unicasts 1.1 s apart (a
// real node picks anew every wall-clock second) all get "pong", because
// this client's own node is never a candidate.
func TestSendOnlyPaneOnARealChain(t *testing.T) {
	if testing.Short() {
		t.Skip("about 30 s against the faithful local network")
	}
	n := local.RunT(t, local.Options{Like: "2.9"})
	subscriber(t, n, 1, "svc", "pong")
	joined := time.Now()
	s := start(t, New(realClient(t, n, 0), Options{Publish: []string{"svc"}, Renderer: asciiRenderer()}), 120, 40)
	waitFor(t, s, "● connected", "local · like 2.9", "# svc · sending")
	// Other nodes learn of the subscription within 5 s (row 10).
	time.Sleep(time.Until(joined.Add(amop.SyncWindow + 500*time.Millisecond)))
	const sends = 20
	for i := 0; i < sends; i++ {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond)
		}
		s.tm.Type(fmt.Sprintf("m%02d", i))
		s.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	}
	waitOut(t, s, 15*time.Second, regexp.MustCompile(fmt.Sprintf(`m%02d +✓ reply "pong"`, sends-1)))
	m := finalModel(t, s)
	got := sentEntries(m, "svc")
	if len(got) != sends {
		t.Fatalf("%d sent lines", len(got))
	}
	for i, e := range got {
		if e.Status != topicpane.StatusOK || string(e.Reply) != "pong" {
			t.Errorf("send %d: status %d reply %q err %v", i, e.Status, e.Reply, e.Err)
		}
	}
	if v := m.View(); strings.Contains(v, "⚠") {
		t.Fatalf("a send-only pane was warned:\n%s", v)
	}
}

// TestListeningPaneOnARealChain: a TUI that joined svc and unicasts to it
// makes its own node a candidate; when the node picks itself it drops the
// message (rows 11–13). The TUI warns once, and every send ends with a
// reply, a late reply on its own line, or a timeout the warning explains.
// The nodes wait 8 s for one another, not a real node's 30 s: still past
// the TUI's 5 s send timeout, so a dropped send still times out first and
// its reply comes late, and the test waits 13 s for that, not 40.
func TestListeningPaneOnARealChain(t *testing.T) {
	if testing.Short() {
		t.Skip("about 25 s against the faithful local network")
	}
	const nodeTimeout = 8 * time.Second
	n := local.RunT(t, local.Options{Like: "2.9", NodeTimeout: nodeTimeout})
	subscriber(t, n, 1, "svc", "pong")
	joined := time.Now()
	c := realClient(t, n, 0)
	s := start(t, New(c, Options{Topics: []string{"svc"}, Renderer: asciiRenderer(), SendTimeout: 5 * time.Second}), 160, 40)
	waitFor(t, s, "● connected", "joined svc", "# svc · listening")
	waitOut(t, s, 10*time.Second, regexp.MustCompile(`other nodes learn of`))
	time.Sleep(time.Until(joined.Add(amop.SyncWindow + 500*time.Millisecond)))
	const sends = 6
	for i := 0; i < sends; i++ {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond)
		}
		s.tm.Type(fmt.Sprintf("u%02d", i))
		s.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	}
	lastSend := time.Now()
	waitFor(t, s, "⚠ this client listens to")
	// A node that picked itself answers after nodeTimeout, through node 1.
	time.Sleep(time.Until(lastSend.Add(nodeTimeout + 5*time.Second)))
	m := finalModel(t, s)
	v := m.View()
	if n := bytes.Count(s.out.Bytes(), []byte("⚠ this client listens")); n == 0 || !strings.Contains(v, "⚠ avoid it: /leave svc here (this pane keeps sending") {
		t.Fatalf("no own-node warning with its remedy:\n%s", v)
	}
	var ok, late, timedOut int
	for i, e := range sentEntries(m, "svc") {
		switch {
		case e.Status == topicpane.StatusOK && string(e.Reply) == "pong":
			ok++
		case e.Status == topicpane.StatusLate && e.Err == nil && string(e.Reply) == "pong":
			late++
		case e.Status == topicpane.StatusFailed && strings.Contains(amop.ShortError(e.Err), "timeout") &&
			strings.Contains(e.Err.Error(), "may still answer"):
			timedOut++
		default:
			t.Errorf("send %d ended unexplained: status %d reply %q err %v", i, e.Status, e.Reply, e.Err)
		}
	}
	if ok+late+timedOut != sends {
		t.Fatalf("%d replies, %d late, %d timed out of %d sends", ok, late, timedOut, sends)
	}
	t.Logf("%d replies, %d late replies, %d timeouts (explained by the own-node warning)", ok, late, timedOut)
	if late > 0 && !regexp.MustCompile(`✓ reply "pong" \d+\.\d s later`).MatchString(v) {
		t.Fatalf("a late reply is not on its line:\n%s", v)
	}
}

// TestPrivateReceivingOnARealChain: a real node accepts per node (row 19).
// Once a subscriber on node 1 was accepted, this TUI on node 1 — with a key
// nobody accepted — receives the private topic's messages; it says
// "receiving", never "verified".
func TestPrivateReceivingOnARealChain(t *testing.T) {
	if testing.Short() {
		t.Skip("against the faithful local network")
	}
	n := local.RunT(t, local.Options{Like: "2.9"})
	good, err := amop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	bad, err := amop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub := realClient(t, n, 0)
	goodSub := realClient(t, n, 1)
	// Generous: the verification is several round trips after a 5 s sync,
	// on a shared, loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := pub.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := goodSub.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishPrivate("orders", []*amop.PublicKey{good.Public()}); err != nil {
		t.Fatal(err)
	}
	if err := goodSub.JoinPrivate("orders", good); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range goodSub.Events() {
		}
	}()
	accepted := false
	var seen []string
	for !accepted {
		select {
		case ev := <-pub.Events():
			if p, ok := ev.(*amop.PrivateEvent); ok {
				seen = append(seen, fmt.Sprintf("%s %d/%d", p.State, p.Accepted, p.Rejected))
				accepted = p.Accepted == 1
			}
		case <-ctx.Done():
			t.Fatalf("node 1 was not accepted within 60 s; the publisher saw %q", seen)
		}
	}
	s := start(t, New(realClient(t, n, 1), Options{Private: []PrivateTopic{{Topic: "orders", Key: bad}}, Renderer: asciiRenderer()}), 160, 30)
	waitFor(t, s, "● connected", "joined private orders")
	deadline := time.Now().Add(30 * time.Second)
	for {
		mctx, mcancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := pub.MulticastPrivate(mctx, "orders", []byte("for node 1"))
		mcancel()
		if err != nil {
			t.Fatal(err)
		}
		s.drain()
		if bytes.Contains(s.out.Bytes(), []byte("← multi for node 1")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the unaccepted session never received:\n%s", tail(s.out.Bytes(), 4000))
		}
		time.Sleep(500 * time.Millisecond)
	}
	waitFor(t, s, "private: receiving")
	m := finalModel(t, s)
	if tag := m.TopicTag("orders"); tag != "◆↓" {
		t.Fatalf("tag %q", tag)
	}
	if bytes.Contains(s.out.Bytes(), []byte("verified")) {
		i := bytes.Index(s.out.Bytes(), []byte("verified"))
		t.Fatalf("the TUI called an unaccepted key verified: …%s…\n%s", s.out.Bytes()[max(0, i-300):i+50], m.View())
	}
}

// TestFirstUnicastAfterConnectingWaitsForTheTopicSync: a TUI that sends
// as soon as it has connected, while its node has not yet heard of the
// subscriber another node got a moment ago (topics sync every 5 s, row
// 10), is answered "pong" a few seconds later instead of AMOP 100: on a
// real chain, "no subscriber" in that window after the session began may
// only mean "not known yet", and the send asks again until the window
// ends (pub's --wait does the same).
func TestFirstUnicastAfterConnectingWaitsForTheTopicSync(t *testing.T) {
	if testing.Short() {
		t.Skip("about 6 s against the faithful local network")
	}
	n := local.RunT(t, local.Options{Like: "2.9"})
	subscriber(t, n, 1, "svc", "pong")
	s := start(t, New(realClient(t, n, 0), Options{Publish: []string{"svc"}, Renderer: asciiRenderer(), SendTimeout: 9 * time.Second}), 120, 30)
	waitFor(t, s, "● connected", "# svc · sending")
	sent := time.Now()
	s.tm.Type("first")
	s.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitOut(t, s, 12*time.Second, regexp.MustCompile(`first +(✓ reply "pong"|✗)`))
	m := finalModel(t, s)
	got := sentEntries(m, "svc")
	if len(got) != 1 || got[0].Status != topicpane.StatusOK || string(got[0].Reply) != "pong" {
		t.Fatalf("the first send ended %+v", got)
	}
	t.Logf("answered %v after it was typed", time.Since(sent).Round(time.Millisecond))
}
