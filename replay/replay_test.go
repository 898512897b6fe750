package replay_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/replay"
	"github.com/amoptui/amoptui/transcript"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestLoadTranscript(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.jsonl")
	w, err := transcript.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	recs := []transcript.Record{
		{Time: t0, Kind: transcript.KindState, State: "connected"},
		{Time: t0.Add(time.Second), Kind: transcript.KindSent, ID: 1, Topic: "a", Mode: "unicast", Data: []byte("one")},
		{Time: t0.Add(1100 * time.Millisecond), Kind: transcript.KindResult, ID: 1, Topic: "a", OK: true},
		{Time: t0.Add(1500 * time.Millisecond), Kind: transcript.KindReceived, Topic: "b", Mode: "multicast", Data: []byte("in")},
		{Time: t0.Add(2 * time.Second), Kind: transcript.KindSent, ID: 2, Topic: "b", Mode: "multicast", Data: []byte{0xff, 0}, Private: true},
		{Time: t0.Add(3 * time.Second), Kind: transcript.KindSent, ID: 3, Topic: "a", Mode: "unicast", Data: []byte{}},
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	// A torn last line, as kill -9 leaves it.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026-01-02T03:04:09.000Z","kind":"sent","to`)
	f.Close()

	msgs, sk, err := replay.LoadFile(path, replay.SelectAuto)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || sk.Lines != 1 || !strings.HasPrefix(sk.First, "line 7:") {
		t.Fatalf("%d messages, skipped %+v", len(msgs), sk)
	}
	m := msgs[1]
	if m.Topic != "b" || m.Mode != amop.Multicast || string(m.Data) != "\xff\x00" || !m.Private || !m.At.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("second message %+v", m)
	}
	if msgs[2].Data == nil || len(msgs[2].Data) != 0 {
		t.Fatalf("empty payload read as %#v", msgs[2].Data)
	}
	if got := replay.Span(msgs); got != 2*time.Second {
		t.Fatalf("span %v", got)
	}
	msgs, _, err = replay.LoadFile(path, replay.SelectReceived)
	if err != nil || len(msgs) != 1 || string(msgs[0].Data) != "in" {
		t.Fatalf("received: %+v, %v", msgs, err)
	}
}

func TestLoadSubAndPubJSON(t *testing.T) {
	sub := `{"time":"2026-01-02T03:04:05.000+08:00","topic":"hello","mode":"unicast","size":4,"data":"ping"}
{"time":"2026-01-02T03:04:05.250+08:00","topic":"hello","mode":"multicast","size":2,"data":"/wA=","encoding":"base64","reply":"x"}
`
	msgs, _, err := replay.Load(strings.NewReader(sub), replay.SelectAuto)
	if err != nil || len(msgs) != 2 || msgs[1].Mode != amop.Multicast || string(msgs[1].Data) != "\xff\x00" {
		t.Fatalf("sub --json: %+v, %v", msgs, err)
	}
	if replay.Span(msgs) != 250*time.Millisecond {
		t.Fatalf("span %v", replay.Span(msgs))
	}
	pub := `{"time":"2026-01-02T03:04:05.000Z","topic":"hello","mode":"unicast","size":1,"data":"a","ok":true,"reply":"r","rtt_ms":1.2}
{"time":"2026-01-02T03:04:06.000Z","topic":"hello","mode":"unicast","size":1,"data":"b","ok":false,"error":"x","rtt_ms":1.2}
`
	msgs, _, err = replay.Load(strings.NewReader(pub), replay.SelectAuto)
	if err != nil || len(msgs) != 2 || string(msgs[1].Data) != "b" {
		t.Fatalf("pub --json: %+v, %v", msgs, err)
	}
	if _, _, err := replay.Load(strings.NewReader(pub), replay.SelectReceived); err == nil || !strings.Contains(err.Error(), "no received messages") {
		t.Fatalf("received from a pub log: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := map[string]string{
		"":                                    "no messages",
		"garbage\n":                           "line 1: not a JSON object",
		`{"time":"x","topic":"a","data":"d"}`: "bad time",
		`{"time":"2026-01-02T03:04:05Z","topic":"","data":"d"}`:                       "topic",
		`{"time":"2026-01-02T03:04:05Z","topic":"a","data":"%%","encoding":"base64"}`: "not base64",
		`{"time":"2026-01-02T03:04:05Z","topic":"a","data":"x","encoding":"rot13"}`:   "unknown encoding",
		`{"time":"2026-01-02T03:04:05Z","topic":"a","mode":"sideways","data":"x"}`:    "unknown mode",
	}
	for in, want := range cases {
		_, _, err := replay.Load(strings.NewReader(in), replay.SelectAuto)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q) = %v, want %q", in, err, want)
		}
	}
	if _, err := replay.ParseSelect("both"); err == nil {
		t.Error("ParseSelect accepted both")
	}
}

