package api_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/api"
)

// TestConsoleFiles: the embedded console is served at /console/ with its
// cache rules and security headers, and every other path below it is the
// page (the router's history fallback).
func TestConsoleFiles(t *testing.T) {
	e := newEnv(t)
	get := func(t *testing.T, url string) (int, map[string]string, string) {
		t.Helper()
		resp, err := e.m.HTTP.App().Test(httptest.NewRequest("GET", url, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		h := map[string]string{}
		for _, k := range []string{"Cache-Control", "Content-Security-Policy", "Content-Type", "X-Content-Type-Options", "Referrer-Policy", "Location"} {
			h[k] = resp.Header.Get(k)
		}
		return resp.StatusCode, h, string(b)
	}
	status, h, index := get(t, "/console/")
	if status != 200 || h["Cache-Control"] != "no-cache" || !strings.Contains(index, `<div id="app">`) || !strings.HasPrefix(h["Content-Type"], "text/html") {
		t.Fatalf("/console/: %d %v, want the index page, no-cache", status, h)
	}
	if h["Content-Security-Policy"] != api.ConsoleCSP || h["X-Content-Type-Options"] != "nosniff" || h["Referrer-Policy"] == "" {
		t.Fatalf("/console/ headers %v, want the console's CSP, nosniff and a Referrer-Policy", h)
	}
	for _, bad := range []string{"unsafe-eval", "unsafe-inline", "http:", "https:"} {
		if strings.Contains(api.ConsoleCSP, bad) {
			t.Fatalf("the console's CSP allows %s", bad)
		}
	}
	if !strings.Contains(api.ConsoleCSP, "frame-ancestors 'none'") {
		t.Fatalf("the console's CSP %q may be framed", api.ConsoleCSP)
	}
	start := strings.Index(index, `src="/console/assets/`)
	if start < 0 {
		t.Fatalf("index names no script under /console/assets/: %s", index)
	}
	script := index[start+len(`src="`):]
	script = script[:strings.IndexByte(script, '"')]
	if strings.Contains(index, "<script>") {
		t.Fatalf("index has an inline script: %s", index)
	}
	tests := []struct {
		name, url   string
		wantStatus  int
		wantCache   string
		wantType    string
		wantContent string
	}{
		{"OK/Asset", script, 200, "public, max-age=31536000, immutable", "text/javascript", ""},
		{"OK/HistoryFallback", "/console/targets/91440300708461136T", 200, "no-cache", "text/html", `<div id="app">`},
		{"OK/Traversal", "/console/../../go.mod", 200, "no-cache", "text/html", `<div id="app">`},
		{"ErrMissingAsset", "/console/assets/nope-123.js", 404, "", "application/json", `"code":"not_found"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := get(t, tt.url)
			if status != tt.wantStatus || h["Cache-Control"] != tt.wantCache || !strings.HasPrefix(h["Content-Type"], tt.wantType) || !strings.Contains(body, tt.wantContent) {
				t.Fatalf("GET %s: %d %v %.80q; want %d, Cache-Control %q, %s with %q", tt.url, status, h, body, tt.wantStatus, tt.wantCache, tt.wantType, tt.wantContent)
			}
		})
	}
	for _, u := range []string{"/", "/console"} {
		if status, h, _ := get(t, u); status/100 != 3 || h["Location"] != "/console/" {
			t.Fatalf("GET %s: %d to %q, want a redirect to /console/", u, status, h["Location"])
		}
	}
}
