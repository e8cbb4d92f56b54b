package planning_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

func TestDrawBadInput(t *testing.T) {
	f := newFixture(t, 200)
	tests := []struct {
		name   string
		mutate func(*backend.Plan)
		before func(p *backend.Plan) // after publication
		want   string
		msg    string
	}{
		{"ErrClosedPlan", nil, func(p *backend.Plan) {
			if _, err := f.svc.ClosePlan(manager, p.ID); err != nil {
				t.Fatal(err)
			}
		}, backend.EINVALID, "closed"},
		{"ErrNoTargetMatches", func(p *backend.Plan) { p.Filter.RegionPrefixes = []string{"110101"} }, nil, backend.EINVALID, "no target"},
		{"ErrNoEligibleTarget", func(p *backend.Plan) {
			yes := true
			p.Filter.KeySupervision = &yes
			p.Filter.Kinds = []backend.TargetKind{backend.KindEnterprise, backend.KindIndividual, backend.KindCooperative}
			p.Strata, p.Default = nil, &backend.StratumRule{RatioBp: ptr(0)}
		}, nil, backend.EINVALID, "selects no target"},
		{"ErrCountForAbsentStratum", func(p *backend.Plan) {
			p.StratumKey = backend.StratumKind
			p.Filter.Kinds = []backend.TargetKind{backend.KindEnterprise}
			p.Strata = []backend.StratumRule{{Key: "enterprise", RatioBp: ptr(500)}, {Key: "cooperative", Count: ptr(3)}}
			p.Default = nil
		}, nil, backend.EINVALID, "cooperative"},
		{"ErrCountOverGeneralCap", func(p *backend.Plan) {
			p.Items = []string{"SCJG-01"} // general, 300 bp
			p.Strata, p.Default = nil, &backend.StratumRule{Count: ptr(40)}
		}, nil, backend.EINVALID, "exceeds the cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := basePlan()
			if tt.mutate != nil {
				tt.mutate(p)
			}
			p = mustPublish(t, f, p)
			if tt.before != nil {
				tt.before(p)
			}
			_, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
			if got := backend.ErrorCode(err); got != tt.want || !strings.Contains(backend.ErrorMessage(err), tt.msg) {
				t.Fatalf("Draw: %v (code %q), want %q containing %q", err, got, tt.want, tt.msg)
			}
			// A refused draw leaves nothing behind.
			cur, _ := f.svc.Plans.FindPlanByID(context.Background(), p.ID)
			if len(cur.Draws) != 0 {
				t.Fatalf("refused draw recorded draws %v", cur.Draws)
			}
		})
	}
}

