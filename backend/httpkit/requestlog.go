package httpkit

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
)

// HeaderRequestID names a request on every response, in the log line of
// the request, in its error body and in the audit entries it wrote.
const HeaderRequestID = "X-Request-Id"

type routeKey struct{}

// UnmatchedRoute is the route pattern of a request no route took (a 404):
// logs and metrics are by pattern, never by raw path, which a client
// chooses.
const UnmatchedRoute = "unmatched"

// RoutePattern is the pattern of the route that served c (the Path of its
// httpkit.Route), or UnmatchedRoute.
func RoutePattern(c *fiber.Ctx) string {
	if p, ok := c.Locals(routeKey{}).(string); ok {
		return p
	}
	return UnmatchedRoute
}

// RequestID is the id of the request c serves.
func RequestID(c *fiber.Ctx) string { return backend.RequestIDFrom(c.UserContext()) }

// newRequestID is 16 random bytes in hex: unique across instances without
// coordination.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RequestObserver hears of every request once it is answered: metrics
// (backend/app wires the Prometheus collectors in).
type RequestObserver func(c *fiber.Ctx, route string, status int, took time.Duration)

// withRequest is the outermost middleware. It names the request (a
// well-formed X-Request-Id from a trusted proxy is kept, so that the
// proxy's log and ours agree; anyone else's is replaced), answers the
// errors of the handlers below so that their status is known here, and
// writes the request's one log line.
func (r *Router) withRequest(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get(HeaderRequestID)
	if !backend.ValidRequestID(id) || !r.proxies.Contains(peerAddr(c)) {
		id = newRequestID()
	}
	c.Set(HeaderRequestID, id)
	c.SetUserContext(backend.WithRequestID(c.UserContext(), id))
	if err := c.Next(); err != nil {
		if herr := r.handleError(c, err); herr != nil {
			return herr
		}
	}
	took := time.Since(start)
	status := c.Response().StatusCode()
	route := RoutePattern(c)
	if r.Observe != nil {
		r.Observe(c, route, status, took)
	}
	r.Logger.LogAttrs(c.UserContext(), requestLevel(status), "request",
		slog.String("method", c.Method()),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", took),
		slog.Int("bytes", responseBytes(c)),
		slog.String("requestId", id),
		slog.String("client", ClientAddr(c)),
	)
	return nil
}

// responseBytes is the size of the answer's body; a streamed one (a
// download) reports its Content-Length.
func responseBytes(c *fiber.Ctx) int {
	resp := c.Response()
	if resp.IsBodyStream() {
		return max(0, resp.Header.ContentLength())
	}
	return len(resp.Body())
}

// requestLevel logs answers at Info, and failures of the server at Warn
// (the error handler has logged their cause at Error).
func requestLevel(status int) slog.Level {
	if status >= 500 {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
