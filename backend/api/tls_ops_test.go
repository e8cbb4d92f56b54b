package api_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/api/tlstest"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// TestHTTPSHardening serves HTTPS with a generated certificate and checks
// HSTS on its answers (and none over plain HTTP), the Secure __Host-
// session cookie, and that TLS 1.2 takes only ECDHE AEAD suites.
func TestHTTPSHardening(t *testing.T) {
	e := newEnv(t)
	certFile, keyFile, leaf := tlstest.WriteCertificate(t, t.TempDir(), "hardening")
	cert, err := api.LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := e.serveTLS(t, cert)
	client := func(cfg *tls.Config) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	}

	t.Run("OK/HSTSOverTLS", func(t *testing.T) {
		c := client(tlstest.Client(leaf, 0, 0))
		defer c.CloseIdleConnections()
		resp, err := c.Get("https://" + addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != httpkit.HSTSValue {
			t.Fatalf("Strict-Transport-Security=%q, want %q", got, httpkit.HSTSValue)
		}
		if resp.Header.Get(httpkit.HeaderRequestID) == "" {
			t.Fatal("no X-Request-Id over TLS")
		}
	})
	t.Run("OK/NoHSTSOverHTTP", func(t *testing.T) {
		r := e.do("GET", "/healthz", "", "", nil)
		if got := r.Header.Get("Strict-Transport-Security"); got != "" {
			t.Fatalf("Strict-Transport-Security=%q over plain HTTP, want none", got)
		}
	})
	t.Run("OK/SecureSessionCookie", func(t *testing.T) {
		c := client(tlstest.Client(leaf, 0, 0))
		defer c.CloseIdleConnections()
		resp, err := c.Post("https://"+addr+"/api/v1/auth/session", "application/json",
			strings.NewReader(`{"username":"admin","password":"`+testPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status=%d, want 200", resp.StatusCode)
		}
		var found bool
		for _, ck := range resp.Cookies() {
			if ck.Name == api.SecureSessionCookie {
				found = true
				if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
					t.Fatalf("cookie %s: Secure=%v HttpOnly=%v SameSite=%v, want Secure, HttpOnly, Strict", ck.Name, ck.Secure, ck.HttpOnly, ck.SameSite)
				}
			}
		}
		if !found {
			t.Fatalf("no %s cookie over TLS: %v", api.SecureSessionCookie, resp.Header.Values("Set-Cookie"))
		}
	})
	for _, tt := range []struct {
		name  string
		suite uint16
		ok    bool
	}{
		{"OK/ECDHE-ECDSA-AES128-GCM", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true},
		{"OK/ECDHE-ECDSA-CHACHA20-POLY1305", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, true},
		{"ErrCBC/ECDHE-ECDSA-AES128-CBC-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, false},
		{"ErrCBC/ECDHE-ECDSA-AES256-CBC-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, false},
		{"ErrCBC/ECDHE-ECDSA-AES128-CBC-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tlstest.Client(leaf, tls.VersionTLS12, tls.VersionTLS12)
			cfg.CipherSuites = []uint16{tt.suite}
			conn, err := tls.Dial("tcp", addr, cfg)
			if err == nil {
				got := conn.ConnectionState().CipherSuite
				conn.Close()
				if !tt.ok {
					t.Fatalf("TLS 1.2 with %s accepted (%s)", tls.CipherSuiteName(tt.suite), tls.CipherSuiteName(got))
				}
				return
			}
			if tt.ok {
				t.Fatalf("TLS 1.2 with %s refused: %v", tls.CipherSuiteName(tt.suite), err)
			}
		})
	}
}
