package amop

import (
	"crypto/ecdsa"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/amoptui/amoptui/userfile"
)

// PrivateKey is the secp256k1 key a private-topic subscriber proves it
// holds: it signs the publisher's random number with it.
type PrivateKey struct {
	key *ecdsa.PrivateKey
	// Source is the file it was loaded from ("" when generated), for
	// messages.
	Source string
}

// PublicKey is one of the keys a private-topic publisher accepts.
type PublicKey struct {
	key *ecdsa.PublicKey
	// Source is the file it was loaded from ("" when derived), for
	// messages.
	Source string
}

// GenerateKey makes a new secp256k1 key from crypto/rand.
func GenerateKey() (*PrivateKey, error) {
	k, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("amop: generate a secp256k1 key: %w", err)
	}
	return &PrivateKey{key: k}, nil
}

// Public returns k's public key.
func (k *PrivateKey) Public() *PublicKey { return &PublicKey{key: &k.key.PublicKey} }

// Hex is the uncompressed public key as go-sdk's examples write it:
// "0x04" and 128 hex digits.
func (k *PublicKey) Hex() string { return "0x" + hex.EncodeToString(crypto.FromECDSAPub(k.key)) }

// Equal reports whether k and o are the same key.
func (k *PublicKey) Equal(o *PublicKey) bool { return o != nil && k.key.Equal(o.key) }

// The ASN.1 of the PEM files: what openssl writes for a secp256k1 key
// (`openssl ecparam -name secp256k1 -genkey | openssl pkcs8 -topk8 -nocrypt`)
// and go-sdk's conf.LoadECPrivateKeyFromPEM / LoadECPublicKeyFromPEM read.
var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
)

type ecAlgorithm struct {
	Algorithm asn1.ObjectIdentifier
	Curve     asn1.ObjectIdentifier
}

// pkcs8Key is RFC 5208's PrivateKeyInfo, without attributes.
type pkcs8Key struct {
	Version    int
	Algorithm  ecAlgorithm
	PrivateKey []byte // an ecPrivateKey
}

// ecPrivateKey is RFC 5915's ECPrivateKey; the curve is in the PKCS#8
// wrapper, so its optional [0] parameters are left out, as openssl does.
type ecPrivateKey struct {
	Version    int
	PrivateKey []byte
	PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
}

// subjectPublicKeyInfo is RFC 5280's, with an uncompressed point.
type subjectPublicKeyInfo struct {
	Algorithm ecAlgorithm
	PublicKey asn1.BitString
}

