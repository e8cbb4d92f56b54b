package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// TestAutoMatch registers non-random checks over HTTP on the demo round's
// county: one on the enterprise of a drawn visit, in the visit's window,
// is proposed with it to every department involved and merged into it
// when all accept (the task takes its items, a part for the check; the
// merge audited); two checks of two departments on an enterprise without
// a visit are proposed together and one declines with a reason. Other
// departments neither see nor answer the proposals; bad requests are
// refused.
func TestAutoMatch(t *testing.T) {
	e, plans := newRoundEnv(t)
	ctx := context.Background()
	task := e.drawJointRound(plans)
	items := map[string]string{"scjg": "SCJG-01", "wsjk": "WSJK-02", "yjgl": "YJGL-02", "sthj": "STHJ-01"}
	var d1 string
	for _, d := range []string{"scjg", "wsjk", "yjgl", "sthj"} {
		if !slices.Contains(task.Departments, d) {
			d1 = d
			break
		}
	}
	if d1 == "" {
		t.Fatalf("task %s involves every department %v", task.ID, task.Departments)
	}
	register := func(dept, target string, from, to backend.Date) string {
		return fmt.Sprintf(`{"department":%q,"targetId":%q,"kind":"complaint","reference":"TS-2026-%s","reason":"群众投诉","items":[%q],"from":%q,"to":%q}`,
			dept, target, dept, items[dept], from, to)
	}
	// An enterprise without a visit, for two checks of two other departments.
	quiet := e.quietTarget()

	var prop backend.MatchProposal
	var pair backend.MatchProposal
	apiRun := func(scenarios []scenario) {
		t.Helper()
		runDemo(t, e, scenarios)
	}
	apiRun([]scenario{
		{Name: "ErrOtherDepartment", Method: "POST", URL: "/api/v1/checks", User: "nync.manager", Body: register(d1, task.TargetID, task.Start, task.Start), WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrReviewer", Method: "POST", URL: "/api/v1/checks", User: "scjg.reviewer", Body: register("scjg", task.TargetID, task.Start, task.Start), WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrItemOfAnotherDepartment", Method: "POST", URL: "/api/v1/checks", User: d1 + ".manager",
			Body: strings.Replace(register(d1, task.TargetID, task.Start, task.Start), items[d1], "NYNC-01", 1), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrWindowBackwards", Method: "POST", URL: "/api/v1/checks", User: d1 + ".manager", Body: register(d1, task.TargetID, "2026-05-02", "2026-05-01"), WantStatus: 400, WantCode: "invalid", WantContent: []string{"before it starts"}},
		{Name: "ErrWindowOverYears", Method: "POST", URL: "/api/v1/checks", User: d1 + ".manager", Body: register(d1, task.TargetID, "2026-12-30", "2027-01-02"), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrBadKind", Method: "POST", URL: "/api/v1/checks", User: d1 + ".manager", Body: strings.Replace(register(d1, task.TargetID, task.Start, task.Start), "complaint", "raid", 1), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownField", Method: "POST", URL: "/api/v1/checks", User: d1 + ".manager", Body: strings.Replace(register(d1, task.TargetID, task.Start, task.Start), `{`, `{"state":"merged",`, 1), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownTarget", Method: "POST", URL: "/api/v1/checks", User: d1 + ".manager", Body: register(d1, "91350403MA0000001X", task.Start, task.Start), WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/MatchedWithTheDrawnVisit", Method: "POST", URL: "/api/v1/checks", User: d1 + ".manager", Body: register(d1, task.TargetID, task.Start, task.End), WantStatus: 201,
			After: func(t *testing.T, r *response) {
				var reg planning.CheckRegistration
				r.JSON(t, &reg)
				if reg.Proposal == nil || reg.Proposal.TaskID != task.ID || reg.Check.State != backend.CheckProposed || len(reg.Proposal.Answers) != len(task.Departments)+1 {
					t.Fatalf("registration %+v, proposal %+v: want a proposal with task %s asking %v and %s", reg.Check, reg.Proposal, task.ID, task.Departments, d1)
				}
				prop = *reg.Proposal
			}},
		{Name: "OK/AloneAtFirst", Method: "POST", URL: "/api/v1/checks", User: "wsjk.manager", Body: register("wsjk", quiet, "2026-06-01", "2026-06-30"), WantStatus: 201,
			After: func(t *testing.T, r *response) {
				var reg planning.CheckRegistration
				r.JSON(t, &reg)
				if reg.Proposal != nil || reg.Check.State != backend.CheckRegistered {
					t.Fatalf("registration %+v, proposal %+v: want a check on its own", reg.Check, reg.Proposal)
				}
			}},
		{Name: "OK/NoOverlapNoMatch", Method: "POST", URL: "/api/v1/checks", User: "sthj.manager", Body: register("sthj", quiet, "2026-07-01", "2026-07-31"), WantStatus: 201, WantContent: []string{`"state":"registered"`}},
		{Name: "OK/MatchedWithTheOtherCheck", Method: "POST", URL: "/api/v1/checks", User: "sthj.manager", Body: register("sthj", quiet, "2026-06-20", "2026-07-10"), WantStatus: 201,
			After: func(t *testing.T, r *response) {
				var reg planning.CheckRegistration
				r.JSON(t, &reg)
				if reg.Proposal == nil || reg.Proposal.TaskID != "" || len(reg.Proposal.Checks) != 2 || reg.Proposal.From != "2026-06-20" || reg.Proposal.To != "2026-06-30" {
					t.Fatalf("proposal %+v: want the two overlapping checks, 2026-06-20 to 2026-06-30", reg.Proposal)
				}
				pair = *reg.Proposal
			}},
	})
	apiRun([]scenario{
		{Name: "OK/BookOfAnInvolvedDepartment", Method: "GET", URL: "/api/v1/targets/" + task.TargetID + "/checks?year=2026", User: d1 + ".manager", WantStatus: 200, WantContent: []string{prop.ID}},
		{Name: "OK/BookOfAnUninvolvedDepartmentIsEmpty", Method: "GET", URL: "/api/v1/targets/" + task.TargetID + "/checks?year=2026", User: "nync.manager", WantStatus: 200, WantContent: []string{`"checks":[]`, `"proposals":[]`}},
		{Name: "ErrBookAsInspector", Method: "GET", URL: "/api/v1/targets/" + task.TargetID + "/checks?year=2026", User: "scjg.inspector1", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrAcceptUninvolved", Method: "POST", URL: "/api/v1/matches/" + prop.ID + "/accept", User: "nync.manager", Body: `{}`, WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrAcceptUnknown", Method: "POST", URL: "/api/v1/matches/2026:nope:m1/accept", User: d1 + ".manager", Body: `{}`, WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrDeclineWithoutReason", Method: "POST", URL: "/api/v1/matches/" + pair.ID + "/decline", User: "wsjk.manager", Body: `{}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"reason"}},
		{Name: "OK/Decline", Method: "POST", URL: "/api/v1/matches/" + pair.ID + "/decline", User: "wsjk.manager", Body: `{"reason":"本次为专项执法，不宜联合"}`, WantStatus: 200, WantContent: []string{`"state":"declined"`, "不宜联合"}},
		{Name: "ErrAcceptDeclined", Method: "POST", URL: "/api/v1/matches/" + pair.ID + "/accept", User: "sthj.manager", Body: `{}`, WantStatus: 409, WantCode: "conflict"},
		{Name: "OK/DeclinedChecksOnTheirOwn", Method: "GET", URL: "/api/v1/targets/" + quiet + "/checks?year=2026", User: "sthj.manager", WantStatus: 200,
			After: func(t *testing.T, r *response) {
				var b backend.CheckBook
				r.JSON(t, &b)
				for _, c := range b.Checks {
					if c.State != backend.CheckRegistered {
						t.Fatalf("check %s is %s after the decline", c.ID, c.State)
					}
				}
			}},
	})
	// Every department asked accepts; the last merges.
	var steps []scenario
	for i, a := range prop.Answers {
		want := `"state":"proposed"`
		if i == len(prop.Answers)-1 {
			want = `"state":"merged"`
		}
		steps = append(steps, scenario{Name: "OK/Accept/" + a.Department, Method: "POST", URL: "/api/v1/matches/" + prop.ID + "/accept", User: a.Department + ".manager", Body: `{}`, WantStatus: 200, WantContent: []string{want}})
		if i == 0 {
			steps = append(steps, scenario{Name: "ErrAcceptTwice", Method: "POST", URL: "/api/v1/matches/" + prop.ID + "/accept", User: a.Department + ".manager", Body: `{}`, WantStatus: 409, WantCode: "conflict"})
		}
	}
	apiRun(steps)
	merged := e.storedTask(task.ID)
	pi := slices.IndexFunc(merged.Parts, func(p backend.TaskPart) bool { return p.CheckID != "" })
	if pi < 0 || !slices.Contains(merged.Items, items[d1]) || !slices.Contains(merged.Departments, d1) || merged.Parts[pi].LeadDepartment != d1 {
		t.Fatalf("merged task: items %v, departments %v, parts %+v; want %s's check with %s", merged.Items, merged.Departments, merged.Parts, d1, items[d1])
	}
	if !slices.ContainsFunc(merged.Checklist, func(r backend.ChecklistRef) bool { return r.Item == items[d1] }) {
		t.Fatalf("the checklist %v has no template of %s", merged.Checklist, items[d1])
	}
	// Accepting again completes nothing more.
	runDemo(t, e, []scenario{{Name: "OK/AcceptMergedAgain", Method: "POST", URL: "/api/v1/matches/" + prop.ID + "/accept", User: d1 + ".manager", Body: `{}`, WantStatus: 200, WantContent: []string{`"state":"merged"`}}})
	if again := e.storedTask(task.ID); again.Version != merged.Version {
		t.Fatalf("a second accept wrote the task again: version %d, was %d", again.Version, merged.Version)
	}
	for _, want := range []struct{ typ, id, action string }{{"task", task.ID, "task.merge"}, {"match", prop.ID, "match.merge"}, {"check", prop.Checks[0], "check.register"}, {"match", pair.ID, "match.decline"}} {
		entries, err := e.m.Stores.Audit.FindAuditEntries(ctx, want.typ, want.id, 50)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(entries, func(x *backend.AuditEntry) bool { return x.Action == want.action }) {
			t.Fatalf("no %s entry for %s %s", want.action, want.typ, want.id)
		}
	}
}

// quietTarget is an enterprise without any task.
func (e *env) quietTarget() string {
	t, ctx := e.t, context.Background()
	t.Helper()
	targets, err := e.m.Stores.Targets.FindTargets(ctx, backend.TargetFilter{Kinds: []backend.TargetKind{backend.KindEnterprise}}, backend.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets.Items {
		ts, err := e.m.Stores.Tasks.FindTasks(ctx, backend.TaskFilter{TargetID: tg.ID}, backend.PageRequest{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(ts.Items) == 0 {
			return tg.ID
		}
	}
	t.Fatal("every enterprise of the first page has a task")
	return ""
}

// TestMergedChecksVisit: two registered checks of two departments on an
// enterprise without a drawn visit, accepted by both, become one task
// with the items of both, a part per check, and a team with an officer of
// each department (fc-draw-1's rules, its ranking kept in the audit
// record); accepting again issues nothing more; a department outside
// the visit does not see it, and each department reads its own part.
func TestMergedChecksVisit(t *testing.T) {
	e, _ := newRoundEnv(t)
	ctx := context.Background()
	quiet := e.quietTarget()
	var prop backend.MatchProposal
	runDemo(t, e, []scenario{
		{Name: "OK/First", Method: "POST", URL: "/api/v1/checks", User: "wsjk.manager", WantStatus: 201,
			Body: fmt.Sprintf(`{"department":"wsjk","targetId":%q,"kind":"complaint","reference":"TS-2026-88","reason":"群众投诉卫生问题","items":["WSJK-02"],"from":"2026-06-01","to":"2026-06-30"}`, quiet)},
		{Name: "OK/Second", Method: "POST", URL: "/api/v1/checks", User: "sthj.manager", WantStatus: 201,
			Body: fmt.Sprintf(`{"department":"sthj","targetId":%q,"kind":"campaign","reference":"环专〔2026〕3号","reason":"专项整治","items":["STHJ-01"],"from":"2026-06-10","to":"2026-07-10"}`, quiet),
			After: func(t *testing.T, r *response) {
				var reg planning.CheckRegistration
				r.JSON(t, &reg)
				if reg.Proposal == nil || reg.Proposal.TaskID != "" {
					t.Fatalf("proposal %+v: want one without a drawn visit", reg.Proposal)
				}
				prop = *reg.Proposal
			}},
	})
	runDemo(t, e, []scenario{
		{Name: "OK/AcceptWSJK", Method: "POST", URL: "/api/v1/matches/" + prop.ID + "/accept", User: "wsjk.manager", Body: `{}`, WantStatus: 200, WantContent: []string{`"state":"proposed"`}},
		{Name: "OK/AcceptSTHJ", Method: "POST", URL: "/api/v1/matches/" + prop.ID + "/accept", User: "sthj.manager", Body: `{}`, WantStatus: 200, WantContent: []string{`"state":"merged"`}},
	})
	b, err := e.m.Stores.Checks.FindCheckBook(ctx, 2026, quiet)
	if err != nil {
		t.Fatal(err)
	}
	taskID := b.Checks[0].TaskID
	if taskID == "" || b.Checks[1].TaskID != taskID {
		t.Fatalf("merged checks name tasks %q and %q", b.Checks[0].TaskID, b.Checks[1].TaskID)
	}
	tk := e.storedTask(taskID)
	if tk.Random || tk.TargetID != quiet || tk.Status != backend.TaskAssigned || tk.LeadDepartment != "wsjk" ||
		!slices.Equal(tk.Items, []string{"WSJK-02", "STHJ-01"}) || !slices.Equal(tk.Departments, []string{"sthj", "wsjk"}) ||
		len(tk.Parts) != 2 || tk.Parts[0].CheckID != prop.Checks[0] || tk.Parts[1].CheckID != prop.Checks[1] ||
		tk.Trigger == nil || tk.Trigger.Kind != backend.TriggerComplaint || tk.Start != "2026-06-10" || tk.Due != "2026-06-30" {
		t.Fatalf("the merged checks' task: %+v", tk)
	}
	var depts []string
	for _, id := range tk.Team {
		in, err := e.m.Stores.Inspectors.FindInspectorByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		depts = append(depts, in.DepartmentID)
	}
	if len(tk.Team) < 2 || !slices.Contains(depts, "wsjk") || !slices.Contains(depts, "sthj") || len(tk.TeamUsers) != len(tk.Team) {
		t.Fatalf("team %v of departments %v (logins %v): want an officer of each department", tk.Team, depts, tk.TeamUsers)
	}
	entries, err := e.m.Stores.Audit.FindAuditEntries(ctx, "task", taskID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(entries, func(x *backend.AuditEntry) bool {
		return x.Action == "task.merge" && strings.Contains(x.Detail, "fc-draw-1")
	}) {
		t.Fatalf("no task.merge entry with the team's ranking for %s", taskID)
	}
	runDemo(t, e, []scenario{
		{Name: "OK/AcceptAgain", Method: "POST", URL: "/api/v1/matches/" + prop.ID + "/accept", User: "sthj.manager", Body: `{}`, WantStatus: 200},
		{Name: "ErrOutsider", Method: "GET", URL: "/api/v1/tasks/" + taskID, User: "nync.manager", WantStatus: 404, WantCode: "not_found"},
		{Name: "OK/OwnPart", Method: "GET", URL: "/api/v1/tasks/" + taskID, User: "sthj.manager", WantStatus: 200,
			WantContent: []string{`"STHJ-01"`},
			After: func(t *testing.T, r *response) {
				if strings.Contains(string(r.Body), `"WSJK-02"`) {
					t.Fatalf("sthj reads wsjk's part: %s", r.Body)
				}
			}},
	})
	if again := e.storedTask(taskID); again.Version != tk.Version {
		t.Fatalf("accepting again wrote the task: version %d, was %d", again.Version, tk.Version)
	}
}

// runDemo sends the scenarios as the demo's users (their demo passwords).
func runDemo(t *testing.T, e *env, scenarios []scenario) {
	t.Helper()
	apptest.Run(t, e.m, e.demoLogin, scenarios)
}

// TestAutoMatchConcurrentRegistrations registers two overlapping checks of
// two departments on one enterprise at the same time, each through its own
// instance on one store: both are kept, and they are proposed together
// once — whichever came second matched the first.
func TestAutoMatchConcurrentRegistrations(t *testing.T) {
	ms := apptest.OpenInstances(t, 2, "")
	apptest.SeedDemo(t, ms[0], 50, beforeResult)
	ctx := context.Background()
	targets, err := ms[0].Stores.Targets.FindTargets(ctx, backend.TargetFilter{Kinds: []backend.TargetKind{backend.KindEnterprise}}, backend.PageRequest{Limit: 1})
	if err != nil || len(targets.Items) == 0 {
		t.Fatalf("no enterprise: %v", err)
	}
	target := targets.Items[0].ID
	reqs := []planning.RegisterCheckRequest{
		{Department: "scjg", TargetID: target, Kind: backend.CheckCampaign, Reference: "专项-1", Reason: "专项整治", Items: []string{"SCJG-01"}, From: "2026-06-01", To: "2026-06-30"},
		{Department: "wsjk", TargetID: target, Kind: backend.CheckComplaint, Reference: "TS-1", Reason: "投诉核查", Items: []string{"WSJK-02"}, From: "2026-06-15", To: "2026-07-15"},
	}
	errs := make(chan error, len(reqs))
	for i, req := range reqs {
		go func() {
			mgr := backend.WithActor(ctx, &backend.Actor{UserID: req.Department + ".manager", Role: backend.RoleManager, Departments: []string{req.Department}, ClientAddr: "127.0.0.1", Fresh: true})
			_, err := ms[i].Planning.RegisterCheck(mgr, req)
			errs <- err
		}()
	}
	for range reqs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	b, err := ms[1].Stores.Checks.FindCheckBook(ctx, 2026, target)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Checks) != 2 || len(b.Proposals) != 1 || len(b.Proposals[0].Checks) != 2 || b.Proposals[0].From != "2026-06-15" || b.Proposals[0].To != "2026-06-30" {
		t.Fatalf("book: %d checks, proposals %+v; want both checks in one proposal for 2026-06-15..30", len(b.Checks), b.Proposals)
	}
	for _, c := range b.Checks {
		if c.State != backend.CheckProposed || c.Proposal != b.Proposals[0].ID {
			t.Fatalf("check %s: %s in %q", c.ID, c.State, c.Proposal)
		}
	}
}
