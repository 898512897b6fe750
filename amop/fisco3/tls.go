package fisco3

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/amop/guard"
	"github.com/amoptui/amoptui/userfile"
)

// NodeCertError is a node certificate that does not chain to ca.crt, or is
// outside its validity period: the same sentence as on the 2.x path.
type NodeCertError = guard.NodeCertError

// Credentials are the SDK's checked TLS material for a 3.x chain. 3.x
// certificates are RSA-2048 (build_chain.sh), which the standard library
// reads; 2.x chains' secp256k1 and SM chains' SM2 ones are refused with a
// sentence that says so.
type Credentials struct {
	pair   tls.Certificate
	roots  *x509.CertPool
	caName string
}

// Certificate is the SDK certificate and key.
func (cr *Credentials) Certificate() tls.Certificate { return cr.pair }

// LoadCredentials reads and checks cfg's CA, certificate and key (inline PEM
// first, then the files): each parses, the key matches the certificate,
// which chains to the CA and is valid now. Every failure is one sentence
// naming the file.
func LoadCredentials(cfg amop.Config) (*Credentials, error) {
	ca, caName, err := source(cfg.CAPEM, cfg.CAFile, "inline ca_pem", "CA certificate (ca.crt)")
	if err != nil {
		return nil, err
	}
	cert, certName, err := source(cfg.CertPEM, cfg.CertFile, "inline cert_pem", "SDK certificate (sdk.crt)")
	if err != nil {
		return nil, err
	}
	key, keyName, err := source(cfg.KeyPEM, cfg.KeyFile, "inline key_pem", "SDK key (sdk.key)")
	if err != nil {
		return nil, err
	}
	cas, err := parseCerts(ca, caName)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	for _, c := range cas {
		roots.AddCert(c)
	}
	chain, err := parseCerts(cert, certName)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return nil, fmt.Errorf("amop: %s does not belong to %s: the key does not match the certificate's public key", keyName, certName)
		}
		return nil, fmt.Errorf("amop: %s: %v", keyName, err)
	}
	leaf, now := chain[0], time.Now()
	if now.Before(leaf.NotBefore) {
		return nil, fmt.Errorf("amop: %s is not valid yet: valid from %s", certName, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("amop: %s expired on %s", certName, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("amop: %s is not signed by %s: %v", certName, caName, err)
	}
	return &Credentials{pair: pair, roots: roots, caName: caName}, nil
}

// source returns the inline PEM, else the file's contents, with the name
// errors quote. A missing ca.crt next to an sm_ca.crt is an SM chain's SDK
// directory, and says so.
func source(inline []byte, path, inlineName, what string) ([]byte, string, error) {
	if len(inline) > 0 {
		return inline, inlineName, nil
	}
	if path == "" {
		return nil, "", fmt.Errorf("amop: no %s configured", what)
	}
	b, err := userfile.Read(path, userfile.PEM)
	if errors.Is(err, fs.ErrNotExist) {
		if sm := filepath.Join(filepath.Dir(path), "sm_"+filepath.Base(path)); fileExists(sm) {
			return nil, "", fmt.Errorf("amop: %s does not exist but %s does: %w", path, sm, ErrSMChain)
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("amop: %s: %w", what, err)
	}
	return b, path, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ErrSMChain is an SM (guomi) chain, which this client cannot reach.
var ErrSMChain = errors.New("this is an SM chain (built with build_chain.sh -s): its nodes speak SM TLS (NTLS with ECC-SM4-SM3 and SM2 certificates: sm_ca.crt, sm_sdk.crt/sm_sdk.key and the encryption pair sm_ensdk.crt/sm_ensdk.key), which amoptui does not implement; set rpc.sm_ssl=false on the nodes and give amoptui ca.crt, sdk.crt and sdk.key")

// parseCerts reads every certificate of a PEM file.
func parseCerts(data []byte, name string) ([]*x509.Certificate, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("amop: %s: empty", name)
	}
	var out []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			if strings.Contains(err.Error(), "unsupported elliptic curve") {
				return nil, fmt.Errorf("amop: %s: an elliptic-curve certificate the standard library cannot read: secp256k1 (a FISCO BCOS 2.x chain's: use --fisco 2) "+
					"or SM2 (%v)", name, ErrSMChain)
			}
			return nil, fmt.Errorf("amop: %s: certificate does not parse: %v", name, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		if bytes.Contains(data, []byte("-----BEGIN")) {
			return nil, fmt.Errorf("amop: %s: corrupt PEM: the certificate does not parse", name)
		}
		return nil, fmt.Errorf("amop: %s: no PEM certificate found", name)
	}
	return out, nil
}

// clientTLS is what the client dials nodes with: the SDK certificate, TLS
// 1.2 at least (3.x nodes speak 1.2 only) and, unless verify is false, the
// node's chain checked against ca.crt by verifier (no host name to check).
func (cr *Credentials) clientTLS(verify bool) *tls.Config {
	cfg := &tls.Config{
		Certificates:       []tls.Certificate{cr.pair},
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by verifier: the certificates carry no host name
		RootCAs:            cr.roots,
	}
	if !verify {
		cfg.RootCAs = nil
	}
	return cfg
}

// verifier checks a node's certificate chain against ca.crt for ep, unless
// verification is off (RootCAs nil).
func (c *Client) verifier(ep string) func([][]byte, [][]*x509.Certificate) error {
	roots := c.tls.RootCAs
	if roots == nil {
		return nil
	}
	caName := c.cfg.CAFile
	if len(c.cfg.CAPEM) > 0 || caName == "" {
		caName = "the configured CA"
	}
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return &NodeCertError{Endpoint: ep, CAName: caName, Err: errors.New("no certificate")}
		}
		certs := make([]*x509.Certificate, 0, len(raw))
		for _, r := range raw {
			cert, err := x509.ParseCertificate(r)
			if err != nil {
				return &NodeCertError{Endpoint: ep, CAName: caName, Err: err}
			}
			certs = append(certs, cert)
		}
		inter := x509.NewCertPool()
		for _, cert := range certs[1:] {
			inter.AddCert(cert)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err == nil {
			return nil
		}
		nce := &NodeCertError{Endpoint: ep, CAName: caName, Err: err}
		var invalid x509.CertificateInvalidError
		if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
			leaf, now := certs[0], time.Now()
			switch {
			case now.Before(leaf.NotBefore):
				nce.Validity = "is not valid until " + leaf.NotBefore.UTC().Format(time.RFC3339)
			case now.After(leaf.NotAfter):
				nce.Validity = "expired on " + leaf.NotAfter.UTC().Format(time.RFC3339)
			}
		}
		return nce
	}
}

