package httpkit

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/apijson"
)

// Limits of the HTTP server. Each one is tested.
const (
	// MaxBodyBytes is the largest request body the JSON API accepts.
	MaxBodyBytes = 1 << 20
	// ReadTimeout, WriteTimeout and IdleTimeout are the defaults of the
	// Router fields of the same names.
	ReadTimeout  = 15 * time.Second
	WriteTimeout = 30 * time.Second
	IdleTimeout  = 60 * time.Second
)

// Router is the Fiber application the HTTP adapters share: its limits,
// middleware and error handler, and the table of routes that the adapters
// add and the OpenAPI documents are built from.
type Router struct {
	Logger *slog.Logger
	// TrustedProxies lists the addresses of reverse proxies whose
	// X-Forwarded-For header names the real client.
	TrustedProxies []string
	// ReadTimeout bounds the reading of a request, headers and body (an
	// upload moves its own deadline on: mobileapi); WriteTimeout the
	// writing of an answer (a download moves its own on: evidenceapi);
	// IdleTimeout a kept-alive connection between requests. Zero means the
	// constants of the same names; tests shorten them to see a timeout
	// happen.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// Authenticate checks the bearer token of a route with Auth set and
	// no Authenticate of its own.
	Authenticate fiber.Handler
	// Observe, when set, hears of every request once it is answered
	// (metrics).
	Observe RequestObserver
	// streamed lists the requests (method and path prefix) whose handlers
	// read their bodies as streams, beyond MaxBodyBytes (uploads).
	streamed []streamedRoute
	proxies  ProxySet

	app    *fiber.App
	routes []Route
	// requests builds the schemas that request bodies are held to
	// (bodyRule, required.go).
	requests *schemaBuilder
}

// Build builds the Fiber application once, with the routes that register
// adds, and returns it; later calls return the same application.
func (r *Router) Build(register func(*Router)) *fiber.App {
	if r.app != nil {
		return r.app
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	cfg := fiber.Config{
		AppName:               "fieldcheck",
		BodyLimit:             MaxBodyBytes,
		ReadTimeout:           cmp.Or(r.ReadTimeout, ReadTimeout),
		WriteTimeout:          cmp.Or(r.WriteTimeout, WriteTimeout),
		IdleTimeout:           cmp.Or(r.IdleTimeout, IdleTimeout),
		DisableStartupMessage: true,
		ErrorHandler:          r.handleError,
		StrictRouting:         false,
		CaseSensitive:         true,
		// Bodies arrive as streams, so that an upload is never held whole in
		// memory; boundBody holds every other body to MaxBodyBytes.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		// Every string Fiber hands out (c.Params, c.Query, c.Get, c.Body)
		// is a copy, not a view of a request buffer that fasthttp reuses:
		// an id from the path once became a key of the in-memory target
		// index and changed under it. Measured on an authenticated target
		// read (BenchmarkTargetGet, docs/benchmarks.md): within the noise.
		Immutable: true,

		// No list in an answer is ever null: a nil slice is [] and a nil
		// map {} (package apijson says why there).
		JSONEncoder: apijson.Marshal,
	}
	// Fiber's own proxy support (c.IP()) returns the client's first
	// X-Forwarded-For hop as it was written: withClientAddr replaces it.
	proxies, err := ParseTrustedProxies(r.TrustedProxies)
	if err != nil {
		// Checked where the configuration is read (app.Open); a Router
		// built by hand with a bad list trusts nobody.
		r.Logger.Error("ignoring the trusted proxies", "err", err)
	}
	r.proxies = proxies
	app := fiber.New(cfg)
	app.Use(r.withRequest, r.recoverPanic, r.securityHeaders, r.withClientAddr, r.boundBody, r.checkText)
	r.app = app
	register(r)
	app.Use(func(c *fiber.Ctx) error {
		return backend.Errorf(backend.ENOTFOUND, "no route for %s %s", c.Method(), c.Path())
	})
	return app
}

// statusOf maps error codes to HTTP statuses: the one table of it.
var statusOf = map[string]int{
	backend.EINVALID:         fiber.StatusBadRequest,
	backend.EUNAUTHENTICATED: fiber.StatusUnauthorized,
	backend.EFORBIDDEN:       fiber.StatusForbidden,
	backend.EDEVICEPENDING:   fiber.StatusForbidden,
	backend.EDEVICEREJECTED:  fiber.StatusForbidden,
	backend.ENOTFOUND:        fiber.StatusNotFound,
	backend.ECONFLICT:        fiber.StatusConflict,
	backend.ETOOMANY:         fiber.StatusTooManyRequests,
	backend.ETOOLARGE:        fiber.StatusRequestEntityTooLarge,
	backend.ETIMEOUT:         fiber.StatusRequestTimeout,
	backend.EUNAVAILABLE:     fiber.StatusServiceUnavailable,
	backend.EINTERNAL:        fiber.StatusInternalServerError,
}

// Status is the HTTP status of err's code, as the error handler answers
// it; for a page that explains a refusal in its own words.
func Status(err error) int { return statusOf[backend.ErrorCode(err)] }

// fiberCodes maps errors raised by Fiber itself (unknown method, body over
// the limit, timeouts) to our codes.
var fiberCodes = map[int]string{
	fiber.StatusBadRequest:            backend.EINVALID,
	fiber.StatusNotFound:              backend.ENOTFOUND,
	fiber.StatusMethodNotAllowed:      backend.EINVALID,
	fiber.StatusRequestEntityTooLarge: backend.ETOOLARGE,
	fiber.StatusUnsupportedMediaType:  backend.EINVALID,
	fiber.StatusRequestTimeout:        backend.ETIMEOUT, // the body did not arrive within ReadTimeout
	fiber.StatusTooManyRequests:       backend.ETOOMANY,
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RequestID is the request's X-Request-Id, for a user to quote.
	RequestID string `json:"requestId,omitempty"`
}

func (r *Router) handleError(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	body := ErrorBody{Code: backend.ErrorCode(err), Message: backend.ErrorMessage(err)}
	if errors.As(err, &fe) {
		code, ok := fiberCodes[fe.Code]
		if !ok {
			code = backend.EINVALID
			if fe.Code >= 500 {
				code = backend.EINTERNAL
			}
		}
		body = ErrorBody{Code: code, Message: fe.Message}
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			body.Message = "request body is over the limit of 1 MiB"
		case fiber.StatusRequestTimeout:
			body.Message = "the request did not arrive within " + r.app.Config().ReadTimeout.String()
		}
	}
	body.RequestID = RequestID(c)
	status := statusOf[body.Code]
	retry, hasRetry := backend.RetryAfter(err)
	if status >= 500 && !hasRetry { // a refusal with a time to come back is back-pressure, not a failure
		r.Logger.Error("request failed", "method", c.Method(), "route", RoutePattern(c), "requestId", RequestID(c), "err", err)
	}
	if hasRetry && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
		// Until the lock or the delay ends (auth.ThrottleError), or until
		// the work queued before it is done (backend.Gate), by the clock
		// that decided it, rounded up: a client that tries sooner is only
		// refused again.
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int((retry+time.Second-1)/time.Second))))
	}
	if body.Code == backend.EUNAVAILABLE && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
		c.Set(fiber.HeaderRetryAfter, "2") // the store or the audit log is busy: soon again
	}
	if body.Code == backend.ETOOMANY && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
		c.Set(fiber.HeaderRetryAfter, "60")
	}
	return c.Status(status).JSON(body)
}

