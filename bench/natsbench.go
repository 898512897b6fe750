package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/amoptui/amoptui/loadgen"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// natsOptions say how to reach the broker and what to measure.
type natsOptions struct {
	loopOptions
	URL         string // tls://127.0.0.1:PORT
	CertDir     string // the writeCerts material
	Subscribers int    // responders (request/reply) or subscribers (publish+flush)
}

// subjectSeq keeps the subjects of consecutive runs in one process apart.
var subjectSeq atomic.Int64

// natsConnect opens one client connection with mutual TLS: the client
// certificate is presented and the server's is verified against the CA,
// as go-sdk presents its SDK certificate to a node.
func natsConnect(o natsOptions, name string) (*nats.Conn, error) {
	return nats.Connect(o.URL,
		nats.Name(name),
		nats.ClientCert(filepath.Join(o.CertDir, clientCertFile), filepath.Join(o.CertDir, clientKeyFile)),
		nats.RootCAs(filepath.Join(o.CertDir, caCertFile)),
		nats.Timeout(5*time.Second),
		nats.MaxReconnects(0), // a broker that goes away ends the run; it is not part of what we measure
		nats.NoCallbacksAfterClientClose(),
	)
}

// natsInfo is the broker version and negotiated TLS version of nc.
func natsInfo(nc *nats.Conn) (server, tlsVersion string) {
	server = "nats-server " + nc.ConnectedServerVersion()
	if st, err := nc.TLSConnectionState(); err == nil {
		tlsVersion = tls.VersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite)
	}
	return server, tlsVersion
}

// closeAll closes the connections it is handed, in order.
func closeAll(conns []*nats.Conn) {
	for _, nc := range conns {
		nc.Close()
	}
}

// natsRequestReply measures NATS request/reply against AMOP unicast: each
// publisher connection sends a request and waits for the reply; responders
// on their own connections (one queue group, so exactly one answers, as a
// node picks one subscriber) echo the payload back.
func natsRequestReply(ctx context.Context, o natsOptions) (Result, error) {
	res := Result{Result: loadgen.Result{Mode: "unicast", Path: "nats request/reply", Subscribers: o.Subscribers}}
	subj := "bench.rr." + strconv.FormatInt(subjectSeq.Add(1), 10)
	var conns []*nats.Conn
	defer func() { closeAll(conns) }()
	for i := 0; i < o.Subscribers; i++ {
		nc, err := natsConnect(o, "responder "+strconv.Itoa(i))
		if err != nil {
			return res, fmt.Errorf("responder: %w", err)
		}
		conns = append(conns, nc)
		sub, err := nc.QueueSubscribe(subj, "responders", func(m *nats.Msg) { _ = m.Respond(m.Data) })
		if err != nil {
			return res, err
		}
		if err := sub.SetPendingLimits(-1, -1); err != nil {
			return res, err
		}
		if err := nc.Flush(); err != nil { // the broker has the interest before the first request
			return res, err
		}
	}
	senders := make([]sendFunc, o.Publishers)
	for i := range senders {
		nc, err := natsConnect(o, "requester "+strconv.Itoa(i))
		if err != nil {
			return res, fmt.Errorf("requester: %w", err)
		}
		conns = append(conns, nc)
		senders[i] = func(ctx context.Context, p []byte) error {
			m, err := nc.RequestWithContext(ctx, subj, p)
			if err != nil {
				return err
			}
			if !bytes.Equal(m.Data, p) {
				return errors.New("the reply is not the request echoed")
			}
			return nil
		}
	}
	res.Server, res.TLS = natsInfo(conns[len(conns)-1])
	out := closedLoop(ctx, o.loopOptions, senders, nil)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	summarise(&res, o.loopOptions, out)
	return res, nil
}

// natsPublishFlush measures NATS publish against AMOP multicast with the
// same wait-for-broker semantics: AMOP's multicast returns when the node has
// taken the message, so each NATS publish is followed by a flush that waits
// for the broker's PONG, which it sends only after processing the publish.
// Subscribers on their own connections count deliveries, loss and order.
func natsPublishFlush(ctx context.Context, o natsOptions) (Result, error) {
	res := Result{Result: loadgen.Result{Mode: "multicast", Path: "nats publish+flush", Subscribers: o.Subscribers}}
	if o.Size < headerLen {
		return res, fmt.Errorf("publish+flush needs a size of at least %d bytes to check order and loss", headerLen)
	}
	subj := "bench.mc." + strconv.FormatInt(subjectSeq.Add(1), 10)
	var conns []*nats.Conn
	defer func() { closeAll(conns) }()
	recvs := make([]*receiver, 0, o.Subscribers)
	var subs []*nats.Subscription
	for i := 0; i < o.Subscribers; i++ {
		nc, err := natsConnect(o, "subscriber "+strconv.Itoa(i))
		if err != nil {
			return res, fmt.Errorf("subscriber: %w", err)
		}
		conns = append(conns, nc)
		r := newReceiver(o.Publishers)
		sub, err := nc.Subscribe(subj, func(m *nats.Msg) { r.Record(m.Data) })
		if err != nil {
			return res, err
		}
		// No slow-consumer drops on the client side: loss must be a
		// broker's, and it would show as loss anyway.
		if err := sub.SetPendingLimits(-1, -1); err != nil {
			return res, err
		}
		if err := nc.Flush(); err != nil {
			return res, err
		}
		recvs, subs = append(recvs, r), append(subs, sub)
	}
	senders := make([]sendFunc, o.Publishers)
	for i := range senders {
		nc, err := natsConnect(o, "publisher "+strconv.Itoa(i))
		if err != nil {
			return res, fmt.Errorf("publisher: %w", err)
		}
		conns = append(conns, nc)
		senders[i] = func(_ context.Context, p []byte) error {
			if err := nc.Publish(subj, p); err != nil {
				return err
			}
			return nc.FlushTimeout(o.Timeout)
		}
	}
	res.Server, res.TLS = natsInfo(conns[len(conns)-1])
	var atStart int64
	out := closedLoop(ctx, o.loopOptions, senders, func() { atStart = delivered(recvs) })
	atEnd := delivered(recvs)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	summarise(&res, o.loopOptions, out)
	settle(&res, o.loopOptions, out, recvs, atStart, atEnd, 5*time.Second)
	for _, s := range subs {
		if n, err := s.Dropped(); err == nil && n > 0 && res.FirstError == "" {
			res.FirstError = fmt.Sprintf("nats dropped %d messages as a slow consumer", n)
		}
	}
	return res, nil
}
