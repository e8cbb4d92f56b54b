package mongo_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestDrawRecordPieces: a record of several pieces comes back byte for
// byte, read straight from SQLite on the embedded store and through the
// driver on the MongoDB path; a shorter record replacing it leaves no
// piece behind.
func TestDrawRecordPieces(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		setup func(*mongo.DB)
	}{{"Store", func(*mongo.DB) {}}, {"MongoDBPath", mongo.UseMongoDBPath}} {
		t.Run(c.name, func(t *testing.T) {
			db := mongotest.Open(t)
			c.setup(db)
			s := &mongo.DrawStore{DB: db}
			rng := rand.New(rand.NewPCG(1, 2))
			long := make([]byte, 9<<20+12345) // three pieces
			for i := range long {
				long[i] = byte(rng.Uint32())
			}
			short := []byte(`{"selected":[]}`)
			for _, data := range [][]byte{long, short} {
				if err := s.SaveDrawRecord(ctx, "2026-scjg-x-v1-d1", data); err != nil {
					t.Fatal(err)
				}
				got, err := s.LoadDrawRecord(ctx, "2026-scjg-x-v1-d1")
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("loaded %d bytes (%v), want the %d saved", len(got), err, len(data))
				}
			}
			if _, err := s.LoadDrawRecord(ctx, "2026-scjg-y-v1-d1"); err == nil {
				t.Fatal("a record never saved was found")
			}
		})
	}
}
