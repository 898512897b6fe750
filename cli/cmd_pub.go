package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/config"
	"github.com/amoptui/amoptui/sanitize"
	"github.com/amoptui/amoptui/userfile"
)

func init() {
	register(&command{
		name:    "pub",
		usage:   "[--certs DIR] [--multicast] [--count N] [--interval D] [--timeout D] [--json] [--raw] ENDPOINT TOPIC [MESSAGE]  |  pub --replay FILE [--speed X | --as-fast-as-possible] ENDPOINT",
		summary: "publish unicast (default) or multicast messages (MESSAGE may be a template: {{.Seq}}…); stdin lines when no MESSAGE is given; --replay re-sends a recording",
		run:     runPub,
	})
}

// pubRecord is one line of `pub --json`. Data and Reply are the bytes
// sent and received, base64 when they are not UTF-8.
type pubRecord struct {
	Time  string `json:"time"`
	Topic string `json:"topic"`
	Mode  string `json:"mode"`
	Size  int    `json:"size"`
	Data  string `json:"data"`
	// Encoding is "base64" when data is not UTF-8.
	Encoding string `json:"encoding,omitempty"`
	OK       bool   `json:"ok"`
	Reply    string `json:"reply,omitempty"`
	// ReplyEncoding is "base64" when reply is not UTF-8.
	ReplyEncoding string  `json:"reply_encoding,omitempty"`
	Error         string  `json:"error,omitempty"`
	RTTms         float64 `json:"rtt_ms"`
}

type pubOptions struct {
	multicast bool
	count     int
	interval  time.Duration
	timeout   time.Duration
	asJSON    bool
	wait      time.Duration
	delay     time.Duration
	raw       bool          // MESSAGE is sent as typed, even with "{{"
	subWait   time.Duration // --wait: for subscribers to be known (truth.go)
	file      string        // --file: one message, the whole file ("-": stdin)
	replay    replayFlags
}

func runPub(ctx context.Context, args []string, std stdio) int {
	fs := newFlagSet("pub", std)
	var cf connFlags
	cf.register(fs)
	var o pubOptions
	fs.BoolVar(&o.multicast, "multicast", false, "send to every subscriber instead of one")
	fs.IntVar(&o.count, "count", 1, "how many times to send MESSAGE (or the --file, or each stdin line)")
	fs.StringVar(&o.file, "file", "", "send the whole of `FILE` as one message, bytes as they are (- reads all of stdin)")
	fs.DurationVar(&o.interval, "interval", 200*time.Millisecond, "pause between sends: from the end of one to the start of the next (MESSAGE's template is rendered as each is sent)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, fmt.Sprintf("deadline of each send, at most %s (a real node waits up to %s per node it tries; a later reply is still shown while pub runs)", config.MaxSendTimeout, amop.NodeCandidateWaitText))
	fs.DurationVar(&o.subWait, "wait", 6*time.Second, "on a real chain, how long after connecting an AMOP 100 is retried (nodes learn of a new subscriber within 5 s); 0: off")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object per send")
	fs.DurationVar(&o.wait, "connect-timeout", 30*time.Second, "how long to wait for the first node session")
	fs.DurationVar(&o.delay, "delay", 0, "pause after connecting before the first send")
	fs.BoolVar(&o.raw, "raw", false, `send MESSAGE exactly as typed: no template processing of "{{"`)
	o.replay.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: amoptui pub "+commands["pub"].usage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return exitCode(std, "pub", err)
	}
	synopsis := "ENDPOINT TOPIC [MESSAGE]"
	if o.replay.file != "" {
		synopsis = "ENDPOINT"
	}
	if err := flagsBeforeArgs(fs, args, "ENDPOINT", synopsis); err != nil {
		return exitCode(std, "pub", err)
	}
	if fs.NArg() > 0 && checkEndpoint(fs.Arg(0)) == nil {
		std.tag = fs.Arg(0)
	}
	return exitCode(std, "pub", publish(ctx, std, &cf, fs.Args(), o))
}

// failedSends is the one form of pub's verdict on failures, for sends and
// replays alike: "1 of 26 sends failed", "1 of 1 send failed".
func failedSends(failed, total int) error {
	return fmt.Errorf("%d of %s failed", failed, plural(total, "send", "sends"))
}

