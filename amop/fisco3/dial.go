package fisco3

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amoptui/amoptui/amop"
)

// dialWS connects to ep and upgrades to a WebSocket on path "/" (nodes do
// not look at the path). It makes the TLS connection itself so that an
// error after it can say the port is not a WebSocket one.
func (c *Client) dialWS(ctx context.Context, ep string) (*websocket.Conn, error) {
	transport := false // TCP and TLS are up: what fails after is HTTP
	nd := &net.Dialer{}
	d := websocket.Dialer{
		HandshakeTimeout: c.cfg.Guard.DialTimeout,
		ReadBufferSize:   64 << 10,
		WriteBufferSize:  64 << 10,
	}
	scheme := "ws"
	if c.tls != nil {
		scheme = "wss"
		conf := c.tls.Clone()
		conf.VerifyPeerCertificate = c.verifier(ep)
		d.NetDialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			raw, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			began := time.Now()
			tc := tls.Client(raw, conf)
			if err := tc.HandshakeContext(ctx); err != nil {
				raw.Close()
				return nil, err
			}
			transport = true
			return c.capHTTP(tc, time.Since(began)), nil
		}
	} else {
		d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			began := time.Now()
			conn, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			transport = true
			return c.capHTTP(conn, time.Since(began)), nil
		}
	}
	conn, resp, err := d.DialContext(ctx, scheme+"://"+ep+"/", http.Header{})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, c.dialError(ep, resp, transport, err)
	}
	return conn, nil
}

// capHTTP bounds, for a probe, the wait for the HTTP answer once TCP and
// TLS are up: a 3.x node answers an upgrade at once, while a 2.x channel
// port may wait for the rest of the "frame" the request's first bytes
// announced. The bound is httpWait, or four times what the set-up took on a
// slow link. Sessions (httpWait 0) are not bounded here.
func (c *Client) capHTTP(conn net.Conn, setup time.Duration) net.Conn {
	if c.httpWait <= 0 {
		return conn
	}
	return &cappedConn{Conn: conn, cap: time.Now().Add(max(c.httpWait, 4*setup))}
}

// cappedConn never lets a deadline go past cap (the WebSocket library sets
// the handshake's own deadline on the connection).
type cappedConn struct {
	net.Conn
	cap time.Time
}

func (c *cappedConn) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(c.bound(t)) }
func (c *cappedConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.bound(t))
}

func (c *cappedConn) bound(t time.Time) time.Time {
	if t.IsZero() || t.After(c.cap) {
		return c.cap
	}
	return t
}

// ErrNotWebSocket is a port that completed TCP and TLS with us but did not
// answer a WebSocket upgrade in HTTP: not a 3.x RPC port — a FISCO BCOS 2.x
// channel port closes the connection, or waits, on the request's first
// bytes, which it reads as an impossible frame length.
var ErrNotWebSocket = errors.New("the port did not answer a WebSocket upgrade in HTTP: not a FISCO BCOS 3.x RPC port (a 2.x channel port? use --fisco 2)")

// Detect reports whether ep is a 3.x node (amop.Line3), a port that is not
// (amop.Line2: TLS works but no WebSocket), or cannot tell (amop.LineAuto
// and the error), within timeout. Nothing AMOP is sent.
func Detect(cfg Config, ep string, timeout time.Duration) (amop.Line, error) {
	c, err := probeClient(cfg, ep, timeout)
	if err != nil {
		return amop.LineAuto, err
	}
	err = c.probe(ep)
	switch {
	case err == nil:
		return amop.Line3, nil
	case errors.Is(err, ErrNotWebSocket):
		return amop.Line2, err
	}
	return amop.LineAuto, err
}

// probe dials ep and closes at once.
func (c *Client) probe(ep string) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.Guard.DialTimeout)
	defer cancel()
	conn, err := c.dialWS(ctx, ep)
	if err != nil {
		return err
	}
	return conn.Close()
}

// probeHTTPWait bounds a probe's wait for the HTTP answer (see capHTTP).
const probeHTTPWait = 500 * time.Millisecond

// probeClient is a client that only dials: Probe and Detect.
func probeClient(cfg Config, ep string, timeout time.Duration) (*Client, error) {
	cfg.Guard.DialTimeout = timeout
	cfg.Endpoints = []string{ep}
	c := &Client{cfg: cfg, ctx: context.Background(), httpWait: probeHTTPWait}
	if !cfg.PlainWS {
		creds, err := LoadCredentials(cfg.Config)
		if err != nil {
			return nil, err
		}
		c.tls = creds.clientTLS(!cfg.SkipNodeVerify)
	}
	return c, nil
}
