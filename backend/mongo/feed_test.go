package mongo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// feedReader follows a feed the way a phone does.
type feedReader struct {
	s      *mongo.FeedStore
	user   string
	cursor int64
	seen   map[string]int
	voids  int
}

// pull reads one page and reports whether it reached the head.
func (r *feedReader) pull(t *testing.T, limit int) bool {
	t.Helper()
	es, head, err := r.s.ReadFeed(context.Background(), r.user, r.cursor, limit)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Seq != r.cursor+1 {
			t.Fatalf("entry %d after cursor %d: the feed skipped", e.Seq, r.cursor)
		}
		r.cursor = e.Seq
		if e.TaskID == "" {
			r.voids++
		} else {
			r.seen[e.TaskID]++
		}
	}
	return r.cursor == head
}

func TestFeedConcurrentWriters(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		// Writers take their numbers in one order and commit in another:
		// each sleeps a random while between the two.
		writer := &mongo.FeedStore{DB: db}
		mongo.SlowFeedWriter(writer, func(string, int64) {
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		})
		const writers, perWriter = 6, 20
		var done atomic.Bool
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for j := range perWriter {
					id := fmt.Sprintf("w%d-%02d", w, j)
					users := map[string][]string{"ana": {id}}
					if j%3 == 0 {
						users["bo"] = []string{id}
					}
					if err := writer.Notify(ctx, users); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		readers := []*feedReader{
			{s: &mongo.FeedStore{DB: db}, user: "ana", seen: map[string]int{}},
			{s: &mongo.FeedStore{DB: db}, user: "bo", seen: map[string]int{}},
		}
		go func() { wg.Wait(); done.Store(true) }()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			if time.Now().After(deadline) {
				t.Fatalf("the readers did not reach the head: cursors %d and %d", readers[0].cursor, readers[1].cursor)
			}
			finished := done.Load() // before the pulls: all written by then
			atHead := true
			for _, r := range readers {
				atHead = r.pull(t, 7) && atHead
			}
			if finished && atHead {
				break
			}
			if atHead {
				time.Sleep(2 * time.Millisecond) // as a phone polls
			}
		}
		for _, r := range readers {
			if r.voids != 0 {
				t.Errorf("%s: %d voids, want none (no writer was slower than the lease)", r.user, r.voids)
			}
			for w := range writers {
				for j := range perWriter {
					id := fmt.Sprintf("w%d-%02d", w, j)
					want := 1
					if r.user == "bo" && j%3 != 0 {
						want = 0
					}
					if r.seen[id] != want {
						t.Errorf("%s saw %s %d times, want %d", r.user, id, r.seen[id], want)
					}
				}
			}
		}
	})
}

