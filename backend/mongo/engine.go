package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// engine is what the stores do differently on the two servers they run
// on, chosen once when the DB is opened (Open asks the server what it is):
// mongoEngine, below, on MongoDB, where a condition goes into the filter of
// an update and every filter is a query; ferretEngine (ferret_engine.go)
// on FerretDB, whose workarounds — read-then-write under a lock of this
// process, offset cursors, and for the embedded store with its one writer
// the in-memory indexes and caches — live in the ferret_*.go files. The
// stores call their engine and read as one path.
type engine interface {
	// countInspectors and countPlans count without a query where the
	// engine can (ferret_count.go); ok false: count with a query.
	countInspectors(ctx context.Context, db *DB, f backend.InspectorFilter) (n int, ok bool, err error)
	countPlans(ctx context.Context, db *DB, f backend.PlanFilterQuery) (n int, ok bool, err error)
	// updateIf applies update (an update document, or a replacement when
	// replace is true) to the document with the given _id if its fields
	// equal cond (nil in cond: the field is missing or null). It reports
	// whether the document existed and matched.
	updateIf(ctx context.Context, c *mongo.Collection, id any, cond bson.D, update any, replace bool) (bool, error)
	// exclusive orders a read-then-write of one document (a
	// findAndModify) with the other writes of it; the caller calls the
	// function it returns when done.
	exclusive(coll string, id any) (unlock func())
	// secondaryIndexes reports whether the indexes that are not unique
	// (they only speed up queries) are created.
	secondaryIndexes() bool
	// pageQuery turns a page request into the filter and options of its
	// query, and gives the cursor of the next page from the page's last id.
	pageQuery(filter bson.D, p backend.PageRequest) (bson.D, *options.FindOptions, func(lastID string) string, error)
	// addPublishedResult adds r to the target's published results unless
	// a result of its task is there; with replace, a result of its task
	// whose version is below r's is replaced by r.
	addPublishedResult(ctx context.Context, c *mongo.Collection, targetID string, r backend.PublishedResult, replace bool) error
	// fetchFeed reads the entries from..to of user's feed that exist.
	fetchFeed(ctx context.Context, s *FeedStore, user string, from, to int64) (map[int64]*feedDoc, error)
	// orderedBatch is the most documents one ordered insert may send and
	// still stop at its first failure.
	orderedBatch() int
	// shared is what the DBs of this process on the same database share:
	// the striped locks and the writer lease (ferret_lease.go); nil where
	// nothing is (MongoDB).
	shared() *storeState

	taskEngine
	targetEngine
	checkInEngine
	inspectorEngine
	resultEngine
	auditEngine
}

// auditEngine is how the audit of one object is found: by query, or (the
// embedded store) from its in-memory index, which learns of every entry
// before it is written.
type auditEngine interface {
	writingAudit(entries []*backend.AuditEntry)
	findAuditEntries(ctx context.Context, s *AuditStore, objectType, objectID string, limit int) ([]*backend.AuditEntry, error)
}

// resultEngine is how the results register is listed and counted: by
// query, or (the embedded store) from its in-memory index.
type resultEngine interface {
	findResults(ctx context.Context, s *ResultStore, f backend.ResultFilter, p backend.PageRequest) (*backend.Page[*backend.ResultEntry], error)
	countResults(ctx context.Context, s *ResultStore, departments []string, today backend.Date) (backend.ResultCounts, error)
	// wroteResult is told of a committed write of the register.
	wroteResult(e *backend.ResultEntry)
}

// taskEngine is how the task store finds tasks: by query, or (the embedded
// store) from its in-memory index and cache, which learn of every write.
type taskEngine interface {
	// readTask reads task id from the store.
	readTask(ctx context.Context, db *DB, id string) (*backend.Task, error)
	// cachedTask returns a copy of task id as last committed, or nil.
	cachedTask(id string) *backend.Task
	// cacheTask keeps a copy of t, just read or written.
	cacheTask(t *backend.Task)
	// forgetTask drops the copy of task id: a write of it was refused.
	forgetTask(id string)
	// writingTasks is told of tasks about to be written, wroteTasks of
	// the end of the write (committed: it stored them).
	writingTasks(ts ...*backend.Task)
	wroteTasks(committed bool, ts ...*backend.Task)
	findTasks(ctx context.Context, s *TaskStore, f backend.TaskFilter, p backend.PageRequest) (*backend.Page[*backend.Task], error)
	scanTasks(ctx context.Context, s *TaskStore, f backend.TaskFilter, fn func(*backend.Task) error) error
	findQueue(ctx context.Context, s *TaskStore, f backend.QueueFilter, after *backend.QueuePosition, limit int) ([]*backend.QueuedTask, error)
	// countTasks counts tasks by lead department and status
	// (TaskStore.CountTasks).
	countTasks(ctx context.Context, s *TaskStore, departments []string) ([]backend.TaskCount, error)
	// countOverdueTasks counts the open tasks due before a day
	// (TaskStore.CountOverdueTasks).
	countOverdueTasks(ctx context.Context, s *TaskStore, departments []string, before backend.Date) (int, error)
	// oneWriter reports whether this process is the store's one writer,
	// so that what it remembers of its own writes is all there is.
	oneWriter() bool
	// warmTasks builds the in-memory indexes of tasks and check-ins now
	// rather than on first use.
	warmTasks(ctx context.Context) error
}

