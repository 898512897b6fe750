package amop_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// The chaos test restarts the local network's nodes on their own ports
// while a publisher sends a unicast and a multicast every 50 ms to three
// subscribers, in the manner of nats-server's "bouncer" chaos monkey. Plain
// `go test` runs 3 restarts; `go test -tags chaos -run TestChaosLong ./amop/`
// runs 20 (chaos_long_test.go). AMOPTUI_CHAOS_SEED=N replays a schedule.

const (
	chaosInterval = 50 * time.Millisecond // between sends, per mode
	chaosDeadline = 2 * time.Second       // of every send
	chaosSlack    = 750 * time.Millisecond
	chaosInFlight = 64 // sends in flight per mode, at most
)

// chaosRec is one send: when it started and returned, and how.
type chaosRec struct {
	id         int
	start, end time.Time
	err        error
	reply      string
}

// chaosWindow is a span during which every node was up and every
// subscriber connected and subscribed.
type chaosWindow struct{ from, to time.Time }

// chaosState is a state a client reported, and when it was read.
type chaosState struct {
	at time.Time
	st amop.Status
}

type chaos struct {
	t    *testing.T
	n    *local.Network
	pub  *amop.SDK
	subs []*amop.SDK

	mu    sync.Mutex
	unis  []chaosRec
	multi []chaosRec
	recv  []map[int]time.Time // per subscriber: multicast id → first receipt
	dups  int
	// states are the states each client reported: the publisher's at
	// len(subs), the subscribers' at their index.
	states [][]chaosState
}

func chaosSeed(t *testing.T) uint64 {
	if s := os.Getenv("AMOPTUI_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("AMOPTUI_CHAOS_SEED=%q: %v", s, err)
		}
		return v
	}
	return uint64(time.Now().UnixNano())
}

// collect drains sub i's events until stop, recording multicast receipts.
func (c *chaos) collect(i int, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-stop:
			return
		case ev, ok := <-c.subs[i].Events():
			if !ok {
				return
			}
			c.noteState(i, ev)
			m, isMsg := ev.(*amop.MessageEvent)
			if !isMsg || m.Mode != amop.Multicast || !strings.HasPrefix(string(m.Data), "m") {
				continue
			}
			id, err := strconv.Atoi(string(m.Data[1:]))
			if err != nil {
				continue
			}
			c.mu.Lock()
			if _, seen := c.recv[i][id]; seen {
				c.dups++
			} else {
				c.recv[i][id] = time.Now()
			}
			c.mu.Unlock()
		}
	}
}

// noteState records ev if it is client i's state.
func (c *chaos) noteState(i int, ev amop.Event) {
	if st, ok := ev.(*amop.StateEvent); ok {
		c.mu.Lock()
		c.states[i] = append(c.states[i], chaosState{time.Now(), st.Status})
		c.mu.Unlock()
	}
}

// watchPub records the publisher's states until stop.
func (c *chaos) watchPub(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-stop:
			return
		case ev, ok := <-c.pub.Events():
			if !ok {
				return
			}
			c.noteState(len(c.subs), ev)
		}
	}
}

// reconnectWork is how long the slowest client's successful reconnect
// attempt after at took, from the attempt's start (the state with no
// retry pause) to the session being up: the dial, TLS and the handshake,
// work whose duration is the machine's, not the backoff's. seen is false
// when some client's attempt start was not observed (a state event can be
// overwritten by the next one); that client's whole wait since at counts
// as work then.
func (c *chaos) reconnectWork(at time.Time) (work time.Duration, seen bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen = true
	for _, recs := range c.states {
		var try time.Time
		for _, r := range recs {
			switch {
			case r.st.State == amop.StateConnected:
				if r.at.After(at) {
					if try.IsZero() {
						try, seen = at, false
					}
					work = max(work, r.at.Sub(try))
				}
				try = time.Time{}
			case r.st.Retry == 0 && (r.st.State == amop.StateReconnecting || r.st.State == amop.StateConnecting):
				try = r.at
			}
		}
	}
	return work, seen
}

