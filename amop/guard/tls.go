package guard

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	stdtls "crypto/tls"
	stdx509 "crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	ftls "github.com/FISCO-BCOS/crypto/tls"
	fx509 "github.com/FISCO-BCOS/crypto/x509"
)

// Source is the SDK's TLS material as the user configured it: the CA that
// signs the chain's node certificates, and the SDK certificate and key that
// build_chain.sh puts in nodes/<ip>/sdk. The names are what errors quote
// (usually the file paths).
type Source struct {
	CA, Cert, Key             []byte
	CAName, CertName, KeyName string
}

// Credentials is a checked Source, ready to dial nodes with.
type Credentials struct {
	roots    *fx509.CertPool
	pair     ftls.Certificate
	leaf     *fx509.Certificate
	src      Source
	notAfter time.Time
}

// NotAfter is when the SDK certificate expires.
func (c *Credentials) NotAfter() time.Time { return c.notAfter }

// LoadCredentials parses and checks the SDK's TLS material before anything is
// dialled: each PEM parses, the key matches the certificate, the certificate
// chains to the CA and is valid at now. Each failure is one sentence naming
// the file. It goes through go-sdk's TLS fork because real chains'
// certificates use secp256k1 keys, which the standard library cannot parse;
// P-256 material loads too. It never reaches go-sdk's own loader, which
// panics on a CA it cannot parse.
func LoadCredentials(src Source, now time.Time) (*Credentials, error) {
	name := func(n, def string) string {
		if n == "" {
			return def
		}
		return n
	}
	caName, certName, keyName := name(src.CAName, "CA certificate"), name(src.CertName, "SDK certificate"), name(src.KeyName, "SDK key")
	if len(bytes.TrimSpace(src.CA)) == 0 {
		return nil, fmt.Errorf("%s: empty", caName)
	}
	cas, err := parseCertsPEM(src.CA)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", caName, err)
	}
	roots := fx509.NewCertPool()
	for _, c := range cas {
		roots.AddCert(c)
	}
	chain, err := parseCertsPEM(src.Cert)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certName, err)
	}
	if !containsPEMType(src.Key, "PRIVATE KEY") {
		return nil, fmt.Errorf("%s: no PEM private key block found", keyName)
	}
	pair, err := ftls.X509KeyPair(src.Cert, src.Key)
	if err != nil {
		if bytes.Contains([]byte(err.Error()), []byte("does not match")) {
			return nil, fmt.Errorf("%s does not belong to %s: the key does not match the certificate's public key", keyName, certName)
		}
		return nil, fmt.Errorf("%s: %v", keyName, err)
	}
	leaf := chain[0]
	if now.Before(leaf.NotBefore) {
		return nil, fmt.Errorf("%s is not valid yet: valid from %s", certName, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("%s expired on %s", certName, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	inter := fx509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(fx509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []fx509.ExtKeyUsage{fx509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("%s is not signed by %s: %v", certName, caName, err)
	}
	src.CAName, src.CertName, src.KeyName = caName, certName, keyName
	return &Credentials{roots: roots, pair: pair, leaf: leaf, src: src, notAfter: leaf.NotAfter}, nil
}

func containsPEMType(data []byte, suffix string) bool {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return false
		}
		if len(b.Type) >= len(suffix) && b.Type[len(b.Type)-len(suffix):] == suffix {
			return true
		}
	}
}

func parseCertsPEM(data []byte) ([]*fx509.Certificate, error) {
	var out []*fx509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := fx509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate does not parse: %v", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		if bytes.Contains(data, []byte("-----BEGIN")) {
			return nil, errors.New("corrupt PEM: the certificate does not parse")
		}
		return nil, errors.New("no PEM certificate found")
	}
	return out, nil
}

// cipherSuites are the TLS 1.2 suites the guard offers, AES-GCM first.
// go-sdk's TLS fork never initialises its copy of the CPU feature flags, so
// it believes there is no AES hardware and prefers ChaCha20-Poly1305, which
// is about half as fast as AES-GCM on any x86 server of the last decade.
// Nodes sign with ECDSA keys (secp256k1 or P-256), or RSA since 2.9
// (rsa_crypto_channel), so both kinds are offered.
var cipherSuites = []uint16{
	ftls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ftls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	ftls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, ftls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	ftls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305, ftls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,
}

// upstreamTLS is the TLS configuration for the node session. go-sdk's own
// configuration skips verification of the node; ours verifies the node's
// chain against the CA (no hostname check: FISCO BCOS node certificates carry
// no IP SAN) unless the user opted out.
func (c *Credentials) upstreamTLS(endpoint string, verify bool) *ftls.Config {
	cfg := &ftls.Config{
		Certificates:       []ftls.Certificate{c.pair},
		RootCAs:            c.roots,
		MinVersion:         ftls.VersionTLS12,
		MaxVersion:         ftls.VersionTLS12, // 2.x nodes speak TLS 1.2 only
		InsecureSkipVerify: true,              // replaced by verifyNode: no hostname to check
		CurvePreferences:   []ftls.CurveID{ftls.CurveSecp256k1, ftls.CurveP256},
		CipherSuites:       cipherSuites,
	}
	if verify {
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*fx509.Certificate) error {
			return c.verifyNode(endpoint, raw)
		}
	}
	return cfg
}

