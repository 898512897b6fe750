package local_test

import (
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/FISCO-BCOS/crypto/tls"
	"github.com/FISCO-BCOS/crypto/x509"

	"github.com/amoptui/amoptui/amop/local"
)

// The benchmarks report, besides ns/op, "x-raw-rtt": their time per
// operation divided by the round trip of a bare TLS 1.2 echo on loopback
// (same fork, same certificates, a 64-byte message) measured once in the
// same run, so that figures from different machines compare.
//
//	go test -run '^$' -bench . -benchtime 2s ./amop/local/

var rawRTT struct {
	once sync.Once
	ns   float64
	err  error
}

// rawTLSRTT measures a bare TLS 1.2 echo round trip with the network's own
// server configuration (mutual authentication, P-256).
func rawTLSRTT(b *testing.B) float64 {
	b.Helper()
	rawRTT.once.Do(func() { rawRTT.ns, rawRTT.err = measureRawRTT(b) })
	if rawRTT.err != nil {
		b.Fatal(rawRTT.err)
	}
	return rawRTT.ns
}

func measureRawRTT(b *testing.B) (float64, error) {
	dir := b.TempDir()
	if err := local.NewCertDir(dir, local.CertOptions{}); err != nil {
		return 0, err
	}
	srvCert, srvKey, err := local.IssueCert(dir, "echo", local.CertOptions{})
	if err != nil {
		return 0, err
	}
	cert, err := tls.LoadX509KeyPair(srvCert, srvKey)
	if err != nil {
		return 0, err
	}
	clientCfg := clientTLS(b, dir, local.SDKCertFile, local.SDKKeyFile)
	pool := x509.NewCertPool()
	pool.AddCert(mustLeaf(b, filepath.Join(dir, local.CAFile)))
	srvCfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: pool, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.CurveSecp256k1, tls.CurveP256}}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Minute))
		buf := make([]byte, 64)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", ln.Addr().String(), clientCfg)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	msg, buf := make([]byte, 64), make([]byte, 64)
	round := func() error {
		if _, err := c.Write(msg); err != nil {
			return err
		}
		_, err := io.ReadFull(c, buf)
		return err
	}
	for range 200 { // warm up
		if err := round(); err != nil {
			return 0, err
		}
	}
	const rounds = 3000
	start := time.Now()
	for range rounds {
		if err := round(); err != nil {
			return 0, err
		}
	}
	return float64(time.Since(start).Nanoseconds()) / rounds, nil
}

func mustLeaf(b *testing.B, path string) *x509.Certificate {
	b.Helper()
	certs, err := loadCerts(path)
	if err != nil {
		b.Fatal(err)
	}
	return certs[0]
}

func report(b *testing.B, elapsed time.Duration) {
	raw := rawTLSRTT(b)
	per := float64(elapsed.Nanoseconds()) / float64(b.N)
	b.ReportMetric(per/raw, "x-raw-rtt")
	b.ReportMetric(raw, "raw-rtt-ns")
}

// BenchmarkUnicastRoundTrip: go-sdk publisher on node 0, go-sdk subscriber
// on node 1 replying with the request; one op is one SendAMOPMsg. Ideal and
// faithful nodes (whose frames go through two thread pools per node and a
// per-second pick).
func BenchmarkUnicastRoundTrip(b *testing.B) {
	for _, like := range []string{local.LikeIdeal, local.Like291} {
		b.Run(like, func(b *testing.B) {
			rawTLSRTT(b)
			n := local.RunT(b, local.Options{Like: like, SyncInterval: 100 * time.Millisecond, BlockInterval: -1})
			sub := dialSDK(b, n, 1)
			subscribe(b, sub, "bench", func(data []byte, resp *[]byte) { *resp = data })
			pub := dialSDK(b, n, 0)
			waitSubs(b, n, "bench", 1)
			msg := []byte("0123456789abcdef")
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if _, err := pub.SendAMOPMsg("bench", msg); err != nil {
					b.Fatal(err)
				}
			}
			el := time.Since(start)
			b.StopTimer()
			report(b, el)
		})
	}
}

// BenchmarkMulticastFanout: one op is a BroadcastAMOPMsg from node 0 until
// every subscriber's go-sdk handler (spread over both nodes) has run.
func BenchmarkMulticastFanout(b *testing.B) {
	for _, subs := range []int{1, 10} {
		b.Run("subs="+strconv.Itoa(subs), func(b *testing.B) {
			rawTLSRTT(b)
			n := local.RunT(b, local.Options{})
			var got, want atomic.Int64
			done := make(chan struct{}, 1)
			for i := range subs {
				c := dialSDK(b, n, 1-i%2)
				subscribe(b, c, "fan", func([]byte, *[]byte) {
					if got.Add(1) == want.Load() {
						done <- struct{}{}
					}
				})
			}
			pub := dialSDK(b, n, 0)
			waitSubs(b, n, "fan", subs)
			msg := []byte("0123456789abcdef")
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				want.Store(int64((i + 1) * subs))
				if err := pub.BroadcastAMOPMsg("fan", msg); err != nil {
					b.Fatal(err)
				}
				select {
				case <-done:
				case <-time.After(wait):
					b.Fatalf("op %d: %d of %d deliveries", i, got.Load(), want.Load())
				}
			}
			el := time.Since(start)
			b.StopTimer()
			report(b, el)
		})
	}
}

func loadCerts(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no certificate", path)
	}
	return out, nil
}
