package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

func (s *Server) registerDashboardRoutes() {
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/dashboard", Summary: "What needs the caller now, for their departments (all for an administrator): review queue length, published plans not drawn yet, inspectors whose certificates expire within 30 days, and tasks by lead department and status; counted from indexes, not by reading tasks (not for inspectors)", Tag: "dashboard", Auth: true,
		Response: backend.Dashboard{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return s.Planning.Dashboard(c.UserContext())
		})})
}