// publish sends one message of the mode every chaosInterval until stop,
// each on its own goroutine under chaosDeadline, so that a send stuck on a
// dying node does not hold back the ones after it.
func (c *chaos) publish(multicast bool, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	tick := time.NewTicker(chaosInterval)
	defer tick.Stop()
	sem := make(chan struct{}, chaosInFlight)
	var sends sync.WaitGroup
	defer sends.Wait()
	for id := 0; ; id++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			continue // chaosInFlight sends stuck: that is a failure the deadlines report
		}
		sends.Add(1)
		go func() {
			defer sends.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), chaosDeadline)
			defer cancel()
			r := chaosRec{id: id, start: time.Now()}
			if multicast {
				r.err = c.pub.Multicast(ctx, "multi", []byte("m"+strconv.Itoa(id)))
			} else {
				var reply []byte
				reply, r.err = c.pub.Unicast(ctx, "uni", []byte("u"+strconv.Itoa(id)))
				r.reply = string(reply)
			}
			r.end = time.Now()
			c.mu.Lock()
			if multicast {
				c.multi = append(c.multi, r)
			} else {
				c.unis = append(c.unis, r)
			}
			c.mu.Unlock()
		}()
	}
}

// typedSendError reports whether err is one of the errors a send may end
// with when nodes come and go.
func typedSendError(err error) bool {
	var ce *amop.CodeError
	return errors.Is(err, amop.ErrTimeout) || errors.Is(err, amop.ErrNotConnected) ||
		errors.Is(err, amop.ErrConnectionLost) || errors.As(err, &ce)
}

// stable waits until every client is connected and the subscriptions are
// visible on every node.
func (c *chaos) stable(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for _, a := range append([]*amop.SDK{c.pub}, c.subs...) {
		if err := a.WaitReady(ctx); err != nil {
			return err
		}
	}
	for _, topic := range []string{"multi", "uni"} {
		if err := c.n.WaitSubscribers(ctx, topic, len(c.subs)); err != nil {
			return err
		}
	}
	return nil
}

// resumed reports when deliveries resumed after at: the first unicast
// started after at that got a reply, and the first multicast started after
// at that reached every subscriber. Zero times mean not yet.
func (c *chaos) resumed(at time.Time) (uni, multi time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.unis {
		if r.err == nil && !r.start.Before(at) && (uni.IsZero() || r.end.Before(uni)) {
			uni = r.end
		}
	}
	for _, r := range c.multi {
		if r.start.Before(at) {
			continue
		}
		var last time.Time
		for _, m := range c.recv {
			got, ok := m[r.id]
			if !ok {
				last = time.Time{}
				break
			}
			if got.After(last) {
				last = got
			}
		}
		if !last.IsZero() && (multi.IsZero() || last.Before(multi)) {
			multi = last
		}
	}
	return uni, multi
}

