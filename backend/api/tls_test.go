package api_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/api/tlstest"
)

// serveTLS runs the app's Listen with cert on a free loopback port and
// returns the address once it answers HTTPS.
func (e *env) serveTLS(t *testing.T, cert *api.Certificate) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e.m.HTTP.TLS = cert
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.m.HTTP.Listen(ctx, addr, 5*time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err == nil {
			conn.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTPS on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHTTPS(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	certFile, keyFile, first := tlstest.WriteCertificate(t, dir, "first")
	cert, err := api.LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := e.serveTLS(t, cert)
	get := func(t *testing.T, trust *tls.Config) (int, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: trust}, Timeout: 10 * time.Second}
		defer c.CloseIdleConnections()
		resp, err := c.Get("https://" + addr + "/healthz")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	for _, tt := range []struct {
		name     string
		min, max uint16
		ok       bool
	}{
		{"OK/TLS13", tls.VersionTLS13, tls.VersionTLS13, true},
		{"OK/TLS12", tls.VersionTLS12, tls.VersionTLS12, true},
		{"ErrTLS11", tls.VersionTLS10, tls.VersionTLS11, false},
		{"ErrTLS10", tls.VersionTLS10, tls.VersionTLS10, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, err := get(t, tlstest.Client(first, tt.min, tt.max))
			if tt.ok && (err != nil || status != 200) {
				t.Fatalf("GET /healthz: %d %v, want 200", status, err)
			}
			if !tt.ok && err == nil {
				t.Fatalf("GET /healthz over TLS up to %x: %d, want the handshake refused", tt.max, status)
			}
		})
	}
	t.Run("OK/ReloadServesTheNewCertificate", func(t *testing.T) {
		_, _, second := tlstest.WriteCertificate(t, dir, "second")
		if err := cert.Reload(); err != nil {
			t.Fatal(err)
		}
		if got := tlstest.Served(t, addr); !got.Equal(second) {
			t.Fatalf("served %q after the reload, want %q", got.Subject.CommonName, "second")
		}
		if status, err := get(t, tlstest.Client(second, 0, 0)); err != nil || status != 200 {
			t.Fatalf("GET trusting the new certificate: %d %v", status, err)
		}
	})
	t.Run("ErrBadPairKeepsTheServedCertificate", func(t *testing.T) {
		before := tlstest.Served(t, addr)
		_, otherKey, _ := tlstest.WriteCertificate(t, t.TempDir(), "other")
		for _, bad := range []struct{ name, cert, key string }{
			{"KeyOfAnotherCertificate", certFile, otherKey},
			{"HalfWrittenCertificate", certFile + ".half", keyFile},
		} {
			tlstest.WriteFile(t, certFile+".half", []byte("-----BEGIN CERTIFICATE-----\nMIIB"))
			c := &api.Certificate{CertFile: bad.cert, KeyFile: bad.key}
			if err := c.Reload(); err == nil {
				t.Fatalf("%s: Reload succeeded", bad.name)
			}
		}
		// The served one's files made bad in place: Reload fails and keeps it.
		tlstest.WriteFile(t, certFile, []byte("not a certificate"))
		if err := cert.Reload(); err == nil {
			t.Fatal("Reload of a broken certificate file succeeded")
		}
		if got := tlstest.Served(t, addr); !got.Equal(before) {
			t.Fatalf("served %q after a failed reload, want the one before", got.Subject.CommonName)
		}
	})
}
