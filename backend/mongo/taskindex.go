package mongo

import (
	"context"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// taskIndex holds, in memory, the ids of the tasks each login has or ever
// had (Task.FeedUsers), for the embedded store with one writer
// (DB.SingleProcess), where listing a login's tasks would otherwise read
// the whole task collection through FerretDB: a phone's full download, and
// every check-in looking for its task. It only grows, like FeedUsers, so
// writes that commit in another order than they update it can only leave
// extra candidates, which the filter applied to each task read drops.
// It is a cache of the store, built on first use; a restart rebuilds it.
type taskIndex struct {
	mu     sync.RWMutex
	loaded bool
	byUser map[string][]string // sorted ids
}

func (x *taskIndex) ensure(ctx context.Context, db *DB) error {
	return loadOnce(&x.mu, &x.loaded, func() error { return x.load(ctx, db) })
}

// load reads the collection once. The caller holds the write lock.
func (x *taskIndex) load(ctx context.Context, db *DB) error {
	x.byUser = map[string][]string{}
	cur, err := db.c(colTasks).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "feedUsers", Value: 1}, {Key: "teamUsers", Value: 1}}).SetBatchSize(2000))
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
	}
	if err := cur.Err(); err != nil {
		return translate("taskIndex.load", err)
	}
	x.loaded = true
	return nil
}

// add records the task under each of its logins. The caller holds the
// write lock.
func (x *taskIndex) add(t *backend.Task) {
	for _, u := range append(slices.Clone(t.FeedUsers), t.TeamUsers...) {
		ids := x.byUser[u]
		if i, found := slices.BinarySearch(ids, t.ID); !found {
			x.byUser[u] = slices.Insert(ids, i, t.ID)
		}
	}
}

// put records tasks just written.
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

func (x *taskIndex) of(user string) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return slices.Clone(x.byUser[user])
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

// scanTasksIndexed answers ScanTasks for one login from the index, in id
// order.
func (s *TaskStore) scanTasksIndexed(ctx context.Context, f backend.TaskFilter, fn func(*backend.Task) error) error {
	x := &s.DB.tasks
	if err := x.ensure(ctx, s.DB); err != nil {
		return err
	}
	for _, id := range x.of(f.TeamUser) {
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

// findTasksIndexed answers FindTasks for one login from the index: pages
// in id order, the cursor being the last id of the page.
func (s *TaskStore) findTasksIndexed(ctx context.Context, f backend.TaskFilter, p backend.PageRequest) (*backend.Page[*backend.Task], error) {
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	x := &s.DB.tasks
	if err := x.ensure(ctx, s.DB); err != nil {
		return nil, err
	}
	ids := x.of(f.TeamUser)
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
