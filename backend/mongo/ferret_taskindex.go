package mongo

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

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
// It is a cache of the store, built on first use from the tasks' keys
// (taskkey.go), not the tasks; a restart rebuilds it.
//
// The review queue is an ordered set of positions (lead department,
// submission time, id) of the tasks that may be submitted, with the same
// rule: a task is listed under the position of its last committed write
// and those of writes under way, and FindQueue confirms each from the
// task's key.
type taskIndex struct {
	mu     sync.RWMutex
	loaded bool
	byUser map[string][]string // sorted ids
	ids    []string            // every task, sorted
	byID   map[string]*taskEntry
	queue  []backend.QueuePosition // sorted
}

// taskEntry is what the index keeps of a task.
type taskEntry struct {
	plan, draw, target, lead string
	departments              []string
	// random, batch and due are fixed at the task's creation; nil and ""
	// (keys written before they were kept) may match anything.
	random      *bool
	batch       string
	due         backend.Date
	version     int64              // the last write known to have committed
	status      backend.TaskStatus // its status
	submittedAt *time.Time         // and submission time
	review      backend.ReviewState
	pending     []pendingStatus // writes under way
	queued      []time.Time     // the submission times it is listed under in queue
}

type pendingStatus struct {
	version     int64
	status      backend.TaskStatus
	submittedAt *time.Time
	review      backend.ReviewState
}

