package api

import (
	"errors"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// ConsoleCSP is the Content-Security-Policy of the console: scripts,
// styles, fonts and requests of its own origin only (Vue's templates are
// compiled at build time, so no eval; the build inlines nothing), images
// also from data: and blob: URLs (thumbnails made in the page), never in a
// frame. Element Plus sets styles through the CSSOM, which style-src does
// not govern.
const ConsoleCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Cache lifetimes of the console's files: those under assets/ have a hash
// of their content in their names and never change; index.html names the
// current ones and is asked again every time.
const (
	consoleAssetCache = "public, max-age=31536000, immutable"
	consoleIndexCache = "no-cache"
)

// ConsoleRoutes serves the built console (backend/console.FS) at
// /console/: its files, and index.html for every other path below it, so
// that the page's router finds its routes on a reload (history fallback).
// "/" sends browsers there.
func ConsoleRoutes(files fs.FS) func(*httpkit.Router) {
	return func(s *httpkit.Router) {
		// The console's files are not API operations: like middleware,
		// they are outside the OpenAPI document (its coverage test skips
		// "/" and wildcards).
		s.Handle(fiber.MethodGet, "/", func(c *fiber.Ctx) error { return c.Redirect("/console/", fiber.StatusFound) })
		s.Handle(fiber.MethodGet, "/console/*", func(c *fiber.Ctx) error {
			if !strings.HasPrefix(c.Path(), "/console/") {
				return c.Redirect("/console/", fiber.StatusMovedPermanently)
			}
			return serveConsole(c, files, c.Params("*"))
		})
	}
}

func serveConsole(c *fiber.Ctx, files fs.FS, name string) error {
	c.Set(fiber.HeaderContentSecurityPolicy, ConsoleCSP)
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	asset := strings.HasPrefix(name, "assets/")
	if name == "" || !fs.ValidPath(name) {
		name = "index.html"
	}
	b, err := fs.ReadFile(files, name)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !asset:
		// A route of the page's router: the page finds it.
		name = "index.html"
		b, err = fs.ReadFile(files, name)
	case errors.Is(err, fs.ErrNotExist):
		return backend.Errorf(backend.ENOTFOUND, "the console has no file %s (a page built before the last release asks for it: reload the page)", name)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return backend.Errorf(backend.ENOTFOUND, "the console is not built into this binary")
		}
		return &backend.Error{Code: backend.EINTERNAL, Op: "serveConsole", Err: err}
	}
	if asset {
		c.Set(fiber.HeaderCacheControl, consoleAssetCache)
	} else {
		c.Set(fiber.HeaderCacheControl, consoleIndexCache)
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = fiber.MIMEOctetStream
	}
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(b)
}
