package planning_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// mustDrawRound opens, registers and draws the demo round's plans.
func mustDrawRound(t *testing.T, f *fixture) (*backend.Round, []*backend.Task) {
	t.Helper()
	r := mustOpenRound(t, f)
	for _, p := range roundPlans() {
		mustRegister(t, f, r, p)
	}
	res, err := f.svc.DrawRound(administrator, r.ID, planning.RoundDrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	return res.Round, res.Tasks
}

// objectAudit lists the actions audited on an object, the latest first (denials left out).
func objectAudit(t *testing.T, f *fixture, typ, id string) []string {
	t.Helper()
	entries, err := (&mongo.AuditStore{DB: f.db}).FindAuditEntries(context.Background(), typ, id, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if e.Outcome != backend.OutcomeDenied {
			actions = append(actions, e.Action)
		}
	}
	return actions
}

// TestRoundReplacePart replaces one department's part of a round's joint
// visit: only that plan's lead managers may; the visit goes on for the
// other parts; the replacement is a new visit or joins one, as the record
// (which verifies) says; everything is audited; and a visit whose last
// part is replaced is replaced.
func TestRoundReplacePart(t *testing.T) {
	f := newFixture(t, 400)
	r, tasks := mustDrawRound(t, f)
	ctx := context.Background()
	i := slices.IndexFunc(tasks, func(tk *backend.Task) bool {
		return len(tk.Parts) >= 2 && tk.Parts[1].LeadDepartment != tk.LeadDepartment
	})
	if i < 0 {
		t.Fatal("no joint visit of two lead departments")
	}
	joint := tasks[i]
	part := joint.Parts[1]
	req := planning.ReplaceRequest{Reason: "该部门检查事项不适用：企业已停止相关经营", Version: joint.Version, PlanID: part.PlanID}
	outsider := ""
	for _, d := range []string{"scjg", "xf", "wj", "hb", "yj", "jy"} {
		if !slices.Contains(joint.Departments, d) {
			outsider = d
			break
		}
	}

	t.Run("Refused", func(t *testing.T) {
		_, err := f.svc.Replace(managerOf(joint.LeadDepartment), joint.ID, req)
		wantCode(t, "the visit's lead replacing another department's part", err, backend.EFORBIDDEN, part.LeadDepartment)
		if outsider != "" {
			_, err = f.svc.Replace(managerOf(outsider), joint.ID, req)
			wantCode(t, "a department not in the visit", err, backend.ENOTFOUND, "not found")
		}
		noPlan := req
		noPlan.PlanID = ""
		_, err = f.svc.Replace(managerOf(part.LeadDepartment), joint.ID, noPlan)
		wantCode(t, "a joint visit without planId", err, backend.EINVALID, "planId")
		other := req
		other.PlanID = "plan-none"
		_, err = f.svc.Replace(managerOf(part.LeadDepartment), joint.ID, other)
		wantCode(t, "a plan without a part", err, backend.EINVALID, "没有计划")
		stale := req
		stale.Version--
		_, err = f.svc.Replace(managerOf(part.LeadDepartment), joint.ID, stale)
		wantCode(t, "a stale version", err, backend.ECONFLICT, "changed by someone else")
		empty := req
		empty.Reason = ""
		_, err = f.svc.Replace(managerOf(part.LeadDepartment), joint.ID, empty)
		wantCode(t, "no reason", err, backend.EINVALID, "")
		if rec := loadRoundRecord(t, f, r.ID); len(rec.Replacements) != 0 {
			t.Fatalf("refusals recorded %d replacements", len(rec.Replacements))
		}
	})

	nt, err := f.svc.Replace(managerOf(part.LeadDepartment), joint.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	rec := loadRoundRecord(t, f, r.ID)
	if diffs := draw.VerifyRound(rec); len(diffs) > 0 {
		t.Fatalf("the record with the replacement does not verify: %v", diffs)
	}
	if len(rec.Replacements) != 1 {
		t.Fatalf("%d replacements in the record", len(rec.Replacements))
	}
	x := rec.Replacements[0]
	if x.Plan != part.PlanID || x.Replaced != joint.TargetID || nt.TargetID != x.Replacement || nt.ID != r.ID+"-"+x.Replacement {
		t.Fatalf("replacement %+v, task %s of %s", x, nt.ID, nt.TargetID)
	}
	if !slices.ContainsFunc(nt.Parts, func(p backend.TaskPart) bool { return p.PlanID == part.PlanID }) {
		t.Fatalf("the replacement's task %s has no part of %s: %+v", nt.ID, part.PlanID, nt.Parts)
	}
	for _, id := range x.Team {
		if !slices.Contains(nt.Team, id) {
			t.Fatalf("officer %s of the replacement is not on task %s's team %v", id, nt.ID, nt.Team)
		}
	}
	t.Logf("plan %s: %s replaced by %s, joins=%v, officers added %v", x.Plan, x.Replaced, x.Replacement, x.Joins, x.Team)
	if x.Joins != (len(nt.Parts) > 1) {
		t.Fatalf("joins=%v but the task has parts %+v", x.Joins, nt.Parts)
	}
	stored, err := f.svc.Rounds.FindRoundByID(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	data, err := f.svc.PublicRoundRecord(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); stored.RecordSHA != hex.EncodeToString(sum[:]) || stored.RecordBytes != len(data) {
		t.Fatalf("the round's digest %s does not name the stored record", stored.RecordSHA)
	}
	old, err := f.svc.Tasks.FindTaskByID(ctx, joint.ID)
	if err != nil {
		t.Fatal(err)
	}
	if old.Status != joint.Status || len(old.Parts) != len(joint.Parts)-1 ||
		slices.ContainsFunc(old.Parts, func(p backend.TaskPart) bool { return p.PlanID == part.PlanID }) {
		t.Fatalf("the visit after its part left: %s, parts %+v", old.Status, old.Parts)
	}
	var items []string
	for _, p := range old.Parts {
		items = append(items, p.Items...)
	}
	for _, code := range old.Items {
		if !slices.Contains(items, code) {
			t.Fatalf("item %s stays on the visit though no part has it", code)
		}
	}
	if len(old.Checklist) != len(old.Items) {
		t.Fatalf("%d checklist references for %d items", len(old.Checklist), len(old.Items))
	}
	if a := objectAudit(t, f, "task", old.ID); !slices.Contains(a, "task.replace") {
		t.Fatalf("the visit's audit %v has no task.replace", a)
	}
	if a := objectAudit(t, f, "round", r.ID); a[0] != "round.replace" {
		t.Fatalf("the round's last audit entry is %v, want round.replace", a)
	}
	if x.Joins {
		if a := objectAudit(t, f, "task", nt.ID); !slices.Contains(a, "task.replace") {
			t.Fatalf("the joined visit's audit %v has no task.replace", a)
		}
	}
	sel, err := f.svc.Draws.SelectedTargets(ctx, 2026, part.Items, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sel[x.Replacement] {
		t.Fatalf("the replacement %s is not selected for %v this year", x.Replacement, part.Items)
	}

	t.Run("LastPart", func(t *testing.T) {
		j := slices.IndexFunc(tasks, func(tk *backend.Task) bool { return len(tk.Parts) == 1 && tk.ID != nt.ID })
		alone := tasks[j]
		lead := alone.Parts[0]
		got, err := f.svc.Replace(managerOf(lead.LeadDepartment), alone.ID, planning.ReplaceRequest{Reason: "企业已注销", Version: alone.Version})
		if err != nil {
			t.Fatal(err)
		}
		after, err := f.svc.Tasks.FindTaskByID(ctx, alone.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s replaced by %s (%d parts)", alone.TargetID, got.TargetID, len(got.Parts))
		if after.Status != backend.TaskReplaced || after.ReplacedBy != got.ID {
			t.Fatalf("a visit without parts left: %s, replaced by %q; want replaced by %s", after.Status, after.ReplacedBy, got.ID)
		}
		rec := loadRoundRecord(t, f, r.ID)
		if diffs := draw.VerifyRound(rec); len(diffs) > 0 || len(rec.Replacements) != 2 {
			t.Fatalf("after two replacements: %d recorded, differences %v", len(rec.Replacements), diffs)
		}
		_, err = f.svc.Replace(managerOf(lead.LeadDepartment), alone.ID, planning.ReplaceRequest{Reason: "again", Version: after.Version})
		wantCode(t, "a replaced visit", err, backend.EINVALID, fmt.Sprintf("task %s is replaced", alone.ID))
	})

	t.Run("Joins", func(t *testing.T) {
		// A part whose replacement the round already visits, found by
		// trying each on a copy of the record.
		rec := loadRoundRecord(t, f, r.ID)
		var from *backend.Task
		var planID string
		for _, tk := range tasks {
			cur, err := f.svc.Tasks.FindTaskByID(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Status != backend.TaskAssigned {
				continue
			}
			for _, p := range cur.Parts {
				try := *rec
				try.Replacements = slices.Clone(rec.Replacements)
				if x, err := draw.ReplaceInRound(&try, p.PlanID, cur.TargetID, "试"); err == nil && x.Joins {
					from, planID = cur, p.PlanID
					break
				}
			}
			if from != nil {
				break
			}
		}
		if from == nil {
			t.Skip("no part of the demo round is replaced by a target the round visits")
		}
		p, err := f.svc.Plans.FindPlanByID(ctx, planID)
		if err != nil {
			t.Fatal(err)
		}
		try := *rec
		try.Replacements = slices.Clone(rec.Replacements)
		dry, _ := draw.ReplaceInRound(&try, planID, from.TargetID, "试")
		before, err := f.svc.Tasks.FindTaskByID(ctx, r.ID+"-"+dry.Replacement)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.Replace(managerOf(p.LeadDepartment), from.ID, planning.ReplaceRequest{Reason: "不在本部门监管范围", Version: from.Version, PlanID: planID})
		if err != nil {
			t.Fatal(err)
		}
		rec = loadRoundRecord(t, f, r.ID)
		x := rec.Replacements[len(rec.Replacements)-1]
		if !x.Joins || len(got.Parts) != len(before.Parts)+1 || got.Parts[len(got.Parts)-1].PlanID != planID {
			t.Fatalf("joined visit %s: parts %+v (before %d)", got.ID, got.Parts, len(before.Parts))
		}
		if !slices.Equal(got.Team, append(slices.Clone(before.Team), x.Team...)) || len(got.Checklist) != len(got.Items) {
			t.Fatalf("joined visit: team %v (before %v, added %v), %d checklists for %d items", got.Team, before.Team, x.Team, len(got.Checklist), len(got.Items))
		}
		for _, code := range p.Items {
			if !slices.Contains(got.Items, code) {
				t.Fatalf("joined visit lacks item %s of plan %s", code, planID)
			}
		}
		if diffs := draw.VerifyRound(rec); len(diffs) > 0 {
			t.Fatalf("record: %v", diffs)
		}
		if a := objectAudit(t, f, "task", got.ID); !slices.Contains(a, "task.replace") {
			t.Fatalf("the joined visit's audit %v has no task.replace", a)
		}
	})
}

// TestRoundBurdenView: a drawn round's burden per department and region
// adds up to the round's; inspectors and rounds not drawn are refused.
func TestRoundBurdenView(t *testing.T) {
	f := newFixture(t, 400)
	r, _ := mustDrawRound(t, f)
	v, err := f.svc.RoundBurden(administrator, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Round.Visits != r.Visits || len(v.Departments) == 0 || len(v.Regions) == 0 {
		t.Fatalf("burden %+v of round with %d visits", v, r.Visits)
	}
	visits, floor := 0, 0.0
	for _, g := range v.Regions {
		if g.Key == "" {
			t.Fatalf("a region without a code: every target of the round is in the directory")
		}
		visits, floor = visits+g.Visits, floor+g.Floor
	}
	if visits != v.Round.Visits || floor < v.Round.Floor-1e-6 || floor > v.Round.Floor+1e-6 {
		t.Fatalf("regions add up to %d visits, floor %.3f; the round %+v", visits, floor, v.Round)
	}
	_, err = f.svc.RoundBurden(as("scjg.inspector1", backend.RoleInspector, "scjg"), r.ID)
	wantCode(t, "an inspector", err, backend.EFORBIDDEN, "")
	open := mustOpenRound(t, f)
	_, err = f.svc.RoundBurden(administrator, open.ID)
	wantCode(t, "a round not drawn", err, backend.EINVALID, "尚未抽取")
}
