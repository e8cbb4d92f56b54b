package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Beside each task document the store keeps two kinds of small ones.
//
// The task's key (task_keys, by the task's id) holds what lists select on
// and, for a submitted task, its queue entry: the embedded store's
// start-up builds its index, the review queue's order included, from the
// keys instead of reading every task. It is also the feed's outbox: every
// write puts the key, marked with a nonce of its own (Pending), before the
// task, and clears the mark once the task's feed entries are written; a
// mark left behind (the process stopped in between) is SweepFeed's, which
// notifies the feeds and rewrites the key from the task. So the mark is
// cleared without rewriting the task, and a key whose mark is clear says
// what the task's last write stored (a key still marked may say what a
// write that failed meant to store: readers then read the task).
//
// Operation records that left their task's document (backend.Task.Ops,
// OpsFloor) are kept in task_ops by their key, written before the task
// write that moved them out.

// taskKey is a task's key document.
type taskKey struct {
	ID          string             `bson:"_id"`
	Schema      int                `bson:"schema"`
	Plan        string             `bson:"plan,omitempty"`
	Draw        string             `bson:"draw,omitempty"`
	Target      string             `bson:"target"`
	Lead        string             `bson:"lead"`
	Departments []string           `bson:"departments"`
	Users       []string           `bson:"users"` // every login the task had or has (FeedUsers)
	Status      backend.TaskStatus `bson:"status"`
	Version     int64              `bson:"version"`
	// Random, Batch and Due never change once a task is made; keys
	// written before they were kept have none (nil, ""), which the index
	// reads as "may match".
	Random *bool        `bson:"random,omitempty"`
	Batch  string       `bson:"batch,omitempty"`
	Due    backend.Date `bson:"due,omitempty"`
	// Queued is what the review queue shows of a submitted task.
	Queued *backend.QueuedTask `bson:"queued,omitempty"`
	// Pending is the nonce of the write that put the key, until the
	// task's feed entries are written; PendingAt is when it was put.
	Pending   string    `bson:"pending,omitempty"`
	PendingAt time.Time `bson:"pendingAt,omitempty"`
}

func keyOf(t *backend.Task, nonce string, now time.Time) *taskKey {
	k := &taskKey{ID: t.ID, Schema: backend.TaskSchema, Plan: t.PlanID, Draw: t.DrawID, Target: t.TargetID, Lead: t.LeadDepartment,
		Departments: t.Departments, Users: t.FeedUsers, Status: t.Status, Version: t.Version, Pending: nonce,
		Random: &t.Random, Batch: t.Batch, Due: t.Due}
	if k.Departments == nil {
		k.Departments = []string{}
	}
	if nonce != "" {
		k.PendingAt = now
	}
	if t.Status == backend.TaskSubmitted {
		k.Queued = t.Queued()
	}
	return k
}

// task is what the key says of its task, for the index.
func (k *taskKey) task() *backend.Task {
	t := &backend.Task{ID: k.ID, PlanID: k.Plan, DrawID: k.Draw, TargetID: k.Target, LeadDepartment: k.Lead,
		Departments: k.Departments, FeedUsers: k.Users, Status: k.Status, Version: k.Version, Batch: k.Batch, Due: k.Due}
	if k.Queued != nil {
		at := k.Queued.SubmittedAt
		t.SubmittedAt, t.Review = &at, k.Queued.Review
	}
	return t
}

// newNonce names one write of a task.
func newNonce() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// putKey stores a key, replacing the task's key of before.
func (s *TaskStore) putKey(ctx context.Context, k *taskKey) error {
	if k.Pending != "" {
		s.DB.marks.mark(k.Pending, k.ID)
	}
	_, err := s.DB.c(colTaskKeys).ReplaceOne(ctx, bson.D{{Key: "_id", Value: k.ID}}, k, options.Replace().SetUpsert(true))
	if err == nil && k.Pending == "" {
		s.DB.marks.gone(k.ID) // unmarked now, whatever it was
	}
	return translate("TaskStore.putKey", err)
}

// settleBatch is the number of keys from which settleKeys clears the
// marks of one nonce in one update instead of one key at a time (on the
// embedded store that update reads every key once).
const settleBatch = 50

