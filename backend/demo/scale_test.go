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

// TestScaleUp: plans are drawn until the tasks asked for exist, and the
// phones' share of the work is done through sync: submitted tasks wait for
// review with the team's two check-ins, every answer and the required
// photos declared; accepted ones stop there.
func TestScaleUp(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	m := apptest.Open(t, "")
	apptest.SeedDemo(t, m, 400, now)
	const n = 60
	s := m.DemoScale(nil)
	officers, err := s.AddScaleOfficers(ctx, n)
	if err != nil || officers != 1 {
		t.Fatalf("AddScaleOfficers=%d, %v; want 1 officer for %d tasks", officers, err, n)
	}
	first, err := demo.DrawFirstPlan(ctx, m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.ScaleUp(ctx, n, len(first.Tasks))
	if err != nil {
		t.Fatal(err)
	}
	wantSubmitted, wantAccepted := n*demo.ScaleSubmittedPercent/100, n*demo.ScaleAcceptedPercent/100
	if sum.Tasks < n || len(sum.Plans) == 0 || sum.Submitted != wantSubmitted || sum.Accepted != wantAccepted {
		t.Fatalf("summary %+v, want at least %d tasks, %d submitted, %d accepted", sum, n, wantSubmitted, wantAccepted)
	}
	count := func(st backend.TaskStatus) (out []*backend.Task) {
		err := m.Stores.Tasks.ScanTasks(ctx, backend.TaskFilter{Statuses: []backend.TaskStatus{st}}, func(t *backend.Task) error {
			out = append(out, t)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	submitted, accepted := count(backend.TaskSubmitted), count(backend.TaskAccepted)
	if len(submitted) != wantSubmitted || len(accepted) != wantAccepted {
		t.Fatalf("%d submitted, %d accepted; want %d, %d", len(submitted), len(accepted), wantSubmitted, wantAccepted)
	}
	for _, tk := range submitted {
		if len(tk.CheckIns) != 2 || tk.Result == nil || len(tk.PhotosMissing()) != 0 || len(tk.Answers) == 0 || len(tk.Evidence) == 0 {
			t.Fatalf("task %s: %d check-ins, result %v, photos missing %v, %d answers: not as a team submits", tk.ID, len(tk.CheckIns), tk.Result, tk.PhotosMissing(), len(tk.Answers))
		}
	}
	reviewer := backend.WithActor(ctx, &backend.Actor{UserID: "scjg.reviewer", Role: backend.RoleReviewer, Departments: []string{"scjg"}, Fresh: true})
	q, err := m.Planning.ReviewQueue(reviewer, planning.ReviewQuery{}, backend.PageRequest{Limit: 200})
	if err != nil || len(q.Items) != wantSubmitted {
		t.Fatalf("review queue: %v, %v; want %d waiting", q, err, wantSubmitted)
	}
}
