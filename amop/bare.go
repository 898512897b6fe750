package amop

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/FISCO-BCOS/go-sdk/conn"

	"github.com/amoptui/amoptui/amop/guard"
)

// Bare is go-sdk v1.1.1 connected straight to a node, without the guard, as
// the go-sdk examples use it. It exists so that benchmarks can measure what
// the guard costs; it has every defect listed in gosdk-pitfalls.md (no
// timeouts, no reconnect, crashes on malformed frames) and is not for
// interactive use.
type Bare struct {
	c     *conn.Connection
	mu    sync.Mutex   // go-sdk's topic map is unsynchronised
	relay *guard.Relay // with DialRelayed
}

// DialBare connects go-sdk to cfg.Endpoints[0] with cfg's certificates,
// which are checked first (go-sdk panics on a CA it cannot parse).
func DialBare(cfg Config) (*Bare, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("amop: no node endpoint")
	}
	if _, err := loadCredentials(cfg); err != nil {
		return nil, err
	}
	redirectSDKLog(cfg)
	ca, cert, key, err := readPEMs(cfg)
	if err != nil {
		return nil, err
	}
	c, err := conn.DialContextChannel(cfg.Endpoints[0], ca, cert, key, bareGroup(cfg))
	if err != nil {
		return nil, fmt.Errorf("amop: bare go-sdk dial %s: %w", cfg.Endpoints[0], err)
	}
	return bareOn(c, cfg, nil)
}

// relayProbeWait bounds DialRelayed's check of the node.
const relayProbeWait = 5 * time.Second

// DialRelayed is DialBare through a guard.Relay: go-sdk behind the same two
// in-process TLS sockets as behind the guard, with nothing done between
// them. Benchmarks use it to measure the floor of the guard's design.
func DialRelayed(cfg Config) (*Bare, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("amop: no node endpoint")
	}
	creds, err := loadCredentials(cfg)
	if err != nil {
		return nil, err
	}
	// The relay takes go-sdk's TLS session whatever the node does: ask the
	// node first, so that a refusal is told in its own words, not as
	// go-sdk's failed handshake with the relay.
	if err := guard.Probe(cfg.Endpoints[0], creds, false, relayProbeWait); err != nil {
		return nil, fmt.Errorf("amop: go-sdk through a relay to %s: %w", cfg.Endpoints[0], err)
	}
	redirectSDKLog(cfg)
	r, err := guard.StartRelay(cfg.Endpoints[0], creds)
	if err != nil {
		return nil, err
	}
	c, err := conn.DialChannelWithClient(r.Addr(), r.ClientTLS(), bareGroup(cfg))
	if err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("amop: go-sdk through a relay to %s: %w", cfg.Endpoints[0], err)
	}
	return bareOn(c, cfg, r)
}

func bareGroup(cfg Config) int {
	if cfg.GroupID == 0 {
		return 1
	}
	return cfg.GroupID
}

// bareOn installs the handler go-sdk needs on its block-notification topic
// (it registers nil there and crashes on a message to it).
func bareOn(c *conn.Connection, cfg Config, r *guard.Relay) (*Bare, error) {
	if err := c.SubscribeTopic(BlockNotifyPrefix+strconv.Itoa(bareGroup(cfg)), func([]byte, *[]byte) {}); err != nil {
		if r != nil {
			_ = r.Close()
		}
		return nil, err
	}
	return &Bare{c: c, relay: r}, nil
}

// readPEMs returns the configured PEM material, inline or from files.
func readPEMs(cfg Config) (ca, cert, key []byte, err error) {
	src, err := credentialSource(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return src.CA, src.Cert, src.Key, nil
}

// Subscribe joins topic; handler's return value is the unicast reply.
func (b *Bare) Subscribe(topic string, handler func(data []byte) []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.c.SubscribeTopic(topic, func(data []byte, resp *[]byte) { *resp = handler(data) })
}

// Unicast sends with go-sdk's SendAMOPMsg; it has no deadline.
func (b *Bare) Unicast(topic string, data []byte) ([]byte, error) {
	r, err := b.c.SendAMOPMsg(topic, data)
	return r, mapSDKError(topic, err)
}

// Multicast sends with go-sdk's BroadcastAMOPMsg; it has no deadline.
func (b *Bare) Multicast(topic string, data []byte) error {
	return mapSDKError(topic, b.c.BroadcastAMOPMsg(topic, data))
}

// Close closes the relay of a DialRelayed connection (nothing for
// DialBare: go-sdk's own Close spins a core). go-sdk then enters its
// reconnect path, which races its own goroutines once a redial succeeds
// (gosdk-pitfalls.md A#4): the relay's listener closes first, so every
// redial is refused. Call it before the node goes away, never while
// go-sdk's handlers run.
func (b *Bare) Close() error {
	if b.relay == nil {
		return nil
	}
	return b.relay.Close()
}
