// Package tlstest makes TLS certificates for tests: a self-signed
// certificate for 127.0.0.1 and localhost, written as the PEM files that
// fieldcheck serve --tls-cert/--tls-key reads.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// WriteCertificate writes a new self-signed certificate named cn and its
// key to dir/cert.pem and dir/key.pem (replacing those there) and returns
// the file names and the certificate.
func WriteCertificate(tb testing.TB, dir, cn string) (certFile, keyFile string, cert *x509.Certificate) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	WriteFile(tb, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	WriteFile(tb, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certFile, keyFile, cert
}

// WriteFile replaces the file name with data.
func WriteFile(tb testing.TB, name string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// Client trusts only cert and speaks TLS from min to max (0: Go's
// defaults).
func Client(cert *x509.Certificate, min, max uint16) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{RootCAs: pool, MinVersion: min, MaxVersion: max}
}

// Served is the certificate the server at addr presents now (not
// verified: a test compares it with the one it expects).
func Served(tb testing.TB, addr string) *x509.Certificate {
	tb.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		tb.Fatalf("handshake with %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// WaitServed polls handshakes with addr until it presents want, or fails
// tb after within (a bound, not a wait: the first handshake that shows
// want ends it).
func WaitServed(tb testing.TB, addr string, want *x509.Certificate, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		got := Served(tb, addr)
		if got.Equal(want) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s still presents %q (serial %s) after %s, want %q (serial %s)", addr, got.Subject.CommonName, got.SerialNumber, within, want.Subject.CommonName, want.SerialNumber)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
