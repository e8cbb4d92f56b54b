package mongo

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

const (
	colTasks       = "tasks"
	colTaskKeys    = "task_keys"
	colTaskOps     = "task_ops"
	colDraws       = "draws"
	colDrawRecords = "draw_records"
	colSelections  = "selections"
)

// TaskStore implements backend.TaskStore.
type TaskStore struct{ DB *DB }

var _ backend.TaskStore = (*TaskStore)(nil)

func (s *TaskStore) FindTaskByID(ctx context.Context, id string) (*backend.Task, error) {
	if t := s.DB.engine.cachedTask(id); t != nil {
		return t, nil
	}
	t, err := s.DB.engine.readTask(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	if err := s.DB.withForms(ctx, t); err != nil {
		return nil, err
	}
	s.DB.engine.cacheTask(t)
	return t, nil
}

func taskFilter(f backend.TaskFilter) bson.D {
	q := bson.D{}
	if f.PlanID != "" {
		q = append(q, bson.E{Key: "planId", Value: f.PlanID})
	}
	if f.DrawID != "" {
		q = append(q, bson.E{Key: "drawId", Value: f.DrawID})
	}
	if f.TeamUser != "" {
		q = append(q, bson.E{Key: "teamUsers", Value: f.TeamUser})
	}
	if len(f.Departments) > 0 {
		q = append(q, bson.E{Key: "departments", Value: in(f.Departments)})
	}
	if len(f.LeadDepartments) > 0 {
		q = append(q, bson.E{Key: "leadDepartment", Value: in(f.LeadDepartments)})
	}
	if len(f.Statuses) > 0 {
		q = append(q, bson.E{Key: "status", Value: in(f.Statuses)})
	}
	if f.TargetID != "" {
		q = append(q, bson.E{Key: "targetId", Value: f.TargetID})
	}
	if f.Batch != "" {
		q = append(q, bson.E{Key: "batch", Value: f.Batch})
	}
	if f.Member != "" {
		q = append(q, bson.E{Key: "team", Value: f.Member})
	}
	if f.Unplanned {
		q = append(q, bson.E{Key: "random", Value: false})
	}
	if f.DueBefore != "" {
		q = append(q, bson.E{Key: "due", Value: bson.D{{Key: "$lt", Value: string(f.DueBefore)}, {Key: "$gt", Value: ""}}})
	}
	return q
}

func (s *TaskStore) FindTasks(ctx context.Context, f backend.TaskFilter, p backend.PageRequest) (*backend.Page[*backend.Task], error) {
	return s.DB.engine.findTasks(ctx, s, f, p)
}

// queryTasks answers FindTasks with a query.
func (s *TaskStore) queryTasks(ctx context.Context, f backend.TaskFilter, p backend.PageRequest) (*backend.Page[*backend.Task], error) {
	if f.OrderByDue {
		return s.queryTasksByDue(ctx, f, p)
	}
	page, err := findPage(ctx, s.DB, s.DB.c(colTasks), "FindTasks", taskFilter(f), p, func(t *backend.Task) string { return t.ID })
	if err != nil {
		return nil, err
	}
	return page, s.DB.withForms(ctx, page.Items...)
}

// queryTasksByDue answers FindTasks in (due day, id) order, the cursor
// being the last task's (keyset: the same on MongoDB and FerretDB).
func (s *TaskStore) queryTasksByDue(ctx context.Context, f backend.TaskFilter, p backend.PageRequest) (*backend.Page[*backend.Task], error) {
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	q := taskFilter(f)
	if p.After != "" {
		due, id, err := backend.ParseDueCursor(p.After)
		if err != nil {
			return nil, err
		}
		q = append(q, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "due", Value: bson.D{{Key: "$gt", Value: string(due)}}}},
			bson.D{{Key: "due", Value: string(due)}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: id}}}},
		}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "due", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(p.Limit + 1))
	page, err := readPage(ctx, s.DB.c(colTasks), "FindTasks", q, opts, p.Limit, backend.DueCursor)
	if err != nil {
		return nil, err
	}
	return page, s.DB.withForms(ctx, page.Items...)
}

