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
	"strings"
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
		ChainID: c.chainID, GroupID: c.group, SM: c.sm, SkipNodeVerify: c.noVerify,
		MaxIncoming: int(c.maxIncoming),
	}
	closer := func() {}
	if c.debugLog != "" {
		f, err := os.OpenFile(c.debugLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return amop.Config{}, nil, fmt.Errorf("debug log: %w", err)
		}
		cfg.SDKLog = f
		cfg.Logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
		closer = func() { _ = f.Close() }
	}
	return cfg, closer, nil
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
	rep := &progress{std: std, name: name}
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
			msg := fmt.Sprintf("not connected to %s within %v", strings.Join(cfg.Endpoints, ", "), wait)
			if st.Attempt > 0 {
				msg += " (" + plural(st.Attempt, "attempt", "attempts") + ")"
			}
			if st.LastErr != "" {
				msg += ": " + st.LastErr
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
// counters on stderr. The guard reports the start and the end of every
// retry, and a state can arrive twice; each line is printed once.
type progress struct {
	std       stdio
	name      string
	last      string
	connected bool // the last state told was connected
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
	line := stateLine(s, p.connected)
	if line == "" || line == p.last {
		return
	}
	p.last = line
	p.connected = s.State == amop.StateConnected
	p.std.note(p.name, line)
}

// stateLine is a one-line description of a connection state for stderr,
// "" for one not worth a line (a retry starting: its outcome follows).
// wasConnected says the previous state told was connected, so that a lost
// session is told as such.
func stateLine(s amop.Status, wasConnected bool) string {
	switch s.State {
	case amop.StateConnected:
		line := "connected to " + s.Endpoint
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
			return "connecting to " + s.Endpoint + "…"
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
		return fmt.Sprintf("connection to %s lost: %s, reconnecting in %s", s.Endpoint, why, retry)
	case s.Attempt > 1:
		return fmt.Sprintf("%s to %s: %s, retrying in %s (attempt %d)", s.State, s.Endpoint, why, retry, s.Attempt)
	}
	return fmt.Sprintf("%s to %s: %s, retrying in %s", s.State, s.Endpoint, why, retry)
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
