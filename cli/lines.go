package cli

import (
	"os"
	"path/filepath"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/dial"
	"github.com/amoptui/amoptui/amop/fisco3"
	"github.com/amoptui/amoptui/amop/local"
	"github.com/amoptui/amoptui/amop/local3"
)

// localCertDir is the certificate directory of the local network of line:
// `amoptui node` (2.x) or `amoptui node --fisco 3`.
func localCertDir(line amop.Line) (string, error) {
	if line == amop.Line3 {
		return local3.DefaultCertDir()
	}
	return local.DefaultCertDir()
}

// probeTimeout bounds one endpoint's answer while choosing certificates.
const probeTimeout = time.Second

// defaultCertDir is the certificate directory used when none is given: the
// local network's of line. With auto, when both local networks' directories
// exist, it is the one whose certificates a node at endpoints completes TLS
// with (each network's nodes accept only their own CA's), and the line that
// node speaks comes with it; the 2.x one when no node tells.
func defaultCertDir(line amop.Line, endpoints []string) (string, amop.Line, error) {
	if line != amop.LineAuto {
		d, err := localCertDir(line)
		return d, amop.LineAuto, err
	}
	d2, err := local.DefaultCertDir()
	if err != nil {
		return "", amop.LineAuto, err
	}
	d3, err := local3.DefaultCertDir()
	if err != nil {
		return d2, amop.LineAuto, nil
	}
	has2, has3 := hasCA(d2), hasCA(d3)
	switch {
	case !has3:
		return d2, amop.LineAuto, nil
	case !has2:
		return d3, amop.Line3, nil
	}
	for _, ep := range endpoints {
		if l, _ := fisco3.Detect(fisco3.Config{Config: certFiles(d3)}, ep, probeTimeout); l == amop.Line3 {
			return d3, amop.Line3, nil
		}
		if dial.Probe(certFiles(d2), amop.Line2, ep, probeTimeout) == nil {
			return d2, amop.LineAuto, nil
		}
	}
	return d2, amop.LineAuto, nil
}

func hasCA(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "ca.crt"))
	return err == nil
}

// certFiles is a configuration with dir's build_chain.sh file names.
func certFiles(dir string) amop.Config {
	return amop.Config{CAFile: filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "sdk.crt"), KeyFile: filepath.Join(dir, "sdk.key")}
}

// wrongLineHint is what to add when a forced --fisco 2 found no 2.x node:
// an endpoint that accepts a WebSocket upgrade is a 3.x node, whose RPC
// port reads the 2.x handshake as the start of an HTTP request and waits
// for the rest, so the connection only timed out. Empty when no endpoint
// tells that.
func wrongLineHint(cfg amop.Config, line amop.Line) string {
	if line != amop.Line2 {
		return ""
	}
	for _, ep := range cfg.Endpoints {
		if l, _ := fisco3.Detect(fisco3.Config{Config: cfg}, ep, probeTimeout); l == amop.Line3 {
			return "; " + ep + " is a FISCO BCOS 3.x node (it accepted a WebSocket upgrade): use --fisco 3, or --fisco auto"
		}
	}
	return ""
}