// timedOutNote tells, after a run, what became of the sends that timed out
// and whose answer did not come while pub ran: the node may still answer
// them, or never (real-nodes.md rows 12, 13 and 22).
func timedOutNote(n int, realChain bool) string {
	it, them := "it", "them"
	if n != 1 {
		it = them
	}
	if !realChain {
		return fmt.Sprintf("%s timed out without an answer while pub ran; the node may still answer %s", plural(n, "send", "sends"), it)
	}
	return fmt.Sprintf("%s timed out without an answer while pub ran; a FISCO BCOS 2.x node waits up to %s for each node it tries, "+
		"so an answer may still come, or never: a 2.8–2.11 node that dropped a send for its own node while another waited there "+
		"never answers it, whatever the timeout", plural(n, "send", "sends"), amop.NodeCandidateWaitText)
}

func publish(ctx context.Context, std stdio, cf *connFlags, args []string, o pubOptions) error {
	if o.replay.file != "" {
		return replayPub(ctx, std, cf, args, o)
	}
	if len(args) < 2 || len(args) > 3 {
		return usagef("need ENDPOINT TOPIC [MESSAGE]")
	}
	if o.count < 1 {
		return usagef("--count must be at least 1")
	}
	if msg := config.SendTimeoutProblem(o.timeout); msg != "" {
		return usagef("--timeout %s", msg)
	}
	if o.interval < 0 || o.subWait < 0 || o.delay < 0 || o.wait <= 0 {
		return usagef("--interval, --wait and --delay must not be negative, --connect-timeout must be positive")
	}
	endpoint, topic := args[0], args[1]
	if err := checkEndpoint(endpoint); err != nil {
		return err
	}
	if err := amop.ValidateTopic(topic); err != nil {
		return usagef("%v", err)
	}
	mode := amop.Unicast
	if o.multicast {
		mode = amop.Multicast
	}
	next, err := pubMessages(std, args, o, topic, mode)
	if err != nil {
		return err
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
	failed, sent := 0, 0
	wait := newSubscriberWait(a, o.subWait, std)
	lctx, stopLate := context.WithCancel(ctx)
	defer stopLate()
	// The connection's states (lost, back) are told on stderr as they
	// happen, between the sends' lines.
	late, timedOut := watchLate(lctx, a, rep), map[uint64]int{}
	var ended time.Time // when the previous send ended
	for i := 0; ; i++ {
		item, ok := next(i)
		if !ok || ctx.Err() != nil {
			break
		}
		// --interval lies between the end of a send and the start of
		// the next, whatever reading the next line took.
		if i > 0 && !sleepCtx(ctx, o.interval-time.Since(ended)) {
			break
		}
		if err := late.show(std.out, timedOut, o.asJSON); err != nil {
			return err
		}
		if mode == amop.Multicast && !wait.beforeMulticast(ctx) {
			break
		}
		// Rendered now, right before it goes: {{.Now}} is the send's time.
		msg, err := item()
		if err != nil {
			std.notef("pub", "message %d: %v", i+1, err)
			failed++
			sent++
			ended = time.Now()
			continue
		}
		start := time.Now()
		var reply []byte
		if mode == amop.Multicast {
			sctx, cancel := context.WithTimeout(ctx, o.timeout)
			err = a.Multicast(sctx, topic, msg)
			cancel()
		} else {
			reply, err = wait.unicast(ctx, func() ([]byte, error) {
				start = time.Now()
				sctx, cancel := context.WithTimeout(ctx, o.timeout)
				defer cancel()
				return a.Unicast(sctx, topic, msg)
			})
		}
		ended = time.Now()
		rtt := ended.Sub(start)
		if ctx.Err() != nil && err != nil {
			break // interrupted: not a failure of the send
		}
		sent++
		if err != nil {
			failed++
		}
		if id := timeoutID(err); id != 0 {
			timedOut[id] = i + 1
		}
		if o.asJSON {
			rec := pubRecord{Time: start.Format("2006-01-02T15:04:05.000Z07:00"), Topic: topic, Mode: mode.String(),
				Size: len(msg), OK: err == nil, RTTms: float64(rtt.Microseconds()) / 1000}
			rec.Data, rec.Encoding = jsonBytes(msg)
			if err != nil {
				rec.Error = err.Error()
			} else if mode == amop.Unicast {
				rec.Reply, rec.ReplyEncoding = jsonBytes(reply)
			}
			if werr := writeJSONLine(std.out, rec); werr != nil {
				return werr
			}
			continue
		}
		fmt.Fprintf(std.out, "%s publish message: %s\n", start.Format("2006/01/02 15:04:05"), shown(msg))
		switch {
		case err != nil:
			fmt.Fprintf(std.out, "  ✗ %s\n", sanitize.String(err.Error()))
		case mode == amop.Unicast:
			fmt.Fprintf(std.out, "  ✓ reply \"%s\" in %s\n", shown(reply), rtt.Round(time.Microsecond))
		default:
			fmt.Fprintf(std.out, "  ✓ %s in %s (%s)\n", rep.line.MulticastOK(), rtt.Round(time.Microsecond), rep.line.MulticastOKNote())
		}
	}
	if err := late.show(std.out, timedOut, o.asJSON); err != nil {
		return err
	}
	if len(timedOut) > 0 {
		std.note("pub", timedOutNote(len(timedOut), realChain(a)))
	}
	if failed > 0 {
		return failedSends(failed, sent)
	}
	return nil
}

// pubItem makes one message when it is about to be sent: a template is
// rendered then, so that {{.Now}} is the time of the send.
type pubItem func() ([]byte, error)

// pubMessages returns the messages pub sends, in order: MESSAGE (a
// template) --count times; or the whole --file (or stdin) as one message
// --count times; or, with no MESSAGE and stdin not a terminal, each
// non-empty line of stdin --count times; or the go-sdk example's numbered
// greeting. next(i) reports false when there is no message i; what it
// returns makes the message. Every problem that can be found before
// connecting is a usage error.
func pubMessages(std stdio, args []string, o pubOptions, topic string, mode amop.Mode) (next func(i int) (pubItem, bool), err error) {
	fixed := func(msg []byte) pubItem { return func() ([]byte, error) { return msg, nil } }
	repeat := func(msg []byte) func(int) (pubItem, bool) {
		return func(i int) (pubItem, bool) { return fixed(msg), i < o.count }
	}
	switch {
	case o.file != "" && len(args) == 3:
		return nil, usagef("give MESSAGE or --file, not both")
	case o.file != "":
		msg, err := readMessageFile(std.in, o.file)
		if err != nil {
			return nil, err
		}
		return repeat(msg), nil
	case len(args) == 3:
		render, err := messageTemplate(args[2], o.raw, topic, mode)
		if err != nil {
			return nil, err
		}
		return func(i int) (pubItem, bool) {
			if i >= o.count {
				return nil, false
			}
			return func() ([]byte, error) {
				s, err := render(i + 1)
				return []byte(s), err
			}, true
		}, nil
	case !isTerminal(std.in):
		sc := bufio.NewScanner(std.in)
		sc.Buffer(make([]byte, 64<<10), maxMessage)
		var line []byte
		return func(i int) (pubItem, bool) {
			if i%o.count == 0 {
				// The next non-empty line: an empty one is no message.
				for {
					if !sc.Scan() {
						if err := sc.Err(); err != nil {
							std.notef("pub", "stdin: %v", err)
						}
						return nil, false
					}
					if len(sc.Bytes()) > 0 {
						break
					}
				}
				line = append([]byte(nil), sc.Bytes()...)
			}
			return fixed(line), true
		}, nil
	}
	greeting := fmt.Sprintf("hello, FISCO BCOS, I am %s publisher!", mode)
	return func(i int) (pubItem, bool) {
		return fixed([]byte(greeting + " " + strconv.Itoa(i))), i < o.count
	}, nil
}

// maxMessage is the largest message pub reads from a file or a line: the
// adapter's payload limit.
const maxMessage = 8 << 20

// messageLimit is --file's limit: one message.
var messageLimit = userfile.Limit{Max: maxMessage, What: "one message"}

// readMessageFile reads --file: the whole file, or all of stdin for "-".
// A named file must be a regular file (userfile); a pipe comes in as "-".
func readMessageFile(stdin io.Reader, name string) ([]byte, error) {
	if name != "-" {
		b, err := userfile.Read(name, messageLimit)
		if errors.Is(err, userfile.ErrNotRegular) {
			return nil, usagef("--file: %v; send from a pipe with --file - (stdin)", err)
		}
		if err != nil {
			return nil, usagef("--file: %v", err)
		}
		return b, nil
	}
	if stdin == nil {
		return nil, usagef("--file -: stdin is a terminal; pipe the message in")
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxMessage+1))
	if err != nil {
		return nil, usagef("--file -: %v", err)
	}
	if len(b) > maxMessage {
		return nil, usagef("--file -: more than %s, the most one message may hold", userfile.FormatSize(maxMessage))
	}
	return b, nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// isTerminal reports whether r is a character device (a terminal): pub then
// does not wait for lines on it.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return r == nil
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
