package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

type roundPlanRequest struct {
	PlanID string `json:"planId" doc:"a published plan of the caller's department as lead, of the round's year, checked on site, never drawn"`
}

func (s *Server) registerRoundRoutes() {
	pl := s.Planning
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/rounds", Summary: "Coordination rounds (综合查一次, fc-draw-2)", Tag: "rounds", Auth: true,
		Query: append([]httpkit.Param{{Name: "year", Type: "integer"}}, httpkit.PageParams...), Response: backend.Page[*backend.Round]{},
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			y, p, err := yearPage(c)
			if err != nil {
				return nil, err
			}
			return pl.ListRounds(c.UserContext(), y, p)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/rounds", Summary: "Open a coordination round (admin): its commitment and its declared future entropy source become public; departments register plans until the source's result", Tag: "rounds", Auth: true,
		Request: planning.OpenRoundRequest{}, Response: backend.Round{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.OpenRoundRequest) (any, error) {
			return pl.OpenRound(c.UserContext(), *r)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/rounds/:id", Summary: "A round; once drawn with its burden: visits made, the floor Σ max π and the independent draws' Σ 1−Π(1−π)", Tag: "rounds", Auth: true,
		Response: backend.Round{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return pl.GetRound(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/rounds/:id/burden", Summary: "A drawn round's burden on the enterprises (back office): visits made, the floor Σ max π and independent draws' Σ 1−Π(1−π), for the round, per department (its plans alone; the visits it takes part in) and per region of the targets", Tag: "rounds", Auth: true,
		Response: planning.RoundBurdenView{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return pl.RoundBurden(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/rounds/:id/preview", Summary: "Preview an open round on the directories as they are (back office): per plan its tags, population, eligible and n; the targets eligible in both plans of each pair; targets by the number of plans they are in; the expected visits (floor Σ max π, independent Σ 1−Π(1−π)). No secret is read, nothing changes", Tag: "rounds", Auth: true,
		Response: planning.RoundPreview{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return pl.PreviewRound(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/rounds/:id/plans", Summary: "Register a published plan into an open round before its entropy result (manager of the plan's lead department): it is then drawn with the round, never alone", Tag: "rounds", Auth: true,
		Request: roundPlanRequest{}, Response: backend.Round{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *roundPlanRequest) (any, error) {
			return pl.RegisterPlan(c.UserContext(), c.Params("id"), r.PlanID)
		})})
	s.Add(httpkit.Route{Method: "DELETE", Path: "/api/v1/rounds/:id/plans/:plan", Summary: "Withdraw a plan from an open round before its entropy result (manager of the plan's lead department): it may then be drawn alone", Tag: "rounds", Auth: true,
		Response: backend.Round{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return pl.WithdrawPlan(c.UserContext(), c.Params("id"), c.Params("plan"))
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/rounds/:id/draws", Summary: "Draw the round (admin, fc-draw-2) with the result of its declared entropy source, once out: every registered plan with one seed, one task per visit (a joint visit for a target several plans select). Drawn once (409 after); a draw interrupted half-way is completed by the same request", Tag: "rounds", Auth: true,
		Request: planning.RoundDrawRequest{}, Response: planning.RoundDrawResult{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.RoundDrawRequest) (any, error) {
			return pl.DrawRound(c.UserContext(), c.Params("id"), *r)
		})})

	// Public (一公开): no login.
	s.Add(httpkit.Route{Method: "GET", Path: "/public/rounds", Summary: "Coordination rounds: commitments and entropy sources from their opening, registered plans, figures once drawn; a page for browsers", Tag: "public",
		Query: append([]httpkit.Param{{Name: "year", Type: "integer"}}, httpkit.PageParams...), Response: backend.Page[*backend.Round]{}, Page: true,
		Handler: negotiated(s.handlePortalRounds, httpkit.Result(func(c *fiber.Ctx) (any, error) {
			y, p, err := yearPage(c)
			if err != nil {
				return nil, err
			}
			return pl.PublicRounds(c.UserContext(), y, p)
		}))})
	s.Add(httpkit.Route{Method: "GET", Path: "/public/rounds/:id", Summary: "The public record of a drawn round (fc-draw-2, docs/draw2.md): everything needed to redo it — per plan its strata with N and n, its population with stratum and exclusion reason, its selection; the visits with their teams (`fieldcheck draw verify URL`); for browsers a page (visits paged: visits)", Tag: "public",
		Query:    []httpkit.Param{{Name: "visits", Type: "integer", Description: "page of the visits (HTML)"}},
		Response: draw.RoundRecord{}, Page: true, Handler: negotiated(s.handlePortalRound, s.handleRoundJSON)})
}