// targetEngine is how the target store lists targets.
type targetEngine interface {
	findTargets(ctx context.Context, s *TargetStore, f backend.TargetFilter, p backend.PageRequest) (*backend.Page[*backend.Target], error)
	// writeTargets runs a write of the directory that stores the targets
	// stored (bulk: an insert of many, which may store part of them).
	writeTargets(bulk bool, write func() error, stored ...*backend.Target) error
	warmTargets(ctx context.Context) error
}

// checkInEngine is how the check-in store finds check-ins.
type checkInEngine interface {
	// writingCheckIn is told of a check-in about to be written.
	writingCheckIn(c *backend.CheckIn)
	checkInsOfTask(ctx context.Context, s *CheckInStore, taskID string) ([]*backend.CheckIn, error)
	checkInsOfTarget(ctx context.Context, s *CheckInStore, targetID string, since time.Time) ([]*backend.CheckIn, error)
	unplannedCheckIns(ctx context.Context, s *CheckInStore, since, until time.Time, limit int) ([]*backend.CheckIn, error)
	// updatedCheckIn is told of a check-in replaced (a back-fill).
	updatedCheckIn(id string)
	// writeVisitCounts runs write, the store's increments incs.
	writeVisitCounts(incs []backend.VisitCountIncrement, at time.Time, write func() error) error
	topVisitCounts(ctx context.Context, s *VisitCountStore, year int, kind string, limit int) ([]*backend.VisitCount, error)
}

// inspectorEngine keeps the inspectors read by id, or does not.
type inspectorEngine interface {
	cachedInspector(id string) *backend.Inspector
	cacheInspector(in *backend.Inspector)
	forgetInspector(id string)
}

// mongoEngine is the engine of MongoDB: conditions in the filters of
// updates, applied atomically by the server; pages in _id order with the
// last _id as the cursor; every read a query, since other instances write
// too and nothing this process remembers would be the whole truth.
type mongoEngine struct{}

func (mongoEngine) orderedBatch() int { return insertBatchSize }

func (mongoEngine) updateIf(ctx context.Context, c *mongo.Collection, id any, cond bson.D, update any, replace bool) (bool, error) {
	filter := append(bson.D{{Key: "_id", Value: id}}, cond...)
	var (
		res *mongo.UpdateResult
		err error
	)
	if replace {
		res, err = c.ReplaceOne(ctx, filter, update)
	} else {
		res, err = c.UpdateOne(ctx, filter, update)
	}
	if err != nil {
		return false, err
	}
	return res.MatchedCount == 1, nil
}

// exclusive does nothing: MongoDB applies a findAndModify atomically.
func (mongoEngine) exclusive(string, any) func() { return func() {} }

func (mongoEngine) secondaryIndexes() bool { return true }

// pageQuery: an index range scan, whatever the page.
func (mongoEngine) pageQuery(filter bson.D, p backend.PageRequest) (bson.D, *options.FindOptions, func(string) string, error) {
	opts := options.Find().SetLimit(int64(p.Limit + 1)).SetSort(bson.D{{Key: "_id", Value: 1}})
	if p.After != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: p.After}}})
	}
	return filter, opts, func(last string) string { return last }, nil
}

