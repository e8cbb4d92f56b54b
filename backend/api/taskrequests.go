package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// registerTaskRequestRoutes adds the answers of departments whose officers
// or items another department's ad-hoc task uses.
func (s *Server) registerTaskRequestRoutes() {
	pl := s.Planning
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/task-requests", Summary: "Ad-hoc tasks of other departments waiting for the caller's departments to accept the use of their officers or items (managers; administrators see all). A pending task is on no phone", Tag: "tasks", Auth: true,
		Query: httpkit.PageParams, Response: backend.Page[*backend.Task]{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			return pl.TaskRequests(c.UserContext(), p)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/task-requests/:id/accept", Summary: "Accept, as a manager of a department asked, the use of its officers and items in the task, with a reason; once every department asked has accepted, the task is issued to its team", Tag: "tasks", Auth: true,
		Request: planning.TaskDecision{}, Response: backend.Task{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.TaskDecision) (any, error) {
			return pl.AcceptTaskRequest(c.UserContext(), c.Params("id"), *r)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/task-requests/:id/decline", Summary: "Decline, as a manager of a department asked, with a reason: the task is cancelled", Tag: "tasks", Auth: true,
		Request: planning.TaskDecision{}, Response: backend.Task{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.TaskDecision) (any, error) {
			return pl.DeclineTaskRequest(c.UserContext(), c.Params("id"), *r)
		})})
}
