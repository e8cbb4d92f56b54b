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

// TestBothPaths runs the same store behaviour through the FerretDB path
// (lock-read-check-write, offset cursors, in-memory target index) and the
// MongoDB path (conditions in the update filter, _id cursors).
func TestBothPaths(t *testing.T) {
	for _, path := range []string{"FerretDB", "MongoDB"} {
		t.Run(path, func(t *testing.T) {
			db := mongotest.Open(t)
			onFerret := db.IsFerretDB()
			if path == "MongoDB" {
				mongo.UseMongoDBPath(db)
			}
			ctx := context.Background()
			s := &mongo.TargetStore{DB: db}
			seedTargets(t, s, 25)

			// The MongoDB path puts conditions into update filters and relies
			// on the server to apply filter and update atomically. FerretDB
			// does not (its filtered update reads, then writes: concurrent
			// writers holding one version were seen to win together), which
			// is why it has a path of its own. So the conditional
			// writes below are checked on the FerretDB path here, and on the
			// MongoDB path only against a real MongoDB (TEST_MONGODB_URI).
			casChecks := path == "FerretDB" || !onFerret
			results := make(chan error, 6)
			for w := 0; casChecks && w < 6; w++ {
				go func(w int) {
					tg := makeTarget(3)
					tg.Version, tg.Name = 1, fmt.Sprint("writer ", w)
					results <- s.UpdateTarget(ctx, tg)
				}(w)
			}
			wins := 0
			for w := 0; casChecks && w < 6; w++ {
				if err := <-results; err == nil {
					wins++
				} else if !backend.IsCode(err, backend.ECONFLICT) {
					t.Fatal(err)
				}
			}
			if casChecks && wins != 1 {
				t.Fatalf("%d writers won, want 1", wins)
			}

			// Pages cover every match once, whatever the cursor is.
			got := pageIDs(t, s, backend.TargetFilter{CreditClasses: []backend.CreditClass{"A"}}, 4)
			var want []string
			for i := 0; i < 25; i++ {
				if makeTarget(i).CreditClass == "A" {
					want = append(want, makeUSCC(i))
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pages gave %d ids, want %d", len(got), len(want))
			}

			if !casChecks {
				return
			}
			// A refresh token is spent once; a session is revoked once.
			tok := &mongo.TokenStore{DB: db}
			if err := tok.CreateRefreshToken(ctx, &backend.RefreshToken{ID: "rt1", Family: "f", UserID: "u"}); err != nil {
				t.Fatal(err)
			}
			if err := tok.UseRefreshToken(ctx, "rt1", db.Now(), "rt2"); err != nil {
				t.Fatal(err)
			}
			if spent, err := tok.FindRefreshToken(ctx, "rt1"); err != nil || spent.UsedAt == nil || spent.Successor != "rt2" {
				t.Fatalf("spent token %+v, %v: want used, successor rt2", spent, err)
			}
			if err := tok.UseRefreshToken(ctx, "rt1", db.Now(), "rt2"); !backend.IsCode(err, backend.ECONFLICT) {
				t.Fatalf("second use: %v, want conflict", err)
			}

			// The audit chain appends and verifies on both paths.
			l := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: db.Now}
			for i := 0; i < 5; i++ {
				if _, err := l.Append(ctx, backend.AuditRecord{Action: "x", ObjectType: "t", ObjectID: fmt.Sprint(i)}); err != nil {
					t.Fatal(err)
				}
			}
			if n, problem, err := l.Verify(ctx); err != nil || problem != nil || n != 5 {
				t.Fatalf("Verify=(%d, %v, %v)", n, problem, err)
			}
		})
	}
}

// onBothPaths runs f on a fresh store through the FerretDB path and the
// MongoDB path (see TestBothPaths).
func onBothPaths(t *testing.T, f func(t *testing.T, db *mongo.DB)) {
	for _, path := range []string{"FerretDB", "MongoDB"} {
		t.Run(path, func(t *testing.T) {
			db := mongotest.Open(t)
			if path == "MongoDB" {
				mongo.UseMongoDBPath(db)
			}
			f(t, db)
		})
	}
}
