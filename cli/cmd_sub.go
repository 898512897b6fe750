package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"

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

// subRecord is one line of `sub --json`. Data and Reply are the bytes
// received and sent back, base64 when they are not UTF-8.
type subRecord struct {
	Time          string `json:"time"`
	Topic         string `json:"topic"`
	Mode          string `json:"mode"`
	Size          int    `json:"size"`
	Data          string `json:"data"`
	Encoding      string `json:"encoding,omitempty"` // "base64" when the payload is not UTF-8
	Reply         string `json:"reply,omitempty"`
	ReplyEncoding string `json:"reply_encoding,omitempty"` // "base64" when the reply is not UTF-8
}

// subOutput is how sub prints a message: JSON, a --format template, or
// the go-sdk example's line (optionally after the topic).
type subOutput struct {
	asJSON      bool
	topicPrefix bool
	format      *template.Template
}

// subLine is what a --format template sees of a message: every text that
// came from the network is sanitised.
type subLine struct {
	Time    time.Time
	Topic   string
	Mode    string // unicast or multicast
	Size    int
	Data    string
	Replied bool
	Reply   string
}

// write prints one message.
func (o subOutput) write(w io.Writer, ev *amop.MessageEvent) error {
	switch {
	case o.asJSON:
		rec := subRecord{Time: ev.At.Format("2006-01-02T15:04:05.000Z07:00"), Topic: ev.Topic, Mode: ev.Mode.String(), Size: len(ev.Data)}
		rec.Data, rec.Encoding = jsonBytes(ev.Data)
		if ev.Replied {
			rec.Reply, rec.ReplyEncoding = jsonBytes(ev.Reply)
		}
		return writeJSONLine(w, rec)
	case o.format != nil:
		var b strings.Builder
		err := o.format.Execute(&b, subLine{Time: ev.At, Topic: sanitize.String(ev.Topic), Mode: ev.Mode.String(), Size: len(ev.Data),
			Data: sanitize.Bytes(ev.Data), Replied: ev.Replied, Reply: sanitize.Bytes(ev.Reply)})
		if err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		if !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
		_, err = io.WriteString(w, b.String())
		return err
	}
	prefix := ""
	if o.topicPrefix {
		prefix = "[" + sanitize.String(ev.Topic) + "] "
	}
	// The go-sdk example's line shape, payload made safe for a terminal.
	_, err := fmt.Fprintf(w, "%s%s received: %s\n", prefix, ev.At.Format("2006/01/02 15:04:05"), shown(ev.Data))
	return err
}

func runSub(ctx context.Context, args []string, std stdio) int {
	fs := newFlagSet("sub", std)
	var cf connFlags
	cf.register(fs)
	reply := fs.String("reply", "", `answer unicast requests: "echo" or a fixed text (default: empty answers)`)
	asJSON := fs.Bool("json", false, "print one JSON object per message")
	count := fs.Int("count", 0, "exit after N messages (0: run until interrupted)")
	wait := fs.Duration("connect-timeout", 30*time.Second, "how long to wait for the first node session")
	var out subOutput
	fs.BoolVar(&out.topicPrefix, "topic-prefix", false, `start each line with "[TOPIC] "`)
	format := fs.String("format", "", "print each message with this Go `TEMPLATE` ({{.Time.Format \"15:04:05.000\"}} {{.Topic}} {{.Mode}} {{.Size}} {{.Data}} {{.Reply}}; text from the network is sanitised)")
	var ef execFlags
	ef.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: amoptui sub "+commands["sub"].usage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return exitCode(std, "sub", err)
	}
	if err := flagsBeforeArgs(fs, args, "ENDPOINT", "ENDPOINT TOPIC [TOPIC...]"); err != nil {
		return exitCode(std, "sub", err)
	}
	if fs.NArg() > 0 && checkEndpoint(fs.Arg(0)) == nil {
		std.tag = fs.Arg(0)
	}
	ef.visit(fs)
	line, err := cf.line()
	if err != nil {
		return exitCode(std, "sub", err)
	}
	policy, err := ef.policy(*reply, line)
	if err != nil {
		return exitCode(std, "sub", err)
	}
	out.asJSON = *asJSON
	if *format != "" {
		if out.asJSON {
			return exitCode(std, "sub", usagef("--format and --json are exclusive"))
		}
		t, err := template.New("format").Option("missingkey=error").Parse(*format)
		if err != nil {
			return exitCode(std, "sub", usagef("--format: %v", err))
		}
		out.format = t
	}
	return exitCode(std, "sub", subscribe(ctx, std, &cf, &ef, fs.Args(), policy, out, *count, *wait))
}

func subscribe(ctx context.Context, std stdio, cf *connFlags, ef *execFlags, args []string, policy amop.ReplyPolicy, out subOutput, count int, wait time.Duration) error {
	if len(args) < 2 {
		return usagef("need ENDPOINT and at least one TOPIC")
	}
	if count < 0 {
		return usagef("--count must not be negative")
	}
	if wait <= 0 {
		return usagef("--connect-timeout must be positive")
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
	a, rep, err := cf.connect(ctx, cfg, wait, std, "sub")
	if err != nil {
		return err
	}
	defer a.Close()
	// No request arrives before a Join.
	if err := ef.checkLine(rep.line, std); err != nil {
		return err
	}
	for _, t := range topics {
		if err := a.Join(t); err != nil {
			return err
		}
	}
	// The go-sdk example's first line; with --json stdout holds only JSON.
	if out.asJSON {
		std.note("sub", "Subscriber success")
	} else {
		fmt.Fprintln(std.out, "Subscriber success")
	}
	var sync syncNotice
	defer sync.stop()
	sync.start(a, std)
	seen := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sync.done():
			sync.over(std)
		case ev, ok := <-a.Events():
			if !ok {
				return nil
			}
			if st, ok := ev.(*amop.StateEvent); ok && st.Status.State == amop.StateConnected && st.Status.Resubscribed > 0 {
				sync.start(a, std)
			}
			if rep.event(ev) {
				continue
			}
			msg, isMsg := ev.(*amop.MessageEvent)
			if !isMsg {
				continue
			}
			if msg.ReplyErr != "" {
				std.note("sub", "auto-reply failed: "+msg.ReplyErr)
			}
			if err := out.write(std.out, msg); err != nil {
				return err
			}
			seen++
			if count > 0 && seen >= count {
				return nil
			}
		}
	}
}
