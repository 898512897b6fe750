package local3

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/amoptui/amoptui/amop/local"

	"github.com/amoptui/amoptui/userfile"
)

// File names of a certificate directory: ca.crt, sdk.crt and sdk.key are what
// 3.x build_chain.sh puts in nodes/<ip>/sdk/; ca.key and node<i>/ssl.crt,
// node<i>/ssl.key (a node's conf/ssl.crt and ssl.key in build_chain's layout)
// exist only in directories this package generated.
const (
	CAFile      = "ca.crt"
	CAKeyFile   = "ca.key"
	SDKCertFile = "sdk.crt"
	SDKKeyFile  = "sdk.key"
)

// NodeCertFile is node i's certificate, relative to the directory.
func NodeCertFile(i int) string { return filepath.Join("node"+strconv.Itoa(i), "ssl.crt") }

// NodeKeyFile is node i's key, relative to the directory.
func NodeKeyFile(i int) string { return filepath.Join("node"+strconv.Itoa(i), "ssl.key") }

// rsaBits is build_chain.sh's rsa_key_length.
const rsaBits = 2048

// certDays is build_chain.sh's default validity (days=36500).
const certDays = 36500

// DefaultCertDir is where `amoptui node --fisco 3` keeps its certificates,
// next to the 2.x network's: $XDG_STATE_HOME/amoptui/network3, else
// ~/.local/state/amoptui/network3.
func DefaultCertDir() (string, error) {
	d, err := local.DefaultCertDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(d), "network3"), nil
}

// authority is a CA that can issue certificates.
type authority struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
	pool    *x509.CertPool
}

// certSet is a loaded certificate directory.
type certSet struct {
	ca    *authority
	nodes []tls.Certificate
	ids   []string // node ids: hex of each node certificate's public key hash
}

// randName is build_chain's subject naming: FISCO-BCOS-<random>.
func randName() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "FISCO-BCOS-" + hex.EncodeToString(b)
}

func newSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
}

// newCA makes a self-signed RSA-2048 CA like build_chain's gen_chain_cert
// (subject CN and O FISCO-BCOS-<rand>, OU chain).
func newCA() (*authority, error) {
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	name := randName()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name, Organization: []string{name}, OrganizationalUnit: []string{"chain"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, certDays),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &authority{cert: cert, certPEM: pemBlock("CERTIFICATE", der), key: key, pool: pool}, nil
}

// issue makes a leaf like build_chain's gen_rsa_node_cert: RSA-2048, subject
// CN FISCO-BCOS-<rand>, O fisco-bcos, OU agency, basicConstraints CA:FALSE
// and nothing else — no key usage, no subjectAltName. The key is PKCS#8, as
// build_chain converts it.
func (ca *authority) issue() (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, nil, err
	}
	return ca.issueFor(key, &key.PublicKey)
}

func (ca *authority) issueFor(key crypto.Signer, pub crypto.PublicKey) (certPEM, keyPEM []byte, err error) {
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: randName(), Organization: []string{"fisco-bcos"}, OrganizationalUnit: []string{"agency"}},
		NotBefore:    now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, certDays),
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), pemBlock("PRIVATE KEY", kder), nil
}

// NewCertDir writes a fresh CA (ca.crt, ca.key) and SDK certificate (sdk.crt,
// sdk.key) into dir, creating it; it refuses to replace an existing ca.crt.
// Tests use it for a foreign CA.
func NewCertDir(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, CAFile)); err == nil {
		return fmt.Errorf("local3: %s already exists", filepath.Join(dir, CAFile))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("local3: %w", err)
	}
	ca, err := newCA()
	if err != nil {
		return fmt.Errorf("local3: CA: %w", err)
	}
	if err := ca.write(dir); err != nil {
		return err
	}
	return issueFile(dir, ca, SDKCertFile, SDKKeyFile)
}

func (ca *authority) write(dir string) error {
	kder, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return fmt.Errorf("local3: %w", err)
	}
	if err := writeFile(filepath.Join(dir, CAKeyFile), pemBlock("PRIVATE KEY", kder), 0o600); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, CAFile), ca.certPEM, 0o644)
}

func issueFile(dir string, ca *authority, certName, keyName string) error {
	c, k, err := ca.issue()
	if err != nil {
		return fmt.Errorf("local3: issuing %s: %w", certName, err)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, certName)), 0o700); err != nil {
		return fmt.Errorf("local3: %w", err)
	}
	if err := writeFile(filepath.Join(dir, keyName), k, 0o600); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, certName), c, 0o644)
}