func (s *TaskStore) ScanTasks(ctx context.Context, f backend.TaskFilter, fn func(*backend.Task) error) error {
	return s.DB.engine.scanTasks(ctx, s, f, fn)
}

// queryScanTasks answers ScanTasks with a query.
func (s *TaskStore) queryScanTasks(ctx context.Context, f backend.TaskFilter, fn func(*backend.Task) error) error {
	return scan(ctx, s.DB.c(colTasks), "ScanTasks", taskFilter(f), func(t *backend.Task) error {
		if err := s.DB.withForms(ctx, t); err != nil {
			return err
		}
		return fn(t)
	})
}

func (s *TaskStore) CreateTasks(ctx context.Context, ts []*backend.Task) error {
	if len(ts) == 0 {
		return nil
	}
	if err := s.DB.withForms(ctx, ts...); err != nil {
		return err
	}
	now, nonce := s.DB.now(), newNonce()
	keys := make([]*taskKey, len(ts))
	for i, t := range ts {
		t.Version, t.CreatedAt, t.UpdatedAt = 1, now, now
		t.FeedUsers, t.Schema = feedUsers(nil, t.TeamUsers), backend.TaskSchema
		t.SetDerived()
		if err := stageAudit(ctx, t, nil, now); err != nil {
			return err
		}
		t.Audit = nil
		keys[i] = keyOf(t, nonce, now)
	}
	// The keys first, marked as writes under way: a task is never stored
	// without its key (the embedded index is built from the keys), and the
	// mark is the feed's outbox. A key left by a create that stopped before
	// its task is kept; the sweeper puts it right.
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	s.DB.marks.mark(nonce, ids...)
	if err := insertAll(ctx, s.DB.c(colTaskKeys), "CreateTasks", keys, true); err != nil {
		s.DB.sweep.unswept(ts...) // the sweeper reads what is in, and forgets what is not
		return err
	}
	s.DB.engine.writingTasks(ts...) // before the write: the index may hold more, never less
	if err := insertAll(ctx, s.DB.c(colTasks), "CreateTasks", ts, false); err != nil {
		// Some may be in: they keep their status as a write under way.
		return err
	}
	s.DB.engine.wroteTasks(true, ts...)
	for _, t := range ts {
		s.DB.engine.cacheTask(t)
	}
	_ = s.notify(ctx, nonce, ts...)
	return nil
}

func (s *TaskStore) UpdateTask(ctx context.Context, t *backend.Task) error {
	expected, users, updated := t.Version, t.FeedUsers, t.UpdatedAt
	now, nonce := s.DB.now(), newNonce()
	t.Version, t.UpdatedAt, t.Schema = expected+1, now, backend.TaskSchema
	t.FeedUsers = feedUsers(t.FeedUsers, t.TeamUsers)
	t.SetDerived()
	pending := t.AuditPending
	restore := func() { t.Version, t.FeedUsers, t.UpdatedAt, t.AuditPending = expected, users, updated, pending }
	old, err := s.swapKey(ctx, keyOf(t, nonce, now))
	if err != nil {
		restore()
		return err
	}
	// The write carries its audit entries (outbox.go); the key's mark
	// stays until they are appended.
	if err := stageAudit(ctx, t, carriedAudit(pending, old, expected), now); err != nil {
		restore()
		return err
	}
	if err := s.keepOps(ctx, t.Spilled); err != nil {
		restore()
		return err
	}
	s.DB.engine.writingTasks(t) // before the write: the index may hold more, never less
	if err := replaceVersioned(ctx, s.DB, s.DB.c(colTasks), "UpdateTask", "task", t.ID, expected, t); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) || backend.IsCode(err, backend.ENOTFOUND) {
			s.DB.engine.wroteTasks(false, t) // refused: it wrote nothing
		}
		// Read the task from the store next time: the one cached may be
		// what the write was refused for.
		s.DB.engine.forgetTask(t.ID)
		restore()
		return err
	}
	t.Spilled, t.Audit = nil, nil
	s.DB.engine.wroteTasks(true, t)
	s.DB.engine.cacheTask(t)
	_ = s.notify(ctx, nonce, t)
	return nil
}