// TestTooFewInspectorsRecorded takes most inspectors out of the pool: the
// targets that cannot get two officers are recorded as unassigned, with
// tasks marked so, never dropped.
func TestTooFewInspectorsRecorded(t *testing.T) {
	f := newFixture(t, 300)
	ctx := context.Background()
	active := true
	page, err := f.svc.Inspectors.FindInspectors(ctx, backend.InspectorFilter{DepartmentIDs: []string{"scjg"}, Active: &active}, backend.PageRequest{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	// Leave two officers with room for one task each: the first target gets
	// both, every other target finds none.
	kept := 0
	for _, in := range page.Items {
		if kept < 2 && in.CertValidOn(backend.DateOf(today)) && !in.OnLeave(backend.DateOf(today)) && len(in.Conflicts) == 0 {
			in.TaskCap = 1
			kept++
		} else {
			in.Active = false
		}
		if err := f.svc.Inspectors.UpdateInspector(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	p := mustPublish(t, f, basePlan())
	res, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	if res.Draw.Selected < 3 || res.Draw.Unassigned != res.Draw.Selected-1 {
		t.Fatalf("selected %d, unassigned %d; want all but one unassigned", res.Draw.Selected, res.Draw.Unassigned)
	}
	data, _ := f.svc.PublicDrawRecord(ctx, res.Draw.ID)
	var rec draw.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	unassigned := 0
	for _, s := range rec.Selected {
		if s.Unassigned {
			unassigned++
			if s.UnassignedReason != draw.ReasonTooFewInspectors || len(s.Team) != 0 {
				t.Fatalf("unassigned %s: reason %q team %v", s.ID, s.UnassignedReason, s.Team)
			}
		}
	}
	tasks := 0
	for _, tk := range res.Tasks {
		if tk.Unassigned {
			tasks++
		}
	}
	if unassigned != res.Draw.Unassigned || tasks != unassigned {
		t.Fatalf("record has %d unassigned, tasks %d, draw says %d", unassigned, tasks, res.Draw.Unassigned)
	}
}

func TestAdHocTask(t *testing.T) {
	f := newFixture(t, 200)
	ctx := context.Background()
	target := f.county.Targets[0].ID
	var team []string
	for _, in := range f.county.Inspectors {
		if in.DepartmentID == "scjg" && in.Active && in.CertValidOn(backend.DateOf(today)) && !in.ConflictsWith(target) && len(team) < 2 {
			team = append(team, in.ID)
		}
	}
	// A third scjg officer declares a conflict with another target.
	other := f.county.Targets[1].ID
	var conflicted *backend.Inspector
	for _, in := range f.county.Inspectors {
		if in.DepartmentID == "scjg" && in.Active && in.CertValidOn(backend.DateOf(today)) && in.ID != team[0] && in.ID != team[1] {
			conflicted, _ = f.svc.Inspectors.FindInspectorByID(ctx, in.ID)
			break
		}
	}
	conflicted.Conflicts = append(conflicted.Conflicts, backend.Conflict{TargetID: other, Reason: "配偶任职"})
	if err := f.svc.Inspectors.UpdateInspector(ctx, conflicted); err != nil {
		t.Fatal(err)
	}
	good := planning.AdHocRequest{TargetID: target, Items: []string{"SCJG-03"}, Team: team, Due: "2026-03-20",
		Trigger: &backend.Trigger{Kind: backend.TriggerComplaint, Reference: "12315-2026-000123", Reason: "消费者投诉销售过期食品"}}
	tests := []struct {
		name   string
		ctx    context.Context
		mutate func(*planning.AdHocRequest)
		want   string
	}{
		{"ErrNoTrigger", manager, func(r *planning.AdHocRequest) { r.Trigger = nil }, backend.EINVALID},
		{"ErrTriggerKind", manager, func(r *planning.AdHocRequest) {
			r.Trigger = &backend.Trigger{Kind: "hunch", Reference: "x", Reason: "看着可疑"}
		}, backend.EINVALID},
		{"ErrItemNotOnList", manager, func(r *planning.AdHocRequest) { r.Items = []string{"NOPE"} }, backend.EINVALID},
		{"ErrOneOfficer", manager, func(r *planning.AdHocRequest) { r.Team = r.Team[:1] }, backend.EINVALID},
		{"ErrSameOfficerTwice", manager, func(r *planning.AdHocRequest) { r.Team = []string{r.Team[0], r.Team[0]} }, backend.EINVALID},
		{"ErrConflict", manager, func(r *planning.AdHocRequest) {
			r.TargetID = other
			r.Team = []string{conflicted.ID, r.Team[0]}
		}, backend.EINVALID},
		{"ErrInspectorRole", as("scjg.inspector1", backend.RoleInspector, "scjg"), func(*planning.AdHocRequest) {}, backend.EFORBIDDEN},
		{"ErrPastDue", manager, func(r *planning.AdHocRequest) { r.Due = "2026-01-01" }, backend.EINVALID},
		{"OK", manager, func(*planning.AdHocRequest) {}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			r.Team = append([]string(nil), good.Team...)
			tt.mutate(&r)
			tk, err := f.svc.CreateAdHocTask(tt.ctx, r)
			if got := backend.ErrorCode(err); got != tt.want {
				t.Fatalf("CreateAdHocTask: %v (code %q), want %q", err, got, tt.want)
			}
			if err == nil && (tk.Random || tk.Trigger == nil || tk.Trigger.Reference != "12315-2026-000123" || len(tk.Checklist) == 0 || tk.Form == nil) {
				t.Fatalf("ad-hoc task %+v not marked as triggered", tk)
			}
		})
	}
	// Permission refusals are audited (invalid input is only answered).
	denied, _ := f.svc.Audit.Store.FindAuditEntries(ctx, "target", target, 10)
	if len(denied) == 0 || denied[0].Outcome != backend.OutcomeDenied || denied[0].Actor != "scjg.inspector1" {
		t.Fatalf("audit of the refused ad-hoc task: %+v", denied)
	}
}

// TestInterruptedDraw simulates a draw that stored itself and died before
// updating the plan: the version counts as drawn, and is redrawn like any
// drawn version, through a new version whose draw supersedes it.
func TestInterruptedDraw(t *testing.T) {
	f := newFixture(t, 200)
	ctx := context.Background()
	p := mustPublish(t, f, basePlan())
	orphan := &backend.Draw{ID: p.ID + "-v1-d1", PlanID: p.ID, PlanVersion: 1, Number: 1, DrawnBy: "scjg.manager", DrawnAt: today}
	if err := f.svc.Draws.CreateDraw(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue, Redraw: true}); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("draw after an interrupted one: %v, want conflict asking for a new version", err)
	}
	if err := f.svc.UpdatePlan(manager, p, "上次抽取中断", source(nextSource)); err != nil {
		t.Fatal(err)
	}
	f.now = afterNext
	res, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	if res.Draw.ID != p.ID+"-v2-d1" || !slices.Equal(res.Draw.Supersedes, []string{orphan.ID}) {
		t.Fatalf("draw %s supersedes %v, want v2-d1 superseding the interrupted one", res.Draw.ID, res.Draw.Supersedes)
	}
	cur, _ := f.svc.Plans.FindPlanByID(ctx, p.ID)
	if len(cur.Draws) != 2 || cur.Draws[0] != orphan.ID {
		t.Fatalf("plan lists draws %v, want the interrupted one and the redraw", cur.Draws)
	}
}

// TestAdHocTaskConsent: an ad-hoc task with another department's officers
// and items waits for that department; one whose manager also manages it
// does not; the team is checked again when the last department accepts;
// the lead department may cancel a pending task.
func TestAdHocTaskConsent(t *testing.T) {
	f := newFixture(t, 200)
	ctx := context.Background()
	target := f.county.Targets[0].ID
	var team []string
	for _, in := range f.county.Inspectors {
		if in.DepartmentID == "yjgl" && in.Active && in.CertValidOn(backend.DateOf(today)) && !in.ConflictsWith(target) && len(team) < 2 {
			team = append(team, in.ID)
		}
	}
	req := planning.AdHocRequest{TargetID: target, Items: []string{"SCJG-03", "YJGL-01"}, Team: team, Due: "2026-03-20",
		Trigger: &backend.Trigger{Kind: backend.TriggerReferral, Reference: "三明市监〔2026〕12号", Reason: "上级转办的联合检查"}}
	yjgl := as("yjgl.manager", backend.RoleManager, "yjgl")

	// A manager of both departments dispatches both at once.
	both, err := f.svc.CreateAdHocTask(as("joint.manager", backend.RoleManager, "scjg", "yjgl"), req)
	if err != nil || both.Status != backend.TaskAssigned || len(both.Consents) != 0 || len(both.TeamUsers) != 2 {
		t.Fatalf("by a manager of both: %v %+v", err, both)
	}

	// The team's certificate lapses before yjgl accepts: not issued.
	pending, err := f.svc.CreateAdHocTask(manager, req)
	if err != nil || pending.Status != backend.TaskPending {
		t.Fatalf("by scjg's manager: %v %+v", err, pending)
	}
	in, _ := f.svc.Inspectors.FindInspectorByID(ctx, team[0])
	in.CertExpiry = backend.DateOf(today.AddDate(0, 0, -1))
	if err := f.svc.Inspectors.UpdateInspector(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AcceptTaskRequest(yjgl, pending.ID, planning.TaskDecision{Version: pending.Version, Reason: "同意派员"}); !backend.IsCode(err, backend.EINVALID) || !strings.Contains(backend.ErrorMessage(err), "cancel") {
		t.Fatalf("accepting with a lapsed certificate on the team: %v, want invalid", err)
	}
	if got, _ := f.svc.Tasks.FindTaskByID(ctx, pending.ID); got.Status != backend.TaskPending || len(got.TeamUsers) != 0 {
		t.Fatalf("after the refused acceptance: %s with logins %v", got.Status, got.TeamUsers)
	}

	// The lead department cancels it; nothing is left to answer.
	cancelled, err := f.svc.Transition(manager, pending.ID, planning.TransitionRequest{To: backend.TaskCancelled, Version: pending.Version, Comment: "人员证件过期，另行派员"})
	if err != nil || cancelled.Status != backend.TaskCancelled {
		t.Fatalf("the lead cancels the pending task: %v", err)
	}
	if page, err := f.svc.TaskRequests(yjgl, backend.PageRequest{}); err != nil || len(page.Items) != 0 {
		t.Fatalf("requests after the cancellation: %v %+v", err, page)
	}
	if _, err := f.svc.AcceptTaskRequest(yjgl, pending.ID, planning.TaskDecision{Version: cancelled.Version, Reason: "同意派员"}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("accepting a cancelled task: %v, want invalid", err)
	}
}
