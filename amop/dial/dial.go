// Package dial opens an amop.Client on the FISCO BCOS line a configuration
// asks for: the go-sdk adapter (package amop) for 2.x, the pure-Go client
// (amop/fisco3) for 3.x — or, with amop.LineAuto, the line the configured
// endpoints speak, found out per endpoint in bounded time. The UI and the
// commands use this and never learn more of the line than NodeInfo says.
package dial

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/fisco3"
)

// Client is an amop.Client that can wait for its first node session; both
// lines' clients are one.
type Client interface {
	amop.Client
	WaitReady(ctx context.Context) error
}

// Options choose the line.
type Options struct {
	// Line is the line to speak; LineAuto detects it.
	Line amop.Line
	// PlainWS connects to 3.x nodes with ws://, for chains with TLS off.
	PlainWS bool
	// DetectTimeout bounds detection per endpoint (default 2 s).
	DetectTimeout time.Duration
}

// Choice is the line Open chose, and why.
type Choice struct {
	Line amop.Line
	Why  string
}

// Open makes the client of cfg's line (see Options); it does not wait for a
// node. With LineAuto, detection tries the endpoints in order, at most
// DetectTimeout each, and stops at the first that tells.
func Open(cfg amop.Config, o Options) (Client, Choice, error) {
	ch := Choice{Line: o.Line, Why: "as configured"}
	if o.Line == amop.LineAuto {
		ch = Detect(cfg, o)
	}
	switch ch.Line {
	case amop.Line3:
		c, err := fisco3.New(fisco3.Config{Config: cfg, PlainWS: o.PlainWS})
		return c, ch, err
	case amop.Line2:
		if o.PlainWS {
			return nil, ch, errors.New("amop: FISCO BCOS 2.x nodes speak TLS only; tls = false is for 3.x chains with TLS off")
		}
	}
	c, err := amop.New(cfg)
	if err != nil {
		return nil, ch, err
	}
	return c, ch, nil
}

// Detect finds the line of cfg's endpoints: the first endpoint that accepts a
// WebSocket upgrade is 3.x; the first that completes TLS but does not speak
// HTTP is 2.x (its channel protocol reads the request as a frame and
// closes). When no endpoint tells (all down, or TLS refused), the
// certificates decide: RSA is what 3.x build_chain.sh makes, elliptic
// curves (secp256k1) what 2.x's makes.
func Detect(cfg amop.Config, o Options) Choice {
	if o.PlainWS {
		return Choice{amop.Line3, "plain ws:// (tls = false) exists on 3.x only"}
	}
	timeout := o.DetectTimeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	creds, err := fisco3.LoadCredentials(cfg)
	if err != nil {
		// The standard library cannot read them: secp256k1, a 2.x
		// chain's (or broken, which the 2.x adapter says in its words).
		return Choice{amop.Line2, "the certificates are not ones a 3.x chain makes (" + err.Error() + ")"}
	}
	var last error
	for _, ep := range cfg.Endpoints {
		line, err := fisco3.Detect(fisco3.Config{Config: cfg}, ep, timeout)
		switch {
		case line == amop.Line3:
			return Choice{amop.Line3, ep + " accepted a WebSocket upgrade"}
		case line == amop.Line2:
			return Choice{amop.Line2, ep + " completed TLS but speaks no HTTP: the 2.x channel protocol"}
		case errors.Is(err, fisco3.ErrSMChain):
			// The 3.x client says what an SM chain needs.
			return Choice{amop.Line3, ep + " speaks SM TLS"}
		}
		last = err
	}
	why := "no endpoint answered"
	if last != nil {
		why = fmt.Sprintf("no endpoint told (%v)", last)
	}
	if _, ok := creds.Certificate().PrivateKey.(*rsa.PrivateKey); ok {
		return Choice{amop.Line3, why + "; the certificates are RSA, as 3.x build_chain.sh makes them"}
	}
	return Choice{amop.Line2, why + "; the certificates are elliptic-curve ones, as 2.x build_chain.sh makes them"}
}

// Probe reports whether a node of line at endpoint completes a TLS handshake
// with cfg's certificates within timeout (and, on 3.x, a WebSocket upgrade).
func Probe(cfg amop.Config, line amop.Line, endpoint string, timeout time.Duration) error {
	if line == amop.Line3 {
		return fisco3.Probe(fisco3.Config{Config: cfg}, endpoint, timeout)
	}
	return amop.Probe(cfg, endpoint, timeout)
}
