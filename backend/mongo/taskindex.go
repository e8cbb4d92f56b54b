package mongo

import (
	"context"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// taskIndex holds, in memory, what a task filter selects on, for the
// embedded store with one writer (DB.SingleProcess), where any filtered
// query would read the whole task collection through FerretDB (~1 ms a
// task): a phone's full download and every check-in looking for its task
// (by login), the review queue (by status and lead department), the
// department's task lists. A filter becomes a list of candidate ids here;
// the tasks are then read by _id and the filter applied to each (matches),
// so the index may name more tasks than match, never fewer:
//
//   - the logins of a task only grow (like FeedUsers);
//   - plan, draw, target and departments never change;
//   - a task's status is the one of its last write known to have
//     committed, plus those of writes under way (put before the write,
//     done after it), so a reader between a write's commit and its done
//     still finds the task under the new status.
//
// It is a cache of the store, built on first use; a restart rebuilds it.
type taskIndex struct {
	mu     sync.RWMutex
	loaded bool
	byUser map[string][]string // sorted ids
	ids    []string            // every task, sorted
	byID   map[string]*taskEntry
}

// taskEntry is what the index keeps of a task.
type taskEntry struct {
	plan, draw, target, lead string
	departments              []string
	version                  int64              // the last write known to have committed
	status                   backend.TaskStatus // its status
	pending                  []pendingStatus    // writes under way
}

type pendingStatus struct {
	version int64
	status  backend.TaskStatus
}

// mayHave reports whether the task may be in one of statuses now.
func (e *taskEntry) mayHave(statuses []backend.TaskStatus) bool {
	if len(statuses) == 0 || slices.Contains(statuses, e.status) {
		return true
	}
	return slices.ContainsFunc(e.pending, func(p pendingStatus) bool { return slices.Contains(statuses, p.status) })
}

func (x *taskIndex) ensure(ctx context.Context, db *DB) error {
	return loadOnce(&x.mu, &x.loaded, func() error { return x.load(ctx, db) })
}

// indexedFields are the fields the index reads of each task.
var indexedFields = bson.D{
	{Key: "feedUsers", Value: 1}, {Key: "teamUsers", Value: 1}, {Key: "planId", Value: 1}, {Key: "drawId", Value: 1},
	{Key: "targetId", Value: 1}, {Key: "leadDepartment", Value: 1}, {Key: "departments", Value: 1},
	{Key: "status", Value: 1}, {Key: "version", Value: 1},
}

// load reads the collection once. The caller holds the write lock.
func (x *taskIndex) load(ctx context.Context, db *DB) error {
	x.byUser, x.byID, x.ids = map[string][]string{}, map[string]*taskEntry{}, nil
	cur, err := db.c(colTasks).Find(ctx, bson.D{}, options.Find().SetProjection(indexedFields).SetBatchSize(2000))
	if err != nil {
		return translate("taskIndex.load", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var t backend.Task
		if err := cur.Decode(&t); err != nil {
			return translate("taskIndex.load", err)
		}
		x.add(&t)
		x.settle(&t)
	}
	if err := cur.Err(); err != nil {
		return translate("taskIndex.load", err)
	}
	x.loaded = true
	return nil
}

// add records a task about to be written: under each of its logins, and
// with its status as a write under way. The caller holds the write lock.
func (x *taskIndex) add(t *backend.Task) {
	for _, u := range append(slices.Clone(t.FeedUsers), t.TeamUsers...) {
		x.byUser[u] = insertSorted(x.byUser[u], t.ID)
	}
	e := x.byID[t.ID]
	if e == nil {
		e = &taskEntry{plan: t.PlanID, draw: t.DrawID, target: t.TargetID, lead: t.LeadDepartment,
			departments: slices.Clone(t.Departments), status: t.Status}
		x.byID[t.ID] = e
		x.ids = insertSorted(x.ids, t.ID)
	}
	e.pending = append(e.pending, pendingStatus{t.Version, t.Status})
}

// settle records that the write of t at t.Version committed (ok) or not.
// The caller holds the write lock.
func (x *taskIndex) settle(t *backend.Task) {
	e := x.byID[t.ID]
	if e == nil {
		return
	}
	if t.Version > e.version {
		e.version, e.status = t.Version, t.Status
	}
	// Writes at or below the committed version can no longer commit.
	e.pending = slices.DeleteFunc(e.pending, func(p pendingStatus) bool { return p.version <= e.version })
}

// drop forgets the status of a write of t that failed. The caller holds
// the write lock.
func (x *taskIndex) drop(t *backend.Task) {
	if e := x.byID[t.ID]; e != nil {
		e.pending = slices.DeleteFunc(e.pending, func(p pendingStatus) bool { return p.version == t.Version })
	}
}

func insertSorted(ids []string, id string) []string {
	if i, found := slices.BinarySearch(ids, id); !found {
		return slices.Insert(ids, i, id)
	}
	return ids
}

// put records tasks about to be written; done, once the write returned.
func (x *taskIndex) put(ts ...*backend.Task) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.loaded {
		return // the first use reads them from the store
	}
	for _, t := range ts {
		x.add(t)
	}
}

// done records how the write of tasks ts (at their versions) ended.
func (x *taskIndex) done(committed bool, ts ...*backend.Task) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.loaded {
		return
	}
	for _, t := range ts {
		if committed {
			x.settle(t)
		} else {
			x.drop(t)
		}
	}
}

