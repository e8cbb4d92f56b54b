package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
)

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
