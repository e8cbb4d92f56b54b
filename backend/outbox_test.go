package backend_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/audittest"
)

// countKeys counts the stored entries of each key and checks the chain.
func countKeys(t *testing.T, l *backend.AuditLog) map[string]int {
	return audittest.Count(t, l, audittest.ByKey)
}

func TestAuditKeyedAppend(t *testing.T) {
	ctx := backend.WithActor(context.Background(), &backend.Actor{UserID: "alice", Role: backend.RoleManager})
	rec := func(i int) backend.AuditRecord {
		return backend.AuditRecord{Action: "task.update", ObjectType: "task", ObjectID: "T1", Key: backend.AuditKey("task", "T1", int64(i))}
	}
	t.Run("OKStoredOnce", func(t *testing.T) {
		l, _ := newAuditLog(t)
		first, err := l.Append(ctx, rec(1))
		if err != nil {
			t.Fatal(err)
		}
		again, err := l.Append(ctx, rec(1))
		if err != nil {
			t.Fatal(err)
		}
		if first.Seq != 1 || again.Seq != 0 {
			t.Fatalf("seqs %d, %d; want 1 then 0 (not chained again)", first.Seq, again.Seq)
		}
		if got := countKeys(t, l); got["task/T1/1"] != 1 || len(got) != 1 {
			t.Fatalf("keys %v, want task/T1/1 once", got)
		}
	})
	t.Run("OKDuplicatesInsideABatch", func(t *testing.T) {
		l, _ := newAuditLog(t)
		if _, err := l.Append(ctx, rec(2)); err != nil {
			t.Fatal(err)
		}
		// The stored one, one twice, and new ones after them: the batch
		// goes on past each duplicate.
		es, err := l.AppendAll(ctx, []backend.AuditRecord{rec(1), rec(2), rec(3), rec(3), rec(4), {Action: "x", ObjectType: "y", ObjectID: "z"}})
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, e := range es {
			seqs = append(seqs, e.Seq)
		}
		if want := []int64{2, 0, 3, 0, 4, 5}; fmt.Sprint(seqs) != fmt.Sprint(want) {
			t.Fatalf("seqs %v, want %v", seqs, want)
		}
		got := countKeys(t, l)
		for i := 1; i <= 4; i++ {
			if n := got[backend.AuditKey("task", "T1", int64(i))]; n != 1 {
				t.Fatalf("key %d stored %d times, want 1", i, n)
			}
		}
	})
	t.Run("OKPreparedEntryKeepsItsActorAndTime", func(t *testing.T) {
		l, _ := newAuditLog(t)
		e := l.Prepare(ctx, rec(7))
		// Appended later by a sweeper, with no actor of its own.
		if err := l.AppendEntries(context.Background(), []backend.AuditEntry{e, e}); err != nil {
			t.Fatal(err)
		}
		stored, err := l.Store.FindAuditEntry(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Actor != "alice" || !stored.Time.Equal(e.Time) || stored.Key != e.Key {
			t.Fatalf("stored actor %q time %v key %q, want alice %v %q", stored.Actor, stored.Time, stored.Key, e.Time, e.Key)
		}
		if got := countKeys(t, l); got[e.Key] != 1 {
			t.Fatalf("key stored %d times, want 1", got[e.Key])
		}
	})
	t.Run("OKConcurrentAppendersOfOneRecord", func(t *testing.T) {
		// Two instances (two logs on one store) and, in each, several
		// requests append the same records: each is chained once.
		l1, db := newAuditLog(t)
		l2 := &backend.AuditLog{Store: l1.Store, Now: l1.Now}
		_ = db
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(l *backend.AuditLog) {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					if _, err := l.Append(ctx, rec(i)); err != nil {
						t.Error(err)
						return
					}
				}
			}([]*backend.AuditLog{l1, l2}[w%2])
		}
		wg.Wait()
		got := countKeys(t, l1)
		for i := 0; i < 20; i++ {
			if n := got[backend.AuditKey("task", "T1", int64(i))]; n != 1 {
				t.Fatalf("key %d stored %d times, want 1", i, n)
			}
		}
	})
}
