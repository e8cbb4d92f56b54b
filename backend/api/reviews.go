package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// registerReviewRoutes adds the review of submitted results: the queue of
// the caller's lead departments, one task's review, and the reviewer's
// actions, each answered with the task's review as it is afterwards.
func (s *Server) registerReviewRoutes() {
	pl := s.Planning
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/reviews", Summary: "Submitted tasks waiting for review, by lead department and in each the oldest submission first (keyset cursor): the caller's lead departments' (reviewer) or all (admin)", Tag: "reviews", Auth: true,
		Query: append([]httpkit.Param{
			{Name: "state", Type: "string", Description: "received or has_issues (default: both)"},
			{Name: "planId", Type: "string", Description: "only this plan's tasks"},
		}, httpkit.PageParams...),
		Response: backend.Page[*planning.ReviewQueueEntry]{},
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			q := planning.ReviewQuery{State: backend.ReviewState(c.Query("state")), PlanID: c.Query("planId")}
			return pl.ReviewQueue(c.UserContext(), q, p)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/reviews/:taskId", Summary: "A task's review: checklist with answers, result, check-ins, evidence, issues and history (reviewers of its departments, admin)", Tag: "reviews", Auth: true,
		Response: planning.ReviewView{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return pl.GetReview(c.UserContext(), c.Params("taskId"))
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/reviews/:taskId/issues", Summary: "Record issues on a submitted task, which stays submitted (has_issues); they replace those recorded before", Tag: "reviews", Auth: true,
		Request: planning.IssuesRequest{}, Response: planning.ReviewView{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.IssuesRequest) (any, error) {
			return pl.RecordIssues(c.UserContext(), c.Params("taskId"), *r)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/reviews/:taskId/approve", Summary: "Approve a submitted task; refused while declared evidence has not arrived", Tag: "reviews", Auth: true,
		Request: planning.ApproveRequest{}, Response: planning.ReviewView{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.ApproveRequest) (any, error) {
			return pl.ApproveTask(c.UserContext(), c.Params("taskId"), *r)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/reviews/:taskId/return", Summary: "Return a submitted task to its team with a comment and the issues (by default those recorded)", Tag: "reviews", Auth: true,
		Request: planning.ReturnRequest{}, Response: planning.ReviewView{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.ReturnRequest) (any, error) {
			return pl.ReturnTask(c.UserContext(), c.Params("taskId"), *r)
		})})
}
