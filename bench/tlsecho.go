package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"github.com/amoptui/amoptui/loadgen"
	"io"
	"net"
	"sync"
	"time"
)

// tlsEcho measures the floor every TLS messaging path sits on: a client
// writes a message in one write over mutual TLS 1.2 (P-256) on loopback, an
// echo server reads it whole and writes it back in one write. No framing,
// no broker, no routing: what is left is two TLS records and two loopback
// hops per round trip.
func tlsEcho(ctx context.Context, o loopOptions, certDir string) (Result, error) {
	res := Result{Result: loadgen.Result{Mode: "unicast", Path: "raw TLS echo", Subscribers: 1}}
	serverCfg, clientCfg, err := tlsConfigs(certDir)
	if err != nil {
		return res, err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverCfg)
	if err != nil {
		return res, err
	}
	var mu sync.Mutex
	var accepted []net.Conn
	var wg sync.WaitGroup
	defer func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range accepted {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted = append(accepted, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				echo(c, o.Size)
			}()
		}
	}()

	senders := make([]sendFunc, o.Publishers)
	var clients []*tls.Conn
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	for i := range senders {
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: clientCfg}
		nc, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return res, err
		}
		c := nc.(*tls.Conn)
		clients = append(clients, c)
		st := c.ConnectionState()
		res.TLS = tls.VersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite)
		buf := make([]byte, o.Size)
		senders[i] = func(ctx context.Context, p []byte) error {
			if dl, ok := ctx.Deadline(); ok {
				if err := c.SetDeadline(dl); err != nil {
					return err
				}
			}
			if _, err := c.Write(p); err != nil {
				return err
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				return err
			}
			if !bytes.Equal(buf, p) {
				return errors.New("the echo differs from the message")
			}
			return nil
		}
	}
	out := closedLoop(ctx, o, senders, nil)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	summarise(&res, o, out)
	return res, nil
}

// echo writes back every size-byte message read from c, one write each,
// until c fails or is closed.
func echo(c net.Conn, size int) {
	buf := make([]byte, size)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}
