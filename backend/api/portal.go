package api

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/etag"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/portal/verify"
)

// The public portal (一公开, docs/portal.md): the /public/... URLs answer
// JSON to API clients and a page in Chinese to browsers (content
// negotiation on Accept), with ETags, and every address is limited in how
// often it may ask.

//go:embed portal/*.html
var portalFiles embed.FS

//go:embed portal/assets
var portalAssetFiles embed.FS

var portalPages = template.Must(template.New("portal").Funcs(template.FuncMap{
	"add": func(a, b int) int { return a + b },
}).ParseFS(portalFiles, "portal/*.html"))

// PortalCSP is the Content-Security-Policy of the portal's pages: the
// stylesheet and the one script come from the server, the script may fetch
// only from it, nothing inline, never inside a frame.
const PortalCSP = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// PortalLimit is how many requests one client address may make to the
// public pages (/public, /e, /v) in one window, counted in the store that
// every instance shares.
type PortalLimit struct {
	Requests int
	Window   time.Duration
}

// DefaultPortalLimit lets a person read briskly (two pages a second on
// average for a minute) and stops a crawler after 120 requests a minute.
var DefaultPortalLimit = PortalLimit{Requests: 120, Window: time.Minute}

// Bounds of a configured portal limit.
const (
	MaxPortalRequests = 1_000_000
	MinPortalWindow   = time.Second
	MaxPortalWindow   = 24 * time.Hour
)

// ParsePortalLimit reads a limit written N/WINDOW, e.g. 120/1m: at most N
// requests per address in each WINDOW (a Go duration).
func ParsePortalLimit(s string) (PortalLimit, error) {
	n, w, ok := strings.Cut(strings.TrimSpace(s), "/")
	req, err := strconv.Atoi(n)
	if !ok || err != nil || req < 1 || req > MaxPortalRequests {
		return PortalLimit{}, backend.Errorf(backend.EINVALID, "portal limit %q must be N/WINDOW with N from 1 to %d, e.g. 120/1m", s, MaxPortalRequests)
	}
	d, err := time.ParseDuration(w)
	if err != nil || d < MinPortalWindow || d > MaxPortalWindow {
		return PortalLimit{}, backend.Errorf(backend.EINVALID, "portal limit %q: the window must be a duration from %s to %s, e.g. 1m", s, MinPortalWindow, MaxPortalWindow)
	}
	return PortalLimit{Requests: req, Window: d}, nil
}

// String writes the limit as ParsePortalLimit reads it.
func (l PortalLimit) String() string { return strconv.Itoa(l.Requests) + "/" + l.Window.String() }

// portalAssetCache: the files change only with the binary; a day is a
// compromise without hashed names.
const portalAssetCache = "public, max-age=86400"

// wantsHTML reports whether an Accept header prefers a page to JSON: a
// browser's (text/html first) does, an API client's (application/json, */*
// or none) does not. Of text/html and application/json the one with the
// higher q wins, the earlier one on a tie; wildcards count for JSON.
func wantsHTML(accept string) bool {
	htmlQ, jsonQ := -1.0, -1.0
	htmlAt, jsonAt := 0, 0
	for i, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		switch mt {
		case "text/html", "application/xhtml+xml":
			if q > htmlQ {
				htmlQ, htmlAt = q, i
			}
		case "application/json", "*/*", "application/*":
			if q > jsonQ {
				jsonQ, jsonAt = q, i
			}
		}
	}
	if htmlQ <= 0 {
		return false
	}
	return htmlQ > jsonQ || htmlQ == jsonQ && htmlAt < jsonAt
}

// negotiated answers a page to a browser and JSON to the others;
// ?format=json asks for the JSON whatever Accept says (the pages' download
// links).
func negotiated(page, data fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Query("format") != "json" && wantsHTML(c.Get(fiber.HeaderAccept)) {
			return page(c)
		}
		return data(c)
	}
}

