package mongo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// BenchmarkOversightLists: the oversight office's two lists on the store
// in use, at a county's year — 20,000 check-ins of which 200 made without
// a task, and counts for 10,000 enterprises and 100 officers — serially
// and with 4 clients at once. Their cost follows the 200 and the 10,100,
// not the 20,000. Results are in docs/benchmarks.md.
func BenchmarkOversightLists(b *testing.B) {
	db := mongotest.Open(b)
	ctx := context.Background()
	const checkIns, unplanned, targets, officers = 20000, 200, 10000, 100
	year := time.Now().In(backend.China).Year()
	now := time.Now().UTC().Truncate(time.Millisecond)
	var docs []any
	flush := func(col string) {
		if len(docs) == 0 {
			return
		}
		if _, err := db.Database.Collection(col).InsertMany(ctx, docs); err != nil {
			b.Fatal(err)
		}
		docs = docs[:0]
	}
	for i := range checkIns {
		c := &backend.CheckIn{ID: fmt.Sprintf("ci-%06d", i), TargetID: makeUSCC(i % targets), InspectorID: fmt.Sprintf("ins-%03d", i%officers),
			TaskID: fmt.Sprintf("task-%06d", i/2), DeviceTime: now.Add(-time.Duration(i) * time.Minute), ServerTime: now.Add(-time.Duration(i) * time.Minute), Flags: []string{}}
		if i%(checkIns/unplanned) == 0 {
			c.TaskID, c.Reason, c.Reference = "", backend.ReasonComplaint, fmt.Sprint("12315-", i)
		}
		docs = append(docs, c)
		if len(docs) == 1000 {
			flush("checkins")
		}
	}
	flush("checkins")
	for i := range targets + officers {
		kind, ref := backend.CountTarget, makeUSCC(i)
		if i >= targets {
			kind, ref = backend.CountInspector, fmt.Sprintf("ins-%03d", i-targets)
		}
		docs = append(docs, &backend.VisitCount{ID: backend.VisitCountID(year, kind, ref), Year: year, Kind: kind, Ref: ref, Name: ref,
			Visits: 1 + i%7, CheckIns: 2 + i%11, UpdatedAt: now})
		if len(docs) == 1000 {
			flush("visit_counts")
		}
	}
	flush("visit_counts")
	cs, vc := &mongo.CheckInStore{DB: db}, &mongo.VisitCountStore{DB: db}
	since := time.Date(year, 1, 1, 0, 0, 0, 0, backend.China)
	until := since.AddDate(1, 0, 0)
	lists := []struct {
		name string
		run  func() (int, error)
	}{
		{"UnplannedCheckIns", func() (int, error) {
			l, err := cs.FindUnplannedCheckIns(ctx, since, until, backend.MaxUnplannedList+1)
			return len(l), err
		}},
		{"TopEnterprises", func() (int, error) {
			l, err := vc.TopVisitCounts(ctx, year, backend.CountTarget, 20)
			return len(l), err
		}},
		{"TopOfficers", func() (int, error) {
			l, err := vc.TopVisitCounts(ctx, year, backend.CountInspector, 20)
			return len(l), err
		}},
	}
	for _, l := range lists {
		// The first call builds the embedded store's indexes.
		if n, err := l.run(); err != nil || n == 0 {
			b.Fatalf("%s: %d, %v", l.name, n, err)
		}
		b.Run(l.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(l.name+"/4clients", func(b *testing.B) {
			b.SetParallelism(2) // GOMAXPROCS 2: 4 goroutines
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := l.run(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