// feedUsers is everyone who had the task and everyone who has it.
func feedUsers(had, has []string) []string {
	out := slices.Clone(had)
	for _, u := range has {
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// notify writes the feed entries of tasks just written under nonce and
// appends the audit entries they carry, then settles their keys where no later write marked them again (that write
// notifies for itself). The writers ignore its error: the write itself
// stands, and a mark left behind is SweepFeed's.
func (s *TaskStore) notify(ctx context.Context, nonce string, ts ...*backend.Task) error {
	byUser := map[string][]string{}
	for _, t := range ts {
		for _, u := range t.FeedUsers {
			byUser[u] = append(byUser[u], t.ID)
		}
	}
	if err := (&FeedStore{DB: s.DB}).Notify(ctx, byUser); err != nil {
		s.DB.sweep.unswept(ts...)
		return err
	}
	if err := s.appendAudit(ctx, ts); err != nil {
		s.DB.sweep.unswept(ts...)
		return err
	}
	if err := s.settleKeys(ctx, nonce, ts); err != nil {
		s.DB.sweep.unswept(ts...)
		return err
	}
	return nil
}

// scan decodes every document matching filter and calls fn on it.
func scan[T any](ctx context.Context, c *mongo.Collection, op string, filter bson.D, fn func(*T) error) error {
	cur, err := c.Find(ctx, filter, options.Find().SetBatchSize(1000))
	if err != nil {
		return translate(op, err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var v T
		if err := cur.Decode(&v); err != nil {
			return translate(op, err)
		}
		if err := fn(&v); err != nil {
			return err
		}
	}
	return translate(op, cur.Err())
}

// DrawStore implements backend.DrawStore.
type DrawStore struct{ DB *DB }

var _ backend.DrawStore = (*DrawStore)(nil)

func (s *DrawStore) CreateDraw(ctx context.Context, d *backend.Draw) error {
	d.Version = 1
	_, err := s.DB.c(colDraws).InsertOne(ctx, d)
	return translate("CreateDraw", err)
}

func (s *DrawStore) FindDrawByID(ctx context.Context, id string) (*backend.Draw, error) {
	return readByID[backend.Draw](ctx, s.DB, colDraws, "FindDrawByID", "draw", id)
}

func (s *DrawStore) UpdateDraw(ctx context.Context, d *backend.Draw) error {
	expected := d.Version
	d.Version = expected + 1
	if err := replaceVersioned(ctx, s.DB, s.DB.c(colDraws), "UpdateDraw", "draw", d.ID, expected, d); err != nil {
		d.Version = expected
		return err
	}
	return nil
}

// recordChunk is the size of one piece of a stored draw record: well under
// MongoDB's 16 MiB document limit. A record of a million candidates is
// about 70 MB of JSON.
const recordChunk = 4 << 20

type recordPiece struct {
	ID   string `bson:"_id"` // "<drawId>#<n>"
	N    int    `bson:"n"`
	Of   int    `bson:"of"`
	Data []byte `bson:"data"`
}

func pieceID(drawID string, n int) string { return fmt.Sprintf("%s#%05d", drawID, n) }

func (s *DrawStore) SaveDrawRecord(ctx context.Context, drawID string, data []byte) error {
	of := max((len(data)+recordChunk-1)/recordChunk, 1)
	c := s.DB.c(colDrawRecords)
	for n := 0; n < of; n++ {
		end := min((n+1)*recordChunk, len(data))
		piece := recordPiece{ID: pieceID(drawID, n), N: n, Of: of, Data: data[n*recordChunk : end]}
		if _, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: piece.ID}}, piece, options.Replace().SetUpsert(true)); err != nil {
			return translate("SaveDrawRecord", err)
		}
	}
	// A shorter record than before leaves pieces behind: remove them.
	for n := of; ; n++ {
		res, err := c.DeleteOne(ctx, bson.D{{Key: "_id", Value: pieceID(drawID, n)}})
		if err != nil {
			return translate("SaveDrawRecord", err)
		}
		if res.DeletedCount == 0 {
			return nil
		}
	}
}