// candidates lists, in id order, the tasks that may match f.
func (x *taskIndex) candidates(f *backend.TaskFilter) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ids := x.ids
	if f.TeamUser != "" {
		ids = x.byUser[f.TeamUser]
	}
	var out []string
	for _, id := range ids {
		e := x.byID[id]
		switch {
		case e == nil,
			f.PlanID != "" && e.plan != f.PlanID,
			f.DrawID != "" && e.draw != f.DrawID,
			f.TargetID != "" && e.target != f.TargetID,
			len(f.LeadDepartments) > 0 && !slices.Contains(f.LeadDepartments, e.lead),
			len(f.Departments) > 0 && !slices.ContainsFunc(e.departments, func(d string) bool { return slices.Contains(f.Departments, d) }),
			!e.mayHave(f.Statuses):
			continue
		}
		out = append(out, id)
	}
	return out
}

// matches applies f the way taskFilter's query does.
func matches(f *backend.TaskFilter, t *backend.Task) bool {
	switch {
	case f.PlanID != "" && t.PlanID != f.PlanID,
		f.DrawID != "" && t.DrawID != f.DrawID,
		f.TeamUser != "" && !slices.Contains(t.TeamUsers, f.TeamUser),
		len(f.Departments) > 0 && !slices.ContainsFunc(t.Departments, func(d string) bool { return slices.Contains(f.Departments, d) }),
		len(f.LeadDepartments) > 0 && !slices.Contains(f.LeadDepartments, t.LeadDepartment),
		len(f.Statuses) > 0 && !slices.Contains(f.Statuses, t.Status),
		f.TargetID != "" && t.TargetID != f.TargetID:
		return false
	}
	return true
}

// scanTasksIndexed answers ScanTasks from the index, in id order.
func (s *TaskStore) scanTasksIndexed(ctx context.Context, f backend.TaskFilter, fn func(*backend.Task) error) error {
	x := &s.DB.tasks
	if err := x.ensure(ctx, s.DB); err != nil {
		return err
	}
	for _, id := range x.candidates(&f) {
		t, err := s.FindTaskByID(ctx, id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			continue
		}
		if err != nil {
			return err
		}
		if matches(&f, t) {
			if err := fn(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// findTasksIndexed answers FindTasks from the index: pages in id order,
// the cursor being the last id of the page.
func (s *TaskStore) findTasksIndexed(ctx context.Context, f backend.TaskFilter, p backend.PageRequest) (*backend.Page[*backend.Task], error) {
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	x := &s.DB.tasks
	if err := x.ensure(ctx, s.DB); err != nil {
		return nil, err
	}
	ids := x.candidates(&f)
	start, found := slices.BinarySearch(ids, p.After)
	if found {
		start++
	}
	page := &backend.Page[*backend.Task]{Items: []*backend.Task{}}
	for _, id := range ids[start:] {
		t, err := s.FindTaskByID(ctx, id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !matches(&f, t) {
			continue
		}
		if len(page.Items) == p.Limit {
			page.NextCursor = page.Items[len(page.Items)-1].ID
			break
		}
		page.Items = append(page.Items, t)
	}
	return page, nil
}

// WarmTaskIndex builds the indexes of the logins' tasks and of the
// check-ins now rather than on first use. It does nothing on MongoDB.
func (db *DB) WarmTaskIndex(ctx context.Context) error {
	if !db.indexed() {
		return nil
	}
	if err := db.tasks.ensure(ctx, db); err != nil {
		return err
	}
	return db.checkIns.ensure(ctx, db)
}
