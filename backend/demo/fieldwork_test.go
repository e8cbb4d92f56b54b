package demo_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/draw"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

func TestDemoSource(t *testing.T) {
	tests := []struct {
		name       string
		now        time.Time
		issue      string
		date       backend.Date
		resultDate string
	}{
		{"MorningTakesYesterday", time.Date(2026, 3, 2, 8, 0, 0, 0, backend.China), "2026060", "2026-03-01", "2026-03-01 21:15"},
		{"AtTheDrawTakesYesterday", time.Date(2026, 3, 2, 21, 15, 0, 0, backend.China), "2026060", "2026-03-01", "2026-03-01 21:15"},
		{"EveningTakesToday", time.Date(2026, 3, 2, 21, 16, 0, 0, backend.China), "2026061", "2026-03-02", "2026-03-02 21:15"},
		{"NewYearsMorningTakesLastYear", time.Date(2027, 1, 1, 0, 30, 0, 0, backend.China), "2026365", "2026-12-31", "2026-12-31 21:15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := demo.DemoSource(tt.now)
			if src.Source != "fc-3d" || src.Issue != tt.issue || src.Date != tt.date {
				t.Fatalf("DemoSource=%+v, want fc-3d %s %s", src, tt.issue, tt.date)
			}
			if err := src.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := src.ResultAt().In(backend.China).Format("2006-01-02 15:04"); got != tt.resultDate || !src.ResultAt().Before(tt.now) {
				t.Fatalf("result at %s, want %s before %s", got, tt.resultDate, tt.now)
			}
		})
	}
	if v := demo.DemoValue("plan-x"); v != demo.DemoValue("plan-x") || len(v) != 5 {
		t.Fatalf("DemoValue=%q, want three digits, the same every time", v)
	}
}

// TestDemoPlans: the demo's first plan is drawn and its second awaits its
// draw, whose source's result is out: the README draws it.
func TestDemoPlans(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, backend.China)
	m := apptest.Open(t, "")
	apptest.SeedDemo(t, m, 300, now)
	res, err := demo.DrawFirstPlan(ctx, m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tasks) == 0 || !res.Draw.DrawnAt.Equal(now) {
		t.Fatalf("first plan: %d tasks drawn at %s", len(res.Tasks), res.Draw.DrawnAt)
	}
	p, _ := m.Planning.Plans.FindPlanByID(ctx, res.Draw.PlanID)
	if !p.PublishedAt.Before(*p.EntropyResultAt) || !p.EntropyResultAt.Before(now) {
		t.Fatalf("published %s, result %s, drawn %s: want that order", p.PublishedAt, p.EntropyResultAt, now)
	}
	data, err := m.Planning.PublicDrawRecord(ctx, res.Draw.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rec draw.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if diffs := draw.Verify(&rec); len(diffs) != 0 || rec.EntropySource == nil {
		t.Fatalf("first plan's record: source %+v, differences %v", rec.EntropySource, diffs)
	}

	second, err := demo.PublishSecondPlan(ctx, m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	if second.State != backend.PlanPublished || !second.EntropyResultAt.Before(now) {
		t.Fatalf("second plan %s, result at %s", second.State, second.EntropyResultAt)
	}
	m.Planning.Now = func() time.Time { return now }
	manager := backend.WithActor(ctx, &backend.Actor{UserID: "scjg.manager", Role: backend.RoleManager, Departments: []string{"scjg"}, Fresh: true})
	if _, err := m.Planning.Draw(manager, second.ID, planning.DrawRequest{Value: "3 0 7"}); err != nil {
		t.Fatalf("draw of the second plan: %v", err)
	}
}
