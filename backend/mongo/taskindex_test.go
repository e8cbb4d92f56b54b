package mongo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestScanTasksOfLogin: a login's tasks come out the same from the
// embedded store's in-memory index and from a query, before and after a
// reassignment, with the filter's other fields applied.
func TestScanTasksOfLogin(t *testing.T) {
	for _, path := range []string{"FerretDB", "MongoDB"} {
		t.Run(path, func(t *testing.T) {
			db := mongotest.Open(t)
			if path == "MongoDB" {
				mongo.UseMongoDBPath(db)
			}
			ctx := context.Background()
			s := &mongo.TaskStore{DB: db}
			var ts []*backend.Task
			for i := range 30 {
				ts = append(ts, &backend.Task{ID: fmt.Sprintf("t-%02d", i), TargetID: fmt.Sprint("tg", i%3), Status: backend.TaskAssigned,
					TeamUsers: []string{fmt.Sprint("u", i%3), fmt.Sprint("u", 3+i%2)}, Items: []string{}, Departments: []string{"d"}})
			}
			if err := s.CreateTasks(ctx, ts); err != nil {
				t.Fatal(err)
			}
			ids := func(f backend.TaskFilter) []string {
				var out []string
				if err := s.ScanTasks(ctx, f, func(t *backend.Task) error { out = append(out, t.ID); return nil }); err != nil {
					t.Fatal(err)
				}
				slices.Sort(out)
				return out
			}
			if got := ids(backend.TaskFilter{TeamUser: "u1"}); len(got) != 10 || got[0] != "t-01" {
				t.Fatalf("u1 has %v", got)
			}
			if got := ids(backend.TaskFilter{TeamUser: "u3", TargetID: "tg0"}); !slices.Equal(got, []string{"t-00", "t-06", "t-12", "t-18", "t-24"}) {
				t.Fatalf("u3 at tg0: %v", got)
			}
			// t-01 goes from u1 to u9: u1 no longer sees it, u9 does.
			t1, _ := s.FindTaskByID(ctx, "t-01")
			t1.TeamUsers = []string{"u9", "u4"}
			if err := s.UpdateTask(ctx, t1); err != nil {
				t.Fatal(err)
			}
			if got := ids(backend.TaskFilter{TeamUser: "u1"}); len(got) != 9 || slices.Contains(got, "t-01") {
				t.Fatalf("u1 after the reassignment: %v", got)
			}
			if got := ids(backend.TaskFilter{TeamUser: "u9"}); !slices.Equal(got, []string{"t-01"}) {
				t.Fatalf("u9: %v", got)
			}
			if got := ids(backend.TaskFilter{TeamUser: "u9", Statuses: []backend.TaskStatus{backend.TaskCancelled}}); len(got) != 0 {
				t.Fatalf("u9's cancelled tasks: %v", got)
			}
		})
	}
}
