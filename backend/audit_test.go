package backend_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

func newAuditLog(t *testing.T) (*backend.AuditLog, *mongo.DB) { return newAuditLogTB(t) }

func newAuditLogTB(t testing.TB) (*backend.AuditLog, *mongo.DB) {
	t.Helper()
	db := mongotest.Open(t)
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: func() time.Time { clock = clock.Add(time.Second); return clock }}, db
}

func appendN(t *testing.T, l *backend.AuditLog, n int) {
	t.Helper()
	ctx := backend.WithActor(context.Background(), &backend.Actor{UserID: "alice", Role: backend.RoleManager, ClientAddr: "10.0.0.1"})
	for i := 0; i < n; i++ {
		if _, err := l.Append(ctx, backend.AuditRecord{Action: "target.update", ObjectType: "target", ObjectID: fmt.Sprint("t", i), Change: map[string]int{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditVerify(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(ctx context.Context, db *mongo.DB) error
		bad    int64 // first bad seq; 0 = intact
		reason string
	}{
		{"OK", func(context.Context, *mongo.DB) error { return nil }, 0, ""},
		{"ErrEditedField", func(ctx context.Context, db *mongo.DB) error {
			_, err := db.Database.Collection("audit").UpdateOne(ctx, bson.D{{Key: "seq", Value: int64(3)}}, bson.D{{Key: "$set", Value: bson.D{{Key: "actor", Value: "mallory"}}}})
			return err
		}, 3, "altered"},
		{"ErrEditedAndRehashed", func(ctx context.Context, db *mongo.DB) error {
			// Recomputing the edited entry's own hash does not help: the next
			// entry still links to the old one.
			var e backend.AuditEntry
			c := db.Database.Collection("audit")
			if err := c.FindOne(ctx, bson.D{{Key: "seq", Value: int64(2)}}).Decode(&e); err != nil {
				return err
			}
			e.Outcome = "denied"
			e.Hash = e.ComputeHash()
			_, err := c.ReplaceOne(ctx, bson.D{{Key: "seq", Value: int64(2)}}, &e)
			return err
		}, 3, "does not link"},
		{"ErrDeletedMiddle", func(ctx context.Context, db *mongo.DB) error {
			_, err := db.Database.Collection("audit").DeleteOne(ctx, bson.D{{Key: "seq", Value: int64(4)}})
			return err
		}, 4, "missing"},
		{"ErrDeletedLast", func(ctx context.Context, db *mongo.DB) error {
			_, err := db.Database.Collection("audit").DeleteOne(ctx, bson.D{{Key: "seq", Value: int64(6)}})
			return err
		}, 6, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, db := newAuditLog(t)
			appendN(t, l, 6)
			ctx := context.Background()
			if err := tt.tamper(ctx, db); err != nil {
				t.Fatal(err)
			}
			n, problem, err := l.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tt.bad == 0 {
				if problem != nil || n != 6 {
					t.Fatalf("Verify()=(%d, %v), want (6, nil)", n, problem)
				}
				return
			}
			if problem == nil {
				t.Fatalf("Verify() found no problem, want entry %d", tt.bad)
			}
			if problem.Seq != tt.bad || !strings.Contains(problem.Reason, tt.reason) {
				t.Fatalf("problem=%v, want seq %d with %q", problem, tt.bad, tt.reason)
			}
		})
	}
}

// TestAuditConcurrentAppend appends from many goroutines, each with its own
// connection-level view of the head, as several server instances would. The
// chain must come out gapless and intact.
func TestAuditConcurrentAppend(t *testing.T) {
	l, _ := newAuditLog(t)
	var wg sync.WaitGroup
	const workers, each = 8, 10
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ctx := backend.WithActor(context.Background(), &backend.Actor{UserID: fmt.Sprint("u", w), Role: backend.RoleAdmin})
			for i := 0; i < each; i++ {
				if _, err := l.Append(ctx, backend.AuditRecord{Action: "x", ObjectType: "t", ObjectID: fmt.Sprint(w, "-", i)}); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n, problem, err := l.Verify(context.Background())
	if err != nil || problem != nil || n != workers*each {
		t.Fatalf("Verify()=(%d, %v, %v), want (%d, nil, nil)", n, problem, err, workers*each)
	}
}

// TestAuditRecoversFromStalledHead simulates an instance that stored an
// entry and died before advancing the head: the next append must link after
// that entry, not overwrite or fork it.
func TestAuditRecoversFromStalledHead(t *testing.T) {
	l, db := newAuditLog(t)
	appendN(t, l, 2)
	ctx := context.Background()
	head, err := l.Store.FindAuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orphan := &backend.AuditEntry{Seq: head.Seq + 1, Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Actor: "ghost", Action: "x", Outcome: "ok", PrevHash: head.Hash}
	orphan.Hash = orphan.ComputeHash()
	if err := l.Store.InsertAuditEntry(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 1)
	n, problem, err := l.Verify(ctx)
	if err != nil || problem != nil || n != 4 {
		t.Fatalf("Verify()=(%d, %v, %v), want (4, nil, nil)", n, problem, err)
	}
	var last backend.AuditEntry
	if err := db.Database.Collection("audit").FindOne(ctx, bson.D{{Key: "seq", Value: int64(4)}}).Decode(&last); err != nil {
		t.Fatal(err)
	}
	if last.PrevHash != orphan.Hash {
		t.Fatalf("entry 4 links to %s, want the orphan %s", last.PrevHash, orphan.Hash)
	}
}

// Two instances (two AuditLogs on one store), each with many requests
// appending at once: the group commits of both interleave into one intact
// chain, every record once, each caller told its own entry.
func TestAuditGroupCommitTwoInstances(t *testing.T) {
	a, db := newAuditLog(t)
	b := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: time.Now}
	const workers, each = 40, 5
	var mu sync.Mutex
	seqs := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*each)
	for _, l := range []*backend.AuditLog{a, b} {
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(l *backend.AuditLog, w int) {
				defer wg.Done()
				ctx := backend.WithActor(context.Background(), &backend.Actor{UserID: fmt.Sprint("u", w), Role: backend.RoleAdmin})
				for i := 0; i < each; i++ {
					id := fmt.Sprintf("%p-%d-%d", l, w, i)
					e, err := l.Append(ctx, backend.AuditRecord{Action: "x", ObjectType: "t", ObjectID: id})
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					if other, dup := seqs[e.Seq]; dup {
						errs <- fmt.Errorf("seq %d returned for %s and %s", e.Seq, other, id)
					}
					seqs[e.Seq] = id
					mu.Unlock()
				}
			}(l, w)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c, problem, err := a.Check(context.Background())
	if err != nil || problem != nil || c.Entries != 2*workers*each {
		t.Fatalf("Check()=(%+v, %v, %v), want %d intact entries", c, problem, err, 2*workers*each)
	}
	for seq, id := range seqs {
		got, err := a.Store.FindAuditEntry(context.Background(), seq)
		if err != nil || got.ObjectID != id {
			t.Fatalf("entry %d is %+v (%v), want the one returned for %s", seq, got, err, id)
		}
	}
}

// orphanOnInsert is the real store, into which another instance slips an
// entry while a batch is being inserted: the batch's first two entries get
// in, its third seq is taken.
type orphanOnInsert struct {
	*mongo.AuditStore
	once sync.Once
}

func (s *orphanOnInsert) InsertAuditEntries(ctx context.Context, entries []*backend.AuditEntry) (int, error) {
	var err error
	if len(entries) >= 3 {
		s.once.Do(func() {
			orphan := &backend.AuditEntry{Seq: entries[2].Seq, Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Actor: "ghost", Action: "x", Outcome: "ok", PrevHash: entries[1].Hash}
			orphan.Hash = orphan.ComputeHash()
			err = s.AuditStore.InsertAuditEntry(ctx, orphan)
		})
	}
	if err != nil {
		return 0, err
	}
	return s.AuditStore.InsertAuditEntries(ctx, entries)
}

func TestAuditBatchCutByAnotherInstance(t *testing.T) {
	db := mongotest.Open(t)
	l := &backend.AuditLog{Store: &orphanOnInsert{AuditStore: &mongo.AuditStore{DB: db}}, Now: time.Now}
	appendN(t, l, 1)
	// Five records in one batch: the first two are stored, the third's seq
	// is taken by the other instance, and the rest chain after its entry.
	var rs []backend.AuditRecord
	for i := 0; i < 5; i++ {
		rs = append(rs, backend.AuditRecord{Action: "x", ObjectType: "t", ObjectID: fmt.Sprint(i)})
	}
	list, err := l.AppendAll(context.Background(), rs)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, e := range list {
		seqs = append(seqs, e.Seq)
	}
	if fmt.Sprint(seqs) != "[2 3 5 6 7]" {
		t.Fatalf("the batch's entries got seqs %v, want [2 3 5 6 7] around the other instance's 4", seqs)
	}
	c, problem, err := l.Check(context.Background())
	if err != nil || problem != nil || c.Entries != 7 {
		t.Fatalf("Check()=(%+v, %v, %v), want 7 intact entries", c, problem, err)
	}
	if e, err := l.Store.FindAuditEntry(context.Background(), 4); err != nil || e.Actor != "ghost" {
		t.Fatalf("entry 4 = %+v, %v; want the other instance's", e, err)
	}
}
