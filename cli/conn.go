package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/dial"
	"github.com/amoptui/amoptui/config"
)

// connFlags are the connection flags shared by sub, pub and bench.
type connFlags struct {
	fisco       string // --fisco: auto, 2 or 3
	noTLS       bool   // --no-tls: plain ws:// to 3.x nodes
	certs       string
	chainID     int64
	group       int
	sm          bool
	noVerify    bool
	debugLog    string
	maxIncoming sizeFlag
	found       amop.Line // the line found while choosing a default certificate directory
}

// sizeFlag is a byte size flag ("16MiB", config.ParseSize).
type sizeFlag int64

func (s *sizeFlag) String() string { return config.FormatSize(int64(*s)) }

func (s *sizeFlag) Set(v string) error {
	n, err := config.ParseSize(v)
	if err != nil {
		return err
	}
	if n < config.MinMaxIncoming || n > config.MaxMaxIncoming {
		return fmt.Errorf("want %s to %s", config.FormatSize(config.MinMaxIncoming), config.FormatSize(config.MaxMaxIncoming))
	}
	*s = sizeFlag(n)
	return nil
}

func (c *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.fisco, "fisco", "auto", "FISCO BCOS line of the nodes: 2, 3, or auto (asked of each endpoint in turn)")
	fs.BoolVar(&c.noTLS, "no-tls", false, "3.x nodes whose RPC port has TLS off (rpc.enable_ssl=false): plain ws://, no certificates")
	fs.StringVar(&c.certs, "certs", "", "directory holding ca.crt, sdk.crt and sdk.key (default: the current directory if it has ca.crt, else the local network's)")
	fs.Int64Var(&c.chainID, "chain-id", 1, "chain id the node must report")
	fs.IntVar(&c.group, "group", 1, "group id")
	fs.BoolVar(&c.sm, "sm", false, "the chain runs the SM (guomi) crypto suite")
	fs.BoolVar(&c.noVerify, "no-verify-node", false, "do not verify the node certificate against ca.crt (go-sdk's own behaviour)")
	fs.StringVar(&c.debugLog, "debug-log", "", "write the debug log (and go-sdk's) to this file")
	c.maxIncoming = config.DefaultMaxIncoming
	fs.Var(&c.maxIncoming, "max-incoming", "largest payload accepted from a node, e.g. 16MiB; larger ones are dropped and counted as oversize")
}

// line is --fisco.
func (c *connFlags) line() (amop.Line, error) {
	l, err := amop.ParseLine(c.fisco)
	if err != nil {
		return l, usagef("--fisco: %v", err)
	}
	if c.noTLS && l == amop.Line2 {
		return l, usagef("--no-tls is for 3.x chains with TLS off; FISCO BCOS 2.x nodes speak TLS only")
	}
	return l, nil
}

// dialOptions are --fisco and --no-tls for amop/dial.
func (c *connFlags) dialOptions() (dial.Options, error) {
	l, err := c.line()
	return dial.Options{Line: l, PlainWS: c.noTLS}, err
}

// certDir resolves --certs: the flag, else the current directory when it
// holds ca.crt (as the go-sdk examples expect), else the local network's of
// the line (for auto, see defaultCertDir).
func (c *connFlags) certDir() (string, error) {
	dir, _, err := c.certDirFor(nil)
	return dir, err
}

// certDirFor is certDir; with --fisco auto and the local networks' default
// directories, it picks the one whose certificates a node at endpoints
// accepts, and tells the line that node speaks when it found out.
func (c *connFlags) certDirFor(endpoints []string) (string, amop.Line, error) {
	if c.certs != "" {
		return c.certs, amop.LineAuto, nil
	}
	if _, err := os.Stat("ca.crt"); err == nil {
		return ".", amop.LineAuto, nil
	}
	l, err := c.line()
	if err != nil {
		return "", l, err
	}
	return defaultCertDir(l, endpoints)
}

// adapterConfig builds the adapter configuration for endpoints. The
// returned closer closes the debug log.
func (c *connFlags) adapterConfig(endpoints []string) (amop.Config, func(), error) {
	dir, found, err := c.certDirFor(endpoints)
	if err != nil {
		return amop.Config{}, nil, err
	}
	c.found = found
	cfg := amop.Config{
		Endpoints: endpoints,
		CAFile:    filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key"),
		ChainID: c.chainID, GroupID: c.group, SM: c.sm, SkipNodeVerify: c.noVerify, VerifyHint: "pass --no-verify-node",
		MaxIncoming: int(c.maxIncoming),
	}
	closer := func() {}
	if c.debugLog != "" {
		f, err := openDebugLog(c.debugLog)
		if err != nil {
			return amop.Config{}, nil, usagef("--debug-log %v", err)
		}
		cfg.SDKLog = f
		cfg.Logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
		closer = func() { _ = f.Close() }
	}
	return cfg, closer, nil
}