// isSMError reports a TLS failure that only an SM-TLS node causes: its SM2
// certificate does not parse ("unsupported elliptic curve"), or it answers
// with the NTLS version 0x0101.
func isSMError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "unsupported elliptic curve") || strings.Contains(s, "unsupported protocol version 101") ||
		strings.Contains(s, "unsupported protocol version 0x101")
}

func smError(ep string, err error) error {
	return fmt.Errorf("node %s: %w (TLS said: %v)", ep, ErrSMChain, err)
}

// isTLSRefusal reports the node rejecting our certificate during the
// handshake (TLS 1.2 alerts surface as "remote error: tls: ...").
func isTLSRefusal(err error) bool {
	s := err.Error()
	for _, alert := range []string{"bad certificate", "unknown certificate", "certificate required",
		"unknown certificate authority", "expired certificate", "handshake failure"} {
		if strings.Contains(s, "remote error: tls: "+alert) {
			return true
		}
	}
	return false
}

// Probe reports whether a 3.x node at endpoint completes a TLS handshake and
// a WebSocket upgrade with cfg's certificates within timeout. Nothing AMOP
// is sent.
func Probe(cfg Config, endpoint string, timeout time.Duration) error {
	c, err := probeClient(cfg, endpoint, timeout)
	if err != nil {
		return err
	}
	return c.probe(endpoint)
}
