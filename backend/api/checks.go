package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

func (s *Server) registerCheckRoutes() {
	pl := s.Planning
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/checks", Summary: "Register a non-random check ahead (complaint follow-up, campaign, re-check) with a window (manager of the department): matched at once with the enterprise's open drawn visits whose batch overlaps and its registered checks whose windows overlap; a match is proposed to every department involved (auto-match)", Tag: "checks", Auth: true,
		Request: planning.RegisterCheckRequest{}, Response: planning.CheckRegistration{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.RegisterCheckRequest) (any, error) {
			return pl.RegisterCheck(c.UserContext(), *r)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/targets/:id/checks", Summary: "An enterprise's registered checks and match proposals of a year that the caller's departments take part in (all for admins)", Tag: "checks", Auth: true,
		Query: []httpkit.Param{{Name: "year", Type: "integer", Description: "the calendar year (required)"}}, Response: backend.CheckBook{},
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			y, err := queryYear(c)
			if err != nil {
				return nil, err
			}
			return pl.TargetChecks(c.UserContext(), c.Params("id"), y)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/matches/:id/accept", Summary: "Accept a match proposal for one of the caller's departments (manager): when every department asked has accepted, the checks are merged into one visit (the drawn visit takes their items, a part per check); accepting a merged proposal again completes a merge stopped half-way", Tag: "checks", Auth: true,
		Request: planning.MatchDecision{}, Response: backend.MatchProposal{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.MatchDecision) (any, error) {
			return pl.DecideMatch(c.UserContext(), c.Params("id"), true, *r)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/matches/:id/decline", Summary: "Decline a match proposal with a reason (manager of a department asked): the proposal ends and its checks are on their own again", Tag: "checks", Auth: true,
		Request: planning.MatchDecision{}, Response: backend.MatchProposal{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.MatchDecision) (any, error) {
			return pl.DecideMatch(c.UserContext(), c.Params("id"), false, *r)
		})})
}
