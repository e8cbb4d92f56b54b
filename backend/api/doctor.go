package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// DoctorCheck is one line of the deployment check (`fieldcheck doctor`).
type DoctorCheck struct {
	Name   string `json:"name"`
	Status string `json:"status" enum:"OK,WARN,FAIL"`
	Detail string `json:"detail"`
}

// doctorTimeout bounds the checks of one request.
const doctorTimeout = 20 * time.Second

type doctorResponse struct {
	Checks []DoctorCheck `json:"checks"`
	// Failed is how many checks say FAIL.
	Failed int `json:"failed"`
}

// registerDoctorRoute adds GET /api/v1/doctor: the running server checks
// its own deployment (Server.Doctor), for `fieldcheck doctor --url`, since
// the embedded store is locked to the server. Like the metrics, for
// administrators and the scrape token only.
func (s *Server) registerDoctorRoute() {
	if s.Doctor == nil {
		return
	}
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/doctor", Summary: "The deployment check of this server (fieldcheck doctor --url): its store, layout, indexes, key rings, TLS certificate, disk for evidence and clock against the store, one entry per check; answered 200 whatever the checks say (failed counts the FAIL ones). For administrators, or with the scrape token (--metrics-token) as the bearer", Tag: "health",
		Auth: true, Authenticate: s.scrapeAuthenticate(), Response: doctorResponse{},
		Handler: func(c *fiber.Ctx) error {
			if !scraperOrAdmin(c) {
				return backend.Errorf(backend.EFORBIDDEN, "the deployment check is for administrators and the scrape token")
			}
			ctx, cancel := context.WithTimeout(c.UserContext(), doctorTimeout)
			defer cancel()
			res := doctorResponse{Checks: s.Doctor(ctx)}
			for _, ch := range res.Checks {
				if ch.Status == "FAIL" {
					res.Failed++
				}
			}
			c.Set(fiber.HeaderCacheControl, "no-store")
			return c.JSON(res)
		}})
}
