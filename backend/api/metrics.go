package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// MetricsEncoder writes the metrics in the Prometheus text format
// (*metrics.Metrics).
type MetricsEncoder interface {
	Encode() ([]byte, error)
}

// MetricsContentType is the media type of GET /metrics.
const MetricsContentType = "text/plain; version=0.0.4; charset=utf-8"

type scrapeTokenKey struct{}

// registerMetricsRoute adds GET /metrics: for an administrator's token or
// session, or for the scrape token (--metrics-token) that a Prometheus
// server sends as its bearer (authorization.credentials in its scrape
// config). Nobody else: what the server is doing is not public.
func (s *Server) registerMetricsRoute() {
	if s.Metrics == nil {
		return
	}
	s.Add(httpkit.Route{Method: "GET", Path: "/metrics", Summary: "This instance's metrics in the Prometheus text format: requests and latency by route pattern, sync pulls and pushes and their outcomes, uploads and their bytes, store errors, admission-control refusals, and, read from the store, the audit chain's length and the sweeper's backlog. For administrators, or with the scrape token (--metrics-token) as the bearer", Tag: "health",
		Auth: true, Authenticate: s.scrapeAuthenticate(), Produces: []string{MetricsContentType},
		Handler: func(c *fiber.Ctx) error {
			if !scraperOrAdmin(c) {
				return backend.Errorf(backend.EFORBIDDEN, "the metrics are for administrators and the scrape token")
			}
			b, err := s.Metrics.Encode()
			if err != nil {
				return &backend.Error{Code: backend.EINTERNAL, Op: "metrics", Err: err}
			}
			c.Set(fiber.HeaderContentType, MetricsContentType)
			c.Set(fiber.HeaderCacheControl, "no-store")
			return c.Send(b)
		}})
}

// scrapeAuthenticate takes the scrape token (--metrics-token) as a
// bearer, or else authenticates as every route does. Compared as SHA-256
// digests in constant time: neither the token's bytes nor its length show
// in the time a refusal takes.
func (s *Server) scrapeAuthenticate() func(c *fiber.Ctx) error {
	var want [sha256.Size]byte
	hasToken := s.MetricsToken != ""
	if hasToken {
		want = sha256.Sum256([]byte(s.MetricsToken))
	}
	return func(c *fiber.Ctx) error {
		if got, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok && hasToken {
			sum := sha256.Sum256([]byte(got))
			if subtle.ConstantTimeCompare(sum[:], want[:]) == 1 {
				c.Locals(scrapeTokenKey{}, true)
				return c.Next()
			}
		}
		return s.Authenticate(c)
	}
}

// scraperOrAdmin: the request came with the scrape token or from an
// administrator.
func scraperOrAdmin(c *fiber.Ctx) bool {
	scraper, _ := c.Locals(scrapeTokenKey{}).(bool)
	return scraper || backend.ActorFrom(c.UserContext()).Is(backend.RoleAdmin)
}
