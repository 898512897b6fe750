package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/transcript"
	"github.com/amoptui/amoptui/ui/internal/fakeclient"
)

// keyFiles writes a fresh key pair to dir as NAME.key and NAME.pub.
func keyFiles(t *testing.T, dir, name string) (*amop.PrivateKey, string, string) {
	t.Helper()
	k, err := amop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := k.PEM()
	pub, _ := k.Public().PEM()
	kf, pf := filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
	if err := os.WriteFile(kf, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pf, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	return k, kf, pf
}

func lastPrivateCall(t *testing.T, c *fakeclient.Client) fakeclient.PrivateCall {
	t.Helper()
	calls := c.PrivateCalls()
	if len(calls) == 0 {
		t.Fatal("no private call")
	}
	return calls[len(calls)-1]
}

// TestPrivateTopicCommands: /join-private and /publish-private load the key
// files and call the client; the list tag and the pane title follow the
// verification events; input on a private topic uses the private sends;
// ordinary and private topics of one name do not mix; /leave leaves the
// private topic.
func TestPrivateTopicCommands(t *testing.T) {
	dir := t.TempDir()
	key, keyFile, pubFile := keyFiles(t, dir, "me")
	_, _, otherPub := keyFiles(t, dir, "other")
	c := newFake()
	m := newModel(t, c, testOptions("hello"), 120, 30)

	m = do(m, "/join-private secret "+keyFile)
	call := lastPrivateCall(t, c)
	if call.Op != "join" || call.Topic != "secret" || call.Key == nil || !call.Key.Public().Equal(key.Public()) {
		t.Fatalf("join call %+v", call)
	}
	if m.ActiveTopic() != "secret" || m.TopicTag("secret") != "◆…" {
		t.Fatalf("active %q tag %q", m.ActiveTopic(), m.TopicTag("secret"))
	}
	v := m.View()
	for _, want := range []string{"private: waiting for a publisher's challenge", "joined private secret"} {
		if !strings.Contains(v, want) {
			t.Fatalf("view lacks %q:\n%s", want, v)
		}
	}

	m = update(m, events(&amop.PrivateEvent{Topic: "secret", Role: amop.PrivateSubscriber, State: amop.PrivateChallenged}))
	if m.TopicTag("secret") != "◆?" || !strings.Contains(m.View(), "private: challenged, key signed") {
		t.Fatalf("after the challenge: tag %q\n%s", m.TopicTag("secret"), m.View())
	}
	ev := msgEvent("secret", "for the verified", amop.Unicast, time.Second)
	ev.Private = true
	m = update(m, events(&amop.PrivateEvent{Topic: "secret", Role: amop.PrivateSubscriber, State: amop.PrivateVerified}, ev))
	if m.TopicTag("secret") != "◆✓" || !strings.Contains(m.View(), "for the verified") || !strings.Contains(m.View(), "private: verified, messages arrive") {
		t.Fatalf("after verification: tag %q\n%s", m.TopicTag("secret"), m.View())
	}
	// The ordinary topic "secret" is another topic: not shown here.
	plain := msgEvent("secret", "ordinary", amop.Multicast, time.Second)
	m = update(m, events(plain))
	if strings.Contains(m.View(), "ordinary") {
		t.Fatal("an ordinary message shown in the private pane")
	}

	m = do(m, "psst")
	m = do(m, "/mode multicast")
	m = do(m, "all")
	sends := c.Sends()
	if len(sends) != 2 || !sends[0].Private || sends[0].Mode != amop.Unicast || !sends[1].Private || sends[1].Mode != amop.Multicast || sends[0].Topic != "secret" {
		t.Fatalf("sends %+v", sends)
	}

	m = do(m, "/publish-private secret "+pubFile+" "+otherPub)
	if v := m.View(); !strings.Contains(v, "publishing private secret for 2 public keys…") ||
		!strings.Contains(v, "subscribers holding one of its 2 public keys are accepted") {
		t.Fatalf("publish wording:\n%s", v)
	}
	call = lastPrivateCall(t, c)
	if call.Op != "publish" || len(call.Allowed) != 2 || !call.Allowed[0].Equal(key.Public()) {
		t.Fatalf("publish call %+v", call)
	}
	if m.TopicTag("secret") != "◆✓…" {
		t.Fatalf("tag %q", m.TopicTag("secret"))
	}
	m = update(m, events(&amop.PrivateEvent{Topic: "secret", Role: amop.PrivatePublisher, State: amop.PrivateVerified, Accepted: 1, Rejected: 2}))
	if m.TopicTag("secret") != "◆✓✓" || !strings.Contains(m.View(), "publishing: 1 accepted, 2 rejected") {
		t.Fatalf("publisher state: tag %q\n%s", m.TopicTag("secret"), m.View())
	}

	// One name is either ordinary or private.
	m = do(m, "/join secret")
	if !strings.Contains(m.Notice(), "private topic here") {
		t.Fatalf("notice %q", m.Notice())
	}
	m = do(m, "/join-private hello "+keyFile)
	if !strings.Contains(m.Notice(), "joined as an ordinary topic") {
		t.Fatalf("notice %q", m.Notice())
	}
	// A key file that does not load is told, and nothing of the topic is
	// left behind: no ◆ pane that looks joined (or sends).
	m = do(m, "/join-private other "+filepath.Join(dir, "missing.key"))
	if !strings.Contains(m.Notice(), "join private other failed: ") || !strings.HasSuffix(m.Notice(), " · not joined") ||
		m.Pane("other") != nil || m.TopicTag("other") != "" {
		t.Fatalf("notice %q, pane %v, tag %q", m.Notice(), m.Pane("other") != nil, m.TopicTag("other"))
	}
	m = do(m, "/publish-private other "+filepath.Join(dir, "missing.pub"))
	if !strings.Contains(m.Notice(), "publish private other failed: ") || m.Pane("other") != nil {
		t.Fatalf("publish: notice %q, pane %v", m.Notice(), m.Pane("other") != nil)
	}
	// A role that fails on a topic with another role keeps the topic.
	m = do(m, "/join-private secret "+filepath.Join(dir, "missing.key"))
	if m.Pane("secret") == nil || !strings.Contains(m.Notice(), "join private secret failed") || m.TopicTag("secret") != "◆✓✓" {
		t.Fatalf("a failed second join changed secret: notice %q, tag %q", m.Notice(), m.TopicTag("secret"))
	}
	// Limits are checked before anything runs.
	m = do(m, "/publish-private "+strings.Repeat("x", 169)+" "+pubFile)
	if !strings.HasPrefix(m.Notice(), "private topic too long: 169 bytes, a publisher takes at most 168") {
		t.Fatalf("notice %q", m.Notice())
	}
	for _, bad := range []string{"/join-private secret", "/publish-private secret"} {
		if m = do(m, bad); !strings.Contains(m.Notice(), "usage: ") {
			t.Fatalf("%s: notice %q", bad, m.Notice())
		}
	}

	m.list.Select(m.list.Index("secret"))
	m.activate()
	m = do(m, "/leave")
	if call := lastPrivateCall(t, c); call.Op != "leave" || call.Topic != "secret" {
		t.Fatalf("leave call %+v", call)
	}
	if m.Pane("secret") != nil {
		t.Fatal("the pane is still there")
	}
}

// TestPrivateTopicsFromOptions: configured private topics get their pane
// and tag at once and are published, then joined, when the program starts.
func TestPrivateTopicsFromOptions(t *testing.T) {
	dir := t.TempDir()
	key, _, _ := keyFiles(t, dir, "me")
	c := newFake()
	opts := testOptions("hello")
	opts.Private = []PrivateTopic{
		{Topic: "both", Key: key, Allowed: []*amop.PublicKey{key.Public()}},
		{Topic: "sub", Key: key},
		{Topic: strings.Repeat("y", 186), Key: key},
	}
	m := New(c, opts)
	if got := m.Topics(); strings.Join(got, ",") != "hello,both,sub" {
		t.Fatalf("topics %q", got)
	}
	if m.TopicTag("both") != "◆……" || m.TopicTag("sub") != "◆…" || !strings.Contains(m.Notice(), "at most") {
		t.Fatalf("tags %q %q notice %q", m.TopicTag("both"), m.TopicTag("sub"), m.Notice())
	}
	s := start(t, m, 120, 30)
	waitFor(t, s, "publishing private both", "joined private both", "joined private sub")
	finalModel(t, s)
	var ops []string
	for _, call := range c.PrivateCalls() {
		ops = append(ops, call.Op+" "+call.Topic)
	}
	// Per topic, publish comes before join (go-sdk refuses the reverse).
	pos := map[string]int{}
	for i, op := range ops {
		pos[op] = i + 1
	}
	if len(ops) != 3 || pos["publish both"] == 0 || pos["join both"] < pos["publish both"] || pos["join sub"] == 0 {
		t.Fatalf("calls %q", ops)
	}
}

// TestPrivateTopicEndToEnd is the TUI on the real adapter and the local
// network: a subscriber TUI holding the allowed key sees its topic go
// waiting → challenged → verified as the publisher TUI (on the other node)
// sends to it; the publisher's pane counts the accepted subscriber and the
// rejected one (another client holding another key, which receives
// nothing).
func TestPrivateTopicEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local network")
	}
	n := local.RunT(t, local.Options{})
	good, err := amop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := amop.GenerateKey()
	const topic = "vault"

	optsA := Options{Renderer: asciiRenderer(), Topics: []string{"hello"}, Private: []PrivateTopic{{Topic: topic, Key: good}}}
	ack := amop.ParseReplyPolicy("got it")
	optsA.AutoReply = &ack
	a := start(t, New(realClient(t, n, 1), optsA), 120, 30)
	waitFor(t, a, "● connected", "joined private vault", "◆…", "private: waiting for a publisher's challenge")

	intruder := realClient(t, n, 1)
	if err := intruder.JoinPrivate(topic, bad); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, amop.NeedVerifyPrefix+topic, 2); err != nil {
		t.Fatal(err)
	}

	b := start(t, New(realClient(t, n, 0), Options{Renderer: asciiRenderer(), Topics: []string{"hello"},
		Private: []PrivateTopic{{Topic: topic, Allowed: []*amop.PublicKey{good.Public()}}}}), 120, 30)
	waitFor(t, b, "● connected", "publishing private vault")
	waitFor(t, a, "◆?", "private: challenged, key signed")
	waitFor(t, b, "publishing: 1 accepted, 1 rejected", "◆✓")
	if err := n.WaitPrivate(ctx, topic, func(c local.PrivateCounts) bool { return c == local.PrivateCounts{Verified: 1, Failed: 1} }); err != nil {
		t.Fatal(err)
	}

	b.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlN}) // hello → vault
	b.tm.Type("for your eyes only")
	b.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, b, `✓ reply "got it"`)
	waitFor(t, a, "← uni   for your eyes only", "◆✓", "private: verified, messages arrive")

	finalModel(t, a)
	finalModel(t, b)
	select {
	case ev := <-intruder.Events():
		for ev != nil {
			if m, ok := ev.(*amop.MessageEvent); ok {
				t.Fatalf("the rejected subscriber received %+v", m)
			}
			select {
			case ev = <-intruder.Events():
			default:
				ev = nil
			}
		}
	default:
	}
}