func (s *DrawStore) LoadDrawRecord(ctx context.Context, drawID string) ([]byte, error) {
	var out []byte
	for n, of := 0, 1; n < of; n++ {
		p, err := readPiece(ctx, s.DB, pieceID(drawID, n))
		if err != nil {
			return nil, err
		}
		of = p.Of
		out = append(out, p.Data...)
	}
	return out, nil
}

func selectionID(year int, item, target string) string {
	return fmt.Sprintf("%d/%s/%s", year, item, target)
}

func (s *DrawStore) AddSelections(ctx context.Context, sel []*backend.Selection) error {
	for _, x := range sel {
		x.ID = selectionID(x.Year, x.ItemCode, x.TargetID)
	}
	// A selection that exists (the same target drawn again by a redraw) is
	// kept and the rest still go in.
	return insertAll(ctx, s.DB.c(colSelections), "AddSelections", sel, true)
}

func (s *DrawStore) RemoveSelections(ctx context.Context, drawID string) error {
	_, err := s.DB.c(colSelections).DeleteMany(ctx, bson.D{{Key: "drawId", Value: drawID}})
	return translate("RemoveSelections", err)
}

func onlyDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if !asBulkWriteException(err, &bwe) || bwe.WriteConcernError != nil {
		return false
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 {
			return false
		}
	}
	return true
}

func asBulkWriteException(err error, target *mongo.BulkWriteException) bool {
	if e, ok := err.(mongo.BulkWriteException); ok {
		*target = e
		return true
	}
	return false
}

func (s *DrawStore) SelectedTargets(ctx context.Context, year int, items []string, except map[string]bool) (map[string]bool, error) {
	out := map[string]bool{}
	err := scan(ctx, s.DB.c(colSelections), "SelectedTargets",
		bson.D{{Key: "year", Value: year}, {Key: "itemCode", Value: in(items)}},
		func(x *backend.Selection) error {
			if !except[x.DrawID] {
				out[x.TargetID] = true
			}
			return nil
		})
	return out, err
}

func (s *DrawStore) VisitCounts(ctx context.Context, year int, except map[string]bool) (map[string]int, error) {
	// A draw selects a target once for each of its items: its visits are
	// the distinct draws.
	seen := map[[2]string]bool{}
	out := map[string]int{}
	err := scan(ctx, s.DB.c(colSelections), "VisitCounts", bson.D{{Key: "year", Value: year}},
		func(x *backend.Selection) error {
			key := [2]string{x.TargetID, x.DrawID}
			if x.Remote || except[x.DrawID] || seen[key] {
				return nil
			}
			seen[key] = true
			out[x.TargetID]++
			return nil
		})
	return out, err
}

// sweepState is what SweepFeed remembers between sweeps in this process.
type sweepState struct {
	mu      sync.Mutex
	swept   bool                // the collection was swept once by this process
	pending map[string]struct{} // tasks whose feed entries failed since
}

// unswept remembers tasks whose feed entries could not be written.
func (x *sweepState) unswept(ts ...*backend.Task) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.pending == nil {
		x.pending = map[string]struct{}{}
	}
	for _, t := range ts {
		x.pending[t.ID] = struct{}{}
	}
}

// resweep makes the next sweep read the whole collection.
func (x *sweepState) resweep() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.swept = false
}

// takeUnswept returns (and forgets) the tasks to sweep, unless the
// collection must be read: on MongoDB always (other instances write too),
// on the embedded store the first time.
func (x *sweepState) takeUnswept(single bool) ([]string, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !single || !x.swept {
		x.swept = single
		x.pending = nil
		return nil, false
	}
	ids := make([]string, 0, len(x.pending))
	for id := range x.pending {
		ids = append(ids, id)
	}
	x.pending = nil
	return ids, true
}
