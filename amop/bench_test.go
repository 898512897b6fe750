package amop_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/FISCO-BCOS/go-sdk/conn"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// bareConn dials go-sdk straight to a node, as the go-sdk examples do: the
// baseline the guard's overhead is measured against.
func bareConn(b *testing.B, dir, addr string) *conn.Connection {
	b.Helper()
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	c, err := conn.DialContextChannel(addr, read("ca.crt"), read("sdk.crt"), read("sdk.key"), 1)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkGuardOverhead measures the unicast round trip through the whole
// path the TUI uses (adapter → go-sdk → guard → node → guard → go-sdk →
// adapter, publisher and subscriber on different nodes) against bare go-sdk
// → node, interleaved in blocks within one run so that machine noise hits
// both alike. guard-ratio is the ratio of the medians (goal ≤ 1.4).
func BenchmarkGuardOverhead(b *testing.B) {
	n := local.RunT(b, local.Options{})
	payload := make([]byte, 128)

	bareSub := bareConn(b, n.CertDir(), n.Addr(1))
	if err := bareSub.SubscribeTopic("bare", func(data []byte, resp *[]byte) { *resp = data }); err != nil {
		b.Fatal(err)
	}
	barePub := bareConn(b, n.CertDir(), n.Addr(0))

	sub := client(b, n, func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy("echo"); c.EventBuffer = 1 << 16 }, n.Addr(1))
	if err := sub.Join("guarded"); err != nil {
		b.Fatal(err)
	}
	pub := client(b, n, nil, n.Addr(0))
	waitSubs(b, n, "bare", 1)
	waitSubs(b, n, "guarded", 1)
	go func() { // the TUI reads its events; so does the benchmark
		for range sub.Events() {
		}
	}()

	ctx := context.Background()
	bare := func() {
		if _, err := barePub.SendAMOPMsg("bare", payload); err != nil {
			b.Fatal(err)
		}
	}
	guarded := func() {
		if _, err := pub.Unicast(ctx, "guarded", payload); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 200; i++ { // warm-up: TLS buffers, goroutine stacks
		bare()
		guarded()
	}
	var bareLat, guardLat []time.Duration
	const block = 50
	b.ResetTimer()
	for done := 0; done < b.N; done += block {
		for i := 0; i < block; i++ {
			s := time.Now()
			bare()
			bareLat = append(bareLat, time.Since(s))
		}
		for i := 0; i < block; i++ {
			s := time.Now()
			guarded()
			guardLat = append(guardLat, time.Since(s))
		}
	}
	b.StopTimer()
	gm, bm := median(guardLat), median(bareLat)
	b.ReportMetric(float64(gm.Microseconds()), "guarded-p50-µs")
	b.ReportMetric(float64(percentile(guardLat, 0.99).Microseconds()), "guarded-p99-µs")
	b.ReportMetric(float64(bm.Microseconds()), "bare-p50-µs")
	b.ReportMetric(float64(percentile(bareLat, 0.99).Microseconds()), "bare-p99-µs")
	b.ReportMetric(float64(gm)/float64(bm), "guard-ratio")
}