// openDebugLog opens path to append the debug log to, and writes its first
// line: only a regular file that takes a write will do. A directory or a
// device is refused before it is opened, and a file that opens for
// writing but refuses every write (/proc/version) by that first line, so
// that a log that goes nowhere is told at start, not never. The error
// starts with path.
func openDebugLog(path string) (*os.File, error) {
	if msg := config.LogFileProblem(path); msg != "" {
		return nil, errors.New(msg)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("%s is not a regular file (a log is appended to a file)", path)
	}
	h := slog.NewTextHandler(f, nil)
	if err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "debug log opened", 0)); err != nil {
		_ = f.Close()
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: a write fails: %v", path, err)
	}
	return f, nil
}

// checkEndpoint validates a HOST:PORT argument.
func checkEndpoint(ep string) error {
	host, port, err := net.SplitHostPort(ep)
	if err != nil || host == "" {
		return usagef("endpoint %q is not HOST:PORT", ep)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return usagef("endpoint %q has an invalid port", ep)
	}
	return nil
}

// connect starts the client of the line --fisco names (or the one the
// endpoint speaks) and waits up to wait for the first node session,
// telling its progress on stderr ("connecting to …: connection refused,
// retrying in 0.4 s"). A refusal (certificate, chain id, SM chain) ends the
// wait at once with its error; ctx (a signal) ends it with ctx's error.
// The returned reporter goes on with the events of the session, so that no
// state is told twice.
func (c *connFlags) connect(ctx context.Context, cfg amop.Config, wait time.Duration, std stdio, name string) (dial.Client, *progress, error) {
	o, err := c.dialOptions()
	if err != nil {
		return nil, nil, err
	}
	if o.Line == amop.LineAuto && c.found != amop.LineAuto {
		o.Line = c.found
	}
	a, ch, err := dial.Open(cfg, o)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Logger != nil {
		cfg.Logger.Info("FISCO BCOS line", "line", ch.Line.String(), "why", ch.Why)
	}
	rep := newProgress(std, name)
	rep.line = ch.Line
	timer := time.NewTimer(wait)
	defer timer.Stop()
	fail := func(err error) (dial.Client, *progress, error) {
		_ = a.Close()
		return nil, nil, err
	}
	for {
		// The status first: the events may lag behind it.
		switch st := a.Status(); st.State {
		case amop.StateConnected:
			// Tell what happened on the way, then the session.
			for drained := false; !drained; {
				select {
				case ev := <-a.Events():
					rep.event(ev)
				default:
					drained = true
				}
			}
			rep.state(st)
			return a, rep, nil
		case amop.StateDown:
			if st.LastErr != "" {
				return fail(errors.New(st.LastErr))
			}
			return fail(amop.ErrClosed)
		}
		select {
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-timer.C:
			st := a.Status()
			msg := fmt.Sprintf("not connected within %v", wait)
			if st.Attempt > 0 {
				msg += " (" + plural(st.Attempt, "attempt", "attempts") + ")"
			}
			if st.LastErr != "" {
				msg += ": " + st.LastErr
			}
			if hint := wrongLineHint(cfg, o.Line); hint != "" {
				return fail(errors.New(msg + hint))
			}
			return fail(errors.New(msg + "; is the node running? (--connect-timeout sets the wait)"))
		case ev, ok := <-a.Events():
			if !ok {
				return fail(amop.ErrClosed)
			}
			rep.event(ev)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// progress tells a headless command's connection states, drops and guard
// counters on stderr, each line after the command's name and endpoint
// (stdio.tag). The guard reports the start and the end of every retry, and
// a state can arrive twice: each line is printed once. An outage is told
// when it begins, again when its cause changes, and otherwise at a slowing
// cadence (outageMarks), never once per attempt.
type progress struct {
	std  stdio
	name string
	now  func() time.Time // time.Now; a test's clock
	// line is the FISCO BCOS line of the client connect made (detected,
	// with --fisco auto): what its words and limits follow.
	line amop.Line

	mu        sync.Mutex // the event reader of pub and the caller may both report
	last      string
	connected bool      // the last state told was connected
	outage    time.Time // when the current outage was first told; zero: none
	cause     string    // its cause as last told
	mark      time.Duration
}

// First and largest gap between the lines of one outage whose cause does
// not change: 10 s, 20 s, 40 s … then every 5 minutes.
const (
	outageFirstMark = 10 * time.Second
	outageMaxGap    = 5 * time.Minute
)

func newProgress(std stdio, name string) *progress {
	return &progress{std: std, name: name, now: time.Now}
}

// event tells ev if it is a state, drop or counter event, and reports
// whether it was one.
func (p *progress) event(ev amop.Event) bool {
	switch ev := ev.(type) {
	case *amop.StateEvent:
		p.state(ev.Status)
	case *amop.DropEvent:
		if out := ev.Dropped - ev.Behind; out > 0 {
			p.std.notef(p.name, "%s dropped (output too slow), %d in all", plural(int(out), "message", "messages"), ev.Total)
		}
		if ev.Behind > 0 {
			p.std.notef(p.name, "%s dropped (the client fell behind the node), %d in all", plural(int(ev.Behind), "message", "messages"), ev.Total)
		}
	case *amop.CounterEvent:
		p.std.notef(p.name, "the guard discarded from the node so far: %s, %s, %s over --max-incoming and %s on topics never joined",
			plural(int(ev.Malformed), "malformed frame", "malformed frames"), plural(int(ev.Reserved), "frame on a reserved topic", "frames on reserved topics"),
			plural(int(ev.Oversize), "frame", "frames"), plural(int(ev.NotJoined), "frame", "frames"))
	default:
		return false
	}
	return true
}

func (p *progress) state(s amop.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := ""
	switch {
	case s.State == amop.StateConnected || s.State == amop.StateDown:
		line = stateLine(s, p.connected)
		p.outage, p.cause = time.Time{}, ""
	case s.Retry <= 0:
		line = stateLine(s, p.connected) // "connecting…", or nothing while an attempt runs
	case p.outage.IsZero():
		line = stateLine(s, p.connected)
		p.outage, p.cause, p.mark = p.now(), s.LastErr, outageFirstMark
	case s.LastErr != p.cause:
		p.cause = s.LastErr
		line = stateLine(s, false)
	case p.now().Sub(p.outage) >= p.mark:
		line = stillLine(s, p.now().Sub(p.outage))
		p.mark += min(p.mark, outageMaxGap)
	}
	if line == "" || line == p.last {
		return
	}
	p.last = line
	p.connected = s.State == amop.StateConnected
	p.std.note(p.name, line)
}

// stillLine is a later line of one outage whose cause has not changed:
// "still reconnecting after 40 s (attempt 9): connection refused; next try
// in 3.2 s".
func stillLine(s amop.Status, since time.Duration) string {
	why := s.LastErr
	if why == "" {
		why = "failed"
	}
	return fmt.Sprintf("still %s after %s (attempt %d): %s; next try in %.1f s",
		s.State, roundSeconds(since), s.Attempt, why, s.Retry.Seconds())
}

// roundSeconds is d for a sentence: "40 s", "2 min 30 s".
func roundSeconds(d time.Duration) string {
	sec := int(d.Round(time.Second) / time.Second)
	if sec < 60 {
		return strconv.Itoa(sec) + " s"
	}
	if sec%60 == 0 {
		return strconv.Itoa(sec/60) + " min"
	}
	return fmt.Sprintf("%d min %d s", sec/60, sec%60)
}

// stateLine is a one-line description of a connection state for stderr,
// "" for one not worth a line (a retry starting: its outcome follows). The
// endpoint is not in it: every line of a command carries it already
// (stdio.tag). wasConnected says the previous state told was connected,
// so that a lost session is told as such.
func stateLine(s amop.Status, wasConnected bool) string {
	switch s.State {
	case amop.StateConnected:
		line := "connected"
		if s.Resubscribed > 0 {
			line += ", re-subscribed " + plural(s.Resubscribed, "topic", "topics")
		}
		return line
	case amop.StateDown:
		if s.LastErr == "" {
			return "connection down"
		}
		return "connection down: " + s.LastErr
	}
	if s.Retry <= 0 {
		if s.State == amop.StateConnecting && s.Attempt == 0 {
			return "connecting…"
		}
		return ""
	}
	why := s.LastErr
	if why == "" {
		why = "failed"
	}
	retry := fmt.Sprintf("%.1f s", s.Retry.Seconds())
	switch {
	case wasConnected:
		return fmt.Sprintf("connection lost: %s, reconnecting in %s", why, retry)
	case s.Attempt > 1:
		return fmt.Sprintf("%s: %s, retrying in %s (attempt %d)", s.State, why, retry, s.Attempt)
	}
	return fmt.Sprintf("%s: %s, retrying in %s", s.State, why, retry)
}

// plural is "1 topic", "2 topics".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// jsonBytes is b for a JSON record: its text when it is UTF-8, else its
// base64 with encoding "base64" — the real bytes either way, never a form
// made for display (writeJSONLine keeps the line safe for a terminal).
func jsonBytes(b []byte) (text, encoding string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

// writeJSONLine writes v as one JSON line that is safe for a terminal: JSON
// escapes C0 controls itself, and this escapes what it leaves raw — DEL, C1
// controls (U+009B is a CSI to some terminals) and format characters such
// as bidi overrides — as \uXXXX, which any JSON reader decodes back.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	out := make([]byte, 0, len(b)+1)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) {
			for _, u := range utf16.Encode([]rune{r}) {
				out = fmt.Appendf(out, `\u%04x`, u)
			}
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	out = append(out, '\n')
	_, err = w.Write(out)
	return err
}
