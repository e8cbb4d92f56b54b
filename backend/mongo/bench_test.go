package mongo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// The hot paths of the directory on the store in use (the embedded FerretDB
// unless TEST_MONGODB_URI is set), at a county-sized and a city-sized
// directory. Results are in docs/benchmarks.md.
func BenchmarkTargets(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		db := mongotest.Open(b)
		s := &mongo.TargetStore{DB: db}
		seedTargets(b, s, n)
		ctx := context.Background()
		b.Run(fmt.Sprintf("LookupByID/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := s.FindTargetByID(ctx, makeUSCC(i%n)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("ListFirstPage/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := s.FindTargets(ctx, backend.TargetFilter{}, backend.PageRequest{Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("ListFiltered/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			f := backend.TargetFilter{CreditClasses: []backend.CreditClass{"C"}, RegionPrefix: "350402"}
			for i := 0; i < b.N; i++ {
				if _, err := s.FindTargets(ctx, f, backend.PageRequest{Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("UpdateByID/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				t, err := s.FindTargetByID(ctx, makeUSCC(i%n))
				if err != nil {
					b.Fatal(err)
				}
				t.Address = fmt.Sprint("地址", i)
				if err := s.UpdateTarget(ctx, t); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
