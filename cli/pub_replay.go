package cli

import (
	"context"
	"flag"
	"fmt"
	"math"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/config"
	"github.com/amoptui/amoptui/replay"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/tmpl"
)

// messageTemplate parses pub's MESSAGE as a payload template (unless raw
// or it has no "{{") and renders it once, so that an error is a usage
// error before anything is sent. The returned function renders message
// number seq (from 1) at the time it is called; a later rendering can
// still fail (a {{file}} removed meanwhile), and says why.
func messageTemplate(msg string, raw bool, topic string, mode amop.Mode) (func(seq int) (string, error), error) {
	if raw || !tmpl.IsTemplate(msg) {
		return func(int) (string, error) { return msg, nil }, nil
	}
	t, err := tmpl.Parse(msg, tmpl.Options{})
	if err != nil {
		return nil, usagef("MESSAGE: %v", err)
	}
	data := func(seq int) tmpl.Data { return tmpl.Data{Seq: seq, Topic: topic, Mode: mode.String()} }
	if _, err := t.Render(data(1)); err != nil {
		return nil, usagef("MESSAGE: %v", err)
	}
	return func(seq int) (string, error) {
		b, err := t.Render(data(seq))
		return string(b), err
	}, nil
}

// replayFlags are pub's --replay flags.
type replayFlags struct {
	file     string
	speed    float64
	fast     bool
	kind     string
	to       string
	inFlight int
}

func (r *replayFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.file, "replay", "", "re-send the messages of `FILE` (a --transcript, a /save file, a sub --json or pub --json log) to their topics and modes, with the recorded spacing")
	fs.Float64Var(&r.speed, "speed", 1, fmt.Sprintf("--replay: divide the recorded gaps by this, from %g to %g (2 = twice as fast)", replay.MinSpeed, replay.MaxSpeed))
	fs.BoolVar(&r.fast, "as-fast-as-possible", false, "--replay: ignore the recorded gaps; each message waits for the previous answer")
	fs.StringVar(&r.kind, "replay-kind", "auto", "--replay: which records: sent, received, or auto (sent when there are any)")
	fs.StringVar(&r.to, "to", "", "--replay: send every message to this topic instead of its own")
	fs.IntVar(&r.inFlight, "in-flight", replay.DefaultInFlight, "--replay: at most this many sends waiting for answers")
}

// replayRecord is one line of `pub --replay --json`.
type replayRecord struct {
	pubRecord
	Index   int     `json:"index"`
	Total   int     `json:"total"`
	Line    int     `json:"line"`
	DueMs   float64 `json:"due_ms"`
	SentMs  float64 `json:"sent_ms"`
	Private bool    `json:"private,omitempty"`
}

