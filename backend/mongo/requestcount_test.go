package mongo_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestCountRequest: on the embedded store's one process the requests are
// counted per window in memory (nothing written to the store); on the
// MongoDB path they are counted in the store, where every instance sees
// them.
func TestCountRequest(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 10, 0, 30, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		mongoDB bool
		inStore int // what the store's counter reads after three requests
	}{
		{"OK/InMemoryOnTheEmbeddedStore", false, 0},
		{"OK/InTheStoreOnMongoDB", true, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := mongotest.Open(t)
			if tt.mongoDB {
				mongo.UseMongoDBPath(db)
			} else if !db.SingleProcess {
				t.Skip("not the embedded store:", mongotest.String())
			}
			s := &mongo.ThrottleStore{DB: db}
			for want := 1; want <= 3; want++ {
				n, err := s.CountRequest(ctx, "portal:10.0.0.1", time.Minute, at.Add(time.Duration(want)*time.Second))
				if err != nil || n != want {
					t.Fatalf("request %d: count %d, %v", want, n, err)
				}
			}
			if n, err := s.CountRequest(ctx, "portal:10.0.0.2", time.Minute, at); err != nil || n != 1 {
				t.Fatalf("another address: %d, %v; want 1", n, err)
			}
			if n, err := s.CountRequest(ctx, "portal:10.0.0.1", time.Minute, at.Add(time.Minute)); err != nil || n != 1 {
				t.Fatalf("the next window: %d, %v; want 1", n, err)
			}
			if n, err := s.AddThrottle(ctx, "portal:10.0.0.1", time.Minute, at, 0); err != nil || n != tt.inStore {
				t.Fatalf("the store's counter: %d, %v; want %d", n, err, tt.inStore)
			}
		})
	}
}
