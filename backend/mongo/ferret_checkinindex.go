package mongo

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// checkInIndex holds, in memory, the ids of each target's and each task's
// check-ins, for the embedded store with one writer (DB.SingleProcess):
// every check-in looks at its enterprise's recent visits (the
// frequent-visit flag) and every submission at its task's check-ins, and
// FerretDB would read the whole check-in collection for each. Like the
// other in-memory indexes it is add-only, filled before the write, built on
// first use, and a cache of the store: extra ids are dropped when read.
// unplanned lists the check-ins made without a task (with a reason), which
// the oversight office lists: the exception, so a short list, whose
// documents are kept once read (read from the store, so never one whose
// write failed; dropped when a back-fill replaces the check-in).
type checkInIndex struct {
	mu            sync.RWMutex
	loaded        bool
	byTarget      map[string][]string
	byTask        map[string][]string
	unplanned     []string
	unplannedDocs map[string]*backend.CheckIn
	// replaced counts the replacements: a document read while one
	// happened is used, not kept (it may be the one before).
	replaced int64
}

func (x *checkInIndex) ensure(ctx context.Context, db *DB) error {
	return loadOnce(&x.mu, &x.loaded, func() error { return x.load(ctx, db) })
}

// load reads the collection once. The caller holds the write lock.
func (x *checkInIndex) load(ctx context.Context, db *DB) error {
	x.byTarget, x.byTask, x.unplanned, x.unplannedDocs = map[string][]string{}, map[string][]string{}, nil, map[string]*backend.CheckIn{}
	type fields struct {
		ID       string `json:"_id"`
		TargetID string `json:"targetId"`
		TaskID   string `json:"taskId"`
		Reason   string `json:"reason"`
	}
	fast, err := fastScan(ctx, db, colCheckIns, []string{"_id", "targetId", "taskId", "reason"}, func(f *fields) error {
		x.add(&backend.CheckIn{ID: f.ID, TargetID: f.TargetID, TaskID: f.TaskID, Reason: backend.CheckInReason(f.Reason)})
		return nil
	})
	if fast || err != nil {
		x.loaded = err == nil
		return err
	}
	cur, err := db.c(colCheckIns).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "targetId", Value: 1}, {Key: "taskId", Value: 1}, {Key: "reason", Value: 1}}).SetBatchSize(2000))
	if err != nil {
		return translate("checkInIndex.load", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var c backend.CheckIn
		if err := cur.Decode(&c); err != nil {
			return translate("checkInIndex.load", err)
		}
		x.add(&c)
	}
	if err := cur.Err(); err != nil {
		return translate("checkInIndex.load", err)
	}
	x.loaded = true
	return nil
}

// add records a check-in. The caller holds the write lock.
func (x *checkInIndex) add(c *backend.CheckIn) {
	if !slices.Contains(x.byTarget[c.TargetID], c.ID) {
		x.byTarget[c.TargetID] = append(x.byTarget[c.TargetID], c.ID)
	}
	if c.TaskID != "" && !slices.Contains(x.byTask[c.TaskID], c.ID) {
		x.byTask[c.TaskID] = append(x.byTask[c.TaskID], c.ID)
	}
	if c.Reason != "" && !slices.Contains(x.unplanned, c.ID) {
		x.unplanned = append(x.unplanned, c.ID)
	}
}

func (x *checkInIndex) put(c *backend.CheckIn) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.loaded {
		x.add(c)
	}
}

func (e *ferretEngine) writingCheckIn(c *backend.CheckIn) { e.checkIns.put(c) }

// updatedCheckIn drops the kept document of a replaced check-in.
func (e *ferretEngine) updatedCheckIn(id string) {
	x := &e.checkIns
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.unplannedDocs, id)
	x.replaced++
}

// findIndexed reads the check-ins the index lists and keeps those keep accepts.
func (e *ferretEngine) findIndexed(ctx context.Context, s *CheckInStore, list func(x *checkInIndex) []string, keep func(*backend.CheckIn) bool) ([]*backend.CheckIn, error) {
	x := &e.checkIns
	if err := x.ensure(ctx, e.db); err != nil {
		return nil, err
	}
	x.mu.RLock()
	ids := slices.Clone(list(x))
	x.mu.RUnlock()
	var out []*backend.CheckIn
	for _, id := range ids {
		c, err := s.FindCheckIn(ctx, id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if keep(c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (e *ferretEngine) checkInsOfTask(ctx context.Context, s *CheckInStore, taskID string) ([]*backend.CheckIn, error) {
	if !e.indexed() {
		return s.queryOfTask(ctx, taskID)
	}
	return e.findIndexed(ctx, s, func(x *checkInIndex) []string { return x.byTask[taskID] },
		func(c *backend.CheckIn) bool { return c.TaskID == taskID })
}

func (e *ferretEngine) checkInsOfTarget(ctx context.Context, s *CheckInStore, targetID string, since time.Time) ([]*backend.CheckIn, error) {
	if !e.indexed() {
		return s.queryOfTarget(ctx, targetID, since)
	}
	return e.findIndexed(ctx, s, func(x *checkInIndex) []string { return x.byTarget[targetID] },
		func(c *backend.CheckIn) bool { return c.TargetID == targetID && !c.DeviceTime.Before(since) })
}

// unplannedCheckIns answers from the index of check-ins made without a
// task: their number, not the collection's, bounds the work, and their
// documents are read from the store once.
func (e *ferretEngine) unplannedCheckIns(ctx context.Context, s *CheckInStore, since, until time.Time, limit int) ([]*backend.CheckIn, error) {
	if !e.indexed() {
		return s.queryUnplanned(ctx, since, until, limit)
	}
	x := &e.checkIns
	if err := x.ensure(ctx, e.db); err != nil {
		return nil, err
	}
	x.mu.RLock()
	ids := slices.Clone(x.unplanned)
	replaced := x.replaced
	docs := make([]*backend.CheckIn, len(ids))
	for i, id := range ids {
		docs[i] = x.unplannedDocs[id]
	}
	x.mu.RUnlock()
	out := []*backend.CheckIn{}
	for i, id := range ids {
		c := docs[i]
		if c == nil {
			var err error
			c, err = s.FindCheckIn(ctx, id)
			if backend.IsCode(err, backend.ENOTFOUND) {
				continue // listed before a write that failed
			}
			if err != nil {
				return nil, err
			}
			x.mu.Lock()
			if x.unplannedDocs != nil && x.replaced == replaced {
				x.unplannedDocs[id] = c
			}
			x.mu.Unlock()
		}
		if c.Reason != "" && !c.ServerTime.Before(since) && c.ServerTime.Before(until) {
			cp := *c // the caller may change it
			out = append(out, &cp)
		}
	}
	slices.SortFunc(out, func(a, b *backend.CheckIn) int {
		if c := b.ServerTime.Compare(a.ServerTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
