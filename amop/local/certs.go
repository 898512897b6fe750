package local

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/FISCO-BCOS/crypto/ecdsa"
	"github.com/FISCO-BCOS/crypto/elliptic"
	"github.com/FISCO-BCOS/crypto/tls"
	"github.com/FISCO-BCOS/crypto/x509"

	"github.com/amoptui/amoptui/userfile"
)

// File names of a certificate directory. ca.crt, sdk.crt and sdk.key are the
// layout build_chain.sh gives an SDK and the go-sdk examples read from their
// working directory; ca.key and node<i>.crt/.key exist only in directories
// this package generated, because it must be able to issue node certificates.
const (
	CAFile      = "ca.crt"
	CAKeyFile   = "ca.key"
	SDKCertFile = "sdk.crt"
	SDKKeyFile  = "sdk.key"
)

// NodeCertFile is the certificate file of node i ("node0.crt", ...).
func NodeCertFile(i int) string { return "node" + strconv.Itoa(i) + ".crt" }

// NodeKeyFile is the key file of node i ("node0.key", ...).
func NodeKeyFile(i int) string { return "node" + strconv.Itoa(i) + ".key" }

// KeyType is the elliptic curve of a generated key.
type KeyType int

const (
	// P256 is NIST P-256, the default: the standard library, openssl and the
	// go-sdk TLS fork all read it, and its handshakes are fast.
	P256 KeyType = iota
	// Secp256k1 is the curve of real FISCO BCOS 2.x chains (build_chain.sh).
	// Only the go-sdk TLS fork reads it; use it to test the real-chain path.
	Secp256k1
)

// String names the key type as the --key-type flag spells it.
func (k KeyType) String() string {
	switch k {
	case P256:
		return "p256"
	case Secp256k1:
		return "secp256k1"
	}
	return "keytype(" + strconv.Itoa(int(k)) + ")"
}

// ParseKeyType reads "p256" (also "p-256", "prime256v1") or "secp256k1".
func ParseKeyType(s string) (KeyType, error) {
	switch s {
	case "p256", "P256", "p-256", "P-256", "prime256v1":
		return P256, nil
	case "secp256k1":
		return Secp256k1, nil
	}
	return P256, fmt.Errorf("unknown key type %q: want p256 or secp256k1", s)
}

func (k KeyType) curve() (elliptic.Curve, error) {
	switch k {
	case P256:
		return elliptic.P256(), nil
	case Secp256k1:
		return elliptic.Secp256k1(), nil
	}
	return nil, fmt.Errorf("local: unknown key type %d", int(k))
}

// CertOptions shape a generated certificate.
type CertOptions struct {
	// KeyType is the curve of the new key (default P256).
	KeyType KeyType
	// NotBefore and NotAfter bound the validity; zero values mean one hour
	// ago (clock skew) and ten years from now. Set them to build expired or
	// not-yet-valid certificates for tests.
	NotBefore, NotAfter time.Time
}

func (o CertOptions) window() (time.Time, time.Time) {
	nb, na := o.NotBefore, o.NotAfter
	if nb.IsZero() {
		nb = time.Now().Add(-time.Hour)
	}
	if na.IsZero() {
		na = time.Now().AddDate(10, 0, 0)
	}
	return nb, na
}

// DefaultCertDir is where `amoptui node` keeps its certificates and where the
// TUI looks for them to join a running local network:
// $XDG_STATE_HOME/amoptui/network, else ~/.local/state/amoptui/network.
func DefaultCertDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "amoptui", "network"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("local: no state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "amoptui", "network"), nil
}

// NewCertDir creates dir if needed and writes a fresh CA (ca.crt, ca.key) and
// SDK certificate (sdk.crt, sdk.key) into it, both with opts' key type and
// validity window. It refuses to overwrite an existing ca.crt. Tests use it
// to build a foreign CA, or a "real-chain style" secp256k1 set, and then
// point Options.CertDir or a client at it.
func NewCertDir(dir string, opts CertOptions) error {
	ca, err := newRootDir(dir, opts)
	if err != nil {
		return err
	}
	_, _, err = issueFiles(dir, ca, "sdk", opts, false)
	return err
}