// settleKeys clears the marks of the tasks' keys put with nonce: a key
// marked again since belongs to a later write, which settles it.
func (s *TaskStore) settleKeys(ctx context.Context, nonce string, ts []*backend.Task) error {
	clear := bson.D{{Key: "$unset", Value: bson.D{{Key: "pending", Value: ""}, {Key: "pendingAt", Value: ""}}}}
	if len(ts) >= settleBatch {
		_, err := s.DB.c(colTaskKeys).UpdateMany(ctx, bson.D{{Key: "pending", Value: nonce}}, clear)
		if err == nil {
			for _, t := range ts {
				s.DB.marks.settle(nonce, t.ID)
			}
		}
		return translate("TaskStore.settleKeys", err)
	}
	for _, t := range ts {
		if _, err := s.DB.engine.updateIf(ctx, s.DB.c(colTaskKeys), t.ID, bson.D{{Key: "pending", Value: nonce}}, clear, false); err != nil {
			return translate("TaskStore.settleKeys", err)
		}
		// Cleared, or marked by a later write (whose nonce the set holds).
		s.DB.marks.settle(nonce, t.ID)
	}
	return nil
}

// opDoc is an operation record that left its task.
type opDoc struct {
	ID      string `bson:"_id"` // the operation's key
	Schema  int    `bson:"schema"`
	TaskID  string `bson:"taskId"`
	Hash    string `bson:"hash"`
	Version int64  `bson:"version"`
	Kind    string `bson:"kind,omitempty"`
}

// keepOps stores records a write is about to move out of their task.
// One stored already (by an attempt that stopped before its task write)
// is the same record and is kept.
func (s *TaskStore) keepOps(ctx context.Context, recs []backend.OpRecord) error {
	if len(recs) == 0 {
		return nil
	}
	docs := make([]opDoc, len(recs))
	for i, r := range recs {
		docs[i] = opDoc{ID: r.Key, Schema: backend.TaskSchema, TaskID: r.TaskID, Hash: r.Hash, Version: r.Version, Kind: r.Kind}
	}
	return insertAll(ctx, s.DB.c(colTaskOps), "TaskStore.keepOps", docs, true)
}

func (s *TaskStore) FindOp(ctx context.Context, key string) (*backend.OpRecord, error) {
	d, err := findByID[opDoc](ctx, s.DB.c(colTaskOps), "FindOp", "operation", key)
	if err != nil {
		return nil, err
	}
	return &backend.OpRecord{Key: d.ID, Hash: d.Hash, Version: d.Version, Kind: d.Kind, TaskID: d.TaskID}, nil
}

