package mongo_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// TestScanTasksOfLogin: a login's tasks come out the same from the
// embedded store's in-memory index and from a query, before and after a
// reassignment, with the filter's other fields applied.
func TestScanTasksOfLogin(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
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
		// Pages of a login's tasks cover each once, in order.
		var paged []string
		for p := (backend.PageRequest{Limit: 4}); ; {
			page, err := s.FindTasks(ctx, backend.TaskFilter{TeamUser: "u3"}, p)
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
		if want := ids(backend.TaskFilter{TeamUser: "u3"}); !slices.Equal(paged, want) || len(want) != 15 {
			t.Fatalf("pages of u3: %v, want %v (15)", paged, want)
		}
	})
}

// TestCheckInsOfTaskAndTarget: the same answers from the embedded store's
// in-memory index and from a query.
func TestCheckInsOfTaskAndTarget(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.CheckInStore{DB: db}
		day := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
		for i := range 12 {
			c := &backend.CheckIn{ID: fmt.Sprintf("ci-%02d", i), TaskID: fmt.Sprint("task", i%3), TargetID: fmt.Sprint("tg", i%2),
				DeviceTime: day.AddDate(0, 0, i), Flags: []string{}}
			if err := s.CreateCheckIn(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		ofTask, err := s.FindCheckInsOfTask(ctx, "task1")
		if err != nil || len(ofTask) != 4 {
			t.Fatalf("task1: %d check-ins, %v; want 4", len(ofTask), err)
		}
		recent, err := s.FindCheckInsOfTarget(ctx, "tg0", day.AddDate(0, 0, 6))
		if err != nil || len(recent) != 3 { // days 6, 8, 10
			t.Fatalf("tg0 since day 6: %d, %v; want 3", len(recent), err)
		}
		if none, err := s.FindCheckInsOfTask(ctx, "task9"); err != nil || len(none) != 0 {
			t.Fatalf("task9: %v %v", none, err)
		}
	})
}

// TestFindTasksByBatchMemberPlanningDue: the task list's filters (batch,
// team member, unplanned, due before) select the same tasks from the
// embedded store's index and from a query.
func TestFindTasksByBatchMemberPlanningDue(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.TaskStore{DB: db}
		var ts []*backend.Task
		for i := range 24 {
			tk := &backend.Task{ID: fmt.Sprintf("t-%02d", i), TargetID: fmt.Sprint("tg", i), Status: backend.TaskAssigned,
				Random: i%4 != 0, Batch: fmt.Sprint("第", 1+i%2, "批"), Due: backend.Date(fmt.Sprintf("2026-03-%02d", 1+i)),
				Team: []string{fmt.Sprint("ins-", i%3), "ins-9"}, TeamUsers: []string{}, Items: []string{}, Departments: []string{"d"}}
			if !tk.Random {
				tk.Batch = "ad-hoc"
			}
			ts = append(ts, tk)
		}
		if err := s.CreateTasks(ctx, ts); err != nil {
			t.Fatal(err)
		}
		// Pages of 1, 2 and 5 (the embedded store reads its index in
		// batches from the page's size on: pages that cross them) give
		// the same tasks, each once, in id order.
		count := func(f backend.TaskFilter) int {
			var first []string
			for _, limit := range []int{1, 2, 5} {
				var ids []string
				for p := (backend.PageRequest{Limit: limit}); ; {
					page, err := s.FindTasks(ctx, f, p)
					if err != nil {
						t.Fatal(err)
					}
					for _, tk := range page.Items {
						if len(ids) > 0 && tk.ID <= ids[len(ids)-1] {
							t.Fatalf("%+v, pages of %d: %s after %s", f, limit, tk.ID, ids[len(ids)-1])
						}
						ids = append(ids, tk.ID)
					}
					if page.NextCursor == "" {
						break
					}
					p.After = page.NextCursor
				}
				if first != nil && !slices.Equal(ids, first) {
					t.Fatalf("%+v: pages of %d give %v, pages of 1 %v", f, limit, ids, first)
				}
				first = ids
			}
			return len(first)
		}
		for _, c := range []struct {
			name string
			f    backend.TaskFilter
			want int
		}{
			{"Batch", backend.TaskFilter{Batch: "第2批"}, 12},        // odd i; none of them ad-hoc
			{"BatchAdHoc", backend.TaskFilter{Batch: "ad-hoc"}, 6}, // i%4 == 0
			{"Member", backend.TaskFilter{Member: "ins-1"}, 8},
			{"MemberOfAll", backend.TaskFilter{Member: "ins-9"}, 24},
			{"Unplanned", backend.TaskFilter{Unplanned: true}, 6},
			{"DueBefore", backend.TaskFilter{DueBefore: "2026-03-11"}, 10},
			{"UnplannedDueBefore", backend.TaskFilter{Unplanned: true, DueBefore: "2026-03-11"}, 3}, // i = 0, 4, 8
			{"None", backend.TaskFilter{Member: "ins-7"}, 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := count(c.f); got != c.want {
					t.Fatalf("%+v selects %d tasks, want %d", c.f, got, c.want)
				}
			})
		}
	})
}

// TestFindTasksByDue: pages in (due day, id) order cover every matching
// task once, in that order, on both paths; a bad cursor is EINVALID.
func TestFindTasksByDue(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.TaskStore{DB: db}
		var ts []*backend.Task
		for i := range 23 {
			ts = append(ts, &backend.Task{ID: fmt.Sprintf("t-%02d", i), TargetID: fmt.Sprint("tg", i), Status: backend.TaskAssigned,
				Due: backend.Date(fmt.Sprintf("2026-04-%02d", 1+(i*7)%5)), Random: i%2 == 0,
				TeamUsers: []string{}, Items: []string{}, Departments: []string{"d"}})
		}
		if err := s.CreateTasks(ctx, ts); err != nil {
			t.Fatal(err)
		}
		for _, f := range []backend.TaskFilter{{OrderByDue: true}, {OrderByDue: true, Unplanned: true}} {
			var got []*backend.Task
			for p := (backend.PageRequest{Limit: 4}); ; {
				page, err := s.FindTasks(ctx, f, p)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page.Items...)
				if page.NextCursor == "" {
					break
				}
				p.After = page.NextCursor
			}
			want := 23
			if f.Unplanned {
				want = 11
			}
			if len(got) != want {
				t.Fatalf("%+v: %d tasks, want %d", f, len(got), want)
			}
			if !slices.IsSortedFunc(got, func(a, b *backend.Task) int {
				if a.Due != b.Due {
					return strings.Compare(string(a.Due), string(b.Due))
				}
				return strings.Compare(a.ID, b.ID)
			}) {
				t.Fatalf("%+v: not in (due, id) order", f)
			}
		}
		if _, err := s.FindTasks(ctx, backend.TaskFilter{OrderByDue: true}, backend.PageRequest{After: "t-03"}); !backend.IsCode(err, backend.EINVALID) {
			t.Fatalf("an id as the cursor of a due order: %v, want EINVALID", err)
		}
	})
}