// newRootDir creates dir if needed and writes a fresh CA (ca.crt, ca.key)
// into it, refusing to replace an existing ca.crt.
func newRootDir(dir string, opts CertOptions) (*authority, error) {
	if _, err := os.Stat(filepath.Join(dir, CAFile)); err == nil {
		return nil, fmt.Errorf("local: %s already exists", filepath.Join(dir, CAFile))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	ca, err := newCA(opts)
	if err != nil {
		return nil, err
	}
	if err := ca.write(dir); err != nil {
		return nil, err
	}
	return ca, nil
}

// IssueCert issues <name>.crt and <name>.key in dir, signed by dir's CA
// (ca.crt and ca.key must exist), and returns their paths. The certificate
// is good for both client and server use. An existing pair of that name is
// overwritten, so tests can issue "sdk" variants in a copy of a directory.
func IssueCert(dir, name string, opts CertOptions) (certFile, keyFile string, err error) {
	ca, err := loadCA(dir, true)
	if err != nil {
		return "", "", err
	}
	return issueFiles(dir, ca, name, opts, true)
}

// authority is a loaded or generated CA.
type authority struct {
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey // nil when ca.key is absent
	pool    *x509.CertPool
}

func newCA(opts CertOptions) (*authority, error) {
	key, err := generateKey(opts.KeyType)
	if err != nil {
		return nil, err
	}
	nb, na := opts.window()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "amoptui local CA", Organization: []string{"amoptui"}},
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, signerFor(key))
	if err != nil {
		return nil, fmt.Errorf("local: creating the CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("local: parsing the new CA: %w", err)
	}
	ca := &authority{cert: cert, certPEM: pemBlock("CERTIFICATE", der), key: key, pool: x509.NewCertPool()}
	ca.pool.AddCert(cert)
	return ca, nil
}

func (ca *authority) write(dir string) error {
	keyPEM, err := marshalKey(ca.key)
	if err != nil {
		return err
	}
	// The key first: a crash between the two writes leaves no ca.crt, so the
	// next start generates a fresh pair instead of failing on a lone cert.
	if err := writeFileAtomic(filepath.Join(dir, CAKeyFile), keyPEM, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, CAFile), ca.certPEM, 0o644)
}

// issue creates a leaf certificate signed by ca.
func (ca *authority) issue(cn string, opts CertOptions) (certPEM, keyPEM []byte, err error) {
	if ca.key == nil {
		return nil, nil, fmt.Errorf("local: %s is missing: cannot issue a certificate for %s", CAKeyFile, cn)
	}
	key, err := generateKey(opts.KeyType)
	if err != nil {
		return nil, nil, err
	}
	nb, na := opts.window()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"amoptui"}},
		NotBefore:    nb,
		NotAfter:     na,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyAgreement,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		// basicConstraints CA:FALSE, as build_chain.sh's v3_req gives node
		// and SDK certificates: a 2.9.1 node checks the issuer of exactly
		// those certificates (ChannelServer::newVerifyCallback).
		BasicConstraintsValid: true,
		IsCA:                  false,
		// Loopback SANs let standard verifiers that insist on a hostname
		// match accept a node certificate; FISCO clients do not check it.
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		SubjectKeyId: keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, signerFor(ca.key))
	if err != nil {
		return nil, nil, fmt.Errorf("local: issuing %s: %w", cn, err)
	}
	keyPEM, err = marshalKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), keyPEM, nil
}

