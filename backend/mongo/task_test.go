package mongo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// TestTasksByLeadDepartment: the lead-department filter selects the same
// tasks from a query and from the embedded store's login index, in lists
// and in pages, combined with the other fields of the filter.
func TestTasksByLeadDepartment(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.TaskStore{DB: db}
		leads := []string{"scjg", "yjgl", "wsjk"}
		var ts []*backend.Task
		for i := range 24 {
			lead := leads[i%3]
			st := backend.TaskSubmitted
			if i%4 == 0 {
				st = backend.TaskAssigned
			}
			// Every task is joint with scjg: its departments never tell the
			// lead apart.
			ts = append(ts, &backend.Task{ID: fmt.Sprintf("t-%02d", i), LeadDepartment: lead, Departments: []string{"scjg", lead},
				Status: st, TeamUsers: []string{fmt.Sprint("u", i%2)}, Items: []string{}})
		}
		if err := s.CreateTasks(ctx, ts); err != nil {
			t.Fatal(err)
		}
		want := func(f func(*backend.Task) bool) []string {
			var out []string
			for _, tk := range ts {
				if f(tk) {
					out = append(out, tk.ID)
				}
			}
			return out
		}
		tests := []struct {
			name string
			f    backend.TaskFilter
			want []string
		}{
			{"OneLead", backend.TaskFilter{LeadDepartments: []string{"yjgl"}},
				want(func(tk *backend.Task) bool { return tk.LeadDepartment == "yjgl" })},
			{"TwoLeads", backend.TaskFilter{LeadDepartments: []string{"yjgl", "wsjk"}},
				want(func(tk *backend.Task) bool { return tk.LeadDepartment != "scjg" })},
			{"LeadAndStatus", backend.TaskFilter{LeadDepartments: []string{"scjg"}, Statuses: []backend.TaskStatus{backend.TaskSubmitted}},
				want(func(tk *backend.Task) bool { return tk.LeadDepartment == "scjg" && tk.Status == backend.TaskSubmitted })},
			{"LeadOfLogin", backend.TaskFilter{LeadDepartments: []string{"wsjk"}, TeamUser: "u1"},
				want(func(tk *backend.Task) bool { return tk.LeadDepartment == "wsjk" && tk.TeamUsers[0] == "u1" })},
			{"JointIsNotLead", backend.TaskFilter{LeadDepartments: []string{"nync"}, Departments: []string{"scjg"}}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var scanned []string
				if err := s.ScanTasks(ctx, tt.f, func(tk *backend.Task) error { scanned = append(scanned, tk.ID); return nil }); err != nil {
					t.Fatal(err)
				}
				slices.Sort(scanned)
				if !slices.Equal(scanned, tt.want) {
					t.Fatalf("ScanTasks=%v, want %v", scanned, tt.want)
				}
				var paged []string
				for p := (backend.PageRequest{Limit: 3}); ; {
					page, err := s.FindTasks(ctx, tt.f, p)
					if err != nil {
						t.Fatal(err)
					}
					for _, tk := range page.Items {
						paged = append(paged, tk.ID)
					}
					if page.NextCursor == "" {
						break
					}
					p.After = page.NextCursor
				}
				slices.Sort(paged)
				if !slices.Equal(paged, tt.want) {
					t.Fatalf("FindTasks pages=%v, want %v", paged, tt.want)
				}
			})
		}
	})
}

// TestTasksByStatusFollowWrites: a filter by status finds a task under its
// status after every write, not under a status a refused write would have
// given it, and a write under way never hides it (the embedded store's
// index counts the status being written until the write is done).
func TestTasksByStatusFollowWrites(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.TaskStore{DB: db}
		tk := &backend.Task{ID: "t-1", LeadDepartment: "scjg", Departments: []string{"scjg"}, Status: backend.TaskSubmitted, TeamUsers: []string{"u"}, Items: []string{}}
		if err := s.CreateTasks(ctx, []*backend.Task{tk}); err != nil {
			t.Fatal(err)
		}
		has := func(st backend.TaskStatus) bool {
			t.Helper()
			var ids []string
			if err := s.ScanTasks(ctx, backend.TaskFilter{Statuses: []backend.TaskStatus{st}}, func(x *backend.Task) error { ids = append(ids, x.ID); return nil }); err != nil {
				t.Fatal(err)
			}
			return slices.Contains(ids, tk.ID)
		}
		if !has(backend.TaskSubmitted) || has(backend.TaskApproved) {
			t.Fatal("a new submitted task is not (only) found as submitted")
		}
		stale := *tk
		tk.Status = backend.TaskApproved
		if err := s.UpdateTask(ctx, tk); err != nil {
			t.Fatal(err)
		}
		if has(backend.TaskSubmitted) || !has(backend.TaskApproved) {
			t.Fatal("after approval the task is not (only) found as approved")
		}
		stale.Status = backend.TaskReturned // a write on the version before: refused
		if err := s.UpdateTask(ctx, &stale); !backend.IsCode(err, backend.ECONFLICT) {
			t.Fatalf("stale write: %v, want conflict", err)
		}
		if has(backend.TaskReturned) || !has(backend.TaskApproved) {
			t.Fatal("a refused write moved the task in the status filter")
		}
	})
}