// TestPrivateTrafficIsMarkedInTheTranscript: sends, their results and
// received messages on a private topic carry "private" in the transcript.
func TestPrivateTrafficIsMarkedInTheTranscript(t *testing.T) {
	dir := t.TempDir()
	_, keyFile, _ := keyFiles(t, dir, "me")
	c := newFake()
	w := &memTranscript{}
	opts := testOptions("hello")
	opts.Transcript = w
	m := newModel(t, c, opts, 120, 30)
	m = do(m, "/join-private secret "+keyFile)
	m = do(m, "psst")
	ev := msgEvent("secret", "for the verified", amop.Unicast, time.Second)
	ev.Private = true
	m = update(m, events(ev))
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	kinds := map[transcript.Kind]bool{}
	for _, r := range w.recs {
		if r.Topic == "secret" && (r.Kind == transcript.KindSent || r.Kind == transcript.KindResult || r.Kind == transcript.KindReceived) {
			if !r.Private {
				t.Errorf("%s record on a private topic not marked: %+v", r.Kind, r)
			}
			kinds[r.Kind] = true
		}
	}
	if !kinds[transcript.KindSent] || !kinds[transcript.KindResult] || !kinds[transcript.KindReceived] {
		t.Fatalf("records %+v", w.recs)
	}
}
