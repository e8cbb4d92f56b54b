package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
)

type healthResponse struct {
	Status string `json:"status"`
}

func (s *Server) registerHealthRoutes() {
	s.Add(Route{Method: "GET", Path: "/healthz", Summary: "The process is up", Tag: "health",
		Response: healthResponse{}, Handler: func(c *fiber.Ctx) error {
			return c.JSON(healthResponse{Status: "ok"})
		}})
	s.Add(Route{Method: "GET", Path: "/readyz", Summary: "The store is reachable (503 when not)", Tag: "health",
		Response: healthResponse{}, Handler: func(c *fiber.Ctx) error {
			ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
			defer cancel()
			if err := s.Store.Ping(ctx); err != nil {
				return &backend.Error{Code: backend.EUNAVAILABLE, Message: "store is not reachable", Err: err}
			}
			return c.JSON(healthResponse{Status: "ready"})
		}})
}

type auditListResponse struct {
	Items []*backend.AuditEntry `json:"items"`
}

func (s *Server) registerAuditRoutes() {
	s.Add(Route{Method: "GET", Path: "/api/v1/audit", Summary: "Audit entries of one object, newest first (admin)", Tag: "audit", Auth: true,
		Query: []Param{
			{"objectType", "string", "e.g. target, inspector, item, user"},
			{"objectId", "string", ""},
			{"limit", "integer", "1-200 (default 50)"},
		},
		Response: auditListResponse{}, Handler: func(c *fiber.Ctx) error {
			p, err := PageRequest(c)
			if err != nil {
				return err
			}
			list, err := s.Audit.Entries(c.UserContext(), c.Query("objectType"), c.Query("objectId"), p.Limit)
			if err != nil {
				return err
			}
			return c.JSON(auditListResponse{Items: list})
		}})
}
