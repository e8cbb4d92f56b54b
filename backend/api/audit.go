package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

type auditListResponse struct {
	Items []*backend.AuditEntry `json:"items"`
}

func (s *Server) registerAuditRoutes() {
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/audit", Summary: "Audit entries of one object, newest first (admin)", Tag: "audit", Auth: true,
		Query: []httpkit.Param{
			{Name: "objectType", Type: "string", Description: "e.g. target, inspector, item, user"},
			{Name: "objectId", Type: "string", Description: ""},
			{Name: "limit", Type: "integer", Description: "1-200 (default 50)"},
		},
		Response: auditListResponse{}, Handler: func(c *fiber.Ctx) error {
			p, err := httpkit.PageRequest(c)
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