// prepareCertDir loads dir, generating what is missing: the CA, the SDK
// certificate and one certificate per node. Files that exist but do not fit
// together are an error naming the file.
func prepareCertDir(dir string, nodes int) (*certSet, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local3: certificate directory: %w", err)
	}
	ca, err := loadCA(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if ca, err = newCA(); err == nil {
			err = ca.write(dir)
		}
	}
	if err != nil {
		return nil, err
	}
	set := &certSet{ca: ca}
	if _, err := os.Stat(filepath.Join(dir, SDKCertFile)); errors.Is(err, fs.ErrNotExist) {
		if err := issueFile(dir, ca, SDKCertFile, SDKKeyFile); err != nil {
			return nil, err
		}
	}
	if _, err := loadLeaf(dir, SDKCertFile, SDKKeyFile, ca); err != nil {
		return nil, err
	}
	for i := 0; i < nodes; i++ {
		if _, err := os.Stat(filepath.Join(dir, NodeCertFile(i))); errors.Is(err, fs.ErrNotExist) {
			if err := issueFile(dir, ca, NodeCertFile(i), NodeKeyFile(i)); err != nil {
				return nil, err
			}
		}
		c, err := loadLeaf(dir, NodeCertFile(i), NodeKeyFile(i), ca)
		if err != nil {
			return nil, err
		}
		set.nodes = append(set.nodes, c)
		set.ids = append(set.ids, nodeID(c.Leaf))
	}
	return set, nil
}

func loadCA(dir string) (*authority, error) {
	path := filepath.Join(dir, CAFile)
	b, err := userfile.Read(path, userfile.PEM)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("local3: %s: no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("local3: %s: %v", path, err)
	}
	kpath := filepath.Join(dir, CAKeyFile)
	kb, err := userfile.Read(kpath, userfile.PEM)
	if err != nil {
		return nil, fmt.Errorf("local3: %s exists but %s cannot be read (a directory this network did not generate?): %w", path, kpath, err)
	}
	pair, err := tls.X509KeyPair(b, kb)
	if err != nil {
		return nil, fmt.Errorf("local3: %s does not belong to %s: %v", kpath, path, err)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("local3: %s: unusable key", kpath)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &authority{cert: cert, certPEM: b, key: signer, pool: pool}, nil
}

func loadLeaf(dir, certName, keyName string, ca *authority) (tls.Certificate, error) {
	cpath, kpath := filepath.Join(dir, certName), filepath.Join(dir, keyName)
	var c tls.Certificate
	cb, err := userfile.Read(cpath, userfile.PEM)
	if err != nil {
		return c, fmt.Errorf("local3: %w", err)
	}
	kb, err := userfile.Read(kpath, userfile.PEM)
	if err != nil {
		return c, fmt.Errorf("local3: %w", err)
	}
	if c, err = tls.X509KeyPair(cb, kb); err != nil {
		return c, fmt.Errorf("local3: %s / %s: %v", cpath, kpath, err)
	}
	leaf := c.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return c, fmt.Errorf("local3: %s: %v", cpath, err)
		}
		c.Leaf = leaf
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return c, fmt.Errorf("local3: %s is not a valid certificate of %s: %v", cpath, filepath.Join(dir, CAFile), err)
	}
	return c, nil
}

// nodeID is a stand-in for a 3.x node id (the hex of its public key): the
// hex of a hash of the certificate's public key, 64 hex digits.
func nodeID(c *x509.Certificate) string {
	h := crypto.SHA256.New()
	h.Write(c.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(h.Sum(nil))
}

// smCertificate builds the certificate an SM-TLS node shows a client that
// speaks ordinary TLS: a P-256 key in a certificate whose curve is SM2
// (OID 1.2.156.10197.1.301), which no standard TLS stack parses. The DER of
// the two curve OIDs has the same length, so the P-256 certificate is
// patched in place; its signature no longer verifies, but a client never
// gets that far.
func smCertificate(ca *authority) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM, _, err := ca.issueFor(key, &key.PublicKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	blk, _ := pem.Decode(certPEM)
	der := blk.Bytes
	p256 := []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	sm2 := []byte{0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d}
	patched := false
	for i := 0; i+len(p256) <= len(der); i++ {
		if string(der[i:i+len(p256)]) == string(p256) {
			copy(der[i:], sm2)
			patched = true
			break
		}
	}
	if !patched {
		return tls.Certificate{}, errors.New("local3: no P-256 curve OID to patch")
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// writeFile writes through a temporary file and a rename, so that a
// concurrent reader never sees half a certificate.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("local3: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("local3: %w", err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("local3: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("local3: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("local3: %w", err)
	}
	return nil
}
