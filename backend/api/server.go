// Package api is the HTTP adapter of the back office and the public site:
// the JSON API under /api/v1, the public pages under /public, health checks
// and the OpenAPI document. Handlers are thin: they parse a request into
// typed structs, call a backend service and return its result or its error;
// one error handler turns every error into a status and a {"code","message"}
// body.
package api

import (
	"context"
	"crypto/tls"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/importer"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	"github.com/fieldcheck/fieldcheck/backend/visit"
	"github.com/fieldcheck/fieldcheck/qr"
)

// Pinger reports whether the store answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server holds the services the routes call, on the Router the HTTP
// adapters share.
type Server struct {
	httpkit.Router
	Directory *backend.Directory
	Users     *backend.Users
	Planning  *planning.Service
	Codes     *qr.Keyring
	Visit     *visit.Service
	Auth      *auth.Service
	Audit     *backend.AuditLog
	// Importer, when set, serves the directory imports (/api/v1/imports).
	Importer *importer.Importer
	Store    Pinger
	// Throttle counts the portal's requests per client address, shared by
	// every instance (no limit when nil); PortalLimit is the limit
	// (DefaultPortalLimit when zero), Now the clock (time.Now when nil).
	Throttle    backend.ThrottleStore
	PortalLimit PortalLimit
	Now         func() time.Time
	records     recordCache  // portal_records.go
	overLimit   refusedAddrs // portal.go
	// TLS, when set, makes Listen serve HTTPS with this certificate.
	TLS *Certificate
	// Metrics, when set, answers GET /metrics (metrics.go), to
	// administrators and to the bearer of MetricsToken when it is set.
	Metrics      MetricsEncoder
	MetricsToken string
	// Doctor, when set, answers GET /api/v1/doctor (doctor.go) to the same
	// callers as the metrics: the running server's deployment check.
	Doctor func(context.Context) []DoctorCheck
	// Extra registers the routes of other adapters (the mobile API) on the
	// same application, error handler and limits.
	Extra []func(*httpkit.Router)
}

// App builds the Fiber application once, with the back office's routes and
// those of Extra, and returns it. A route with Auth is checked by the back
// office's authenticator unless it brings its own.
func (s *Server) App() *fiber.App {
	return s.Build(func(r *httpkit.Router) {
		if r.Authenticate == nil {
			r.Authenticate = s.sessionOrBearer() // cookiesession.go
		}
		s.registerRoutes()
	})
}

// Listen serves on addr (HTTPS when s.TLS is set) until ctx is cancelled,
// then shuts down gracefully, letting requests in flight finish for up to
// grace.
func (s *Server) Listen(ctx context.Context, addr string, grace time.Duration) error {
	var cfg *tls.Config
	if s.TLS != nil {
		cfg = s.TLS.TLSConfig()
	}
	return httpkit.Listen(ctx, s.App(), addr, grace, cfg)
}