func (mongoEngine) addPublishedResult(ctx context.Context, c *mongo.Collection, targetID string, r backend.PublishedResult, replace bool) error {
	if replace {
		// The result of the task, of a lower version (or of none: published
		// before the register), is replaced in place.
		older := bson.D{{Key: "$elemMatch", Value: bson.D{{Key: "taskId", Value: r.TaskID}, {Key: "$or", Value: bson.A{
			bson.D{{Key: "version", Value: bson.D{{Key: "$lt", Value: r.Version}}}},
			bson.D{{Key: "version", Value: bson.D{{Key: "$exists", Value: false}}}},
		}}}}}
		res, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: targetID}, {Key: "results", Value: older}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "results.$", Value: r}}}})
		if err != nil || res.MatchedCount == 1 {
			return err
		}
	}
	// The filter misses a document that has the result already; the
	// upsert then collides with it on _id, which means done.
	_, err := c.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: targetID}, {Key: "results.taskId", Value: bson.D{{Key: "$ne", Value: r.TaskID}}}},
		bson.D{{Key: "$push", Value: bson.D{{Key: "results", Value: r}}}},
		options.Update().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		return nil
	}
	return err
}

func (mongoEngine) fetchFeed(ctx context.Context, s *FeedStore, user string, from, to int64) (map[int64]*feedDoc, error) {
	return s.queryFeed(ctx, user, from, to)
}

func (mongoEngine) shared() *storeState { return nil }

func (mongoEngine) cachedTask(string) *backend.Task    { return nil }
func (mongoEngine) cacheTask(*backend.Task)            {}
func (mongoEngine) forgetTask(string)                  {}
func (mongoEngine) writingTasks(...*backend.Task)      {}
func (mongoEngine) wroteTasks(bool, ...*backend.Task)  {}
func (mongoEngine) oneWriter() bool                    { return false }
func (mongoEngine) warmTasks(context.Context) error    { return nil }
func (mongoEngine) warmTargets(context.Context) error  { return nil }
func (mongoEngine) writingCheckIn(*backend.CheckIn)    {}
func (mongoEngine) writingAudit([]*backend.AuditEntry) {}
func (mongoEngine) findAuditEntries(ctx context.Context, s *AuditStore, objectType, objectID string, limit int) ([]*backend.AuditEntry, error) {
	return s.queryAuditEntries(ctx, objectType, objectID, limit)
}
func (mongoEngine) cachedInspector(string) *backend.Inspector { return nil }
func (mongoEngine) cacheInspector(*backend.Inspector)         {}
func (mongoEngine) forgetInspector(string)                    {}

func (mongoEngine) readTask(ctx context.Context, db *DB, id string) (*backend.Task, error) {
	return findByID[backend.Task](ctx, db.c(colTasks), "FindTaskByID", "task", id)
}

func (mongoEngine) findTasks(ctx context.Context, s *TaskStore, f backend.TaskFilter, p backend.PageRequest) (*backend.Page[*backend.Task], error) {
	return s.queryTasks(ctx, f, p)
}

func (mongoEngine) scanTasks(ctx context.Context, s *TaskStore, f backend.TaskFilter, fn func(*backend.Task) error) error {
	return s.queryScanTasks(ctx, f, fn)
}

func (mongoEngine) findQueue(ctx context.Context, s *TaskStore, f backend.QueueFilter, after *backend.QueuePosition, limit int) ([]*backend.QueuedTask, error) {
	return s.queryQueue(ctx, f, after, limit)
}

func (mongoEngine) findTargets(ctx context.Context, s *TargetStore, f backend.TargetFilter, p backend.PageRequest) (*backend.Page[*backend.Target], error) {
	return s.queryTargets(ctx, f, p)
}

func (mongoEngine) writeTargets(_ bool, write func() error, _ ...*backend.Target) error {
	return write()
}

func (mongoEngine) checkInsOfTask(ctx context.Context, s *CheckInStore, taskID string) ([]*backend.CheckIn, error) {
	return s.queryOfTask(ctx, taskID)
}

func (mongoEngine) writeVisitCounts(_ []backend.VisitCountIncrement, _ time.Time, write func() error) error {
	return write()
}

func (mongoEngine) updatedCheckIn(string) {}

func (mongoEngine) topVisitCounts(ctx context.Context, s *VisitCountStore, year int, kind string, limit int) ([]*backend.VisitCount, error) {
	return s.queryTop(ctx, year, kind, limit)
}

func (mongoEngine) unplannedCheckIns(ctx context.Context, s *CheckInStore, since, until time.Time, limit int) ([]*backend.CheckIn, error) {
	return s.queryUnplanned(ctx, since, until, limit)
}

func (mongoEngine) checkInsOfTarget(ctx context.Context, s *CheckInStore, targetID string, since time.Time) ([]*backend.CheckIn, error) {
	return s.queryOfTarget(ctx, targetID, since)
}
