package mongo_test

import (
	"context"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// TestRatingFilter: the oversight office's rating filters select by
// enterprise, by the self-rating flag and by a disputed visit, alone and
// together, on both store paths.
func TestRatingFilter(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.RatingStore{DB: db}
		a, b := makeUSCC(1), makeUSCC(2)
		for _, r := range []*backend.Rating{
			{ID: "t1", TaskID: "t1", Seq: 1, TargetID: a, Happened: true, Conduct: 5, Professionalism: 5, Burden: 5, Channel: backend.RatingByInspectionCode, Flags: []string{}},
			{ID: "t2", TaskID: "t2", Seq: 1, TargetID: a, Happened: false, Conduct: 1, Professionalism: 1, Burden: 1, Channel: backend.RatingByLicenceCode, Flags: []string{backend.FlagSuspectedSelfRating}},
			{ID: "t3", TaskID: "t3", Seq: 1, TargetID: b, Happened: true, Conduct: 4, Professionalism: 4, Burden: 4, Channel: backend.RatingByInspectionCode, Flags: []string{backend.FlagSuspectedSelfRating}},
		} {
			if err := s.CreateRating(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name string
			f    backend.RatingFilter
			want []string
		}{
			{"OK/All", backend.RatingFilter{}, []string{"t1", "t2", "t3"}},
			{"OK/Target", backend.RatingFilter{TargetID: a}, []string{"t1", "t2"}},
			{"OK/Flagged", backend.RatingFilter{Flagged: true}, []string{"t2", "t3"}},
			{"OK/Disputed", backend.RatingFilter{Disputed: true}, []string{"t2"}},
			{"OK/TargetFlagged", backend.RatingFilter{TargetID: b, Flagged: true}, []string{"t3"}},
			{"OK/None", backend.RatingFilter{TargetID: b, Disputed: true}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				page, err := s.FindRatings(ctx, tc.f, backend.PageRequest{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range page.Items {
					got = append(got, r.ID)
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("ids %v, want %v", got, tc.want)
				}
			})
		}
	})
}
