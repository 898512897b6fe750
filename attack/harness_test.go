package attack_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
)

// Binaries: amoptui (node, sub) and the attacker, built once per test run.
// AMOPTUI_ATTACK_BIN replaces the amoptui binary that is attacked, e.g. one
// built from an older commit, to measure before and after side by side.
var (
	binOnce           sync.Once
	binDir            string
	binErr            error
	amoptuiBin, attBn string
)

func binaries(t *testing.T) (amoptui, attacker string) {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "amoptui-attack-")
		if binErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		amoptuiBin, attBn = filepath.Join(binDir, "amoptui"), filepath.Join(binDir, "attacker")
		for _, b := range [][2]string{{amoptuiBin, "github.com/amoptui/amoptui"}, {attBn, "./internal/attacker"}} {
			if out, err := exec.CommandContext(ctx, "go", "build", "-o", b[0], b[1]).CombinedOutput(); err != nil {
				binErr = fmt.Errorf("go build %s: %v\n%s", b[1], err, out)
				return
			}
		}
		if alt := os.Getenv("AMOPTUI_ATTACK_BIN"); alt != "" {
			amoptuiBin = alt
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return amoptuiBin, attBn
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for a process's output and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a process a test started; it is killed, by its pid, when the
// test ends.
type proc struct {
	cmd      *exec.Cmd
	out, err syncBuffer
	done     chan struct{}
}

func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// kill ends the process (only ever one this test started) and waits for it.
func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// rss is the process's resident set size from /proc/PID/status, 0 once it
// is gone.
func (p *proc) rss() int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// rssMeter samples a process's RSS every 50 ms, and kills the process when
// it passes killAt: an attack on an unprotected node must not take the
// machine's memory with it.
type rssMeter struct {
	mu       sync.Mutex
	peak     int64
	last     int64
	killed   bool
	stop     chan struct{}
	finished chan struct{}
}

func meterRSS(p *proc, killAt int64) *rssMeter {
	m := &rssMeter{stop: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(m.finished)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			r := p.rss()
			m.mu.Lock()
			m.last, m.peak = r, max(m.peak, r)
			over := r > killAt && !m.killed
			if over {
				m.killed = true
			}
			m.mu.Unlock()
			if over {
				_ = p.cmd.Process.Signal(syscall.SIGKILL)
			}
			select {
			case <-m.stop:
				return
			case <-p.done:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *rssMeter) read() (peak, last int64, killed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peak, m.last, m.killed
}

func (m *rssMeter) close() {
	close(m.stop)
	<-m.finished
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePorts returns n loopback addresses that were free a moment ago.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ln.Addr().String())
		defer ln.Close()
	}
	return out
}

// node is a running `amoptui node` of two nodes.
type node struct {
	*proc
	addrs []string
	certs string
}

func startNode(t *testing.T, bin, certs string) *node {
	t.Helper()
	addrs := freePorts(t, 2)
	p := start(t, bin, "node", "--listen", strings.Join(addrs, ","), "--certs", certs)
	waitFor(t, 30*time.Second, "the node's banner", func() bool { return strings.Contains(p.out.String(), "Ctrl+C") || p.exited() })
	if p.exited() {
		t.Fatalf("amoptui node exited:\n%s\n%s", p.out.String(), p.err.String())
	}
	return &node{proc: p, addrs: addrs, certs: certs}
}

// adapter connects the real adapter (go-sdk behind the guard) to addr.
func adapter(t *testing.T, certs, addr string, mod func(*amop.Config)) *amop.SDK {
	t.Helper()
	cfg := amop.Config{
		Endpoints: []string{addr},
		CAFile:    filepath.Join(certs, "ca.crt"), CertFile: filepath.Join(certs, "sdk.crt"), KeyFile: filepath.Join(certs, "sdk.key"),
		SendTimeout: 10 * time.Second, EventBuffer: 1 << 16,
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := amop.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady %s: %v", addr, err)
	}
	return a
}

// Topics of the bystander pair.
const (
	uniTopic   = "by-uni"
	multiTopic = "by-multi"
)

// bystander is a publisher on node 0 and a subscriber on node 1, through
// the real adapter, that keep talking while an attack runs: a unicast
// every 20 ms (the subscriber echoes it) and a multicast every 20 ms, each
// numbered. It records every round trip, every acknowledgement and every
// delivery.
type bystander struct {
	t        *testing.T
	pub, sub *amop.SDK
	payload  []byte

	mu        sync.Mutex
	rtts      []time.Duration // unicast round trips
	acks      []time.Duration // multicast acknowledgements
	failures  []string
	acked     map[int]bool // multicasts the node acknowledged
	delivered map[int]bool // multicasts the subscriber received

	stop chan struct{}
	wg   sync.WaitGroup
}

func newBystander(t *testing.T, n *node) *bystander {
	t.Helper()
	b := &bystander{t: t, acked: map[int]bool{}, delivered: map[int]bool{}, stop: make(chan struct{}),
		payload: bytes.Repeat([]byte("b"), 4<<10)}
	b.sub = adapter(t, n.certs, n.addrs[1], func(c *amop.Config) { c.AutoReply = amop.ParseReplyPolicy("echo") })
	b.pub = adapter(t, n.certs, n.addrs[0], nil)
	for _, topic := range []string{uniTopic, multiTopic} {
		if err := b.sub.Join(topic); err != nil {
			t.Fatal(err)
		}
	}
	// Ready when a unicast is answered and a multicast delivered (the
	// subscription has reached both nodes).
	waitFor(t, 20*time.Second, "the bystander pair", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, err := b.pub.Unicast(ctx, uniTopic, []byte("probe")); err != nil {
			return false
		}
		if err := b.pub.Multicast(ctx, multiTopic, []byte("probe")); err != nil {
			return false
		}
		for {
			select {
			case ev := <-b.sub.Events():
				if m, ok := ev.(*amop.MessageEvent); ok && m.Topic == multiTopic {
					return true
				}
			case <-ctx.Done():
				return false
			}
		}
	})
	b.wg.Add(3)
	go b.receive()
	go b.unicasts()
	go b.multicasts()
	return b
}

