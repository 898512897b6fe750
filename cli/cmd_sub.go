package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
)

func init() {
	register(&command{
		name:    "sub",
		usage:   "[--certs DIR] [--reply TEXT | --exec CMD [--exec-shell]] [--json] [--count N] ENDPOINT TOPIC [TOPIC...]",
		summary: "subscribe and print every message (the go-sdk example subscriber, hardened)",
		run:     runSub,
	})
}

// subRecord is one line of `sub --json`.
type subRecord struct {
	Time     string `json:"time"`
	Topic    string `json:"topic"`
	Mode     string `json:"mode"`
	Size     int    `json:"size"`
	Data     string `json:"data"`
	Encoding string `json:"encoding,omitempty"` // "base64" when the payload is not UTF-8
	Reply    string `json:"reply,omitempty"`
}

func runSub(ctx context.Context, args []string, std stdio) int {
	fs := newFlagSet("sub", std)
	var cf connFlags
	cf.register(fs)
	reply := fs.String("reply", "", `answer unicast requests: "echo" or a fixed text (default: empty answers)`)
	asJSON := fs.Bool("json", false, "print one JSON object per message")
	count := fs.Int("count", 0, "exit after N messages (0: run until interrupted)")
	wait := fs.Duration("connect-timeout", 30*time.Second, "how long to wait for the first node session")
	var ef execFlags
	ef.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: amoptui sub "+commands["sub"].usage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return exitCode(std, "sub", err)
	}
	policy, err := ef.policy(*reply, std)
	if err != nil {
		return exitCode(std, "sub", err)
	}
	return exitCode(std, "sub", subscribe(ctx, std, &cf, fs.Args(), policy, *asJSON, *count, *wait))
}

func subscribe(ctx context.Context, std stdio, cf *connFlags, args []string, policy amop.ReplyPolicy, asJSON bool, count int, wait time.Duration) error {
	if len(args) < 2 {
		return usagef("need ENDPOINT and at least one TOPIC")
	}
	if count < 0 {
		return usagef("--count must not be negative")
	}
	endpoint, topics := args[0], args[1:]
	if err := checkEndpoint(endpoint); err != nil {
		return err
	}
	for _, t := range topics {
		if err := amop.ValidateTopic(t); err != nil {
			return usagef("%v", err)
		}
	}
	cfg, closeLog, err := cf.adapterConfig([]string{endpoint})
	if err != nil {
		return err
	}
	defer closeLog()
	cfg.AutoReply = policy
	a, err := connect(ctx, cfg, wait, std.err)
	if err != nil {
		return err
	}
	defer a.Close()
	for _, t := range topics {
		if err := a.Join(t); err != nil {
			return err
		}
	}
	fmt.Fprintln(std.out, "Subscriber success")
	var sync syncNotice
	defer sync.stop()
	sync.start(a, std.err)
	seen := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sync.done():
			sync.over(std.err)
		case ev, ok := <-a.Events():
			if !ok {
				return nil
			}
			switch ev := ev.(type) {
			case *amop.MessageEvent:
				if ev.ReplyErr != "" {
					fmt.Fprintln(std.err, "amoptui sub: auto-reply failed: "+sanitize.String(ev.ReplyErr))
				}
				if asJSON {
					rec := subRecord{Time: ev.At.Format("2006-01-02T15:04:05.000Z07:00"), Topic: ev.Topic,
						Mode: ev.Mode.String(), Size: len(ev.Data), Data: string(ev.Data)}
					if !utf8.Valid(ev.Data) {
						rec.Data, rec.Encoding = base64.StdEncoding.EncodeToString(ev.Data), "base64"
					}
					if ev.Replied {
						rec.Reply = sanitize.Bytes(ev.Reply)
					}
					if err := writeJSONLine(std.out, rec); err != nil {
						return err
					}
				} else {
					// The go-sdk example's line shape, payload made safe for a terminal.
					fmt.Fprintf(std.out, "%s received: %s\n", ev.At.Format("2006/01/02 15:04:05"), sanitize.Bytes(ev.Data))
				}
				seen++
				if count > 0 && seen >= count {
					return nil
				}
			case *amop.StateEvent:
				fmt.Fprintln(std.err, "amoptui sub: "+sanitize.String(stateLine(ev.Status)))
				if ev.Status.State == amop.StateConnected && ev.Status.Resubscribed > 0 {
					sync.start(a, std.err)
				}
			case *amop.DropEvent:
				if ui := ev.Dropped - ev.Behind; ui > 0 {
					fmt.Fprintf(std.err, "amoptui sub: %d messages dropped (output too slow), %d in all\n", ui, ev.Total)
				}
				if ev.Behind > 0 {
					fmt.Fprintf(std.err, "amoptui sub: %d messages dropped (the client fell behind the node), %d in all\n", ev.Behind, ev.Total)
				}
			case *amop.CounterEvent:
				fmt.Fprintf(std.err, "amoptui sub: the guard dropped %d malformed frames, %d on reserved topics, %d over --max-incoming and %d on topics never joined so far\n",
					ev.Malformed, ev.Reserved, ev.Oversize, ev.NotJoined)
			}
		}
	}
}