// SweepFeed notifies the feeds of tasks whose last write was not followed
// by its feed entries (the process stopped between the two: the key is
// still marked) and whose mark is at least grace old, and rewrites their
// keys from the tasks. The server runs it periodically. It returns how
// many tasks it notified.
//
// On the embedded store, whose one writer is this process, only the first
// sweep reads the keys (marks left by a process that stopped); later ones
// look only at the tasks whose notification failed in this process.
func (s *TaskStore) SweepFeed(ctx context.Context, grace time.Duration) (int, error) {
	cutoff := s.DB.now().Add(-grace)
	var stale []*taskKey
	keep := func(k *taskKey) error {
		switch {
		case k.Pending == "":
			s.DB.marks.gone(k.ID) // a write whose outcome was not known did not mark it
		case !k.PendingAt.After(cutoff):
			stale = append(stale, k)
		default:
			s.DB.sweep.unswept(&backend.Task{ID: k.ID}) // not old enough yet: next time
		}
		return nil
	}
	var err error
	if ids, ok := s.DB.sweep.takeUnswept(s.DB.engine.oneWriter()); ok {
		for _, id := range ids {
			k, ferr := findByID[taskKey](ctx, s.DB.c(colTaskKeys), "SweepFeed", "task key", id)
			if ferr == nil {
				ferr = keep(k)
			} else if backend.IsCode(ferr, backend.ENOTFOUND) {
				s.DB.marks.gone(id) // a create that failed before its key
			}
			if ferr != nil && !backend.IsCode(ferr, backend.ENOTFOUND) {
				err = ferr
				break
			}
		}
	} else {
		err = s.scanMarkedKeys(ctx, keep)
	}
	if err != nil {
		s.DB.sweep.resweep() // the next sweep reads every key
		return 0, err
	}
	n := 0
	for _, k := range stale {
		t, err := s.FindTaskByID(ctx, k.ID)
		if backend.IsCode(err, backend.ENOTFOUND) {
			// A create that stopped before its task: nothing to notify.
			_, err = s.DB.c(colTaskKeys).DeleteOne(ctx, bson.D{{Key: "_id", Value: k.ID}, {Key: "pending", Value: k.Pending}})
			if err != nil {
				return n, translate("SweepFeed", err)
			}
			s.DB.marks.settle(k.Pending, k.ID)
			continue
		}
		if err != nil {
			return n, err
		}
		// The key again from the task as stored, under a mark of the
		// sweep's, unless another write came meanwhile.
		nonce := newNonce()
		fresh := keyOf(t, nonce, s.DB.now())
		s.DB.marks.mark(nonce, k.ID) // if the update is refused, a later write holds the key
		ok, err := s.DB.engine.updateIf(ctx, s.DB.c(colTaskKeys), k.ID, bson.D{{Key: "pending", Value: k.Pending}}, fresh, true)
		if err != nil {
			return n, translate("SweepFeed", err)
		}
		if !ok {
			continue // a later write put the key: it notifies for itself
		}
		s.DB.engine.writingTasks(t)
		s.DB.engine.wroteTasks(true, t)
		if err := s.notify(ctx, nonce, t); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// FindQueue returns a page of the review queue. On MongoDB it is one range
// of the index (status, leadDepartment, submittedAt, _id) with a
// projection; on the embedded store, a range of the in-memory queue index
// whose tasks are then read (most from the task cache).
func (s *TaskStore) FindQueue(ctx context.Context, f backend.QueueFilter, after *backend.QueuePosition, limit int) ([]*backend.QueuedTask, error) {
	if limit <= 0 {
		return []*backend.QueuedTask{}, nil
	}
	return s.DB.engine.findQueue(ctx, s, f, after, limit)
}

// queryQueue answers FindQueue with a query.
func (s *TaskStore) queryQueue(ctx context.Context, f backend.QueueFilter, after *backend.QueuePosition, limit int) ([]*backend.QueuedTask, error) {
	q := bson.D{{Key: "status", Value: backend.TaskSubmitted}}
	var and bson.A
	switch {
	case len(f.PartDepartments) > 0:
		// Candidates: Admits decides on the task (a part's lead is not
		// enough: the task must have parts of several leads).
		or := bson.A{bson.D{{Key: "parts.leadDepartment", Value: in(f.PartDepartments)}}}
		if len(f.LeadDepartments) > 0 {
			or = append(or, bson.D{{Key: "leadDepartment", Value: in(f.LeadDepartments)}})
		}
		and = append(and, bson.D{{Key: "$or", Value: or}})
	case len(f.LeadDepartments) > 0:
		q = append(q, bson.E{Key: "leadDepartment", Value: in(f.LeadDepartments)})
	}
	if f.State != "" {
		q = append(q, bson.E{Key: "review", Value: f.State})
	}
	if f.PlanID != "" {
		q = append(q, bson.E{Key: "planId", Value: f.PlanID})
	}
	if after != nil {
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "leadDepartment", Value: bson.D{{Key: "$gt", Value: after.LeadDepartment}}}},
			bson.D{{Key: "leadDepartment", Value: after.LeadDepartment}, {Key: "submittedAt", Value: bson.D{{Key: "$gt", Value: after.SubmittedAt}}}},
			bson.D{{Key: "leadDepartment", Value: after.LeadDepartment}, {Key: "submittedAt", Value: after.SubmittedAt}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: after.TaskID}}}},
		}}})
	}
	if len(and) > 0 {
		q = append(q, bson.E{Key: "$and", Value: and})
	}
	proj := bson.D{}
	for _, k := range []string{"version", "targetId", "targetName", "planId", "leadDepartment", "batch", "due", "team",
		"result.code", "result.label", "result.enteredAt", "submittedAt", "review", "evidence.uploaded", "updatedAt", "parts", "reviews"} {
		proj = append(proj, bson.E{Key: k, Value: 1})
	}
	opts := options.Find().SetSort(queueOrder).SetLimit(int64(limit)).SetProjection(proj)
	cur, err := s.DB.c(colTasks).Find(ctx, q, opts)
	if err != nil {
		return nil, translate("FindQueue", err)
	}
	var ts []*backend.Task
	if err := cur.All(ctx, &ts); err != nil {
		return nil, translate("FindQueue", err)
	}
	out := make([]*backend.QueuedTask, 0, len(ts))
	for _, t := range ts {
		if q := t.Queued(); f.Admits(q) {
			out = append(out, q)
		}
	}
	return out, nil
}

// queueOrder is the review queue's order, and its index on MongoDB.
var queueOrder = bson.D{{Key: "leadDepartment", Value: 1}, {Key: "submittedAt", Value: 1}, {Key: "_id", Value: 1}}

// findQueueIndexed reads the queue from the in-memory index: candidates in
// queue order, each confirmed by the task.
func (e *ferretEngine) findQueue(ctx context.Context, s *TaskStore, f backend.QueueFilter, after *backend.QueuePosition, limit int) ([]*backend.QueuedTask, error) {
	if !e.indexed() {
		return s.queryQueue(ctx, f, after, limit)
	}
	x := &e.tasks
	if err := x.ensure(ctx, e.db); err != nil {
		return nil, err
	}
	out := []*backend.QueuedTask{}
	from := after
	for len(out) < limit {
		cands := x.queued(f, from, limit-len(out))
		if len(cands) == 0 {
			return out, nil
		}
		for _, c := range cands {
			q, err := s.queuedAt(ctx, c)
			if err != nil {
				return nil, err
			}
			if q != nil && (f.State == "" || q.Review == f.State) && (f.PlanID == "" || q.PlanID == f.PlanID) && f.Admits(q) {
				out = append(out, q)
			}
		}
		from = &cands[len(cands)-1]
	}
	return out, nil
}

