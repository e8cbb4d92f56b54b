package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// TestDemoLastYear: last year's plan is closed with its results in the
// register: published ones public (one corrected, one 发现问题经责令已改正
// by its 复查, one referred), one withheld, the rest overdue.
func TestDemoLastYear(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, backend.China)
	m := apptest.Open(t, "")
	apptest.SeedDemo(t, m, 300, now)
	sum, err := demo.SeedLastYear(ctx, m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	svc := *m.Planning
	svc.Now = func() time.Time { return now }
	admin := backend.WithActor(ctx, backend.SystemActor("test"))
	reg, err := svc.ListRegister(admin, planning.RegisterQuery{Department: "scjg"}, backend.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := backend.ResultCounts{Published: sum.Published, Withheld: 1, Overdue: sum.Overdue}
	if reg.Counts != want || sum.Published != 9 || sum.Overdue != 2 {
		t.Fatalf("register counts %+v (summary %+v), want %+v", reg.Counts, sum, want)
	}
	page, err := svc.PublicResults(ctx, planning.PublicResultQuery{PlanID: sum.PlanID}, backend.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]int{}
	for _, r := range page.Items {
		labels[r.Label]++
		if r.ResultDate[:4] != "2025" || r.PublishedAt.In(backend.China).Year() != 2025 {
			t.Fatalf("result %+v dated or published outside last year", r)
		}
		for _, v := range r.History {
			if v.PublishedAt.In(backend.China).Year() != 2025 || v.Code == r.Code && v.Label == r.Label && v.FollowUp == r.FollowUp {
				t.Fatalf("version %+v of %+v: published outside last year, or the same as the current one", v, r)
			}
		}
	}
	if len(page.Items) != 8 || labels["发现问题经责令已改正"] != 1 || labels["未发现开展本次抽查涉及的经营活动"] != 1 || labels[backend.ResultUnreachable.Label()] != 2 {
		t.Fatalf("public results of the plan %v, want 8 with one rectified, one corrected and two 无法联系 (the credit demo)", labels)
	}
	// The credit demo: one listed (class D), one proposal, one objection
	// pending with its 15 working days.
	q, err := svc.CreditQueue(managerCtx(ctx))
	if err != nil || len(q.Proposals) != 1 || q.Proposals[0].ResultID != sum.Proposed || len(q.Listed) != 1 || q.Listed[0].ResultID != sum.Listed ||
		len(q.Applications) != 1 || q.Applications[0].DaysLeft == nil || *q.Applications[0].DaysLeft != backend.CreditWorkingDays {
		t.Fatalf("credit queue %+v, %v; want one proposal, one listed, one objection with %d days left", q, err, backend.CreditWorkingDays)
	}
	if tg, err := m.Stores.Targets.FindTargetByID(ctx, q.Listed[0].TargetID); err != nil || tg.CreditClass != backend.CreditD {
		t.Fatalf("the listed enterprise %+v, %v: want class D", tg, err)
	}
	rc, err := svc.Register.FindResultEntry(ctx, sum.RecheckID)
	if err != nil || rc.State != backend.ResultPublished || rc.RecheckOf == "" {
		t.Fatalf("the 复查 %+v, %v: want it published, naming the task it re-checks", rc, err)
	}
	p, err := m.Stores.Plans.FindPlanByID(ctx, sum.PlanID)
	if err != nil || p.State != backend.PlanClosed || p.Year != 2025 {
		t.Fatalf("last year's plan %+v, %v: want 2025, closed", p, err)
	}
	// Nothing of last year is left to work: no phone downloads it.
	err = m.Stores.Tasks.ScanTasks(ctx, backend.TaskFilter{PlanID: sum.PlanID}, func(task *backend.Task) error {
		switch task.Status {
		case backend.TaskAssigned, backend.TaskAccepted, backend.TaskCheckedIn, backend.TaskSubmitted, backend.TaskReturned:
			t.Errorf("last year's task %s is %s, want it worked or cancelled", task.ID, task.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func managerCtx(ctx context.Context) context.Context {
	return backend.WithActor(ctx, &backend.Actor{UserID: "scjg.manager", Role: backend.RoleManager, Departments: []string{"scjg"}, Fresh: true})
}
