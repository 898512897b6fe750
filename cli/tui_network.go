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
	"github.com/amoptui/amoptui/amop/dial"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
)

// defaultNodes are the addresses of `amoptui node` and of the embedded
// network: the channel ports of a build_chain.sh chain on one machine.
var defaultNodes = []string{"127.0.0.1:20200", "127.0.0.1:20201"}

// embedded is where a TUI without configured nodes connects: a local
// network that already runs on the default ports, or one it starts.
type embedded struct {
	endpoints []string
	certDir   string
	line      amop.Line       // the line the network speaks
	network   *local.Network  // non-nil when this process started a 2.x network
	network3  *local3.Network // non-nil when this process started a 3.x network
	banner    []string
}

// close stops the network this process started, if any.
func (e *embedded) close() {
	if e.network != nil {
		_ = e.network.Close()
	}
	if e.network3 != nil {
		_ = e.network3.Close()
	}
}

// chooseEmbedded finds or starts the local network. A network that answers
// on the default ports with the default certificates is joined on its second
// node, so two plain `amoptui` runs reproduce the go-sdk examples' layout
// (subscriber on 20201, publisher on 20200). Otherwise a network is started
// in-process on the default ports, or on free ports when those are taken by
// something else; forceStart skips the search. line is the line to join
// (auto: a running network of either) and start (auto: 2.x), like the
// behaviour of the nodes of a network started here (local.ParseLike or
// local3.ParseLike).
func chooseEmbedded(forceStart bool, like string, line, start amop.Line) (*embedded, error) {
	if !forceStart {
		for _, l := range []amop.Line{amop.Line3, amop.Line2} {
			if line != amop.LineAuto && l != line {
				continue
			}
			dir, err := localCertDir(l)
			if err != nil {
				continue
			}
			if e := joinRunning(dir, l); e != nil {
				return e, nil
			}
		}
	}
	if start == amop.Line3 {
		return startEmbedded3(like)
	}
	dir, err := local.DefaultCertDir()
	if err != nil {
		return nil, err
	}
	n, err := local.Start(local.Options{Listen: defaultNodes, CertDir: dir, Like: like})
	if err != nil && isAddrInUse(err) {
		n, err = local.Start(local.Options{Nodes: 2, CertDir: dir, Like: like})
	}
	if err != nil {
		return nil, fmt.Errorf("start the embedded local network: %w", err)
	}
	e := &embedded{endpoints: []string{n.Addr(0)}, certDir: dir, line: amop.Line2, network: n}
	e.banner = embeddedBanner(embeddedMode(n), n.Addr(0), n.Addr(1), dir)
	return e, nil
}

// startEmbedded3 starts a local 3.x network, as startEmbedded does a 2.x one.
func startEmbedded3(like string) (*embedded, error) {
	dir, err := local3.DefaultCertDir()
	if err != nil {
		return nil, err
	}
	n, err := local3.Start(local3.Options{Listen: defaultNodes, CertDir: dir, Like: like})
	if err != nil && isAddrInUse(err) {
		n, err = local3.Start(local3.Options{Nodes: 2, CertDir: dir, Like: like})
	}
	if err != nil {
		return nil, fmt.Errorf("start the embedded local 3.x network: %w", err)
	}
	mode := "ideal 3.x nodes"
	if n.Options().Like == local3.Like3164 {
		mode = "nodes like FISCO BCOS 3.16.4"
	}
	e := &embedded{endpoints: []string{n.Addr(0)}, certDir: dir, line: amop.Line3, network3: n}
	e.banner = embeddedBanner(mode, n.Addr(0), n.Addr(1), dir)
	return e, nil
}

func embeddedBanner(mode, a0, a1, dir string) []string {
	return []string{
		fmt.Sprintf("Embedded local AMOP network started (%s): %s and %s", mode, a0, a1),
		fmt.Sprintf("Second terminal: %s --node %s", selfCommand(), a1),
		"Certificates: " + dir,
		"The network stops when this window quits.",
	}
}

// embeddedMode names the behaviour of a started network's nodes.
func embeddedMode(n *local.Network) string {
	if n.Like() == local.Like291 {
		return "nodes like FISCO BCOS 2.9.1"
	}
	return "ideal nodes"
}

// joinRunning probes the default ports with the default certificates of
// line's local network.
func joinRunning(dir string, line amop.Line) *embedded {
	if _, err := os.Stat(filepath.Join(dir, "ca.crt")); err != nil {
		return nil
	}
	cfg := certFiles(dir)
	var up []string
	for _, ep := range defaultNodes {
		if dial.Probe(cfg, line, ep, 500*time.Millisecond) == nil {
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
	return &embedded{endpoints: eps, certDir: dir, line: line, banner: []string{
		fmt.Sprintf("Joined the local AMOP network (%s) running on %s", line.Name(), strings.Join(up, " and ")),
		"Certificates: " + dir,
	}}
}

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use")
}
