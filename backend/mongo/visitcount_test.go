package mongo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// TestVisitCounts: increments add up per year, kind and enterprise or
// officer, and the lists come most first (ties by id) from the embedded
// store's index and from MongoDB's sorted query alike, also when counted
// before the index was built.
func TestVisitCounts(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.VisitCountStore{DB: db}
		add := func(year int, kind, ref string, visits, checkIns, unplanned int) {
			t.Helper()
			if err := s.AddVisitCounts(ctx, []backend.VisitCountIncrement{{Year: year, Kind: kind, Ref: ref, Name: "名" + ref, Visits: visits, CheckIns: checkIns, Unplanned: unplanned}}); err != nil {
				t.Fatal(err)
			}
		}
		top := func(year int, kind string, limit int) []string {
			t.Helper()
			list, err := s.TopVisitCounts(ctx, year, kind, limit)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range list {
				out = append(out, c.Ref)
			}
			return out
		}
		add(2026, backend.CountTarget, "A", 1, 2, 0) // before the index is built
		add(2026, backend.CountTarget, "B", 1, 1, 1)
		if got := top(2026, backend.CountTarget, 10); !slices.Equal(got, []string{"A", "B"}) {
			t.Fatalf("ties by id: %v", got)
		}
		add(2026, backend.CountTarget, "B", 1, 1, 1)
		add(2026, backend.CountTarget, "B", 0, 1, 0)
		add(2025, backend.CountTarget, "C", 9, 9, 0)
		add(2026, backend.CountInspector, "ins-1", 0, 1, 0)
		add(2026, backend.CountInspector, "ins-2", 3, 3, 3)
		if got := top(2026, backend.CountTarget, 10); !slices.Equal(got, []string{"B", "A"}) {
			t.Fatalf("targets of 2026 %v, want B (2 visits) then A", got)
		}
		if got := top(2026, backend.CountTarget, 1); !slices.Equal(got, []string{"B"}) {
			t.Fatalf("limit 1: %v", got)
		}
		if got := top(2026, backend.CountInspector, 10); !slices.Equal(got, []string{"ins-2", "ins-1"}) {
			t.Fatalf("inspectors by check-ins %v", got)
		}
		if got := top(2024, backend.CountTarget, 10); len(got) != 0 {
			t.Fatalf("2024: %v, want none", got)
		}
		list, err := s.TopVisitCounts(ctx, 2026, backend.CountTarget, 1)
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.TopVisitCounts(ctx, 2026, backend.CountTarget, 10)
		if err != nil {
			t.Fatal(err)
		}
		if a := all[1]; a.Ref != "A" || a.Visits != 1 || a.CheckIns != 2 || a.Name != "名A" || a.UpdatedAt.Before(time.Now().Add(-time.Hour)) {
			t.Fatalf("count of A, read when the index was built: %+v", a)
		}
		b := list[0]
		if b.Visits != 2 || b.CheckIns != 3 || b.Unplanned != 2 || b.Name != "名B" || b.Year != 2026 || b.UpdatedAt.Before(time.Now().Add(-time.Hour)) {
			t.Fatalf("count of B %+v", b)
		}
	})
}