// queuedAt returns the queue entry of the task at position p if it is
// submitted and there, nil otherwise.
// The task is read (from the task cache once it was read: a reviewer's
// queue is read again and again, each page the same tasks).
func (s *TaskStore) queuedAt(ctx context.Context, p backend.QueuePosition) (*backend.QueuedTask, error) {
	t, err := s.FindTaskByID(ctx, p.TaskID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return queuedIfAt(t, p), nil
}

// queuedIfAt returns t's queue entry if t is submitted and at position p:
// a task listed under an older submission is found where it is now.
func queuedIfAt(t *backend.Task, p backend.QueuePosition) *backend.QueuedTask {
	if t.Status != backend.TaskSubmitted {
		return nil
	}
	if q := t.Queued(); q.Position().Compare(p) == 0 {
		return q
	}
	return nil
}

// scanMarkedKeys calls fn with every key that holds a mark. On the
// embedded store the marks are found by a direct read of two fields of
// every key in SQLite (DB.ScanJSON) and only the marked keys are read
// through FerretDB: the filter on "pending" made FerretDB decode every
// key, 1.15–1.38 s of the 4.0–4.4 s start-up of `serve` at 10,000 tasks
// (TestMeasureScale; the first sweep runs before the server answers).
func (s *TaskStore) scanMarkedKeys(ctx context.Context, fn func(*taskKey) error) error {
	var marked []string
	found := map[string]string{}
	fast, err := fastScan(ctx, s.DB, colTaskKeys, []string{"_id", "pending"}, func(f *struct {
		ID      string `json:"_id"`
		Pending string `json:"pending"`
	}) error {
		if f.Pending != "" {
			marked = append(marked, f.ID)
			found[f.ID] = f.Pending
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !fast {
		err := scan(ctx, s.DB.c(colTaskKeys), "SweepFeed", bson.D{{Key: "pending", Value: bson.D{{Key: "$exists", Value: true}}}}, func(k *taskKey) error {
			found[k.ID] = k.Pending
			return fn(k)
		})
		if err == nil && s.DB.engine.oneWriter() {
			s.DB.marks.learn(found)
		}
		return err
	}
	if s.DB.engine.oneWriter() {
		s.DB.marks.learn(found)
	}
	for _, id := range marked {
		k, err := findByID[taskKey](ctx, s.DB.c(colTaskKeys), "SweepFeed", "task key", id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			continue // settled and gone since
		}
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

// keyFields are what the index reads of a key, as ScanJSON reads them.
type keyFields struct {
	ID          string              `json:"_id"`
	Plan        string              `json:"plan"`
	Draw        string              `json:"draw"`
	Target      string              `json:"target"`
	Lead        string              `json:"lead"`
	Departments []string            `json:"departments"`
	Users       []string            `json:"users"`
	Status      backend.TaskStatus  `json:"status"`
	Version     int64               `json:"version"`
	Pending     string              `json:"pending"`
	SubmittedAt *int64              `json:"queued.submittedAt"` // milliseconds
	Review      backend.ReviewState `json:"queued.review"`
	Random      *bool               `json:"random"`
	Batch       string              `json:"batch"`
	Due         backend.Date        `json:"due"`
}

var keyFieldNames = []string{"_id", "plan", "draw", "target", "lead", "departments", "users", "status", "version", "pending", "queued.submittedAt", "queued.review", "random", "batch", "due"}

// scanKeys decodes every key (what the index needs of it).
func scanKeys(ctx context.Context, db *DB, fn func(*taskKey) error) error {
	fast, err := fastScan(ctx, db, colTaskKeys, keyFieldNames, func(f *keyFields) error {
		k := &taskKey{ID: f.ID, Plan: f.Plan, Draw: f.Draw, Target: f.Target, Lead: f.Lead, Departments: f.Departments,
			Users: f.Users, Status: f.Status, Version: f.Version, Pending: f.Pending, Random: f.Random, Batch: f.Batch, Due: f.Due}
		if f.SubmittedAt != nil {
			k.Queued = &backend.QueuedTask{SubmittedAt: time.UnixMilli(*f.SubmittedAt).UTC(), Review: f.Review}
		}
		return fn(k)
	})
	if fast || err != nil {
		return err
	}
	return scan(ctx, db.c(colTaskKeys), "scanKeys", bson.D{}, fn)
}