func issueFiles(dir string, ca *authority, name string, opts CertOptions, overwrite bool) (string, string, error) {
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if !overwrite {
		if _, err := os.Stat(certFile); err == nil {
			return "", "", fmt.Errorf("local: %s already exists", certFile)
		}
	}
	certPEM, keyPEM, err := ca.issue(name, opts)
	if err != nil {
		return "", "", err
	}
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := writeFileAtomic(certFile, certPEM, 0o644); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// loadCA reads ca.crt and, when present (or required), ca.key.
func loadCA(dir string, needKey bool) (*authority, error) {
	path := filepath.Join(dir, CAFile)
	certPEM, err := userfile.Read(path, userfile.PEM)
	if err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	certs, err := parseCerts(certPEM)
	if err != nil {
		return nil, fmt.Errorf("local: %s: %w", path, err)
	}
	ca := &authority{cert: certs[0], certPEM: certPEM, pool: x509.NewCertPool()}
	for _, c := range certs {
		ca.pool.AddCert(c)
	}
	if !ca.cert.IsCA {
		return nil, fmt.Errorf("local: %s: not a CA certificate", path)
	}
	keyPath := filepath.Join(dir, CAKeyFile)
	keyPEM, err := userfile.Read(keyPath, userfile.PEM)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !needKey:
		return ca, nil
	case err != nil:
		return nil, fmt.Errorf("local: %w", err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("local: %s: %w", keyPath, err)
	}
	if !samePublicKey(ca.cert, key) {
		return nil, fmt.Errorf("local: %s does not match %s", keyPath, path)
	}
	ca.key = key
	return ca, nil
}

// loadLeaf reads a certificate and key pair issued under ca and checks that
// they belong together, chain to ca and are valid now. The errors name the
// file at fault.
func loadLeaf(dir, certName, keyName string, ca *authority) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, certName), filepath.Join(dir, keyName)
	certPEM, err := userfile.Read(certPath, userfile.PEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("local: %w", err)
	}
	certs, err := parseCerts(certPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("local: %s: %w", certPath, err)
	}
	keyPEM, err := userfile.Read(keyPath, userfile.PEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("local: %w", err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("local: %s: %w", keyPath, err)
	}
	leaf := certs[0]
	if !samePublicKey(leaf, key) {
		return tls.Certificate{}, fmt.Errorf("local: %s does not match %s", keyPath, certPath)
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.pool, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return tls.Certificate{}, fmt.Errorf("local: %s is not valid under %s: %w", certPath, filepath.Join(dir, CAFile), err)
	}
	tc := tls.Certificate{PrivateKey: key, Leaf: leaf}
	for _, c := range certs {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	return tc, nil
}

// certSet is what a network needs from its directory.
type certSet struct {
	ca    *authority
	nodes []tls.Certificate
}

// prepareCertDir loads dir, generating whatever is missing (the CA, the SDK
// pair and node pairs 0..nodes-1) with key type kt. Existing files are reused
// when they are consistent; otherwise the error names the offending file.
// A lock file serialises two processes preparing the same directory.
func prepareCertDir(dir string, nodes int, kt KeyType) (*certSet, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	opts := CertOptions{KeyType: kt}
	caPath := filepath.Join(dir, CAFile)
	var ca *authority
	if _, err := os.Stat(caPath); errors.Is(err, fs.ErrNotExist) {
		for _, f := range []string{SDKCertFile, SDKKeyFile, NodeCertFile(0)} {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				return nil, fmt.Errorf("local: %s exists but %s does not: cannot tell which CA issued it", filepath.Join(dir, f), caPath)
			}
		}
		if ca, err = newCA(opts); err != nil {
			return nil, err
		}
		if err := ca.write(dir); err != nil {
			return nil, err
		}
	} else if ca, err = loadCA(dir, false); err != nil {
		return nil, err
	}

	set := &certSet{ca: ca}
	ensure := func(name, certName, keyName string) (tls.Certificate, error) {
		_, errC := os.Stat(filepath.Join(dir, certName))
		_, errK := os.Stat(filepath.Join(dir, keyName))
		if errors.Is(errC, fs.ErrNotExist) && errors.Is(errK, fs.ErrNotExist) {
			if _, _, err := issueFiles(dir, ca, name, opts, false); err != nil {
				return tls.Certificate{}, err
			}
		}
		return loadLeaf(dir, certName, keyName, ca)
	}
	if _, err := ensure("sdk", SDKCertFile, SDKKeyFile); err != nil {
		return nil, err
	}
	for i := 0; i < nodes; i++ {
		c, err := ensure("node"+strconv.Itoa(i), NodeCertFile(i), NodeKeyFile(i))
		if err != nil {
			return nil, err
		}
		set.nodes = append(set.nodes, c)
	}
	return set, nil
}

// lockDir takes dir/.lock, waiting up to 10 s; a lock older than 30 s is
// left over from a crash and is taken over.
func lockDir(dir string) (func(), error) {
	path := filepath.Join(dir, ".lock")
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("local: %w", err)
		}
		if st, err := os.Stat(path); err == nil && time.Since(st.ModTime()) > 30*time.Second {
			os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("local: %s is held by another process", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeFileAtomic writes through a temporary file and a rename, so a reader
// never sees half a PEM file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(name, mode)); err != nil {
		os.Remove(name)
		return fmt.Errorf("local: writing %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("local: %w", err)
	}
	return nil
}
