package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/local"
)

// defaultNodes are the addresses of `amoptui node` and of the embedded
// network: the channel ports of a build_chain.sh chain on one machine.
var defaultNodes = []string{"127.0.0.1:20200", "127.0.0.1:20201"}

// embedded is where a TUI without configured nodes connects: a local
// network that already runs on the default ports, or one it starts.
type embedded struct {
	endpoints []string
	certDir   string
	network   *local.Network // non-nil when this process started it
	banner    []string
}

// close stops the network this process started, if any.
func (e *embedded) close() {
	if e.network != nil {
		_ = e.network.Close()
	}
}

// chooseEmbedded finds or starts the local network. A network that answers
// on the default ports with the default certificates is joined on its second
// node, so two plain `amoptui` runs reproduce the go-sdk examples' layout
// (subscriber on 20201, publisher on 20200). Otherwise a network is started
// in-process on the default ports, or on free ports when those are taken by
// something else; forceStart skips the search. like is the behaviour of
// the nodes of a network started here (local.ParseLike).
func chooseEmbedded(forceStart bool, like string) (*embedded, error) {
	dir, err := local.DefaultCertDir()
	if err != nil {
		return nil, err
	}
	if !forceStart {
		if e := joinRunning(dir); e != nil {
			return e, nil
		}
	}
	n, err := local.Start(local.Options{Listen: defaultNodes, CertDir: dir, Like: like})
	if err != nil && isAddrInUse(err) {
		n, err = local.Start(local.Options{Nodes: 2, CertDir: dir, Like: like})
	}
	if err != nil {
		return nil, fmt.Errorf("start the embedded local network: %w", err)
	}
	e := &embedded{endpoints: []string{n.Addr(0)}, certDir: dir, network: n}
	e.banner = []string{
		fmt.Sprintf("Embedded local AMOP network started (%s): %s and %s", embeddedMode(n), n.Addr(0), n.Addr(1)),
		fmt.Sprintf("Second terminal: %s --node %s", selfCommand(), n.Addr(1)),
		"Certificates: " + dir,
		"The network stops when this window quits.",
	}
	return e, nil
}

// embeddedMode names the behaviour of a started network's nodes.
func embeddedMode(n *local.Network) string {
	if n.Like() == local.Like291 {
		return "nodes like FISCO BCOS 2.9.1"
	}
	return "ideal nodes"
}

// joinRunning probes the default ports with the default certificates.
func joinRunning(dir string) *embedded {
	if _, err := os.Stat(filepath.Join(dir, "ca.crt")); err != nil {
		return nil
	}
	cfg := amop.Config{CAFile: filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key")}
	var up []string
	for _, ep := range defaultNodes {
		if amop.Probe(cfg, ep, 500*time.Millisecond) == nil {
			up = append(up, ep)
		}
	}
	if len(up) == 0 {
		return nil
	}
	// Prefer the second node, fail over to the first.
	eps := append([]string(nil), up...)
	for i, j := 0, len(eps)-1; i < j; i, j = i+1, j-1 {
		eps[i], eps[j] = eps[j], eps[i]
	}
	return &embedded{endpoints: eps, certDir: dir, banner: []string{
		fmt.Sprintf("Joined the local AMOP network running on %s", strings.Join(up, " and ")),
		"Certificates: " + dir,
	}}
}

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use")
}