func TestFeedHoleIsNeverPassedUntilTheLeaseEnds(t *testing.T) {
	db := mongotest.Open(t)
	clk := &clock{now: time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	ctx := context.Background()
	reader := &feedReader{s: &mongo.FeedStore{DB: db}, user: "ana", seen: map[string]int{}}

	// A writer takes number 2 and stalls before writing it.
	stalled := &mongo.FeedStore{DB: db}
	release, taken := make(chan struct{}), make(chan int64, 1)
	mongo.SlowFeedWriter(stalled, func(_ string, first int64) {
		select {
		case taken <- first:
			<-release
		default: // its second attempt goes straight through
		}
	})
	fast := &mongo.FeedStore{DB: db}
	if err := fast.Notify(ctx, map[string][]string{"ana": {"t1"}}); err != nil {
		t.Fatal(err)
	}
	stalledDone := make(chan error, 1)
	go func() { stalledDone <- stalled.Notify(ctx, map[string][]string{"ana": {"t2"}}) }()
	if n := <-taken; n != 2 {
		t.Fatalf("the stalled writer took %d, want 2", n)
	}
	if err := fast.Notify(ctx, map[string][]string{"ana": {"t3"}}); err != nil {
		t.Fatal(err)
	}

	// Entries 1 and 3 are written, 2 is not: the reader stops at 1.
	if reader.pull(t, 10) || reader.cursor != 1 {
		t.Fatalf("cursor %d, want 1: a reader must not pass a hole", reader.cursor)
	}
	clk.Add(backend.FeedLease - time.Second)
	if reader.pull(t, 10) || reader.cursor != 1 {
		t.Fatalf("cursor %d within the lease, want 1", reader.cursor)
	}
	// After the lease the hole is voided and the reader goes on.
	clk.Add(2 * time.Second)
	if !reader.pull(t, 10) || reader.cursor != 3 || reader.voids != 1 {
		t.Fatalf("after the lease: cursor %d, voids %d; want 3 and 1", reader.cursor, reader.voids)
	}
	// The late writer finds its number voided, takes another, and the
	// reader gets its entry: nothing is lost.
	close(release)
	if err := <-stalledDone; err != nil {
		t.Fatal(err)
	}
	if !reader.pull(t, 10) || reader.cursor != 4 {
		t.Fatalf("cursor %d, want 4", reader.cursor)
	}
	for _, id := range []string{"t1", "t2", "t3"} {
		if reader.seen[id] != 1 {
			t.Errorf("%s seen %d times, want 1", id, reader.seen[id])
		}
	}
}

func TestFeedBadPositions(t *testing.T) {
	db := mongotest.Open(t)
	s := &mongo.FeedStore{DB: db}
	ctx := context.Background()
	if _, _, err := s.ReadFeed(ctx, "ana", -1, 10); !backend.IsCode(err, backend.EINVALID) {
		t.Errorf("negative position: %v, want invalid", err)
	}
	es, head, err := s.ReadFeed(ctx, "nobody", 0, 10)
	if err != nil || len(es) != 0 || head != 0 {
		t.Errorf("empty feed: %v %d %v", es, head, err)
	}
	es, head, err = s.ReadFeed(ctx, "nobody", 99, 10)
	if err != nil || len(es) != 0 || head != 0 {
		t.Errorf("position past the head: %v %d %v (the caller decides what that means)", es, head, err)
	}
}

// TestSweepFeedAfterACrash: a task write whose feed entries were never
// written (the process stopped in between) reaches the feeds by the next
// process's sweep, once the lease has passed.
func TestSweepFeedAfterACrash(t *testing.T) {
	db := mongotest.Open(t)
	clk := &clock{now: time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	ctx := context.Background()
	s := &mongo.TaskStore{DB: db}
	task := &backend.Task{ID: "t-crash", TargetID: "tg", Status: backend.TaskAssigned, TeamUsers: []string{"ana"}, Items: []string{}, Departments: []string{}}
	if err := s.CreateTasks(ctx, []*backend.Task{task}); err != nil {
		t.Fatal(err)
	}
	reader := &feedReader{s: &mongo.FeedStore{DB: db}, user: "ana", seen: map[string]int{}}
	reader.pull(t, 10)
	// The "crash": a write that marked the task's key, wrote the task and
	// stopped before the feed.
	if _, err := db.Database.Collection("task_keys").UpdateOne(ctx, bson.D{{Key: "_id", Value: "t-crash"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "pending", Value: "crashed-write"}, {Key: "pendingAt", Value: clk.Now()}, {Key: "status", Value: "accepted"}, {Key: "version", Value: 2}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Database.Collection("tasks").UpdateOne(ctx, bson.D{{Key: "_id", Value: "t-crash"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "accepted"}, {Key: "version", Value: 2}}}}); err != nil {
		t.Fatal(err)
	}
	// The next process sweeps: too early, nothing; after the lease, the
	// feed hears of it, and the mark is gone.
	next, err := mongo.Open(ctx, mongotest.URI(t), db.Database.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	next.Now, next.SingleProcess = clk.Now, db.SingleProcess
	sweeper := &mongo.TaskStore{DB: next}
	if n, err := sweeper.SweepFeed(ctx, backend.FeedLease); err != nil || n != 0 {
		t.Fatalf("sweep within the lease: %d, %v", n, err)
	}
	clk.Add(backend.FeedLease)
	if n, err := sweeper.SweepFeed(ctx, backend.FeedLease); err != nil || n != 1 {
		t.Fatalf("sweep after the lease: %d, %v; want 1", n, err)
	}
	reader.pull(t, 10)
	if reader.seen["t-crash"] != 2 {
		t.Fatalf("the feed named the task %d times, want 2 (creation, sweep)", reader.seen["t-crash"])
	}
	if n, err := sweeper.SweepFeed(ctx, backend.FeedLease); err != nil || n != 0 {
		t.Fatalf("a second sweep found %d: the mark stayed (%v)", n, err)
	}
}