func (r *Router) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.Logger.Error("panic in handler", "method", c.Method(), "route", RoutePattern(c), "requestId", RequestID(c), "panic", p)
			err = &backend.Error{Code: backend.EINTERNAL, Op: "recover"}
		}
	}()
	return c.Next()
}

type streamedRoute struct{ method, prefix string }

// StreamBody exempts requests of method whose path starts with prefix from
// MaxBodyBytes: their handler reads the body as a stream (with
// c.Context().RequestBodyStream()) and bounds it itself.
func (r *Router) StreamBody(method, prefix string) {
	r.streamed = append(r.streamed, streamedRoute{method, prefix})
}

func (r *Router) isStreamed(c *fiber.Ctx) bool {
	for _, s := range r.streamed {
		if c.Method() == s.method && strings.HasPrefix(c.Path(), s.prefix) {
			return true
		}
	}
	return false
}

// boundBody reads a request body of up to MaxBodyBytes into memory for the
// handlers that decode it, and refuses a larger one. (With streamed
// bodies, the server itself no longer refuses them.)
func (r *Router) boundBody(c *fiber.Ctx) error {
	req := c.Request()
	// Fiber's c.Body() inflates a body by its Content-Encoding without a
	// bound: a 1 MiB gzip of zeros would become a gigabyte after the size
	// check. No client of ours compresses what it sends.
	if enc := strings.TrimSpace(string(req.Header.ContentEncoding())); enc != "" && !strings.EqualFold(enc, "identity") {
		c.Context().SetConnectionClose()
		return &fiber.Error{Code: fiber.StatusBadRequest, Message: "compressed request bodies (Content-Encoding) are not accepted; send the body uncompressed"}
	}
	if !req.IsBodyStream() {
		return c.Next()
	}
	if r.isStreamed(c) {
		return c.Next()
	}
	tooLarge := func() error {
		c.Context().SetConnectionClose() // the rest of the body is not read
		return fiber.ErrRequestEntityTooLarge
	}
	if req.Header.ContentLength() > MaxBodyBytes {
		return tooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(req.BodyStream(), MaxBodyBytes+1))
	if err != nil {
		c.Context().SetConnectionClose()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return backend.Errorf(backend.ETIMEOUT, "the request body did not arrive within %s", r.app.Config().ReadTimeout)
		}
		return backend.Errorf(backend.EINVALID, "the request body could not be read")
	}
	if len(body) > MaxBodyBytes {
		return tooLarge()
	}
	req.SetBodyRaw(body)
	return c.Next()
}

// HSTSValue is the Strict-Transport-Security of a server on TLS: two
// years, subdomains included (the value hstspreload.org asks for, without
// opting into its list, which is the bureau's decision).
const HSTSValue = "max-age=63072000; includeSubDomains"

func (r *Router) securityHeaders(c *fiber.Ctx) error {
	if c.Context().IsTLS() {
		// Only over TLS (RFC 6797 §7.2: a browser ignores it over HTTP).
		// Behind a proxy that terminates TLS, the proxy sends it.
		c.Set(fiber.HeaderStrictTransportSecurity, HSTSValue)
	}
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "no-referrer")
	return c.Next()
}

// Listen serves app on addr (HTTPS when tlsConfig is not nil) until ctx is
// cancelled, then shuts down gracefully, letting requests in flight finish
// for up to grace.
func Listen(ctx context.Context, app *fiber.App, addr string, grace time.Duration, tlsConfig *tls.Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return app.ShutdownWithTimeout(grace)
	}
}
