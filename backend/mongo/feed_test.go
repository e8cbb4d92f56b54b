package mongo_test

import (
	"cmp"
	"context"
	"fmt"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

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

// turnstile makes feed writers commit in the reverse order of their
// numbers, without sleeping: it holds each writer after it has taken its
// numbers, and once every writer still running is held, lets them write
// one at a time, the highest number first. A writer that comes back (to
// take its next numbers) or finishes has committed its write; the next
// writer of the round goes then. Readers hear of each commit on wrote.
type turnstile struct {
	mu    sync.Mutex
	cond  *sync.Cond
	live  int           // writers still running
	held  []heldWriter  // waiting for the next round
	round []heldWriter  // this round's writers yet to write, highest number last
	turn  int           // the writer writing now; 0 for none
	next  int           // names the writers held
	order []heldWriter  // the writes, in the order they were let through
	wrote chan struct{} // a tick after each write (ticks may merge)
}

type heldWriter struct {
	id    int
	user  string
	first int64
}

func newTurnstile(writers int) *turnstile {
	ts := &turnstile{live: writers, wrote: make(chan struct{}, 1)}
	ts.cond = sync.NewCond(&ts.mu)
	return ts
}

// hold is the feed writer's hook: called after taking numbers from first.
func (ts *turnstile) hold(user string, first int64) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.done()
	ts.next++
	me := heldWriter{id: ts.next, user: user, first: first}
	ts.held = append(ts.held, me)
	ts.advance()
	for ts.turn != me.id {
		ts.cond.Wait()
	}
	ts.order = append(ts.order, me)
}

// leave is called by a writer that has nothing more to write.
func (ts *turnstile) leave() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.done()
	ts.live--
	ts.advance()
}

// done ends the turn under way: while a writer has the turn, it is the only
// one running, so the caller is that writer and its write has committed.
func (ts *turnstile) done() {
	if ts.turn == 0 {
		return
	}
	ts.turn = 0
	select {
	case ts.wrote <- struct{}{}:
	default:
	}
}

func (ts *turnstile) advance() {
	if ts.turn != 0 {
		return
	}
	if len(ts.round) == 0 {
		if ts.live == 0 || len(ts.held) < ts.live {
			return // some writer is still taking its numbers
		}
		ts.round, ts.held = ts.held, nil
		slices.SortFunc(ts.round, func(a, b heldWriter) int { return cmp.Compare(a.first, b.first) })
	}
	last := ts.round[len(ts.round)-1]
	ts.round = ts.round[:len(ts.round)-1]
	ts.turn = last.id
	ts.cond.Broadcast()
}

// reversals counts the writes let through before a lower number of the
// same feed: commits out of the order of the numbers.
func (ts *turnstile) reversals() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := 0
	for i, a := range ts.order {
		for _, b := range ts.order[i+1:] {
			if a.user == b.user && a.first > b.first {
				n++
			}
		}
	}
	return n
}

func TestFeedConcurrentWriters(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		// Writers take their numbers in one order and commit in another:
		// the turnstile lets them write highest number first.
		const writers, perWriter = 6, 20
		ts := newTurnstile(writers)
		writer := &mongo.FeedStore{DB: db}
		mongo.SlowFeedWriter(writer, ts.hold)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				defer ts.leave()
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
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		for {
			var all bool // read before the pulls: everything is written by then
			select {
			case <-finished:
				all = true
			default:
			}
			atHead := true
			for _, r := range readers {
				atHead = r.pull(t, 7) && atHead
			}
			if all && atHead {
				break
			}
			if atHead { // as a phone that is told to come back: at the next write
				select {
				case <-ts.wrote:
				case <-finished:
				case <-time.After(2 * time.Minute):
					t.Fatalf("no write for 2 minutes; the readers are at %d and %d", readers[0].cursor, readers[1].cursor)
				}
			}
		}
		if n := ts.reversals(); n == 0 {
			t.Fatal("every write committed in the order of its numbers: the test tested nothing")
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
	clk := clocktest.New(time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC))
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
	clk.Advance(backend.FeedLease - time.Second)
	if reader.pull(t, 10) || reader.cursor != 1 {
		t.Fatalf("cursor %d within the lease, want 1", reader.cursor)
	}
	// After the lease the hole is voided and the reader goes on.
	clk.Advance(2 * time.Second)
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
	clk := clocktest.New(time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC))
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
	clk.Advance(backend.FeedLease)
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
