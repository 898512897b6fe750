package local

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/FISCO-BCOS/crypto/x509"
)

// AgencyCertFile and AgencyKeyFile hold the intermediate CA of a directory
// made by NewAgencyCertDir.
const (
	AgencyCertFile = "agency.crt"
	AgencyKeyFile  = "agency.key"
)

// NewAgencyCertDir writes a certificate directory laid out as build_chain.sh
// lays out a real chain's: a chain CA (ca.crt, ca.key), an agency CA it signs
// (agency.crt, agency.key), and node and SDK certificates the agency signs,
// each followed in its file by agency.crt (node<i>.crt for i < nodes,
// sdk.crt), with their keys. Clients must then verify through an
// intermediate, which is what real nodes' and SDKs' certificates need and
// NewCertDir's single-level sets never exercise. With opts.KeyType
// Secp256k1 it is a real chain's set in all but the subject names. Start
// serves such a directory as it is (it issues nothing when every file is
// there). It refuses to overwrite an existing ca.crt.
func NewAgencyCertDir(dir string, nodes int, opts CertOptions) error {
	root, err := newRootDir(dir, opts)
	if err != nil {
		return err
	}
	agency, err := root.intermediate("amoptui local agency", opts)
	if err != nil {
		return err
	}
	keyPEM, err := marshalKey(agency.key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, AgencyKeyFile), keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, AgencyCertFile), agency.certPEM, 0o644); err != nil {
		return err
	}
	names := []string{"sdk"}
	for i := 0; i < nodes; i++ {
		names = append(names, "node"+strconv.Itoa(i))
	}
	for _, name := range names {
		certPEM, keyPEM, err := agency.issue(name, opts)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, name+".key"), keyPEM, 0o600); err != nil {
			return err
		}
		chain := append(certPEM, agency.certPEM...)
		if err := writeFileAtomic(filepath.Join(dir, name+".crt"), chain, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// intermediate issues a CA certificate signed by ca, as build_chain.sh's
// agency certificate is signed by the chain CA.
func (ca *authority) intermediate(cn string, opts CertOptions) (*authority, error) {
	key, err := generateKey(opts.KeyType)
	if err != nil {
		return nil, err
	}
	nb, na := opts.window()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"amoptui"}},
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, signerFor(ca.key))
	if err != nil {
		return nil, fmt.Errorf("local: issuing %s: %w", cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("local: parsing %s: %w", cn, err)
	}
	return &authority{cert: cert, certPEM: pemBlock("CERTIFICATE", der), key: key, pool: ca.pool}, nil
}
