package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Throwaway TLS material for the comparison: one CA, a server certificate
// for 127.0.0.1 and a client certificate, all P-256 like the local AMOP
// network's, so NATS and the raw TLS floor pay for the same curve and
// signature as amoptui does.
const (
	caCertFile     = "ca.crt"
	serverCertFile = "server.crt"
	serverKeyFile  = "server.key"
	clientCertFile = "client.crt"
	clientKeyFile  = "client.key"
)

// writeCerts creates dir and the five PEM files in it, valid for a day.
func writeCerts(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "amoptui bench CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, caCertFile), "CERTIFICATE", caDER, 0o644); err != nil {
		return err
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, certFile, keyFile string) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return err
		}
		if err := writePEM(filepath.Join(dir, certFile), "CERTIFICATE", der, 0o644); err != nil {
			return err
		}
		return writePEM(filepath.Join(dir, keyFile), "PRIVATE KEY", keyDER, 0o600)
	}
	if err := leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, serverCertFile, serverKeyFile); err != nil {
		return err
	}
	return leaf(3, "amoptui bench client", x509.ExtKeyUsageClientAuth, clientCertFile, clientKeyFile)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}

// tlsConfigs loads dir's material as the server and client configurations
// of the raw TLS floor: mutual TLS, P-256, pinned to TLS 1.2 because that is
// what go-sdk's TLS fork speaks to a FISCO BCOS 2.x node.
func tlsConfigs(dir string) (server, client *tls.Config, err error) {
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, nil, err
	}
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, nil, errors.New("no certificate in " + caCertFile)
	}
	sc, err := tls.LoadX509KeyPair(filepath.Join(dir, serverCertFile), filepath.Join(dir, serverKeyFile))
	if err != nil {
		return nil, nil, fmt.Errorf("server certificate: %w", err)
	}
	cc, err := tls.LoadX509KeyPair(filepath.Join(dir, clientCertFile), filepath.Join(dir, clientKeyFile))
	if err != nil {
		return nil, nil, fmt.Errorf("client certificate: %w", err)
	}
	curves := []tls.CurveID{tls.CurveP256}
	server = &tls.Config{
		Certificates: []tls.Certificate{sc}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, CurvePreferences: curves,
	}
	client = &tls.Config{
		Certificates: []tls.Certificate{cc}, RootCAs: pool, ServerName: "127.0.0.1",
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, CurvePreferences: curves,
	}
	return server, client, nil
}