func (b *bystander) fail(what string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures = append(b.failures, fmt.Sprintf("%s: %v", what, err))
}

func (b *bystander) every(d time.Duration, f func(i int)) {
	defer b.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		f(i)
	}
}

func (b *bystander) unicasts() {
	b.every(20*time.Millisecond, func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		msg := append([]byte(strconv.Itoa(i)+":"), b.payload[:256]...)
		reply, err := b.pub.Unicast(ctx, uniTopic, msg)
		took := time.Since(start)
		switch {
		case err != nil:
			b.fail("unicast "+strconv.Itoa(i), err)
		case !bytes.Equal(reply, msg):
			b.fail("unicast "+strconv.Itoa(i), errors.New("wrong echo"))
		}
		b.mu.Lock()
		b.rtts = append(b.rtts, took)
		b.mu.Unlock()
	})
}

func (b *bystander) multicasts() {
	b.every(20*time.Millisecond, func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		err := b.pub.Multicast(ctx, multiTopic, append([]byte(strconv.Itoa(i)+":"), b.payload...))
		took := time.Since(start)
		b.mu.Lock()
		defer b.mu.Unlock()
		b.acks = append(b.acks, took)
		if err != nil {
			b.failures = append(b.failures, fmt.Sprintf("multicast %d: %v", i, err))
			return
		}
		b.acked[i] = true
	})
}

func (b *bystander) receive() {
	defer b.wg.Done()
	for {
		select {
		case <-b.stop:
			return
		case ev := <-b.sub.Events():
			switch ev := ev.(type) {
			case *amop.MessageEvent:
				if ev.Topic != multiTopic {
					continue
				}
				num, _, _ := strings.Cut(string(ev.Data), ":")
				if i, err := strconv.Atoi(num); err == nil {
					b.mu.Lock()
					b.delivered[i] = true
					b.mu.Unlock()
				}
			case *amop.StateEvent:
				if ev.Status.State != amop.StateConnected {
					b.fail("subscriber connection", errors.New(ev.Status.State.String()+": "+ev.Status.LastErr))
				}
			}
		}
	}
}

// report is what a bystander saw.
type report struct {
	unicasts, multicasts       int
	p50, p99, worst, ackP99    time.Duration
	ackWorst                   time.Duration
	lost                       []int
	failures                   []string
	pubReconnects, subDrops    uint64
	subReconnects, pubFailures uint64
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// finish stops the traffic, waits for the last multicasts to arrive and
// reports.
func (b *bystander) finish() report {
	close(b.stop)
	time.Sleep(100 * time.Millisecond)
	// Stop the senders first, then give deliveries a moment.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		missing := 0
		for i := range b.acked {
			if !b.delivered[i] {
				missing++
			}
		}
		b.mu.Unlock()
		if missing == 0 {
			break
		}
		select {
		case ev := <-b.sub.Events():
			if m, ok := ev.(*amop.MessageEvent); ok && m.Topic == multiTopic {
				num, _, _ := strings.Cut(string(m.Data), ":")
				if i, err := strconv.Atoi(num); err == nil {
					b.mu.Lock()
					b.delivered[i] = true
					b.mu.Unlock()
				}
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	r := report{unicasts: len(b.rtts), multicasts: len(b.acks), p50: percentile(b.rtts, 0.50), p99: percentile(b.rtts, 0.99),
		ackP99: percentile(b.acks, 0.99), failures: b.failures}
	if len(b.rtts) > 0 {
		r.worst = slices.Max(b.rtts)
	}
	if len(b.acks) > 0 {
		r.ackWorst = slices.Max(b.acks)
	}
	for i := range b.acked {
		if !b.delivered[i] {
			r.lost = append(r.lost, i)
		}
	}
	slices.Sort(r.lost)
	r.pubReconnects, r.subReconnects = b.pub.Stats().Reconnects, b.sub.Stats().Reconnects
	r.subDrops = b.sub.Stats().Dropped
	return r
}

func (r report) String() string {
	return fmt.Sprintf("bystander: %d unicasts p50 %v p99 %v worst %v; %d multicasts ack p99 %v worst %v; %d acknowledged and lost; %d failures; reconnects pub %d sub %d",
		r.unicasts, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.worst.Round(time.Millisecond),
		r.multicasts, r.ackP99.Round(time.Microsecond), r.ackWorst.Round(time.Millisecond), len(r.lost), len(r.failures),
		r.pubReconnects, r.subReconnects)
}