func (s *Server) portalLimit() PortalLimit {
	if s.PortalLimit.Requests > 0 && s.PortalLimit.Window > 0 {
		return s.PortalLimit
	}
	return DefaultPortalLimit
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// limitPortal counts the request against its client address and refuses
// it (429, Retry-After until the window ends) over the limit. The count
// lives in the store, so that every instance behind a load balancer
// counts the same — except on the embedded store, whose one process
// counts in memory (requestCounter): a store write per request was most
// of a cheap page's cost. The portal's own files are not counted: they
// are cached and cost nothing.
func (s *Server) limitPortal(c *fiber.Ctx) error {
	if s.Throttle == nil || strings.HasPrefix(c.Path(), "/public/assets/") {
		return c.Next()
	}
	lim, now := s.portalLimit(), s.now()
	key := "portal:" + httpkit.ClientAddr(c)
	end := now.UTC().Truncate(lim.Window).Add(lim.Window)
	refuse := func() error {
		return &backend.Error{Code: backend.ETOOMANY, Op: "portal",
			Message: fmt.Sprintf("more than %d requests in %s from this address; try again later", lim.Requests, lim.Window),
			Err:     &backend.RetryError{After: end.Sub(now)}}
	}
	if s.overLimit.has(key, now) {
		return refuse()
	}
	var n int
	var err error
	if rc, ok := s.Throttle.(requestCounter); ok {
		n, err = rc.CountRequest(c.UserContext(), key, lim.Window, now)
	} else {
		n, err = s.Throttle.AddThrottle(c.UserContext(), key, lim.Window, now, 1)
	}
	if err != nil {
		return err
	}
	if n > lim.Requests {
		s.overLimit.add(key, end)
		return refuse()
	}
	return c.Next()
}

// requestCounter is a ThrottleStore that counts one request more cheaply
// than AddThrottle where it can do so exactly (mongo.ThrottleStore: in
// memory on the embedded store's one process).
type requestCounter interface {
	CountRequest(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// MaxRefusedAddresses bounds the addresses an instance remembers as over
// the portal limit.
const MaxRefusedAddresses = 10_000

// refusedAddrs remembers, until the end of their window, the addresses the
// store counted over the limit, so that a crawler's further requests are
// refused without a write to the store each. It never changes an answer:
// a window's count only grows, so the store would refuse them too, on any
// instance.
type refusedAddrs struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (r *refusedAddrs) has(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.until[key]
	if ok && !now.Before(t) {
		delete(r.until, key)
		return false
	}
	return ok
}

func (r *refusedAddrs) add(key string, until time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.until == nil {
		r.until = map[string]time.Time{}
	}
	if len(r.until) >= MaxRefusedAddresses {
		clear(r.until) // forgetting costs one store write per address, nothing else
	}
	r.until[key] = until
}

// portalErrors shows a refusal to a browser as a page in Chinese (with its
// status), and leaves it to the error handler for the others.
func portalErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil || !wantsHTML(c.Get(fiber.HeaderAccept)) {
		return err
	}
	status := httpkit.Status(err)
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
	}
	if status == 0 || status >= 500 {
		return err // logged, and answered, by the error handler
	}
	if d, ok := backend.RetryAfter(err); ok {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int((d+time.Second-1)/time.Second))))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return renderPortal(c.Status(status), "error.html", portalPage{Title: "无法显示", Message: portalMessage(status)})
}

// portalMessage says in Chinese why a page cannot be shown.
func portalMessage(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "没有找到您要的页面或记录。请检查网址，或从首页重新查找。"
	case fiber.StatusTooManyRequests:
		return "您的访问过于频繁，请稍后再试。为保障所有人正常查询，每个网络地址在一定时间内的访问次数有限制。"
	case fiber.StatusBadRequest:
		return "查询条件不正确，请检查后重新输入。"
	}
	return "无法显示此页面，请稍后再试。"
}

// portalPage is the data of a portal page: its own part in Data.
type portalPage struct {
	Title   string
	Nav     string // which entry of the header is current
	Message string
	Data    any
}

func renderPortal(c *fiber.Ctx, name string, p portalPage) error {
	if c.GetRespHeader(fiber.HeaderCacheControl) == "" {
		c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	}
	return renderHTML(c, portalPages, name, p, PortalCSP)
}

// portalAsset serves the portal's stylesheet and scripts, and the fc-draw-1
// verifier as it is (backend/portal/verify).
func portalAsset(c *fiber.Ctx) error {
	name := c.Params("*")
	var data []byte
	var err error
	switch {
	case name == "fcdraw1.js":
		data, err = fs.ReadFile(verify.Files, name)
	case name != "" && !strings.Contains(name, "/") && !strings.HasPrefix(name, "."):
		data, err = fs.ReadFile(portalAssetFiles, "portal/assets/"+name)
	default:
		err = fs.ErrNotExist
	}
	if err != nil {
		return backend.Errorf(backend.ENOTFOUND, "no file %s", name)
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, portalAssetCache)
	return c.Send(data)
}

// registerPortal installs what every public page goes through, before any
// of them is registered (the audit head's public routes come with Extra):
// the rate limit, the pages of refusals, Vary and ETags.
func (s *Server) registerPortal() {
	for _, prefix := range []string{"/e", "/v"} {
		s.Use(prefix, portalErrors, s.limitPortal)
	}
	s.Use("/public", func(c *fiber.Ctx) error {
		c.Vary(fiber.HeaderAccept)
		return c.Next()
	}, portalErrors, s.limitPortal, etag.New())
	s.Handle("GET", "/public/assets/*", portalAsset)
}