// replayPub is `pub --replay FILE ENDPOINT`.
func replayPub(ctx context.Context, std stdio, cf *connFlags, args []string, o pubOptions) error {
	r := o.replay
	if len(args) != 1 {
		return usagef("--replay takes only ENDPOINT (the topics come from the file; --to redirects them)")
	}
	if err := replay.CheckSpeed(r.speed); err != nil {
		return usagef("--%v", err)
	}
	if r.inFlight < 1 {
		return usagef("--in-flight must be at least 1")
	}
	if msg := config.SendTimeoutProblem(o.timeout); msg != "" {
		return usagef("--timeout %s", msg)
	}
	if r.to != "" {
		if err := amop.ValidateTopic(r.to); err != nil {
			return usagef("--to: %v", err)
		}
	}
	sel, err := replay.ParseSelect(r.kind)
	if err != nil {
		return usagef("--replay-kind %v", err)
	}
	endpoint := args[0]
	if err := checkEndpoint(endpoint); err != nil {
		return err
	}
	msgs, sk, err := replay.LoadFile(r.file, sel)
	if err != nil {
		return usagef("--replay %v", err)
	}
	if sk.Lines > 0 {
		std.notef("pub", "%s: skipped %s (%s)", r.file, plural(sk.Lines, "unreadable line", "unreadable lines"), sk.First)
	}
	if sk.Cut > 0 {
		their := "their payloads"
		if sk.Cut == 1 {
			their = "its payload"
		}
		std.notef("pub", "%s: %s not replayed: /save kept only the head of %s, and sending a head would not be the message "+
			"(a --transcript or sub --json recording holds payloads whole)", r.file, plural(sk.Cut, "message", "messages"), their)
	}
	span := replay.Span(msgs)
	if r.fast {
		std.notef("pub", "replaying %s as fast as the node answers", plural(len(msgs), "message", "messages"))
	} else {
		over := replay.Scaled(span, r.speed)
		if over == math.MaxInt64 {
			return usagef("--speed %g stretches the recording's %v past what can be scheduled (292 years)", r.speed, span.Round(time.Second))
		}
		std.notef("pub", "replaying %s over %v (recorded %v, speed %g)",
			plural(len(msgs), "message", "messages"), over.Round(time.Millisecond), span.Round(time.Millisecond), r.speed)
	}

	cfg, closeLog, err := cf.adapterConfig([]string{endpoint})
	if err != nil {
		return err
	}
	defer closeLog()
	cfg.SendTimeout = o.timeout
	a, rep, err := cf.connect(ctx, cfg, o.wait, std, "pub")
	if err != nil {
		return err
	}
	defer a.Close()
	if !sleepCtx(ctx, o.delay) {
		return ctx.Err()
	}
	var werr error
	failed, err := replay.Run(ctx, a, msgs, replay.Options{Speed: r.speed, Fast: r.fast, Timeout: o.timeout, To: r.to, InFlight: r.inFlight},
		func(res replay.Result) {
			if werr == nil {
				werr = printReplay(std, o.asJSON, rep.line, res)
			}
		})
	if werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	if failed > 0 || sk.Cut > 0 {
		// A message not replayed is a failure too: the run did not
		// reproduce the recording.
		return failedSends(failed+sk.Cut, len(msgs)+sk.Cut)
	}
	return nil
}

// printReplay reports one replayed message: a line, or a JSON object.
func printReplay(std stdio, asJSON bool, line amop.Line, res replay.Result) error {
	m := res.Msg
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	if asJSON {
		rec := replayRecord{
			pubRecord: pubRecord{Time: time.Now().Add(-res.RTT).Format("2006-01-02T15:04:05.000Z07:00"), Topic: m.Topic, Mode: m.Mode.String(),
				Size: len(m.Data), Data: string(m.Data), OK: res.Err == nil, RTTms: ms(res.RTT)},
			Index: res.Index, Total: res.Total, Line: m.Line, DueMs: ms(res.Due), SentMs: ms(res.Sent), Private: m.Private,
		}
		rec.Data, rec.Encoding = jsonBytes(m.Data)
		if res.Err != nil {
			rec.Error = res.Err.Error()
		} else if m.Mode == amop.Unicast {
			rec.Reply, rec.ReplyEncoding = jsonBytes(res.Reply)
		}
		return writeJSONLine(std.out, rec)
	}
	late := ""
	if d := res.Sent - res.Due; d > 50*time.Millisecond {
		late = fmt.Sprintf(" (%v late)", d.Round(time.Millisecond))
	}
	// One line per message, the result at its end.
	outcome := ""
	switch {
	case res.Err != nil:
		outcome = "✗ " + sanitize.String(res.Err.Error())
	case m.Mode == amop.Unicast:
		outcome = fmt.Sprintf("✓ reply \"%s\" in %s", shown(res.Reply), res.RTT.Round(time.Microsecond))
	default:
		outcome = fmt.Sprintf("✓ %s in %s", line.MulticastOK(), res.RTT.Round(time.Microsecond))
	}
	_, err := fmt.Fprintf(std.out, "replay %d/%d +%.3fs%s %s %s: %s %s\n", res.Index, res.Total, res.Sent.Seconds(), late, m.Mode,
		sanitize.String(m.Topic), shown(m.Data), outcome)
	return err
}
