package api

import (
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

type planUpdateRequest struct {
	Plan backend.Plan `json:"plan"`
	// Reason is required once the plan is public: it is published with the new version.
	Reason string `json:"reason" doc:"required once the plan is public: published with the new version"`
	// EntropySource is required once the plan is public, refused for a draft.
	EntropySource *backend.EntropySource `json:"entropySource,omitempty" doc:"required once the plan is public (refused for a draft): the future public random event whose result the new version's draw takes; its result must come after this request"`
}

type publishRequest struct {
	Version       int64                  `json:"version" doc:"the plan's version as read; 0 skips the check"`
	EntropySource *backend.EntropySource `json:"entropySource" doc:"required: the future public random event whose result the draw takes (RFC 3797); its result must come after this request, within a year"`
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

// taskListParams are the filters of the task list and its export.
var taskListParams = []httpkit.Param{
	{Name: "plan", Type: "string", Description: ""},
	{Name: "draw", Type: "string", Description: ""},
	{Name: "status", Type: "string", Description: "comma-separated statuses"},
	{Name: "batch", Type: "string", Description: "the plan batch's name"},
	{Name: "department", Type: "string", Description: "one department's tasks (one of the caller's, unless admin: another's gives an empty list)"},
	{Name: "member", Type: "string", Description: "an inspector id on the team"},
	{Name: "unplanned", Type: "boolean", Description: "true: only ad-hoc tasks, not drawn at random"},
	{Name: "overdue", Type: "boolean", Description: "true: open tasks whose due day has passed (Asia/Shanghai)"},
	{Name: "sort", Type: "string", Description: "due: the earliest due day first (then by id); none: by id"},
}

// taskQueryOf reads the task list's filters.
func taskQueryOf(c *fiber.Ctx) (planning.TaskQuery, error) {
	q := planning.TaskQuery{PlanID: c.Query("plan"), DrawID: c.Query("draw"), Batch: c.Query("batch"), Department: c.Query("department"), Member: c.Query("member"), Sort: c.Query("sort")}
	for _, st := range queryList(c, "status") {
		q.Statuses = append(q.Statuses, backend.TaskStatus(st))
	}
	for name, dst := range map[string]*bool{"unplanned": &q.Unplanned, "overdue": &q.Overdue} {
		b, err := queryBool(c, name)
		if err != nil {
			return q, err
		}
		*dst = b != nil && *b
	}
	return q, nil
}

func (s *Server) registerPlanRoutes() {
	pl := s.Planning
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/plans", Summary: "Plans of the caller's departments", Tag: "plans", Auth: true,
		Query:    append([]httpkit.Param{{Name: "year", Type: "integer", Description: ""}, {Name: "state", Type: "string", Description: "comma-separated states: draft, published, drawn, closed"}}, httpkit.PageParams...),
		Response: backend.Page[*backend.Plan]{},
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			y, p, err := yearPage(c)
			if err != nil {
				return nil, err
			}
			var states []backend.PlanState
			for _, st := range queryList(c, "state") {
				states = append(states, backend.PlanState(st))
			}
			return pl.ListPlans(c.UserContext(), planning.PlanQuery{Year: y, States: states}, p)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/plans", Summary: "Create a draft plan (manager of the lead department)", Tag: "plans", Auth: true,
		Request: backend.Plan{}, Response: backend.Plan{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, v *backend.Plan) (any, error) { return v, pl.CreatePlan(c.UserContext(), v) })})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/plans/:id", Summary: "Get a plan", Tag: "plans", Auth: true,
		Response: backend.Plan{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return pl.GetPlan(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/plans/:id/progress", Summary: "A plan's field work day by day, per batch: how many tasks had a check-in, were submitted and approved by the end of each day (Asia/Shanghai), from the stored tasks (at most 20,000); those who may see the plan", Tag: "plans", Auth: true,
		Response: backend.PlanProgress{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return pl.PlanProgress(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "PUT", Path: "/api/v1/plans/:id", Summary: "Change a plan; once public this makes a new public version with a new commitment, a reason and a new future entropy source (how a drawn plan is redrawn). A plan registered in a coordination round is fixed once the round's entropy result is out (409)", Tag: "plans", Auth: true,
		Request: planUpdateRequest{}, Response: backend.Plan{},
		Handler: WithPathBody(func(r *planUpdateRequest) *string { return &r.Plan.ID }, func(c *fiber.Ctx, r *planUpdateRequest) (any, error) {
			return &r.Plan, pl.UpdatePlan(c.UserContext(), &r.Plan, r.Reason, r.EntropySource)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/plans/:id/publish", Summary: "Publish a draft: version 1, its commitment and its declared future entropy source become public", Tag: "plans", Auth: true,
		Request: publishRequest{}, Response: backend.Plan{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *publishRequest) (any, error) {
			return pl.PublishPlan(c.UserContext(), c.Params("id"), r.Version, r.EntropySource)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/plans/:id/close", Summary: "Close a plan", Tag: "plans", Auth: true,
		Response: backend.Plan{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return pl.ClosePlan(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/plans/:id/draws", Summary: "Draw the plan's current version (fc-draw-1) with the result of its declared entropy source, once that result is out: reveals the secret, creates the tasks. A version is drawn once (409 after, and while it is being drawn); drawing a new version supersedes the earlier draws. A draw cut short by a crash is completed from its stored record, or removed when its record was not stored. A plan registered in a coordination round is drawn with the round, not here (400)", Tag: "plans", Auth: true,
		Request: planning.DrawRequest{}, Response: planning.DrawResult{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.DrawRequest) (any, error) {
			return pl.Draw(c.UserContext(), c.Params("id"), *r)
		})})

	// Tasks.
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/tasks", Summary: "Tasks the caller may see: own team's, own departments', or all (admin); in id order (keyset cursor)", Tag: "tasks", Auth: true,
		Query:    append(slices.Clone(taskListParams), httpkit.PageParams...),
		Response: backend.Page[*backend.Task]{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			q, err := taskQueryOf(c)
			if err != nil {
				return nil, err
			}
			return pl.ListTasks(c.UserContext(), q, p)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/tasks", Summary: "Issue an ad-hoc task (complaint, referral, campaign): marked as not drawn at random. One that uses another department's officers or items is pending, on no phone, until a manager of that department accepts it (/api/v1/task-requests)", Tag: "tasks", Auth: true,
		Request: planning.AdHocRequest{}, Response: backend.Task{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.AdHocRequest) (any, error) {
			return pl.CreateAdHocTask(c.UserContext(), *r)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/tasks/:id", Summary: "Get a task", Tag: "tasks", Auth: true,
		Response: backend.Task{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return pl.GetTask(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/tasks/:id/timeline", Summary: "A task's audit entries, oldest first (at most 200): who did what, when and from where (those who may see the task)", Tag: "tasks", Auth: true,
		Response: auditListResponse{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			list, err := pl.TaskTimeline(c.UserContext(), c.Params("id"))
			if err != nil {
				return nil, err
			}
			return auditListResponse{Items: list}, nil
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/tasks/:id/transitions", Summary: "Move a task along its life cycle. A publication also makes the result public on the target's page, completed after a crash; 409 while the task is being published by someone else, 503 while the audit log cannot record the task's changes", Tag: "tasks", Auth: true,
		Request: planning.TransitionRequest{}, Response: backend.Task{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.TransitionRequest) (any, error) {
			return pl.Transition(c.UserContext(), c.Params("id"), *r)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/tasks/:id/replace", Summary: "Replace a closed or unreachable target by the next of its stratum", Tag: "tasks", Auth: true,
		Request: planning.ReplaceRequest{}, Response: backend.Task{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.ReplaceRequest) (any, error) {
			return pl.Replace(c.UserContext(), c.Params("id"), *r)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/tasks/:id/reassign", Summary: "Re-match the team without unavailable members", Tag: "tasks", Auth: true,
		Request: planning.ReassignRequest{}, Response: backend.Task{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.ReassignRequest) (any, error) {
			return pl.Reassign(c.UserContext(), c.Params("id"), *r)
		})})

	// Public (一公开): no login.
	// Each answers JSON, or the portal's page to a browser (portal.go).
	s.Add(httpkit.Route{Method: "GET", Path: "/public/plans", Summary: "Public plans with their commitments; a page of the year's plans for browsers (Accept: text/html)", Tag: "public",
		Query: append([]httpkit.Param{{Name: "year", Type: "integer", Description: ""}}, httpkit.PageParams...), Response: backend.Page[*backend.PlanVersion]{}, Page: true,
		Handler: negotiated(s.handlePortalPlans, httpkit.Result(func(c *fiber.Ctx) (any, error) {
			y, p, err := yearPage(c)
			if err != nil {
				return nil, err
			}
			return pl.PublicPlans(c.UserContext(), y, p)
		}))})
	s.Add(httpkit.Route{Method: "GET", Path: "/public/plans/:id", Summary: "A public plan: current version, history with reasons, draws; a page for browsers", Tag: "public",
		Response: planning.PublicPlan{}, Page: true,
		Handler: negotiated(s.handlePortalPlan, httpkit.Result(func(c *fiber.Ctx) (any, error) { return pl.PublicPlan(c.UserContext(), c.Params("id")) }))})
	s.Add(httpkit.Route{Method: "GET", Path: "/public/draws/:id", Summary: "The public draw record (fc-draw-1): everything needed to redo the draw; for browsers a page with population, exclusions, strata and selection (paged: pop, sel) and an in-browser verifier", Tag: "public",
		Query:    []httpkit.Param{{Name: "pop", Type: "integer", Description: "page of the population (HTML)"}, {Name: "sel", Type: "integer", Description: "page of the selection (HTML)"}, {Name: "excl", Type: "integer", Description: "page of the exclusions (HTML)"}},
		Response: draw.Record{}, Page: true, Handler: negotiated(s.handlePortalDraw, s.handleDrawJSON)})
}

// yearPage reads the year and page parameters of a plan list.
func yearPage(c *fiber.Ctx) (int, backend.PageRequest, error) {
	y, err := queryYear(c)
	if err != nil {
		return 0, backend.PageRequest{}, err
	}
	p, err := httpkit.PageRequest(c)
	return y, p, err
}
