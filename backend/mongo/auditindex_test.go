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

// TestFindAuditEntries: the audit of one object is its newest entries,
// at most limit, whichever path answers (the embedded store's in-memory
// index or the query MongoDB runs), including entries appended after the
// index was built, by two logs racing for sequence numbers (a refused
// entry is listed under a number another object's entry took), and for a
// store opened again (the index built from what is stored).
func TestFindAuditEntries(t *testing.T) {
	for _, path := range []string{"FerretDB", "MongoDB"} {
		t.Run(path, func(t *testing.T) {
			ctx := context.Background()
			db := mongotest.Open(t)
			if path == "MongoDB" {
				mongo.UseMongoDBPath(db)
			}
			store := &mongo.AuditStore{DB: db}
			a, b := &backend.AuditLog{Store: store}, &backend.AuditLog{Store: store}
			appendTo := func(l *backend.AuditLog, typ, id string, n int) {
				t.Helper()
				for i := range n {
					if _, err := l.Append(ctx, backend.AuditRecord{Action: fmt.Sprintf("%s.update.%d", typ, i), ObjectType: typ, ObjectID: id}); err != nil {
						t.Fatal(err)
					}
				}
			}
			// want is the newest limit entries of the object, from a walk of
			// the whole log.
			want := func(typ, id string, limit int) []int64 {
				var seqs []int64
				if err := store.ScanAudit(ctx, func(e *backend.AuditEntry) error {
					if e.ObjectType == typ && e.ObjectID == id {
						seqs = append(seqs, e.Seq)
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				slices.Reverse(seqs)
				return seqs[:min(limit, len(seqs))]
			}
			check := func(s *mongo.AuditStore, typ, id string, limit int) {
				t.Helper()
				list, err := s.FindAuditEntries(ctx, typ, id, limit)
				if err != nil {
					t.Fatal(err)
				}
				got := []int64{}
				for _, e := range list {
					if e.ObjectType != typ || e.ObjectID != id {
						t.Fatalf("%s %s: entry %d is about %s %s", typ, id, e.Seq, e.ObjectType, e.ObjectID)
					}
					got = append(got, e.Seq)
				}
				if w := want(typ, id, limit); !slices.Equal(got, w) && !(len(got) == 0 && len(w) == 0) {
					t.Fatalf("%s %s limit %d: seqs %v, want %v", typ, id, limit, got, w)
				}
			}

			appendTo(a, "task", "t1", 3)
			appendTo(a, "target", "t1", 2) // same id, another type
			check(store, "task", "t1", 50)
			check(store, "task", "t1", 2)
			check(store, "target", "t1", 50)
			check(store, "task", "none", 50)

			// After the first read: entries of a new object and more of
			// one listed; b appends behind a's back, so a's next entry is
			// refused its sequence number and stored under the next one.
			appendTo(a, "task", "t2", 2)
			appendTo(b, "plan", "p1", 1)
			appendTo(a, "task", "t1", 2)
			appendTo(b, "task", "t1", 1)
			appendTo(a, "plan", "p1", 1)
			for _, c := range []struct {
				typ, id string
				limit   int
			}{{"task", "t1", 50}, {"task", "t1", 4}, {"task", "t2", 50}, {"plan", "p1", 50}, {"plan", "p1", 1}, {"target", "t1", 50}} {
				check(store, c.typ, c.id, c.limit)
			}

			// A store opened again builds its index from what is stored.
			again, err := mongo.Open(ctx, mongotest.URI(t), db.Database.Name())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = again.Close() })
			again.SingleProcess = path == "FerretDB"
			check(&mongo.AuditStore{DB: again}, "task", "t1", 50)
			check(&mongo.AuditStore{DB: again}, "plan", "p1", 50)
		})
	}
}
