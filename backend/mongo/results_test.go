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

// TestPublishedResultsOf: the results of many targets read at once (a
// phone's download page) are those PublishedResults gives one target at a
// time, newest first, an empty list for a target without any and for an
// id asked twice the same, on the embedded store's direct reads and on the
// query MongoDB answers (in batches of more ids than one query takes).
func TestPublishedResultsOf(t *testing.T) {
	ctx := context.Background()
	db := mongotest.Open(t)
	other, err := mongo.Open(ctx, mongotest.URI(t), db.Database.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	mongo.UseMongoDBPath(other)
	direct := &mongo.PublishedResultStore{DB: db}
	day := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 620 {
		ids = append(ids, fmt.Sprintf("T%04d", i))
		for k := range i % 3 { // none, one or two results
			r := backend.PublishedResult{TaskID: fmt.Sprintf("task-%d-%d", i, k), Code: backend.ResultNoProblem, Label: "未发现问题",
				Items: []string{"SCJG-03"}, Departments: []string{"scjg"}, PublishedAt: day.Add(time.Duration(k) * time.Hour)}
			if err := direct.AddPublishedResult(ctx, ids[i], r); err != nil {
				t.Fatal(err)
			}
		}
	}
	ask := append(append([]string{}, ids...), "T0004", "nobody")
	for _, tt := range []struct {
		name  string
		store *mongo.PublishedResultStore
	}{{"Embedded", direct}, {"MongoDBQuery", &mongo.PublishedResultStore{DB: other}}} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.store.PublishedResultsOf(ctx, ask)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(ids)+1 {
				t.Fatalf("%d targets answered, want %d", len(got), len(ids)+1)
			}
			if rs, ok := got["nobody"]; !ok || rs == nil || len(rs) != 0 {
				t.Fatalf("a target without results: %v (present %v), want an empty list", rs, ok)
			}
			for i, id := range ids {
				one, err := direct.PublishedResults(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				rs := got[id]
				if len(rs) != i%3 || len(one) != len(rs) {
					t.Fatalf("%s: %d results, one at a time %d, want %d", id, len(rs), len(one), i%3)
				}
				for k := range rs {
					if rs[k].TaskID != one[k].TaskID {
						t.Fatalf("%s: result %d is %s, one at a time %s", id, k, rs[k].TaskID, one[k].TaskID)
					}
				}
				if len(rs) == 2 && !rs[0].PublishedAt.After(rs[1].PublishedAt) {
					t.Fatalf("%s: not newest first: %v", id, rs)
				}
			}
		})
	}
}
