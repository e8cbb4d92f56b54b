package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

type planUpdateRequest struct {
	Plan backend.Plan `json:"plan"`
	// Reason is required once the plan is public: it is published with the new version.
	Reason string `json:"reason"`
}

type publishRequest struct {
	Version int64 `json:"version"` // the plan's version as read
}

func queryYear(c *fiber.Ctx) (int, error) {
	y := c.Query("year")
	if y == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(y)
	if err != nil {
		return 0, backend.Errorf(backend.EINVALID, "year must be a number")
	}
	return n, nil
}

func (s *Server) registerPlanRoutes() {
	pl := s.Planning
	s.add(route{Method: "GET", Path: "/api/v1/plans", Summary: "Plans of the caller's departments", Tag: "plans", Auth: true,
		Query: append([]param{{"year", "integer", ""}}, pageParams...), Response: backend.Page[*backend.Plan]{}, Handler: func(c *fiber.Ctx) error {
			y, err := queryYear(c)
			if err != nil {
				return err
			}
			p, err := pageRequest(c)
			if err != nil {
				return err
			}
			page, err := pl.ListPlans(c.UserContext(), y, p)
			if err != nil {
				return err
			}
			return c.JSON(page)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/plans", Summary: "Create a draft plan (manager of the lead department)", Tag: "plans", Auth: true,
		Request: backend.Plan{}, Response: backend.Plan{}, Status: fiber.StatusCreated, Handler: func(c *fiber.Ctx) error {
			var v backend.Plan
			if err := decode(c, &v); err != nil {
				return err
			}
			if err := pl.CreatePlan(c.UserContext(), &v); err != nil {
				return err
			}
			return created(c, &v)
		}})
	s.add(route{Method: "GET", Path: "/api/v1/plans/:id", Summary: "Get a plan", Tag: "plans", Auth: true,
		Response: backend.Plan{}, Handler: func(c *fiber.Ctx) error {
			v, err := pl.GetPlan(c.UserContext(), c.Params("id"))
			if err != nil {
				return err
			}
			return c.JSON(v)
		}})
	s.add(route{Method: "PUT", Path: "/api/v1/plans/:id", Summary: "Change a plan; once public this makes a new public version with a new commitment", Tag: "plans", Auth: true,
		Request: planUpdateRequest{}, Response: backend.Plan{}, Handler: func(c *fiber.Ctx) error {
			var r planUpdateRequest
			if err := decode(c, &r); err != nil {
				return err
			}
			if r.Plan.ID != "" && r.Plan.ID != c.Params("id") {
				return backend.Errorf(backend.EINVALID, "the body names plan %q but the path names %q", r.Plan.ID, c.Params("id"))
			}
			r.Plan.ID = c.Params("id")
			if err := pl.UpdatePlan(c.UserContext(), &r.Plan, r.Reason); err != nil {
				return err
			}
			return c.JSON(&r.Plan)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/plans/:id/publish", Summary: "Publish a draft: version 1 and its commitment become public", Tag: "plans", Auth: true,
		Request: publishRequest{}, Response: backend.Plan{}, Handler: func(c *fiber.Ctx) error {
			var r publishRequest
			if err := decode(c, &r); err != nil {
				return err
			}
			v, err := pl.PublishPlan(c.UserContext(), c.Params("id"), r.Version)
			if err != nil {
				return err
			}
			return c.JSON(v)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/plans/:id/close", Summary: "Close a plan", Tag: "plans", Auth: true,
		Response: backend.Plan{}, Handler: func(c *fiber.Ctx) error {
			v, err := pl.ClosePlan(c.UserContext(), c.Params("id"))
			if err != nil {
				return err
			}
			return c.JSON(v)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/plans/:id/draws", Summary: "Draw the plan's current version (fc-draw-1): reveals the secret, creates the tasks", Tag: "plans", Auth: true,
		Request: planning.DrawRequest{}, Response: planning.DrawResult{}, Status: fiber.StatusCreated, Handler: func(c *fiber.Ctx) error {
			var r planning.DrawRequest
			if err := decode(c, &r); err != nil {
				return err
			}
			res, err := pl.Draw(c.UserContext(), c.Params("id"), r)
			if err != nil {
				return err
			}
			return created(c, res)
		}})

	// Tasks.
	s.add(route{Method: "GET", Path: "/api/v1/tasks", Summary: "Tasks the caller may see: own team's, own departments', or all (admin)", Tag: "tasks", Auth: true,
		Query:    append([]param{{"plan", "string", ""}, {"draw", "string", ""}, {"status", "string", "comma-separated statuses"}}, pageParams...),
		Response: backend.Page[*backend.Task]{}, Handler: func(c *fiber.Ctx) error {
			p, err := pageRequest(c)
			if err != nil {
				return err
			}
			q := planning.TaskQuery{PlanID: c.Query("plan"), DrawID: c.Query("draw")}
			for _, st := range queryList(c, "status") {
				q.Statuses = append(q.Statuses, backend.TaskStatus(st))
			}
			page, err := pl.ListTasks(c.UserContext(), q, p)
			if err != nil {
				return err
			}
			return c.JSON(page)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/tasks", Summary: "Issue an ad-hoc task (complaint, referral, campaign): marked as not drawn at random", Tag: "tasks", Auth: true,
		Request: planning.AdHocRequest{}, Response: backend.Task{}, Status: fiber.StatusCreated, Handler: func(c *fiber.Ctx) error {
			var r planning.AdHocRequest
			if err := decode(c, &r); err != nil {
				return err
			}
			t, err := pl.CreateAdHocTask(c.UserContext(), r)
			if err != nil {
				return err
			}
			return created(c, t)
		}})
	s.add(route{Method: "GET", Path: "/api/v1/tasks/:id", Summary: "Get a task", Tag: "tasks", Auth: true,
		Response: backend.Task{}, Handler: func(c *fiber.Ctx) error {
			t, err := pl.GetTask(c.UserContext(), c.Params("id"))
			if err != nil {
				return err
			}
			return c.JSON(t)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/tasks/:id/transitions", Summary: "Move a task along its life cycle", Tag: "tasks", Auth: true,
		Request: planning.TransitionRequest{}, Response: backend.Task{}, Handler: func(c *fiber.Ctx) error {
			var r planning.TransitionRequest
			if err := decode(c, &r); err != nil {
				return err
			}
			t, err := pl.Transition(c.UserContext(), c.Params("id"), r)
			if err != nil {
				return err
			}
			return c.JSON(t)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/tasks/:id/replace", Summary: "Replace a closed or unreachable target by the next of its stratum", Tag: "tasks", Auth: true,
		Request: planning.ReplaceRequest{}, Response: backend.Task{}, Status: fiber.StatusCreated, Handler: func(c *fiber.Ctx) error {
			var r planning.ReplaceRequest
			if err := decode(c, &r); err != nil {
				return err
			}
			t, err := pl.Replace(c.UserContext(), c.Params("id"), r)
			if err != nil {
				return err
			}
			return created(c, t)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/tasks/:id/reassign", Summary: "Re-match the team without unavailable members", Tag: "tasks", Auth: true,
		Request: planning.ReassignRequest{}, Response: backend.Task{}, Handler: func(c *fiber.Ctx) error {
			var r planning.ReassignRequest
			if err := decode(c, &r); err != nil {
				return err
			}
			t, err := pl.Reassign(c.UserContext(), c.Params("id"), r)
			if err != nil {
				return err
			}
			return c.JSON(t)
		}})

	// Public (一公开): no login.
	s.add(route{Method: "GET", Path: "/public/plans", Summary: "Public plans with their commitments", Tag: "public",
		Query: append([]param{{"year", "integer", ""}}, pageParams...), Response: backend.Page[*backend.PlanVersion]{}, Handler: func(c *fiber.Ctx) error {
			y, err := queryYear(c)
			if err != nil {
				return err
			}
			p, err := pageRequest(c)
			if err != nil {
				return err
			}
			page, err := pl.PublicPlans(c.UserContext(), y, p)
			if err != nil {
				return err
			}
			return c.JSON(page)
		}})
	s.add(route{Method: "GET", Path: "/public/plans/:id", Summary: "A public plan: current version, history with reasons, draws", Tag: "public",
		Response: planning.PublicPlan{}, Handler: func(c *fiber.Ctx) error {
			v, err := pl.PublicPlan(c.UserContext(), c.Params("id"))
			if err != nil {
				return err
			}
			return c.JSON(v)
		}})
	s.add(route{Method: "GET", Path: "/public/draws/:id", Summary: "The public draw record (fc-draw-1): everything needed to redo the draw", Tag: "public",
		Handler: func(c *fiber.Ctx) error {
			data, err := pl.PublicDrawRecord(c.UserContext(), c.Params("id"))
			if err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
			c.Set(fiber.HeaderCacheControl, "public, max-age=60")
			return c.Send(data)
		}})
}
