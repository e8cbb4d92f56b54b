package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

type backfillRequest struct {
	TaskID string `json:"taskId"`
}

func (s *Server) registerVisitRoutes() {
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/checkins/:id/backfill", Summary: "Attach the task to an emergency check-in made without one (within 10 days; manager of the task's lead department)", Tag: "tasks", Auth: true,
		Request: backfillRequest{}, Response: backend.CheckIn{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *backfillRequest) (any, error) {
			return s.Visit.Backfill(c.UserContext(), c.Params("id"), r.TaskID)
		})})
}