// PEM encodes k as a "PRIVATE KEY" (PKCS#8) PEM block.
func (k *PrivateKey) PEM() ([]byte, error) {
	pub := crypto.FromECDSAPub(&k.key.PublicKey)
	inner, err := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: crypto.FromECDSA(k.key),
		PublicKey: asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}})
	if err != nil {
		return nil, fmt.Errorf("amop: encode private key: %w", err)
	}
	der, err := asn1.Marshal(pkcs8Key{Algorithm: ecAlgorithm{oidECPublicKey, oidSecp256k1}, PrivateKey: inner})
	if err != nil {
		return nil, fmt.Errorf("amop: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// PEM encodes k as a "PUBLIC KEY" (X.509 SubjectPublicKeyInfo) PEM block.
func (k *PublicKey) PEM() ([]byte, error) {
	pub := crypto.FromECDSAPub(k.key)
	der, err := asn1.Marshal(subjectPublicKeyInfo{Algorithm: ecAlgorithm{oidECPublicKey, oidSecp256k1},
		PublicKey: asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}})
	if err != nil {
		return nil, fmt.Errorf("amop: encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// readPEM reads path's first PEM block (through userfile: a key file is a
// regular file of at most 1 MiB) and checks its type, so that the usual
// mistakes get a plain message. The file is read once: what is checked is
// what is parsed.
func readPEM(path, want, what string) (*pem.Block, error) {
	raw, err := userfile.Read(path, userfile.PEM)
	if err != nil {
		return nil, fmt.Errorf("amop: %s: %w", what, err)
	}
	b, _ := pem.Decode(raw)
	switch {
	case b == nil:
		return nil, fmt.Errorf("amop: %s %s: no PEM block in the file", what, path)
	case b.Type == "EC PRIVATE KEY" && want == "PRIVATE KEY":
		return nil, fmt.Errorf("amop: %s %s: an \"EC PRIVATE KEY\" (SEC 1) PEM; go-sdk reads only PKCS#8 \"PRIVATE KEY\" "+
			"(convert it with: openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW, or make one with amoptui keygen)", what, path)
	case b.Type != want:
		return nil, fmt.Errorf("amop: %s %s: a %q PEM block, want %q", what, path, b.Type, want)
	}
	// go-sdk's loaders say "unknown namedCurveOID" of any other curve (a
	// P-256 key from an SDK certificate directory, say): name it and the fix.
	if curve := keyCurve(b.Bytes, want == "PRIVATE KEY"); curve != "secp256k1" {
		return nil, fmt.Errorf("amop: %s %s is %s: private topics need secp256k1 keys: amoptui keygen FILE makes a pair", what, path, curve)
	}
	return b, nil
}

// curveNames are the curves a key file may name, for the error.
var curveNames = map[string]string{
	"1.3.132.0.10":          "secp256k1",
	"1.2.840.10045.3.1.7":   "a P-256 (prime256v1) key",
	"1.3.132.0.34":          "a P-384 key",
	"1.3.132.0.35":          "a P-521 key",
	"1.2.156.10197.1.301":   "an SM2 key",
	"1.2.840.113549.1.1.1":  "an RSA key",
	"1.3.101.112":           "an Ed25519 key",
	"1.2.840.10045.3.1.1":   "a P-192 key",
	"1.3.132.0.33":          "a P-224 key",
	"1.3.36.3.3.2.8.1.1.7":  "a brainpoolP256r1 key",
	"1.3.36.3.3.2.8.1.1.11": "a brainpoolP384r1 key",
}

// keyCurve names the curve of a PKCS#8 private key or an X.509
// SubjectPublicKeyInfo: "secp256k1", a phrase for another known curve or
// algorithm, or "not an elliptic-curve key this program can read".
func keyCurve(der []byte, private bool) string {
	var alg struct {
		Algorithm asn1.ObjectIdentifier
		Params    asn1.RawValue `asn1:"optional"`
	}
	if private {
		var k struct {
			Version    int
			Algorithm  asn1.RawValue
			PrivateKey []byte
		}
		if _, err := asn1.Unmarshal(der, &k); err != nil {
			return "not a key this program can read"
		}
		if _, err := asn1.Unmarshal(k.Algorithm.FullBytes, &alg); err != nil {
			return "not a key this program can read"
		}
	} else {
		var k struct {
			Algorithm asn1.RawValue
			PublicKey asn1.BitString
		}
		if _, err := asn1.Unmarshal(der, &k); err != nil {
			return "not a key this program can read"
		}
		if _, err := asn1.Unmarshal(k.Algorithm.FullBytes, &alg); err != nil {
			return "not a key this program can read"
		}
	}
	if !alg.Algorithm.Equal(oidECPublicKey) {
		if name, ok := curveNames[alg.Algorithm.String()]; ok {
			return name
		}
		return "not an elliptic-curve key (algorithm " + alg.Algorithm.String() + ")"
	}
	var curve asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(alg.Params.FullBytes, &curve); err != nil {
		return "an elliptic-curve key without a named curve"
	}
	if name, ok := curveNames[curve.String()]; ok {
		return name
	}
	return "a key on curve " + curve.String()
}

// LoadPrivateKey reads a secp256k1 private key PEM: PKCS#8, as go-sdk's
// conf.LoadECPrivateKeyFromPEM reads it (and accepts what that accepts: a
// test checks the two agree). go-sdk's loader itself is not used because it
// reads the file by name, without a limit.
func LoadPrivateKey(path string) (*PrivateKey, error) {
	const what = "private key"
	b, err := readPEM(path, "PRIVATE KEY", what)
	if err != nil {
		return nil, err
	}
	var p8 pkcs8Key
	var inner struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
		PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
	}
	if _, err := asn1.Unmarshal(b.Bytes, &p8); err != nil {
		return nil, fmt.Errorf("amop: %s %s: not a PKCS#8 key: %v", what, path, err)
	}
	if _, err := asn1.Unmarshal(p8.PrivateKey, &inner); err != nil {
		return nil, fmt.Errorf("amop: %s %s: not an elliptic-curve private key: %v", what, path, err)
	}
	k, err := crypto.ToECDSA(inner.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("amop: %s %s: %w", what, path, err)
	}
	return &PrivateKey{key: k, Source: path}, nil
}

// LoadPublicKey reads a secp256k1 public key PEM: an X.509
// SubjectPublicKeyInfo with an uncompressed point, as go-sdk's
// conf.LoadECPublicKeyFromPEM reads it.
func LoadPublicKey(path string) (*PublicKey, error) {
	const what = "public key"
	b, err := readPEM(path, "PUBLIC KEY", what)
	if err != nil {
		return nil, err
	}
	var spki subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(b.Bytes, &spki)
	if err != nil {
		return nil, fmt.Errorf("amop: %s %s: %v", what, path, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("amop: %s %s: trailing data after the key", what, path)
	}
	raw := spki.PublicKey.RightAlign()
	if len(raw) != 65 || raw[0] != 4 {
		return nil, fmt.Errorf("amop: %s %s: not an uncompressed 65-byte point", what, path)
	}
	k, err := crypto.UnmarshalPubkey(raw)
	if err != nil {
		return nil, fmt.Errorf("amop: %s %s: %w", what, path, err)
	}
	return &PublicKey{key: k, Source: path}, nil
}

// LoadPublicKeys loads every file, stopping at the first error.
func LoadPublicKeys(paths []string) ([]*PublicKey, error) {
	if len(paths) == 0 {
		return nil, errors.New("amop: no public key files")
	}
	out := make([]*PublicKey, 0, len(paths))
	for _, p := range paths {
		k, err := LoadPublicKey(p)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}
