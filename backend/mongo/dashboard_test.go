package mongo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// TestCountTasks: the counts by lead department and status are the same
// from the embedded store's index and from MongoDB's group, for every
// department and for some, and follow a status change.
func TestCountTasks(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.TaskStore{DB: db}
		var ts []*backend.Task
		for i := range 12 {
			lead := []string{"a", "b", "c"}[i%3]
			st := backend.TaskAssigned
			if i < 3 {
				st = backend.TaskSubmitted
			}
			ts = append(ts, &backend.Task{ID: fmt.Sprintf("t-%02d", i), TargetID: "tg", Status: st, LeadDepartment: lead,
				TeamUsers: []string{}, Items: []string{}, Departments: []string{lead}})
		}
		if err := s.CreateTasks(ctx, ts); err != nil {
			t.Fatal(err)
		}
		count := func(deps []string) []backend.TaskCount {
			t.Helper()
			c, err := s.CountTasks(ctx, deps)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		all := []backend.TaskCount{
			{LeadDepartment: "a", Status: backend.TaskAssigned, Count: 3}, {LeadDepartment: "a", Status: backend.TaskSubmitted, Count: 1},
			{LeadDepartment: "b", Status: backend.TaskAssigned, Count: 3}, {LeadDepartment: "b", Status: backend.TaskSubmitted, Count: 1},
			{LeadDepartment: "c", Status: backend.TaskAssigned, Count: 3}, {LeadDepartment: "c", Status: backend.TaskSubmitted, Count: 1},
		}
		if got := count(nil); !slices.Equal(got, all) {
			t.Fatalf("every department: %v, want %v", got, all)
		}
		if got, want := count([]string{"b"}), all[2:4]; !slices.Equal(got, want) {
			t.Fatalf("department b: %v, want %v", got, want)
		}
		if got := count([]string{}); len(got) != 0 {
			t.Fatalf("no department: %v, want none", got)
		}
		moved, err := s.FindTaskByID(ctx, "t-04") // b, assigned
		if err != nil {
			t.Fatal(err)
		}
		moved.Status = backend.TaskAccepted
		if err := s.UpdateTask(ctx, moved); err != nil {
			t.Fatal(err)
		}
		want := []backend.TaskCount{{LeadDepartment: "b", Status: backend.TaskAccepted, Count: 1},
			{LeadDepartment: "b", Status: backend.TaskAssigned, Count: 2}, {LeadDepartment: "b", Status: backend.TaskSubmitted, Count: 1}}
		if got := count([]string{"b"}); !slices.Equal(got, want) {
			t.Fatalf("department b after a change: %v, want %v", got, want)
		}
	})
}

// TestCountOverdueTasks: open tasks due before the day are counted, on
// both store paths, per department; closed ones, those due that day or
// later and those without a due day are not.
func TestCountOverdueTasks(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.TaskStore{DB: db}
		var ts []*backend.Task
		for i, c := range []struct {
			lead   string
			status backend.TaskStatus
			due    backend.Date
		}{
			{"a", backend.TaskAssigned, "2026-03-01"},  // overdue
			{"a", backend.TaskSubmitted, "2026-03-09"}, // overdue: still open
			{"a", backend.TaskApproved, "2026-03-01"},  // closed
			{"a", backend.TaskAssigned, "2026-03-10"},  // due that day
			{"a", backend.TaskAssigned, ""},            // no due day
			{"b", backend.TaskReturned, "2026-02-01"},  // overdue, another department
		} {
			ts = append(ts, &backend.Task{ID: fmt.Sprintf("t-%02d", i), TargetID: "tg", Status: c.status, LeadDepartment: c.lead, Due: c.due,
				TeamUsers: []string{}, Items: []string{}, Departments: []string{c.lead}})
		}
		if err := s.CreateTasks(ctx, ts); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			deps []string
			want int
		}{{"All", nil, 3}, {"A", []string{"a"}, 2}, {"B", []string{"b"}, 1}, {"None", []string{}, 0}} {
			t.Run(tt.name, func(t *testing.T) {
				n, err := s.CountOverdueTasks(ctx, tt.deps, "2026-03-10")
				if err != nil {
					t.Fatal(err)
				}
				if n != tt.want {
					t.Fatalf("overdue=%d, want %d", n, tt.want)
				}
			})
		}
	})
}

// TestCountInspectorsAndPlans: the dashboard's counts of inspectors and
// plans equal the number of entries their lists give for the same
// filter, on both store paths, and follow a change.
func TestCountInspectorsAndPlans(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		ins := &mongo.InspectorStore{DB: db}
		plans := &mongo.PlanStore{DB: db}
		for i := range 9 {
			in := &backend.Inspector{ID: fmt.Sprintf("ins-%02d", i), Name: fmt.Sprint("检查员", i), DepartmentID: []string{"a", "b", "c"}[i%3],
				CertNo: fmt.Sprint("3500002026", i), CertExpiry: backend.Date(fmt.Sprintf("2026-%02d-01", 1+i)), Active: i != 4,
				Specialties: []string{}, Conflicts: []backend.Conflict{}}
			if err := ins.CreateInspector(ctx, in); err != nil {
				t.Fatal(err)
			}
			p := &backend.Plan{ID: fmt.Sprintf("2026-p-%02d", i), Year: 2025 + i%2, Name: "计划", LeadDepartment: []string{"a", "b"}[i%2],
				Departments: []string{[]string{"a", "b"}[i%2], "c"}, State: []backend.PlanState{backend.PlanDraft, backend.PlanPublished, backend.PlanDrawn}[i%3]}
			if err := plans.CreatePlan(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		active, inactive := true, false
		for _, f := range []backend.InspectorFilter{
			{}, {DepartmentIDs: []string{"a", "c"}}, {Active: &active}, {Active: &inactive},
			{Active: &active, CertExpiryTo: "2026-05-01"}, {DepartmentIDs: []string{"b"}, CertExpiryFrom: "2026-03-01", CertExpiryTo: "2026-08-15"},
			{Specialty: "food"},
		} {
			page, err := ins.FindInspectors(ctx, f, backend.PageRequest{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := ins.CountInspectors(ctx, f); err != nil || n != len(page.Items) {
				t.Errorf("inspectors %+v: counted %d (%v), listed %d", f, n, err, len(page.Items))
			}
		}
		for _, f := range []backend.PlanFilterQuery{
			{}, {Year: 2026}, {Departments: []string{"a"}}, {Departments: []string{"c"}, States: []backend.PlanState{backend.PlanPublished}},
			{PublicOnly: true}, {Year: 2025, PublicOnly: true, Departments: []string{"b"}},
		} {
			page, err := plans.FindPlans(ctx, f, backend.PageRequest{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := plans.CountPlans(ctx, f); err != nil || n != len(page.Items) {
				t.Errorf("plans %+v: counted %d (%v), listed %d", f, n, err, len(page.Items))
			}
		}
		in, err := ins.FindInspectorByID(ctx, "ins-00")
		if err != nil {
			t.Fatal(err)
		}
		in.Active = false
		if err := ins.UpdateInspector(ctx, in); err != nil {
			t.Fatal(err)
		}
		if n, err := ins.CountInspectors(ctx, backend.InspectorFilter{Active: &inactive}); err != nil || n != 2 {
			t.Fatalf("inactive after a change: %d (%v), want 2", n, err)
		}
	})
}
