package planning_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/draw"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

var administrator = as("admin", backend.RoleAdmin)

func managerOf(dept string) context.Context {
	return as(dept+".manager", backend.RoleManager, dept)
}

// mustOpenRound opens a round at publishedAt declaring testSource.
func mustOpenRound(t *testing.T, f *fixture) *backend.Round {
	t.Helper()
	f.now = publishedAt
	defer func() { f.now = today }()
	r, err := f.svc.OpenRound(administrator, planning.OpenRoundRequest{Year: 2026, Name: "综合查一次", Period: "2026年第一季度", EntropySource: source(testSource)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// roundPlans are the demo round's plans of 2026 with a schedule of the
// tests' year.
func roundPlans() []*backend.Plan {
	ps := demo.RoundPlans(today)
	for _, p := range ps {
		p.Batches = basePlan().Batches
	}
	return ps
}

// mustRegister publishes p as its lead's manager at publishedAt and
// registers it into round r.
func mustRegister(t *testing.T, f *fixture, r *backend.Round, p *backend.Plan) {
	t.Helper()
	ctx := managerOf(p.LeadDepartment)
	if err := f.svc.CreatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	f.now = publishedAt
	defer func() { f.now = today }()
	if _, err := f.svc.PublishPlan(ctx, p.ID, p.Version, source(testSource)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RegisterPlan(ctx, r.ID, p.ID); err != nil {
		t.Fatal(err)
	}
}

func loadRoundRecord(t *testing.T, f *fixture, id string) *draw.RoundRecord {
	t.Helper()
	data, err := f.svc.PublicRoundRecord(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var rec draw.RoundRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	return &rec
}

func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if got := backend.ErrorCode(err); got != code || !strings.Contains(backend.ErrorMessage(err), msg) {
		t.Fatalf("%s: %v (code %q), want code %q with %q", what, err, got, code, msg)
	}
}

func TestRoundDraw(t *testing.T) {
	f := newFixture(t, 400)
	r := mustOpenRound(t, f)
	if r.State != backend.RoundOpen || len(r.Commitment) != 64 || !r.EntropyResultAt.Equal(testSource.ResultAt()) {
		t.Fatalf("opened round: state %s, commitment %q, result at %v", r.State, r.Commitment, r.EntropyResultAt)
	}
	plans := roundPlans()
	for _, p := range plans {
		mustRegister(t, f, r, p)
	}

	f.now = publishedAt
	_, err := f.svc.DrawRound(administrator, r.ID, planning.RoundDrawRequest{Value: testValue})
	wantCode(t, "draw before the result", err, backend.EINVALID, "draw after that time")
	f.now = today
	_, err = f.svc.DrawRound(managerOf("scjg"), r.ID, planning.RoundDrawRequest{Value: testValue})
	wantCode(t, "draw by a manager", err, backend.EFORBIDDEN, "administrators")
	_, err = f.svc.Draw(managerOf("scjg"), plans[0].ID, planning.DrawRequest{Value: testValue})
	wantCode(t, "a plan of the round drawn alone", err, backend.EINVALID, "drawn with it, not alone")

	res, err := f.svc.DrawRound(administrator, r.ID, planning.RoundDrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Round
	rec := loadRoundRecord(t, f, r.ID)
	if diffs := draw.VerifyRound(rec); len(diffs) > 0 {
		t.Fatalf("the stored record does not verify: %v", diffs)
	}
	if got.State != backend.RoundDrawn || got.Visits != len(rec.Visits) || len(res.Tasks) != len(rec.Visits) {
		t.Fatalf("round %s with %d visits and %d tasks, record has %d visits", got.State, got.Visits, len(res.Tasks), len(rec.Visits))
	}
	if want := rec.Burden(); got.Burden == nil || *got.Burden != want {
		t.Fatalf("burden %+v, want %+v", got.Burden, want)
	}
	t.Logf("%d plans: %d visits, %d joint; floor %.2f, independent %.2f", len(plans), got.Visits, got.JointVisits, got.Burden.Floor, got.Burden.Independent)
	if got.JointVisits == 0 {
		t.Fatalf("no joint visit among %d: the plans' populations overlap", got.Visits)
	}
	if b := got.Burden; float64(b.Visits) >= b.Independent {
		t.Errorf("%d visits, no fewer than independent draws would give (%.2f)", b.Visits, b.Independent)
	}

	byPlan := map[string]*backend.Plan{}
	for _, p := range plans {
		byPlan[p.ID] = p
	}
	for i, tk := range res.Tasks {
		v := &rec.Visits[i]
		if tk.ID != r.ID+"-"+v.ID || tk.TargetID != v.ID || tk.DrawID != r.ID || !tk.Random || tk.Order != v.Order {
			t.Fatalf("task %s (target %s, draw %s, order %d) for visit %+v", tk.ID, tk.TargetID, tk.DrawID, tk.Order, v)
		}
		var items, partPlans []string
		for _, pt := range tk.Parts {
			partPlans = append(partPlans, pt.PlanID)
			items = append(items, byPlan[pt.PlanID].Items...)
			if !slices.Equal(pt.Items, byPlan[pt.PlanID].Items) || pt.LeadDepartment != byPlan[pt.PlanID].LeadDepartment {
				t.Fatalf("task %s: part %+v", tk.ID, pt)
			}
		}
		if !slices.Equal(partPlans, v.Plans) || !slices.Equal(tk.Items, items) || !slices.Equal(tk.Departments, v.Departments) ||
			!slices.Equal(tk.Team, v.Team) || tk.PlanID != v.Plans[0] || tk.LeadDepartment != byPlan[v.Plans[0]].LeadDepartment {
			t.Fatalf("task %s: plans %v items %v departments %v team %v lead %s; visit %+v", tk.ID, partPlans, tk.Items, tk.Departments, tk.Team, tk.PlanID, v)
		}
		if len(tk.Checklist) != len(tk.Items) {
			t.Fatalf("task %s: %d checklist references for %d items", tk.ID, len(tk.Checklist), len(tk.Items))
		}
	}
	for _, p := range plans {
		stored, err := f.svc.Plans.FindPlanByID(context.Background(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.State != backend.PlanDrawn || stored.Round != r.ID {
			t.Fatalf("plan %s after the round: state %s, round %q", p.ID, stored.State, stored.Round)
		}
	}
	// The selections count: a plan drawn alone later this year finds the
	// round's targets taken for the same item.
	counts, err := f.svc.Draws.VisitCounts(context.Background(), 2026, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rec.Visits {
		if counts[v.ID] != 1 {
			t.Fatalf("visit of %s counts %d times, want once however many plans it serves", v.ID, counts[v.ID])
		}
	}
	sel, err := f.svc.Draws.SelectedTargets(context.Background(), 2026, plans[0].Items, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sel) != len(rec.Plans[0].Selected) {
		t.Fatalf("%d targets selected for %v, the round's plan selected %d", len(sel), plans[0].Items, len(rec.Plans[0].Selected))
	}

	_, err = f.svc.DrawRound(administrator, r.ID, planning.RoundDrawRequest{Value: testValue})
	wantCode(t, "second draw", err, backend.ECONFLICT, "drawn once")

	actions := objectAudit(t, f, "round", r.ID)
	slices.Reverse(actions)
	want := []string{"round.open", "round.register", "round.register", "round.register", "round.register", "round.register", "round.drawing", "round.draw"}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit of the round: %v, want %v", actions, want)
	}
}

// TestRoundDrawResumes completes a draw that stopped after the round was
// marked drawing: the same request finishes it with the same record and
// tasks, and a different value is refused.
func TestRoundDrawResumes(t *testing.T) {
	f := newFixture(t, 300)
	r := mustOpenRound(t, f)
	plans := roundPlans()[:3]
	for _, p := range plans {
		mustRegister(t, f, r, p)
	}
	first, err := f.svc.DrawRound(administrator, r.ID, planning.RoundDrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	// As if it had stopped before its last steps: the round still
	// drawing, one plan not marked drawn.
	ctx := context.Background()
	stored, err := f.svc.Rounds.FindRoundByID(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored.State, stored.Burden, stored.RecordSHA = backend.RoundDrawing, nil, ""
	if err := f.svc.Rounds.UpdateRound(ctx, stored); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Plans.FindPlanByID(ctx, plans[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	p.State = backend.PlanPublished
	if err := f.svc.Plans.UpdatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}

	_, err = f.svc.DrawRound(administrator, r.ID, planning.RoundDrawRequest{Value: "1 2 3"})
	wantCode(t, "resumed with another value", err, backend.EINVALID, "with the same value")
	again, err := f.svc.DrawRound(administrator, r.ID, planning.RoundDrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	if again.Round.State != backend.RoundDrawn || again.Round.RecordSHA != first.Round.RecordSHA || *again.Round.Burden != *first.Round.Burden {
		t.Fatalf("resumed: state %s sha %s burden %+v, first %s %+v", again.Round.State, again.Round.RecordSHA, again.Round.Burden, first.Round.RecordSHA, first.Round.Burden)
	}
	n := 0
	err = f.svc.Tasks.ScanTasks(ctx, backend.TaskFilter{DrawID: r.ID}, func(*backend.Task) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if n != len(first.Tasks) || len(again.Tasks) != n {
		t.Fatalf("%d tasks stored and %d returned after resuming, %d drawn first", n, len(again.Tasks), len(first.Tasks))
	}
	if p, _ := f.svc.Plans.FindPlanByID(ctx, plans[1].ID); p.State != backend.PlanDrawn {
		t.Fatalf("plan %s is %s after resuming, want drawn", p.ID, p.State)
	}
}

func TestRoundRegistration(t *testing.T) {
	f := newFixture(t, 200)
	r := mustOpenRound(t, f)
	other := mustOpenRound(t, f)
	inOther := roundPlans()[1]
	mustRegister(t, f, other, inOther)
	drawnAlone := basePlan()
	mustPublish(t, f, drawnAlone)
	if _, err := f.svc.Draw(manager, drawnAlone.ID, planning.DrawRequest{Value: testValue}); err != nil {
		t.Fatal(err)
	}
	draft := basePlan()
	if err := f.svc.CreatePlan(manager, draft); err != nil {
		t.Fatal(err)
	}
	published := func(mutate func(*backend.Plan)) string {
		p := basePlan()
		mutate(p)
		return mustPublish(t, f, p).ID
	}
	ok := published(func(*backend.Plan) {})
	lastYear := published(func(p *backend.Plan) { p.Year = 2025 })
	byDocuments := published(func(p *backend.Plan) {
		p.Items, p.Method, p.Strata, p.Default = []string{"SCJG-01"}, backend.MethodDocument, nil, &backend.StratumRule{RatioBp: ptr(300)}
	})

	tests := []struct {
		name string
		ctx  context.Context
		plan string
		at   bool // after the entropy result
		code string
		msg  string
	}{
		{"ErrOtherDepartment", managerOf("yjgl"), ok, false, backend.EFORBIDDEN, "lead department"},
		{"ErrAdminIsNotTheManager", administrator, ok, false, backend.EFORBIDDEN, "lead department"},
		{"ErrDraft", manager, draft.ID, false, backend.EINVALID, "publish it"},
		{"ErrDrawnAlone", manager, drawnAlone.ID, false, backend.ECONFLICT, "drawn alone"},
		{"ErrInOtherRound", managerOf("wsjk"), inOther.ID, false, backend.ECONFLICT, "withdraw it there first"},
		{"ErrOtherYear", manager, lastYear, false, backend.EINVALID, "is of 2025"},
		{"ErrNotOnSite", manager, byDocuments, false, backend.EINVALID, "on-site visits only"},
		{"ErrAfterResult", manager, ok, true, backend.EINVALID, "its plans are fixed"},
		{"OK", manager, ok, false, "", ""},
		{"OK/Again", manager, ok, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.now = publishedAt
			if tt.at {
				f.now = today
			}
			defer func() { f.now = today }()
			got, err := f.svc.RegisterPlan(tt.ctx, r.ID, tt.plan)
			if tt.code != "" {
				wantCode(t, "RegisterPlan", err, tt.code, tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Plans) != 1 || got.Plans[0].PlanID != tt.plan {
				t.Fatalf("round plans %+v, want only %s", got.Plans, tt.plan)
			}
		})
	}

	t.Run("FrozenAfterResult", func(t *testing.T) {
		p, err := f.svc.Plans.FindPlanByID(context.Background(), ok)
		if err != nil {
			t.Fatal(err)
		}
		err = f.svc.UpdatePlan(manager, p, "改变抽查比例", source(backend.EntropySource{Source: "fc-3d", Issue: "2026070", Date: "2026-03-11"}))
		wantCode(t, "UpdatePlan after the round's result", err, backend.ECONFLICT, "registered in round")
		_, err = f.svc.WithdrawPlan(manager, r.ID, ok)
		wantCode(t, "WithdrawPlan after the result", err, backend.EINVALID, "its plans are fixed")
	})

	t.Run("WithdrawnPlanDrawsAlone", func(t *testing.T) {
		f.now = publishedAt
		got, err := f.svc.WithdrawPlan(manager, r.ID, ok)
		f.now = today
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Plans) != 0 {
			t.Fatalf("round plans after withdrawal: %+v", got.Plans)
		}
		_, err = f.svc.WithdrawPlan(manager, r.ID, ok)
		wantCode(t, "withdraw twice", err, backend.ENOTFOUND, "not registered")
		if _, err := f.svc.Draw(manager, ok, planning.DrawRequest{Value: testValue}); err != nil {
			t.Fatalf("draw of the withdrawn plan: %v", err)
		}
		_, err = f.svc.DrawRound(administrator, r.ID, planning.RoundDrawRequest{Value: testValue})
		wantCode(t, "draw of an empty round", err, backend.EINVALID, "no plan registered")
	})
}

// TestRoundVisitCap: a class-A enterprise visited once this year by a
// plan's draw is excluded from every plan of a round (visit-cap) under
// the default caps; class B is not capped; a check by documents is not a
// visit.
func TestRoundVisitCap(t *testing.T) {
	f := newFixture(t, 300)
	alone := basePlan()
	alone.Items = []string{"SCJG-04"}
	alone.Strata = []backend.StratumRule{{Key: "A", RatioBp: ptr(5000)}, {Key: "B", RatioBp: ptr(5000)}}
	mustPublish(t, f, alone)
	res, err := f.svc.Draw(manager, alone.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	visited := map[string]string{} // target → stratum
	for _, tk := range res.Tasks {
		visited[tk.TargetID] = tk.Stratum
	}

	r := mustOpenRound(t, f)
	plans := roundPlans()
	plans[0].Items = []string{"SCJG-03"} // not the item drawn alone: no annual cap
	for _, p := range plans[:3] {
		mustRegister(t, f, r, p)
	}
	if _, err := f.svc.DrawRound(administrator, r.ID, planning.RoundDrawRequest{Value: testValue}); err != nil {
		t.Fatal(err)
	}
	rec := loadRoundRecord(t, f, r.ID)
	seenA, seenB := 0, 0
	for _, p := range rec.Plans {
		for _, c := range p.Population {
			class, ok := visited[c.ID]
			switch {
			case ok && class == "A":
				seenA++
				if c.Excluded != draw.ExcludedVisitCap {
					t.Fatalf("plan %s: class-A target %s visited this year is %q, want %s", p.PlanID, c.ID, c.Excluded, draw.ExcludedVisitCap)
				}
			case ok:
				seenB++
				if c.Excluded == draw.ExcludedVisitCap {
					t.Fatalf("plan %s: class-%s target %s excluded for visits, but only class A is capped", p.PlanID, class, c.ID)
				}
			case c.Excluded == draw.ExcludedVisitCap:
				t.Fatalf("plan %s: target %s excluded for visits it did not have", p.PlanID, c.ID)
			}
		}
	}
	if seenA == 0 || seenB == 0 {
		t.Fatalf("the round's populations hold %d class-A and %d class-B targets visited this year: the test shows nothing", seenA, seenB)
	}

	t.Run("RemoteIsNoVisit", func(t *testing.T) {
		ctx := context.Background()
		if err := f.svc.Draws.AddSelections(ctx, []*backend.Selection{{Year: 2026, ItemCode: "SCJG-01", TargetID: "x", DrawID: "by-documents", Remote: true}}); err != nil {
			t.Fatal(err)
		}
		counts, err := f.svc.Draws.VisitCounts(ctx, 2026, nil)
		if err != nil {
			t.Fatal(err)
		}
		if counts["x"] != 0 {
			t.Fatalf("a check by documents counts %d visits", counts["x"])
		}
	})
}

func TestVisitCapsValidate(t *testing.T) {
	tests := []struct {
		name string
		caps backend.VisitCaps
		msg  string
	}{
		{"OK/Default", backend.DefaultVisitCaps(), ""},
		{"OK/None", backend.VisitCaps{}, ""},
		{"OK/Max", backend.VisitCaps{backend.CreditB: backend.MaxVisitCap}, ""},
		{"ErrZero", backend.VisitCaps{backend.CreditA: 0}, "not between 1 and 100"},
		{"ErrOverMax", backend.VisitCaps{backend.CreditA: backend.MaxVisitCap + 1}, "not between 1 and 100"},
		{"ErrClass", backend.VisitCaps{"E": 1}, "not a credit class"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.caps.Validate()
			if tt.msg == "" && err != nil || tt.msg != "" && !strings.Contains(backend.ErrorMessage(err), tt.msg) {
				t.Fatalf("Validate() = %v, want %q", err, tt.msg)
			}
		})
	}
	if caps := backend.DefaultVisitCaps(); !caps.Reached(backend.CreditA, 1) || caps.Reached(backend.CreditA, 0) || caps.Reached(backend.CreditB, 9) {
		t.Fatalf("default caps %v: want one visit a year for class A, none for B", caps)
	}
}

func TestRoundLimits(t *testing.T) {
	f := newFixture(t, 100)
	f.now = publishedAt
	defer func() { f.now = today }()
	open := func(mutate func(*planning.OpenRoundRequest)) error {
		req := planning.OpenRoundRequest{Year: 2026, Name: "综合查一次", Period: "2026年第一季度", EntropySource: source(testSource)}
		mutate(&req)
		_, err := f.svc.OpenRound(administrator, req)
		return err
	}
	tests := []struct {
		name   string
		mutate func(*planning.OpenRoundRequest)
		msg    string
	}{
		{"OK/LongestName", func(r *planning.OpenRoundRequest) { r.Name = strings.Repeat("查", backend.MaxRoundName) }, ""},
		{"ErrNameTooLong", func(r *planning.OpenRoundRequest) { r.Name = strings.Repeat("查", backend.MaxRoundName+1) }, "name"},
		{"OK/LongestPeriod", func(r *planning.OpenRoundRequest) { r.Period = strings.Repeat("季", backend.MaxRoundPeriod) }, ""},
		{"ErrPeriodTooLong", func(r *planning.OpenRoundRequest) { r.Period = strings.Repeat("季", backend.MaxRoundPeriod+1) }, "period"},
		{"ErrNoPeriod", func(r *planning.OpenRoundRequest) { r.Period = "" }, "period"},
		{"ErrYear", func(r *planning.OpenRoundRequest) { r.Year = 1999 }, "out of range"},
		{"ErrNoSource", func(r *planning.OpenRoundRequest) { r.EntropySource = nil }, "entropy source"},
		{"ErrSourcePast", func(r *planning.OpenRoundRequest) {
			r.EntropySource = source(backend.EntropySource{Source: "fc-3d", Issue: "2026050", Date: "2026-02-19"})
		}, "result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := open(tt.mutate)
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, "OpenRound", err, backend.EINVALID, tt.msg)
		})
	}

	t.Run("ErrItemsOverOneForm", func(t *testing.T) {
		r := mustOpenRound(t, f)
		f.now = today
		market := basePlan()
		market.Items = []string{"SCJG-01", "SCJG-02", "SCJG-03", "SCJG-04", "SCJG-05", "SCJG-06", "SCJG-07", "SCJG-08", "SCJG-09", "SCJG-10"}
		market.Strata, market.Default = nil, &backend.StratumRule{Count: ptr(1)}
		mustRegister(t, f, r, market)
		joint := basePlan()
		joint.LeadDepartment, joint.Departments, joint.TeamSize = "wsjk", []string{"wsjk", "yjgl", "sthj"}, 3
		joint.Items = []string{"WSJK-01", "WSJK-02", "WSJK-03", "WSJK-04", "YJGL-01", "YJGL-02", "YJGL-03", "YJGL-04", "YJGL-05", "STHJ-01", "STHJ-02"}
		joint.Strata, joint.Default = nil, &backend.StratumRule{Count: ptr(1)}
		ctx := managerOf("wsjk")
		if err := f.svc.CreatePlan(ctx, joint); err != nil {
			t.Fatal(err)
		}
		f.now = publishedAt
		if _, err := f.svc.PublishPlan(ctx, joint.ID, joint.Version, source(testSource)); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.RegisterPlan(ctx, r.ID, joint.ID)
		wantCode(t, "RegisterPlan", err, backend.EINVALID, "21 items, more than the 20")
		joint, err = f.svc.Plans.FindPlanByID(context.Background(), joint.ID)
		if err != nil {
			t.Fatal(err)
		}
		joint.Items = joint.Items[:10] // 20 together: one form
		if err := f.svc.UpdatePlan(ctx, joint, "少一个事项", source(testSource)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RegisterPlan(ctx, r.ID, joint.ID); err != nil {
			t.Fatalf("20 items together: %v", err)
		}
	})
}
