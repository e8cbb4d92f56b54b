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
