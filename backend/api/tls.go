package api

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// MinTLSVersion is the oldest TLS the server speaks: 1.2 (TLS 1.0 and 1.1
// are deprecated, RFC 8996).
const MinTLSVersion = tls.VersionTLS12

// CipherSuites are the TLS 1.2 suites the server accepts: ECDHE key
// exchange (forward secrecy) with an AEAD cipher only — no CBC, no RSA key
// exchange, no 3DES or RC4 (Mozilla's "intermediate" profile). TLS 1.3
// chooses among its own suites, all AEAD, which Go does not let anyone
// configure.
var CipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// Certificate is the server's TLS certificate, read from a PEM certificate
// file (the chain, leaf first) and a PEM key file, and read again on
// Reload: a renewed certificate is served from the next handshake on,
// without a restart.
type Certificate struct {
	CertFile, KeyFile string
	cert              atomic.Pointer[tls.Certificate]
}

// LoadCertificate reads the certificate and key.
func LoadCertificate(certFile, keyFile string) (*Certificate, error) {
	c := &Certificate{CertFile: certFile, KeyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again. When they do not hold a certificate and
// its key (a renewal half written, a key that is not the certificate's),
// the certificate served so far stays, and the error says why.
func (c *Certificate) Reload() error {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return backend.Errorf(backend.EINVALID, "TLS certificate %s with key %s: %v", c.CertFile, c.KeyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return backend.Errorf(backend.EINVALID, "TLS certificate %s: %v", c.CertFile, err)
		}
	}
	c.cert.Store(&cert)
	return nil
}

// Leaf is the certificate served now.
func (c *Certificate) Leaf() *x509.Certificate { return c.cert.Load().Leaf }

// Describe says which certificate is served, for the log.
func (c *Certificate) Describe() string {
	l := c.Leaf()
	return fmt.Sprintf("subject %q, serial %s, valid until %s", l.Subject.CommonName, l.SerialNumber, l.NotAfter.UTC().Format(time.RFC3339))
}

// TLSConfig is the server's TLS configuration: TLS 1.2 and later, the
// certificate taken at each handshake. HTTP/1.1 only: fasthttp serves no
// HTTP/2.
func (c *Certificate) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   MinTLSVersion,
		CipherSuites: CipherSuites,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.cert.Load(), nil
		},
		NextProtos: []string{"http/1.1"},
	}
}
