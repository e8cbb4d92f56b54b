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