// mayReview reports whether the task may be in review state st now.
func (e *taskEntry) mayReview(st backend.ReviewState) bool {
	return e.review == st || slices.ContainsFunc(e.pending, func(p pendingStatus) bool { return p.review == st })
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

// load reads the keys once. A key still marked (a write under way when
// the last process stopped, or one that failed) may say what a refused
// write meant to store: its task is read, and the index holds both. The
// caller holds the write lock.
func (x *taskIndex) load(ctx context.Context, db *DB) error {
	x.byUser, x.byID, x.ids, x.queue = map[string][]string{}, map[string]*taskEntry{}, nil, nil
	var marked []*taskKey
	err := scanKeys(ctx, db, func(k *taskKey) error {
		t := k.task()
		x.add(t)
		x.byID[t.ID].random = k.Random // nil for keys that did not keep it
		if k.Pending == "" {
			x.settle(t)
		} else {
			marked = append(marked, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range marked {
		t, err := findByID[backend.Task](ctx, db.c(colTasks), "taskIndex.load", "task", k.ID)
		if backend.IsCode(err, backend.ENOTFOUND) {
			continue
		}
		if err != nil {
			return err
		}
		x.add(t)
		x.settle(t)
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
		random := t.Random
		e = &taskEntry{plan: t.PlanID, draw: t.DrawID, target: t.TargetID, lead: t.LeadDepartment,
			departments: slices.Clone(t.Departments), status: t.Status, submittedAt: t.SubmittedAt, review: t.Review,
			random: &random, batch: t.Batch, due: t.Due}
		x.byID[t.ID] = e
		x.ids = insertSorted(x.ids, t.ID)
	}
	for _, d := range t.Departments { // a replacement's part may join a visit with its departments
		if !slices.Contains(e.departments, d) {
			e.departments = append(e.departments, d)
		}
	}
	e.pending = append(e.pending, pendingStatus{t.Version, t.Status, t.SubmittedAt, t.Review})
	x.requeue(t.ID, e)
}

// requeue lists the task in the queue under the submission time of its
// committed write if that is submitted and those of its writes under way
// that are, and nowhere else. The caller holds the write lock.
func (x *taskIndex) requeue(id string, e *taskEntry) {
	var want []time.Time
	if e.status == backend.TaskSubmitted && e.submittedAt != nil {
		want = append(want, *e.submittedAt)
	}
	for _, p := range e.pending {
		if p.status == backend.TaskSubmitted && p.submittedAt != nil && !slices.ContainsFunc(want, p.submittedAt.Equal) {
			want = append(want, *p.submittedAt)
		}
	}
	for _, at := range e.queued {
		if !slices.ContainsFunc(want, at.Equal) {
			pos := backend.QueuePosition{LeadDepartment: e.lead, SubmittedAt: at, TaskID: id}
			if i, found := slices.BinarySearchFunc(x.queue, pos, backend.QueuePosition.Compare); found {
				x.queue = slices.Delete(x.queue, i, i+1)
			}
		}
	}
	for _, at := range want {
		pos := backend.QueuePosition{LeadDepartment: e.lead, SubmittedAt: at, TaskID: id}
		if i, found := slices.BinarySearchFunc(x.queue, pos, backend.QueuePosition.Compare); !found {
			x.queue = slices.Insert(x.queue, i, pos)
		}
	}
	e.queued = want
}

// queued lists, in queue order, up to n positions after from (from the
// start when nil) of tasks that may be in the queue f selects.
func (x *taskIndex) queued(f backend.QueueFilter, from *backend.QueuePosition, n int) []backend.QueuePosition {
	x.mu.RLock()
	defer x.mu.RUnlock()
	start := 0
	if from != nil {
		i, found := slices.BinarySearchFunc(x.queue, *from, backend.QueuePosition.Compare)
		if found {
			i++
		}
		start = i
	}
	var out []backend.QueuePosition
	for _, p := range x.queue[start:] {
		if len(out) == n {
			break
		}
		e := x.byID[p.TaskID]
		switch {
		case e == nil,
			len(f.LeadDepartments)+len(f.PartDepartments) > 0 && !slices.Contains(f.LeadDepartments, p.LeadDepartment) &&
				!slices.ContainsFunc(e.departments, func(d string) bool { return slices.Contains(f.PartDepartments, d) }),
			f.PlanID != "" && e.plan != f.PlanID,
			f.State != "" && !e.mayReview(f.State):
			continue
		}
		out = append(out, p)
	}
	return out
}

// settle records that the write of t at t.Version committed (ok) or not.
// The caller holds the write lock.
func (x *taskIndex) settle(t *backend.Task) {
	e := x.byID[t.ID]
	if e == nil {
		return
	}
	if t.Version > e.version {
		e.version, e.status, e.submittedAt, e.review = t.Version, t.Status, t.SubmittedAt, t.Review
	}
	// Writes at or below the committed version can no longer commit.
	e.pending = slices.DeleteFunc(e.pending, func(p pendingStatus) bool { return p.version <= e.version })
	x.requeue(t.ID, e)
}

// drop forgets the status of a write of t that failed. The caller holds
// the write lock.
func (x *taskIndex) drop(t *backend.Task) {
	if e := x.byID[t.ID]; e != nil {
		e.pending = slices.DeleteFunc(e.pending, func(p pendingStatus) bool { return p.version == t.Version })
		x.requeue(t.ID, e)
	}
}

func insertSorted(ids []string, id string) []string {
	if i, found := slices.BinarySearch(ids, id); !found {
		return slices.Insert(ids, i, id)
	}
	return ids
}

// settled returns the task's last committed version when no write of it
// is under way (false otherwise, or when the index is not built).
func (x *taskIndex) settled(id string) (int64, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e := x.byID[id]
	if !x.loaded || e == nil || len(e.pending) > 0 || e.version == 0 {
		return 0, false
	}
	return e.version, true
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
	return x.candidatesAfter(f, "", -1)
}

// candidatesAfter lists, in id order, up to n (all when n < 0) of the
// tasks after id after that may match f: a page in id order reads the
// index only as far as it needs (listing every candidate of the first
// page was three quarters of a task list's CPU at 13,600 tasks,
// profiled).
func (x *taskIndex) candidatesAfter(f *backend.TaskFilter, after string, n int) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ids := x.ids
	if f.TeamUser != "" {
		ids = x.byUser[f.TeamUser]
	}
	if after != "" {
		i, found := slices.BinarySearch(ids, after)
		if found {
			i++
		}
		ids = ids[i:]
	}
	var out []string
	for _, id := range ids {
		if len(out) == n {
			break
		}
		e := x.byID[id]
		switch {
		case e == nil,
			f.PlanID != "" && e.plan != f.PlanID,
			f.DrawID != "" && e.draw != f.DrawID,
			f.TargetID != "" && e.target != f.TargetID,
			len(f.LeadDepartments) > 0 && !slices.Contains(f.LeadDepartments, e.lead),
			len(f.Departments) > 0 && !slices.ContainsFunc(e.departments, func(d string) bool { return slices.Contains(f.Departments, d) }),
			f.Unplanned && e.random != nil && *e.random,
			f.Batch != "" && e.batch != "" && e.batch != f.Batch,
			f.DueBefore != "" && e.due != "" && e.due >= f.DueBefore,
			!e.mayHave(f.Statuses):
			continue
		}
		out = append(out, id)
	}
	return out
}

// byDue orders ids by (due day, id) as the index knows the due days (a
// key that did not keep it counts as no day), and returns where the page
// after cursor after starts.
func (x *taskIndex) byDue(ids []string, after string) ([]string, int, error) {
	x.mu.RLock()
	due := make(map[string]backend.Date, len(ids))
	for _, id := range ids {
		if e := x.byID[id]; e != nil {
			due[id] = e.due
		}
	}
	x.mu.RUnlock()
	sorted := slices.Clone(ids)
	cmpDue := func(d1 backend.Date, id1 string, d2 backend.Date, id2 string) int {
		if c := cmp.Compare(d1, d2); c != 0 {
			return c
		}
		return cmp.Compare(id1, id2)
	}
	slices.SortFunc(sorted, func(a, b string) int { return cmpDue(due[a], a, due[b], b) })
	if after == "" {
		return sorted, 0, nil
	}
	d, id, err := backend.ParseDueCursor(after)
	if err != nil {
		return nil, 0, err
	}
	start, _ := slices.BinarySearchFunc(sorted, id, func(e, _ string) int { return cmpDue(due[e], e, d, id) })
	for start < len(sorted) && cmpDue(due[sorted[start]], sorted[start], d, id) <= 0 {
		start++
	}
	return sorted, start, nil
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
		f.TargetID != "" && t.TargetID != f.TargetID,
		f.Batch != "" && t.Batch != f.Batch,
		f.Member != "" && !slices.Contains(t.Team, f.Member),
		f.Unplanned && t.Random,
		f.DueBefore != "" && (t.Due == "" || t.Due >= f.DueBefore):
		return false
	}
	return true
}

// scanTasks answers ScanTasks from the index, in id order.
func (e *ferretEngine) scanTasks(ctx context.Context, s *TaskStore, f backend.TaskFilter, fn func(*backend.Task) error) error {
	if !e.indexed() {
		return s.queryScanTasks(ctx, f, fn)
	}
	x := &e.tasks
	if err := x.ensure(ctx, e.db); err != nil {
		return err
	}
	for _, id := range x.candidates(&f) {
		t, err := e.candidate(ctx, s, &f, id)
		if err != nil {
			return err
		}
		if t != nil {
			if err := fn(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// findTasks answers FindTasks from the index: pages in id order, the
// cursor being the last id of the page.
func (e *ferretEngine) findTasks(ctx context.Context, s *TaskStore, f backend.TaskFilter, p backend.PageRequest) (*backend.Page[*backend.Task], error) {
	if !e.indexed() {
		return s.queryTasks(ctx, f, p)
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	x := &e.tasks
	if err := x.ensure(ctx, e.db); err != nil {
		return nil, err
	}
	// In id order the candidates come in batches after the cursor; by
	// due day all of them are sorted first.
	var (
		ids   []string
		start int
		more  func(last string) []string
	)
	if f.OrderByDue {
		var err error
		if ids, start, err = x.byDue(x.candidates(&f), p.After); err != nil {
			return nil, err
		}
		more = func(string) []string { return nil }
	} else {
		batch := p.Limit + 1
		more = func(last string) []string {
			next := x.candidatesAfter(&f, last, batch)
			batch = min(2*batch, 4096) // a sparse filter reads on
			return next
		}
		ids = more(p.After)
	}
	page := &backend.Page[*backend.Task]{Items: []*backend.Task{}}
	for i := start; ; i++ {
		if i == len(ids) {
			if len(ids) == 0 {
				break
			}
			if ids, i = more(ids[len(ids)-1]), 0; len(ids) == 0 {
				break
			}
		}
		id := ids[i]
		t, err := e.candidate(ctx, s, &f, id)
		if err != nil {
			return nil, err
		}
		if t == nil {
			continue
		}
		if len(page.Items) == p.Limit {
			page.NextCursor = page.Items[len(page.Items)-1].ID
			if f.OrderByDue {
				page.NextCursor = backend.DueCursor(page.Items[len(page.Items)-1])
			}
			break
		}
		page.Items = append(page.Items, t)
	}
	return page, nil
}

// WarmTaskIndex builds the indexes of the logins' tasks and of the
// check-ins now rather than on first use. It does nothing on MongoDB.
func (db *DB) WarmTaskIndex(ctx context.Context) error { return db.engine.warmTasks(ctx) }

func (e *ferretEngine) warmTasks(ctx context.Context) error {
	if !e.indexed() {
		return nil
	}
	if err := e.tasks.ensure(ctx, e.db); err != nil {
		return err
	}
	return e.checkIns.ensure(ctx, e.db)
}

func (e *ferretEngine) writingTasks(ts ...*backend.Task) { e.tasks.put(ts...) }

func (e *ferretEngine) wroteTasks(committed bool, ts ...*backend.Task) {
	e.tasks.done(committed, ts...)
}

// oneWriter: the embedded store's data directory is locked to this
// process.
func (e *ferretEngine) oneWriter() bool { return e.indexed() }
