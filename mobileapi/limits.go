package mobileapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// LimitsPath serves the server's limits (fcsync.Limits).
const LimitsPath = fcsync.LimitsPath

func (m *Routes) registerLimits(s *httpkit.Router) {
	s.Add(httpkit.Route{Method: "GET", Path: LimitsPath, Summary: "The limits this server enforces on evidence files and on pushes, so that the phone refuses at once what the server would refuse (the server remains the authority)", Tag: "sync",
		Auth: true, Authenticate: httpkit.BearerAuth(m.Auth), Response: fcsync.Limits{},
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return fcsync.LimitsOf(m.Sync.Evidence, m.Evidence.UploadChunk()), nil
		})})
}
