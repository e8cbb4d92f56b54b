package mongo_test

import (
	"context"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestSweepBacklogKeptWithTheWrites: on the embedded store (one writer)
// the backlog's task marks are kept with the writes once the first sweep
// has read those of the process before: through a crash mark, a refused
// update that leaves its mark, the next write that settles it and the
// sweep that clears the crash, the gauge is what the store holds. A mark
// put behind the process's back after that is not seen: the gauge is
// this process's (the embedded store has no other writer). On the
// MongoDB path the store is counted and sees it.
func TestSweepBacklogKeptWithTheWrites(t *testing.T) {
	if os.Getenv("TEST_MONGODB_URI") != "" {
		t.Skip("the kept count is the embedded store's")
	}
	db := mongotest.Open(t)
	clk := clocktest.New(time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC))
	db.Now = clk.Now
	ctx := context.Background()
	keys := db.Database.Collection("task_keys")
	inStore := func() int64 {
		t.Helper()
		n, err := keys.CountDocuments(ctx, bson.D{{Key: "pending", Value: bson.D{{Key: "$exists", Value: true}}}})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	markBehind := func(id, nonce string) {
		t.Helper()
		if _, err := keys.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "pending", Value: nonce}, {Key: "pendingAt", Value: clk.Now()}}}}); err != nil {
			t.Fatal(err)
		}
	}
	var ts []*backend.Task
	for _, id := range []string{"t-a", "t-b"} {
		ts = append(ts, &backend.Task{ID: id, TargetID: "tg-" + id, Status: backend.TaskAssigned, TeamUsers: []string{"ana"}, Items: []string{}, Departments: []string{}})
	}
	if err := (&mongo.TaskStore{DB: db}).CreateTasks(ctx, ts); err != nil {
		t.Fatal(err)
	}
	markBehind("t-a", "crashed-write") // the process before stopped there

	next, err := mongo.Open(ctx, mongotest.URI(t), db.Database.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	next.Now, next.SingleProcess, next.ScanJSON = clk.Now, db.SingleProcess, db.ScanJSON
	s := &mongo.TaskStore{DB: next}
	check := func(step string, want int64) {
		t.Helper()
		got, err := next.SweepBacklog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if store := inStore(); got != want || store != want {
			t.Fatalf("%s: backlog %d, store %d marked keys; want %d", step, got, store, want)
		}
	}
	check("before the first sweep (counted in the store)", 1)
	if _, err := s.SweepFeed(ctx, backend.FeedLease); err != nil {
		t.Fatal(err)
	}
	check("after the first sweep, within the lease", 1)

	b, err := s.FindTaskByID(ctx, "t-b")
	if err != nil {
		t.Fatal(err)
	}
	stale := *b
	stale.Version = b.Version + 5
	if err := s.UpdateTask(ctx, &stale); err == nil {
		t.Fatal("an update of a version that is not stored was accepted")
	}
	check("a refused update leaves its mark", 2)
	b.Status = backend.TaskAccepted
	if err := s.UpdateTask(ctx, b); err != nil {
		t.Fatal(err)
	}
	check("the next write settles it", 1)
	clk.Advance(backend.FeedLease)
	if n, err := s.SweepFeed(ctx, backend.FeedLease); err != nil || n != 1 {
		t.Fatalf("sweep after the lease: %d, %v; want 1", n, err)
	}
	check("the sweep clears the crash", 0)

	markBehind("t-b", "another-writer")
	if got, err := next.SweepBacklog(ctx); err != nil || got != 0 {
		t.Fatalf("the one writer's backlog read %d, %v; want 0 (kept, not counted)", got, err)
	}
	mongo.UseMongoDBPath(next)
	if got, err := next.SweepBacklog(ctx); err != nil || got != 1 {
		t.Fatalf("the MongoDB path's backlog read %d, %v; want 1 (counted in the store)", got, err)
	}
}