// TestLoadFileRefusesWhatIsNotAFile: a device or a FIFO as --replay is
// refused with a sentence naming it, before anything is read.
func TestLoadFileRefusesWhatIsNotAFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "rec.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/dev/zero": "/dev/zero is a character device, not a regular file",
		fifo:        fifo + " is a named pipe (FIFO), not a regular file",
	} {
		if _, _, err := replay.LoadFile(path, replay.SelectAuto); err == nil || err.Error() != want {
			t.Errorf("LoadFile(%s) = %v, want %q", path, err, want)
		}
	}
}

// recording makes n messages over span, alternating unicast and multicast,
// unevenly spaced (the gaps grow), on topic.
func recording(topic string, n int, span time.Duration) []replay.Message {
	var msgs []replay.Message
	total := 0
	for i := 0; i < n; i++ {
		total += i
	}
	acc := 0
	for i := 0; i < n; i++ {
		acc += i
		mode := amop.Unicast
		if i%2 == 1 {
			mode = amop.Multicast
		}
		at := t0.Add(time.Duration(float64(span) * float64(acc) / float64(total)))
		msgs = append(msgs, replay.Message{At: at, Topic: topic, Mode: mode, Data: []byte("m" + string(rune('a'+i)))})
	}
	return msgs
}

func network(t *testing.T) (*local.Network, *amop.SDK, *amop.SDK) {
	n := local.RunT(t, local.Options{})
	mk := func(ep string) *amop.SDK {
		dir := n.CertDir()
		a, err := amop.New(amop.Config{Endpoints: []string{ep}, AutoReply: amop.ReplyPolicy{Mode: amop.ReplyEcho},
			CAFile: filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
		return a
	}
	sub, pub := mk(n.Addr(1)), mk(n.Addr(0))
	if err := sub.Join("rec"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitSubscribers(ctx, "rec", 1); err != nil {
		t.Fatal(err)
	}
	return n, sub, pub
}

// TestReplayTiming replays a 2 s recording through the real adapter to the
// local network: every message goes within 10 % of the span of its
// recorded offset, and the replay lasts the recording's 2 s within 10 %.
// At --speed 2 it lasts 1 s.
func TestReplayTiming(t *testing.T) {
	_, sub, pub := network(t)
	msgs := recording("rec", 12, 2*time.Second)
	for _, speed := range []float64{1, 2} {
		var got []replay.Result
		failed, err := replay.Run(context.Background(), pub, msgs, replay.Options{Speed: speed, Timeout: 5 * time.Second},
			func(r replay.Result) { got = append(got, r) })
		if err != nil || failed != 0 {
			t.Fatalf("speed %v: failed %d, %v (%+v)", speed, failed, err, got)
		}
		if len(got) != len(msgs) {
			t.Fatalf("speed %v: %d results", speed, len(got))
		}
		span := time.Duration(float64(2*time.Second) / speed)
		tol := span / 10
		var last time.Duration
		for _, r := range got {
			want := time.Duration(float64(r.Msg.At.Sub(t0)) / speed)
			if r.Due != want {
				t.Fatalf("speed %v: message %d due %v, want %v", speed, r.Index, r.Due, want)
			}
			if d := r.Sent - r.Due; d < 0 || d > tol {
				t.Errorf("speed %v: message %d sent at %v, due %v (off by more than %v)", speed, r.Index, r.Sent, r.Due, tol)
			}
			if r.Msg.Mode == amop.Unicast && string(r.Reply) != string(r.Msg.Data) {
				t.Errorf("message %d: reply %q", r.Index, r.Reply)
			}
			last = max(last, r.Sent)
		}
		if last < span-tol || last > span+tol {
			t.Errorf("speed %v: the replay took %v, want %v ± 10 %%", speed, last, span)
		}
		t.Logf("speed %v: last message sent at %v for a span of %v", speed, last, span)
	}
	// The subscriber saw every message of both runs, in order.
	seen := 0
	deadline := time.After(10 * time.Second)
	for seen < 2*len(msgs) {
		select {
		case ev := <-sub.Events():
			if m, ok := ev.(*amop.MessageEvent); ok {
				if want := string(msgs[seen%len(msgs)].Data); string(m.Data) != want {
					t.Fatalf("subscriber message %d = %q, want %q", seen, m.Data, want)
				}
				seen++
			}
		case <-deadline:
			t.Fatalf("subscriber saw %d of %d", seen, 2*len(msgs))
		}
	}
}

func TestReplayFastAndRedirected(t *testing.T) {
	_, _, pub := network(t)
	msgs := recording("elsewhere", 6, time.Hour) // would take an hour with gaps
	var got []replay.Result
	start := time.Now()
	failed, err := replay.Run(context.Background(), pub, msgs, replay.Options{Fast: true, To: "rec"},
		func(r replay.Result) { got = append(got, r) })
	if err != nil || failed != 0 || len(got) != 6 {
		t.Fatalf("failed %d, %v, %d results", failed, err, len(got))
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("fast replay took %v", time.Since(start))
	}
	for i, r := range got {
		if r.Index != i+1 || r.Msg.Topic != "rec" {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	// No subscriber on the original topic: AMOP 100 counts as failed.
	failed, err = replay.Run(context.Background(), pub, msgs[:2], replay.Options{Fast: true}, func(replay.Result) {})
	if err != nil || failed != 1 {
		t.Fatalf("unicast without subscriber: failed %d, %v", failed, err)
	}
}

func TestReplayCancel(t *testing.T) {
	_, _, pub := network(t)
	msgs := recording("rec", 4, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	n := 0
	_, err := replay.Run(ctx, pub, msgs, replay.Options{}, func(replay.Result) { n++ })
	if err == nil || n != 1 {
		t.Fatalf("cancelled replay: %v after %d results", err, n)
	}
}

// TestSpeedBoundsAndScheduleOverflow is M9: a speed must be a finite number
// from MinSpeed to MaxSpeed (NaN passed every "< 0" test and hung the
// replay), and a scaled gap never overflows a time.Duration.
func TestSpeedBoundsAndScheduleOverflow(t *testing.T) {
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e-300, 1e300, 0, -1, replay.MinSpeed / 2, replay.MaxSpeed * 2} {
		if err := replay.CheckSpeed(x); err == nil {
			t.Errorf("CheckSpeed(%v) accepted", x)
		}
		if x == 0 {
			continue // Options.Speed 0 means 1
		}
		msgs := []replay.Message{{At: time.Unix(0, 0), Topic: "t", Data: []byte("a")}}
		if _, err := replay.Run(context.Background(), nil, msgs, replay.Options{Speed: x}, func(replay.Result) {}); err == nil {
			t.Errorf("Run with speed %v started", x)
		}
	}
	for _, x := range []float64{replay.MinSpeed, 1, replay.MaxSpeed} {
		if err := replay.CheckSpeed(x); err != nil {
			t.Errorf("CheckSpeed(%v): %v", x, err)
		}
	}
	longest := time.Duration(math.MaxInt64)
	for _, c := range []struct {
		d     time.Duration
		speed float64
		want  time.Duration
	}{
		{time.Second, 2, 500 * time.Millisecond},
		{longest, replay.MinSpeed, longest},
		{longest / 2, 0.5, longest},
		{100 * 365 * 24 * time.Hour, replay.MinSpeed, longest},
		{time.Hour, 1e-300, longest},
		{time.Hour, 1e300, 0},
		{time.Hour, math.Inf(1), 0},
		{time.Hour, math.NaN(), longest},
		{-time.Second, 1, 0},
	} {
		if got := replay.Scaled(c.d, c.speed); got != c.want {
			t.Errorf("Scaled(%v, %v) = %v, want %v", c.d, c.speed, got, c.want)
		}
	}
}

// TestCutRecordsAreCountedApart: a /save file's records whose payload the
// pane kept only the head of are read but not replayed, and counted as
// cut — not as unreadable lines; a file of nothing else says so.
func TestCutRecordsAreCountedApart(t *testing.T) {
	dir := t.TempDir()
	mixed := filepath.Join(dir, "mixed.jsonl")
	if err := os.WriteFile(mixed, []byte(`{"time":"2026-01-02T03:04:05Z","kind":"sent","id":1,"topic":"a","mode":"unicast","size":3,"data":"one"}
{"time":"2026-01-02T03:04:06Z","kind":"sent","id":2,"topic":"a","mode":"unicast","size":4194304,"data":"head","cut":true}
{"time":"2026-01-02T03:04:07Z","kind":"sent","id":3,"topic":"a","mode":"unicast","size":5,"data":"three"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	msgs, sk, err := replay.LoadFile(mixed, replay.SelectAuto)
	if err != nil || len(msgs) != 2 || sk.Cut != 1 || sk.Lines != 0 {
		t.Fatalf("%d messages, skipped %+v, %v", len(msgs), sk, err)
	}
	only := filepath.Join(dir, "only.jsonl")
	if err := os.WriteFile(only, []byte(`{"time":"2026-01-02T03:04:06Z","kind":"sent","id":2,"topic":"a","mode":"unicast","size":4194304,"data":"head","cut":true}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := replay.LoadFile(only, replay.SelectAuto); err == nil || !strings.Contains(err.Error(), "no messages to replay (1 saved cut by /save") {
		t.Fatalf("LoadFile of cut records only: %v", err)
	}
}
