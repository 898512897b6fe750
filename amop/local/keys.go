package local

// Keys and certificates as bytes: generation (P-256, or secp256k1 as
// build_chain.sh makes them), PEM and DER encoding, parsing, and the small
// helpers certs.go builds directories with.

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/FISCO-BCOS/crypto/ecdsa"
	"github.com/FISCO-BCOS/crypto/elliptic"
	"github.com/FISCO-BCOS/crypto/x509"
)

func generateKey(kt KeyType) (*ecdsa.PrivateKey, error) {
	c, err := kt.curve()
	if err != nil {
		return nil, err
	}
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("local: generating a %s key: %w", kt, err)
	}
	return k, nil
}

// signerFor adapts a key for x509.CreateCertificate. The fork's
// CreateCertificate picks the signature algorithm from the signer's curve and
// knows only the NIST curves, so for a secp256k1 key it is shown a public key
// labelled P-256: that selects ecdsa-with-SHA256, which is exactly what
// build_chain.sh's openssl uses for secp256k1 certificates, and the signature
// itself is made by the real key. CreateCertificate uses the public key for
// nothing else.
func signerFor(k *ecdsa.PrivateKey) crypto.Signer {
	if k.Curve == elliptic.Secp256k1() {
		return k1Signer{k}
	}
	return k
}

type k1Signer struct{ k *ecdsa.PrivateKey }

// Public returns the key under a P-256 label; see signerFor.
func (s k1Signer) Public() crypto.PublicKey {
	return &ecdsa.PublicKey{Curve: elliptic.P256(), X: s.k.X, Y: s.k.Y}
}

// Sign signs with the real secp256k1 key.
func (s k1Signer) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.k.Sign(r, digest, opts)
}

func marshalKey(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("local: encoding a key: %w", err)
	}
	return pemBlock("PRIVATE KEY", der), nil
}

// parseCerts reads every CERTIFICATE block; the first is the leaf.
func parseCerts(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return out, nil
}

// parseKey reads an EC key in PKCS#8 ("PRIVATE KEY", build_chain.sh) or SEC1
// ("EC PRIVATE KEY", openssl ecparam) form; other blocks such as "EC
// PARAMETERS" are skipped.
func parseKey(b []byte) (*ecdsa.PrivateKey, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM PRIVATE KEY or EC PRIVATE KEY block")
		}
		switch blk.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, err
			}
			ek, ok := k.(*ecdsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("a %T, not an EC key", k)
			}
			return ek, nil
		case "EC PRIVATE KEY":
			return x509.ParseECPrivateKey(blk.Bytes)
		}
	}
}

func samePublicKey(c *x509.Certificate, k *ecdsa.PrivateKey) bool {
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	return ok && pub.Curve == k.Curve && pub.X.Cmp(k.X) == 0 && pub.Y.Cmp(k.Y) == 0
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil || n.Sign() == 0 {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

// keyID is the RFC 5280 method 1 key identifier (SHA-1 of the public key).
func keyID(pub *ecdsa.PublicKey) []byte {
	h := sha1.Sum(elliptic.Marshal(pub.Curve, pub.X, pub.Y))
	return h[:]
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
