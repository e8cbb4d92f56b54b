package mobileapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// AppPath is where the inspector app (mobileapi/app) is served.
const AppPath = "/app"

// AppCSP is the Content-Security-Policy of the inspector app: scripts,
// styles, fonts and workers only from the server (no inline script, no
// eval; WebAssembly may be compiled, for the QR decoder and the hashing),
// images and media also from the blobs the app makes of photos, requests
// only to the server, and never inside a frame.
const AppCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Cache policies of the app's files: a name with a content hash (under
// assets/) never changes; everything else (index.html, the service
// worker, the manifest, the icons) is revalidated on every use.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// appTypes are the media types of the app's files; a file of another
// extension is not served.
var appTypes = map[string]string{
	".html":        fiber.MIMETextHTMLCharsetUTF8,
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        fiber.MIMEApplicationJSONCharsetUTF8,
	".webmanifest": "application/manifest+json",
	".wasm":        "application/wasm",
	".png":         "image/png",
	".svg":         "image/svg+xml",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".woff":        "font/woff",
	".ttf":         "font/ttf",
	".txt":         "text/plain; charset=utf-8",
}

type appFile struct {
	body  []byte
	gzip  []byte // the body gzipped, when that is smaller
	ctype string
	etag  string
	cache string
}

// gzipped is the body compressed once, at start, for the browsers that
// accept it (all of them): the app's first load is mostly text.
func gzipped(body []byte) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // a valid level: no error
	_, _ = w.Write(body)
	_ = w.Close()
	if b.Len() >= len(body) {
		return nil
	}
	return b.Bytes()
}

// AppHandler serves the built app of files under AppPath: a file by its
// path, and index.html for every other path without an extension (the
// app's own routes: history fallback). It reads (and gzips) every file
// once, here.
func AppHandler(files fs.FS) (fiber.Handler, error) {
	byPath := map[string]*appFile{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ctype, ok := appTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		f := &appFile{body: body, gzip: gzipped(body), ctype: ctype, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, cache: cacheRevalidate}
		if strings.HasPrefix(p, "assets/") {
			f.cache = cacheImmutable
		}
		byPath[p] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	index := byPath["index.html"]
	if index == nil {
		return nil, backend.Errorf(backend.EINTERNAL, "the inspector app has no index.html: build it (cd mobileapi/app && npm ci && npm run build)")
	}
	return func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return backend.Errorf(backend.EINVALID, "the app's files are read with GET")
		}
		rest, _ := strings.CutPrefix(c.Path(), AppPath)
		if rest == "" {
			return c.Redirect(AppPath+"/", fiber.StatusMovedPermanently)
		}
		p := strings.TrimPrefix(rest, "/")
		f := byPath[p]
		if f == nil {
			if path.Ext(p) != "" {
				return backend.Errorf(backend.ENOTFOUND, "the app has no file %s", p)
			}
			f = index // one of the app's own routes
		}
		c.Set(fiber.HeaderContentSecurityPolicy, AppCSP)
		c.Set(fiber.HeaderCacheControl, f.cache)
		c.Set(fiber.HeaderETag, f.etag)
		c.Set(fiber.HeaderContentType, f.ctype)
		if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && bytes.Contains([]byte(match), []byte(f.etag)) {
			return c.SendStatus(fiber.StatusNotModified)
		}
		if p == "sw.js" {
			c.Set("Service-Worker-Allowed", AppPath+"/")
		}
		c.Vary(fiber.HeaderAcceptEncoding)
		if f.gzip != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
			c.Set(fiber.HeaderContentEncoding, "gzip")
			return c.Send(f.gzip)
		}
		return c.Send(f.body)
	}, nil
}

// registerApp serves the app's files at AppPath. They are pages for
// people, not operations of the API: the wildcard route stays out of the
// OpenAPI documents, as Fiber's middleware does.
func (m *Routes) registerApp(s *httpkit.Router) {
	h, err := AppHandler(m.App)
	if err != nil {
		s.Logger.Error("the inspector app is not served", "err", err)
		h = func(*fiber.Ctx) error { return err }
	}
	s.Handle(fiber.MethodGet, AppPath+"/*", h)
}
