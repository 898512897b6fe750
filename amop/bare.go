package amop

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/FISCO-BCOS/go-sdk/conn"
)

// Bare is go-sdk v1.1.1 connected straight to a node, without the guard, as
// the go-sdk examples use it. It exists so that benchmarks can measure what
// the guard costs; it has every defect listed in gosdk-pitfalls.md (no
// timeouts, no reconnect, crashes on malformed frames) and is not for
// interactive use.
type Bare struct {
	c  *conn.Connection
	mu sync.Mutex // go-sdk's topic map is unsynchronised
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
	group := cfg.GroupID
	if group == 0 {
		group = 1
	}
	ca, cert, key, err := readPEMs(cfg)
	if err != nil {
		return nil, err
	}
	c, err := conn.DialContextChannel(cfg.Endpoints[0], ca, cert, key, group)
	if err != nil {
		return nil, fmt.Errorf("amop: bare go-sdk dial %s: %w", cfg.Endpoints[0], err)
	}
	if err := c.SubscribeTopic(BlockNotifyPrefix+strconv.Itoa(group), func([]byte, *[]byte) {}); err != nil {
		return nil, err
	}
	return &Bare{c: c}, nil
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
