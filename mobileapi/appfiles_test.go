package mobileapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/mobileapi"
	inspectorapp "github.com/fieldcheck/fieldcheck/mobileapi/app"
)

var update = flag.Bool("update", false, "rewrite app/openapi.json from the served document")

// appOpenAPI is the phones' OpenAPI document as the app's TypeScript types
// are generated from (npm run api-types).
const appOpenAPI = "app/openapi.json"

// TestAppOpenAPIFile holds the document the app's types come from to the
// one the server serves: run with -update after changing a route, then
// `npm run api-types` in mobileapi/app.
func TestAppOpenAPIFile(t *testing.T) {
	m := apptest.Open(t, "")
	resp, err := m.HTTP.App().Test(httptest.NewRequest("GET", "/mobile/v1/openapi.json", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	if *update {
		if err := os.WriteFile(appOpenAPI, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(appOpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, pretty.Bytes()) {
		t.Fatalf("%s differs from the served document: run go test ./mobileapi -run TestAppOpenAPIFile -update, then npm run api-types in mobileapi/app", appOpenAPI)
	}
}

// TestAppFiles: the app's files with their types and cache policies, the
// app's own routes answered with index.html, and the CSP on all of them.
func TestAppFiles(t *testing.T) {
	files := fstest.MapFS{
		"index.html":                  {Data: []byte("<!doctype html><title>app</title>")},
		"sw.js":                       {Data: []byte("self.x=1")},
		"manifest.webmanifest":        {Data: []byte(`{"name":"app"}`)},
		"icons/icon-192.png":          {Data: []byte("png")},
		"assets/index-abc123.js":      {Data: []byte("console.log(1)")},
		"assets/index-abc123.css":     {Data: []byte("body{}")},
		"assets/zxing_reader-9f.wasm": {Data: []byte("\x00asm")},
		"notes.unknown":               {Data: []byte("x")},
	}
	// The server's own error handler, routes and middleware, with only
	// the app's files behind them.
	a := (&api.Server{Extra: []func(*httpkit.Router){(&mobileapi.Routes{App: files}).Register}}).App()
	tests := []struct {
		name, path   string
		status       int
		ctype, cache string
		body         string
	}{
		{"OK/Index", "/app/", 200, "text/html; charset=utf-8", "no-cache", "<!doctype html>"},
		{"OK/HistoryFallback", "/app/tasks/2026-scjg-1", 200, "text/html; charset=utf-8", "no-cache", "<!doctype html>"},
		{"OK/ServiceWorker", "/app/sw.js", 200, "text/javascript; charset=utf-8", "no-cache", "self.x"},
		{"OK/Manifest", "/app/manifest.webmanifest", 200, "application/manifest+json", "no-cache", `{"name"`},
		{"OK/Icon", "/app/icons/icon-192.png", 200, "image/png", "no-cache", "png"},
		{"OK/HashedScript", "/app/assets/index-abc123.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "console"},
		{"OK/HashedStyle", "/app/assets/index-abc123.css", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable", "body"},
		{"OK/Wasm", "/app/assets/zxing_reader-9f.wasm", 200, "application/wasm", "public, max-age=31536000, immutable", "\x00asm"},
		{"OK/NoSlash", "/app", 301, "", "", ""},
		{"ErrNotFound/MissingAsset", "/app/assets/gone-1.js", 404, "", "", ""},
		{"ErrNotFound/UnknownType", "/app/notes.unknown", 404, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := a.Test(httptest.NewRequest("GET", tt.path, nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status=%d, want %d (%s)", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				return
			}
			if got := resp.Header.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type=%q, want %q", got, tt.ctype)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control=%q, want %q", got, tt.cache)
			}
			if got := resp.Header.Get("Content-Security-Policy"); got != mobileapi.AppCSP {
				t.Errorf("CSP=%q, want %q", got, mobileapi.AppCSP)
			}
			if !strings.HasPrefix(string(body), tt.body) {
				t.Errorf("body %q, want it to start with %q", body, tt.body)
			}
			// Revalidation answers 304 with the same ETag.
			req := httptest.NewRequest("GET", tt.path, nil)
			req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
			again, err := a.Test(req, -1)
			if err != nil || again.StatusCode != 304 {
				t.Fatalf("revalidation: %v status %d, want 304", err, again.StatusCode)
			}
		})
	}
}

// TestAppCSP: the policy forbids what the DESIGN forbids.
func TestAppCSP(t *testing.T) {
	for _, bad := range []string{"'unsafe-eval'", "'unsafe-inline'", "http:", "https:", "*"} {
		if strings.Contains(mobileapi.AppCSP, bad) {
			t.Errorf("AppCSP allows %s: %s", bad, mobileapi.AppCSP)
		}
	}
	for _, need := range []string{"script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'none'", "connect-src 'self'", "worker-src 'self'"} {
		if !strings.Contains(mobileapi.AppCSP, need) {
			t.Errorf("AppCSP lacks %s", need)
		}
	}
}

// FirstLoadBudget is the most the app's first load may transfer, gzipped,
// the QR decoder's .wasm aside (issue 14: loaded only when scanning).
const FirstLoadBudget = 350 << 10

// TestAppFirstLoadBudget: everything a first visit can download — the
// page, its scripts and styles, the service worker and all it precaches —
// gzipped as the server sends it, within FirstLoadBudget. An upper bound:
// each file counted once, as the HTTP cache keeps the immutable ones.
func TestAppFirstLoadBudget(t *testing.T) {
	a := (&api.Server{Extra: []func(*httpkit.Router){(&mobileapi.Routes{App: inspectorapp.FS()}).Register}}).App()
	total, files := 0, 0
	err := fs.WalkDir(inspectorapp.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".wasm") {
			return err
		}
		req := httptest.NewRequest("GET", mobileapi.AppPath+"/"+p, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		resp, err := a.Test(req, -1)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", p, resp.StatusCode)
		}
		total += len(body)
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first load: %d files, %d bytes gzipped (budget %d)", files, total, FirstLoadBudget)
	if total > FirstLoadBudget {
		t.Fatalf("first load transfers %d bytes gzipped, over the budget of %d", total, FirstLoadBudget)
	}
}

// TestAppGzip: a browser that accepts gzip gets the same file compressed.
func TestAppGzip(t *testing.T) {
	a := (&api.Server{Extra: []func(*httpkit.Router){(&mobileapi.Routes{App: inspectorapp.FS()}).Register}}).App()
	plain, _ := fs.ReadFile(inspectorapp.FS(), "index.html")
	req := httptest.NewRequest("GET", "/app/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := a.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding=%q, want gzip", got)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !bytes.Equal(body, plain) {
		t.Fatalf("gunzipped body differs from index.html")
	}
	if v := resp.Header.Get("Vary"); !strings.Contains(v, "Accept-Encoding") {
		t.Fatalf("Vary=%q, want Accept-Encoding", v)
	}
}
