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

func newAuditLog(t *testing.T) (*backend.AuditLog, *mongo.DB) {
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