// runChaos restarts nodes rounds times and checks the promises of issue 6.
// strict holds every recovery to backoff + 1 s itself, which only a quiet
// machine keeps (TestChaosLong); otherwise the slowest reconnect attempt's
// own duration is added to the bound (see resumeBound below).
func runChaos(t *testing.T, rounds int, strict bool) {
	seed := chaosSeed(t)
	t.Logf("chaos seed %d (AMOPTUI_CHAOS_SEED=%d replays this schedule), %d restarts", seed, seed, rounds)
	rng := rand.New(rand.NewPCG(seed, seed>>32|1))

	n := local.RunT(t, local.Options{Nodes: 2, PushTimeout: time.Second})
	c := &chaos{t: t, n: n, states: make([][]chaosState, 4)}
	for i := 0; i < 3; i++ {
		reply := amop.ParseReplyPolicy("pong-" + strconv.Itoa(i))
		s := client(t, n, func(cfg *amop.Config) { cfg.AutoReply = reply }, n.Addr(min(i, 1)))
		for _, topic := range []string{"multi", "uni"} {
			if err := s.Join(topic); err != nil {
				t.Fatal(err)
			}
		}
		c.subs = append(c.subs, s)
		c.recv = append(c.recv, map[int]time.Time{})
	}
	c.pub = client(t, n, nil, n.Addr(0))
	if err := c.stable(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	// The longest a client waits between dial attempts (fast: 400 ms, +20 %
	// jitter); deliveries must resume within it plus a second. Under -race
	// on a loaded 2-core machine the reconnect's own work (dial, two TLS
	// handshakes' worth of CPU, the AMOP handshake, the topic replay) alone
	// has taken over a second (1.7 s and 1.8 s seen, against 0.2–0.5 s on
	// a quiet one), so outside strict mode each round's bound also has the
	// slowest reconnect attempt's own duration, measured in that round from
	// the clients' states. What the bound is for stays caught: a client that
	// waits longer than its backoff before dialling again (the default 5 s
	// schedule, a cap not applied, a wait for a heartbeat timeout) waits
	// outside any attempt.
	resumeBound := fast.BackoffMax*6/5 + time.Second

	base := runtime.NumGoroutine()
	cpu0, wall0 := cpuTime(), time.Now()
	stop := make(chan struct{})
	var collectors, publishers sync.WaitGroup
	for i := range c.subs {
		collectors.Add(1)
		go c.collect(i, stop, &collectors)
	}
	collectors.Add(1)
	go c.watchPub(stop, &collectors)
	pubStop := make(chan struct{})
	publishers.Add(2)
	go c.publish(false, pubStop, &publishers)
	go c.publish(true, pubStop, &publishers)
	var pubOnce, stopOnce sync.Once
	stopPublishers := func() {
		pubOnce.Do(func() { close(pubStop) })
		publishers.Wait()
	}
	stopCollectors := func() {
		stopOnce.Do(func() { close(stop) })
		collectors.Wait()
	}
	defer stopCollectors()
	defer stopPublishers()

	var windows []chaosWindow
	var recoveries []time.Duration
	peak := 0
	from := time.Now()
	for round := 0; round < rounds; round++ {
		// Up for 1–2 s, everyone connected: a stable window.
		time.Sleep(time.Second + time.Duration(rng.Int64N(int64(time.Second))))
		windows = append(windows, chaosWindow{from, time.Now()})

		victims := []int{0, 1}
		if rng.IntN(2) == 0 {
			victims = []int{rng.IntN(2)}
		}
		down := time.Duration(rng.Int64N(int64(3 * time.Second)))
		for _, v := range victims {
			if err := n.StopNode(v); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(down)
		for _, v := range victims {
			if err := n.StartNode(v); err != nil {
				t.Fatalf("round %d: restart node %d on %s: %v", round, v, n.Addr(v), err)
			}
		}
		restarted := time.Now()

		deadline := restarted.Add(resumeBound + 10*time.Second)
		var uni, multi time.Time
		for uni, multi = c.resumed(restarted); uni.IsZero() || multi.IsZero(); uni, multi = c.resumed(restarted) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: deliveries did not resume (unicast %v, multicast %v)", round, !uni.IsZero(), !multi.IsZero())
			}
			time.Sleep(10 * time.Millisecond)
		}
		took := max(uni.Sub(restarted), multi.Sub(restarted))
		recoveries = append(recoveries, took)
		work, seen := c.reconnectWork(restarted)
		t.Logf("round %2d: nodes %v down %v; unicast back after %v, multicast to all after %v; slowest reconnect attempt %v (start seen %v)",
			round, victims, down.Round(time.Millisecond), uni.Sub(restarted).Round(time.Millisecond), multi.Sub(restarted).Round(time.Millisecond),
			work.Round(time.Millisecond), seen)
		switch {
		case strict && took > resumeBound:
			t.Errorf("round %d: deliveries resumed after %v, over backoff + 1 s (%v)", round, took.Round(time.Millisecond), resumeBound)
		case !strict && took > resumeBound+work:
			t.Errorf("round %d: deliveries resumed after %v, over backoff + 1 s + the slowest reconnect attempt's %v (%v)",
				round, took.Round(time.Millisecond), work.Round(time.Millisecond), (resumeBound + work).Round(time.Millisecond))
		}
		if err := c.stable(10 * time.Second); err != nil {
			t.Fatalf("round %d: not stable again: %v", round, err)
		}
		from = time.Now()
		peak = max(peak, runtime.NumGoroutine())
	}
	time.Sleep(time.Second)
	windows = append(windows, chaosWindow{from, time.Now()})
	stopPublishers()
	cpuBusy, wallBusy := cpuTime()-cpu0, time.Since(wall0)

	// Every send came back, by its deadline, with a reply or a typed error.
	c.mu.Lock()
	sends := append(append([]chaosRec(nil), c.unis...), c.multi...)
	for _, r := range c.unis {
		if r.err == nil && !strings.HasPrefix(r.reply, "pong-") {
			t.Errorf("unicast %d: reply %q", r.id, r.reply)
		}
	}
	c.mu.Unlock()
	failed := 0
	for _, r := range sends {
		if took := r.end.Sub(r.start); took > chaosDeadline+chaosSlack {
			t.Errorf("a send took %v, past its %v deadline (%v)", took.Round(time.Millisecond), chaosDeadline, r.err)
		}
		if r.err != nil {
			failed++
			if !typedSendError(r.err) {
				t.Errorf("a send failed with an untyped error: %v", r.err)
			}
		}
	}

	// Multicasts acknowledged inside a stable window (and not in its last
	// half second, when a push may still be in a socket the stop cuts)
	// reach every subscriber.
	const margin = 500 * time.Millisecond
	var must []int
	c.mu.Lock()
	for _, r := range c.multi {
		if r.err != nil {
			continue
		}
		for _, w := range windows {
			if !r.start.Before(w.from) && r.end.Before(w.to.Add(-margin)) {
				must = append(must, r.id)
				break
			}
		}
	}
	c.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var missing []string
		c.mu.Lock()
		for _, id := range must {
			for i, m := range c.recv {
				if _, ok := m[id]; !ok {
					missing = append(missing, fmt.Sprintf("m%d at sub %d", id, i))
				}
			}
		}
		dups := c.dups
		c.mu.Unlock()
		if len(missing) == 0 {
			if dups > 0 {
				t.Errorf("%d multicasts delivered twice", dups)
			}
			break
		}
		if time.Now().After(deadline) {
			sort.Strings(missing)
			t.Fatalf("%d multicasts acknowledged in a stable window never arrived: %v", len(missing), missing[:min(len(missing), 20)])
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Goroutines come back down, and nothing spins once traffic stops.
	stopCollectors()
	deadline = time.Now().Add(10 * time.Second)
	g := runtime.NumGoroutine()
	for ; g > base+20; g = runtime.NumGoroutine() {
		if time.Now().After(deadline) {
			t.Errorf("goroutines: %d after the run, %d before it", g, base)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	idleCPU, idleStart := cpuTime(), time.Now()
	time.Sleep(2 * time.Second)
	idle := float64(cpuTime()-idleCPU) / float64(time.Since(idleStart))
	if idle > 0.25 {
		t.Errorf("idle after the run: %.0f%% of a core (a spinning goroutine?)", 100*idle)
	}
	sort.Slice(recoveries, func(i, j int) bool { return recoveries[i] < recoveries[j] })
	t.Logf("%d restarts survived; %d sends (%d failed, all typed, none past its deadline); %d multicasts checked at all 3 subscribers; "+
		"recovery median %v max %v (bound %v); goroutines %d before, peak %d, %d after; CPU %.0f%% of a core during the run, %.1f%% idle after",
		rounds, len(sends), failed, len(must), recoveries[len(recoveries)/2].Round(time.Millisecond), recoveries[len(recoveries)-1].Round(time.Millisecond),
		resumeBound, base, peak, g, 100*float64(cpuBusy)/float64(wallBusy), 100*idle)
}

// TestChaos is the short chaos run of plain `go test`: 3 restarts.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts nodes under traffic for ~15 s")
	}
	runChaos(t, 3, false)
}
