package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/config"
)

// connFlags are the connection flags shared by sub, pub and bench.
type connFlags struct {
	certs       string
	chainID     int64
	group       int
	sm          bool
	noVerify    bool
	debugLog    string
	maxIncoming sizeFlag
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
	fs.StringVar(&c.certs, "certs", "", "directory holding ca.crt, sdk.crt and sdk.key (default: the current directory if it has ca.crt, else the local network's)")
	fs.Int64Var(&c.chainID, "chain-id", 1, "chain id the node must report")
	fs.IntVar(&c.group, "group", 1, "group id")
	fs.BoolVar(&c.sm, "sm", false, "the chain runs the SM (guomi) crypto suite")
	fs.BoolVar(&c.noVerify, "no-verify-node", false, "do not verify the node certificate against ca.crt (go-sdk's own behaviour)")
	fs.StringVar(&c.debugLog, "debug-log", "", "write the debug log (and go-sdk's) to this file")
	c.maxIncoming = config.DefaultMaxIncoming
	fs.Var(&c.maxIncoming, "max-incoming", "largest payload accepted from a node, e.g. 16MiB; larger ones are dropped and counted as oversize")
}

// certDir resolves --certs: the flag, else the current directory when it
// holds ca.crt (as the go-sdk examples expect), else the local network's.
func (c *connFlags) certDir() (string, error) {
	if c.certs != "" {
		return c.certs, nil
	}
	if _, err := os.Stat("ca.crt"); err == nil {
		return ".", nil
	}
	return local.DefaultCertDir()
}

// adapterConfig builds the adapter configuration for endpoints. The
// returned closer closes the debug log.
func (c *connFlags) adapterConfig(endpoints []string) (amop.Config, func(), error) {
	dir, err := c.certDir()
	if err != nil {
		return amop.Config{}, nil, err
	}
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

// connect starts the adapter and waits up to wait for the first node
// session, reporting progress on w. A refusal (certificate, chain id) ends
// the wait at once with its error.
func connect(ctx context.Context, cfg amop.Config, wait time.Duration, w io.Writer) (*amop.SDK, error) {
	a, err := amop.New(cfg)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := a.WaitReady(wctx); err != nil {
		_ = a.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return a, nil
}

// stateLine is a one-line description of a connection state for stderr.
func stateLine(s amop.Status) string {
	switch s.State {
	case amop.StateConnected:
		line := "connected to " + s.Endpoint
		if s.Resubscribed > 0 {
			line += fmt.Sprintf(", re-subscribed %d topics", s.Resubscribed)
		}
		return line
	case amop.StateReconnecting, amop.StateConnecting:
		return fmt.Sprintf("%s to %s (attempt %d): %s", s.State, s.Endpoint, s.Attempt, s.LastErr)
	}
	return fmt.Sprintf("down: %s", s.LastErr)
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