// NodeCertError is a node certificate that does not chain to the CA, or
// that is outside its validity period.
type NodeCertError struct {
	Endpoint string
	CAName   string
	Err      error
	// Validity, when set, is why the certificate is not valid now
	// ("expired on …", "is not valid until …"): x509 reports both cases as
	// one error, and "not signed by" would send people after the wrong file.
	Validity string
	// Hint is how the user turns the check off where they run the
	// client ("--no-verify-node" for sub and pub); "set verify_node =
	// false" (the configuration file's key) when empty.
	Hint string
}

// Error implements error.
func (e *NodeCertError) Error() string {
	hint := e.Hint
	if hint == "" {
		hint = "set verify_node = false"
	}
	if e.Validity != "" {
		return fmt.Sprintf("node %s presented a certificate that %s (%s to skip this check)", e.Endpoint, e.Validity, hint)
	}
	return fmt.Sprintf("node %s presented a certificate not signed by %s (%s to skip this check): %v", e.Endpoint, e.CAName, hint, e.Err)
}

func (c *Credentials) verifyNode(endpoint string, raw [][]byte) error {
	if len(raw) == 0 {
		return &NodeCertError{Endpoint: endpoint, CAName: c.src.CAName, Err: errors.New("no certificate")}
	}
	certs := make([]*fx509.Certificate, 0, len(raw))
	for _, r := range raw {
		cert, err := fx509.ParseCertificate(r)
		if err != nil {
			return &NodeCertError{Endpoint: endpoint, CAName: c.src.CAName, Err: err}
		}
		certs = append(certs, cert)
	}
	inter := fx509.NewCertPool()
	for _, cert := range certs[1:] {
		inter.AddCert(cert)
	}
	_, err := certs[0].Verify(fx509.VerifyOptions{Roots: c.roots, Intermediates: inter,
		KeyUsages: []fx509.ExtKeyUsage{fx509.ExtKeyUsageAny}})
	if err != nil {
		nce := &NodeCertError{Endpoint: endpoint, CAName: c.src.CAName, Err: err}
		var invalid fx509.CertificateInvalidError
		if errors.As(err, &invalid) && invalid.Reason == fx509.Expired {
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
	return nil
}

// ephemeral is the in-memory PKI of the in-process endpoint: a CA, the
// server certificate go-sdk verifies, and the only client certificate the
// endpoint accepts. It lives as long as the guard, so nothing else on the
// machine (including a stale go-sdk of an earlier guard on a reused port)
// can talk to it.
type ephemeral struct {
	server stdtls.Config
	client ftls.Config
}

const ephemeralName = "amoptui-guard"

func newEphemeral() (*ephemeral, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &stdx509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: ephemeralName + " CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(100 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: stdx509.KeyUsageCertSign,
	}
	caDER, err := stdx509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := stdx509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	leaf := func(serial int64, usage stdx509.ExtKeyUsage) (certPEM, keyPEM []byte, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl := &stdx509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: ephemeralName},
			DNSNames: []string{ephemeralName}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(100 * 365 * 24 * time.Hour),
			KeyUsage: stdx509.KeyUsageDigitalSignature, ExtKeyUsage: []stdx509.ExtKeyUsage{usage},
		}
		der, err := stdx509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, err
		}
		kder, err := stdx509.MarshalECPrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
	}
	srvCert, srvKey, err := leaf(2, stdx509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	cliCert, cliKey, err := leaf(3, stdx509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	srvPair, err := stdtls.X509KeyPair(srvCert, srvKey)
	if err != nil {
		return nil, err
	}
	cliPair, err := ftls.X509KeyPair(cliCert, cliKey)
	if err != nil {
		return nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	stdPool := stdx509.NewCertPool()
	stdPool.AddCert(caCert)
	fPool := fx509.NewCertPool()
	if !fPool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("guard: ephemeral CA does not parse")
	}
	e := &ephemeral{}
	// TLS 1.2 with AES-GCM on both ends: the fork would otherwise pick
	// ChaCha20 (see cipherSuites), and in-process hops pay for every cycle.
	e.server = stdtls.Config{
		Certificates: []stdtls.Certificate{srvPair},
		ClientAuth:   stdtls.RequireAndVerifyClientCert,
		ClientCAs:    stdPool,
		MinVersion:   stdtls.VersionTLS12,
		MaxVersion:   stdtls.VersionTLS12,
		CipherSuites: []uint16{stdtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
	}
	e.client = ftls.Config{
		Certificates: []ftls.Certificate{cliPair},
		RootCAs:      fPool,
		ServerName:   ephemeralName,
		MinVersion:   ftls.VersionTLS12,
		MaxVersion:   ftls.VersionTLS12,
		CipherSuites: []uint16{ftls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
	}
	return e, nil
}

// Probe reports whether a node answers a TLS handshake at endpoint with these
// credentials, within timeout. The TUI uses it to find a local network that
// is already running before it starts one of its own.
func Probe(endpoint string, c *Credentials, verify bool, timeout time.Duration) error {
	conn, err := ftls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", endpoint, c.upstreamTLS(endpoint, verify))
	if err != nil {
		return err
	}
	return conn.Close()
}
