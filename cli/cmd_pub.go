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
	fs.DurationVar(&o.interval, "interval", 200*time.Millisecond, "pause between sends")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "deadline of each send (a real node waits up to 30 s per node it tries; a later reply is still shown)")
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
	return exitCode(std, "pub", publish(ctx, std, &cf, fs.Args(), o))
}

// errSomeFailed makes pub exit 1 after it has reported each failure.
var errSomeFailed = errors.New("some sends failed")

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
	if o.timeout <= 0 || o.interval < 0 || o.subWait < 0 {
		return usagef("--timeout must be positive, --interval and --wait not negative")
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
	a, _, err := cf.connect(ctx, cfg, o.wait, std, "pub")
	if err != nil {
		return err
	}
	defer a.Close()
	if !sleepCtx(ctx, o.delay) {
		return ctx.Err()
	}
	failed := 0
	wait := newSubscriberWait(a, o.subWait, std)
	lctx, stopLate := context.WithCancel(ctx)
	defer stopLate()
	late, timedOut := watchLate(lctx, a), map[uint64]int{}
	for i := 0; ; i++ {
		msg, ok := next(i)
		if !ok || ctx.Err() != nil {
			break
		}
		if i > 0 && !sleepCtx(ctx, o.interval) {
			break
		}
		if !o.asJSON {
			late.print(std.out, timedOut)
		}
		if mode == amop.Multicast && !wait.beforeMulticast(ctx) {
			break
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
		rtt := time.Since(start)
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
		fmt.Fprintf(std.out, "%s publish message: %s\n", start.Format("2006/01/02 15:04:05"), sanitize.Bytes(msg))
		switch {
		case err != nil:
			fmt.Fprintf(std.out, "  ✗ %s\n", sanitize.String(err.Error()))
		case mode == amop.Unicast:
			fmt.Fprintf(std.out, "  ✓ reply \"%s\" in %s\n", sanitize.Bytes(reply), rtt.Round(time.Microsecond))
		default:
			fmt.Fprintf(std.out, "  ✓ %s in %s (not a delivery receipt)\n", amop.MulticastAccepted, rtt.Round(time.Microsecond))
		}
	}
	if !o.asJSON {
		late.print(std.out, timedOut)
		if len(timedOut) > 0 {
			std.notef("pub", "%s timed out; a real node may still deliver them (it waits up to %s for each node it tries): "+
				"a --timeout above that waits for their replies", plural(len(timedOut), "send", "sends"), amop.NodeCandidateWait)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d", errSomeFailed, failed)
	}
	return nil
}

// pubMessages returns the messages pub sends, in order: MESSAGE (a
// template) --count times; or the whole --file (or stdin) as one message
// --count times; or, with no MESSAGE and stdin not a terminal, each
// non-empty line of stdin --count times; or the go-sdk example's numbered
// greeting. Every problem that can be found before connecting is a usage
// error.
func pubMessages(std stdio, args []string, o pubOptions, topic string, mode amop.Mode) (func(i int) ([]byte, bool), error) {
	repeat := func(msg []byte) func(int) ([]byte, bool) {
		return func(i int) ([]byte, bool) { return msg, i < o.count }
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
		return func(i int) ([]byte, bool) {
			if i >= o.count {
				return nil, false
			}
			s, ok := render(i + 1)
			return []byte(s), ok
		}, nil
	case !isTerminal(std.in):
		sc := bufio.NewScanner(std.in)
		sc.Buffer(make([]byte, 64<<10), maxMessage)
		var line []byte
		return func(i int) ([]byte, bool) {
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
				line = append(line[:0], sc.Bytes()...)
			}
			return line, true
		}, nil
	}
	greeting := fmt.Sprintf("hello, FISCO BCOS, I am %s publisher!", mode)
	return func(i int) ([]byte, bool) { return []byte(greeting + " " + strconv.Itoa(i)), i < o.count }, nil
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
