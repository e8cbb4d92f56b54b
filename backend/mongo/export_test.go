package mongo

import (
	"context"
	"sync"

	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// UseMongoDBPath makes db take the code paths written for MongoDB (conditions
// in update filters, pages sorted by _id) even on FerretDB, where they are
// slower but correct, so that the tests exercise them without a MongoDB.
func UseMongoDBPath(db *DB) {
	db.engine = mongoEngine{}
	db.SingleProcess = false
}

// LimitTaskCache bounds db's task cache to n tasks; CachedTasks says how
// many it holds.
func LimitTaskCache(db *DB, n int) {
	if e, ok := db.engine.(*ferretEngine); ok {
		e.cache.max = n
	}
}

func CachedTasks(db *DB) int {
	e, ok := db.engine.(*ferretEngine)
	if !ok {
		return 0 // MongoDB keeps nothing
	}
	c := &e.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byID)
}

// SlowFeedWriter makes s call f after taking numbers and before writing
// the entries: a writer that commits late, or (f blocks) never.
func SlowFeedWriter(s *FeedStore, f func(user string, first int64)) { s.beforeInsert = f }

// RenewLeaseNow renews db's writer lease at once, as its ticker would, and
// reports whether it found the lease lost.
func RenewLeaseNow(db *DB) bool { return db.renewLeaseOnce() }

// SameLocks reports whether a and b share their striped locks.
func SameLocks(a, b *DB) bool {
	return a.engine.shared() != nil && a.engine.shared() == b.engine.shared()
}

// LeaseHolder is this process's name in writer leases.
func LeaseHolder() string { return processID }

// Commands counts the commands a client sent, by command name and
// collection ("update tasks", "find task_keys" …), and the documents its
// reads returned, by collection.
type Commands struct {
	mu   sync.Mutex
	n    map[string]int
	docs map[string]int
	reqs map[int64]string // request id → collection of a read
}

// Reset forgets the commands counted so far.
func (c *Commands) Reset() {
	c.mu.Lock()
	c.n, c.docs, c.reqs = map[string]int{}, map[string]int{}, map[int64]string{}
	c.mu.Unlock()
}

// Docs returns how many documents reads of collection returned.
func (c *Commands) Docs(collection string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.docs[collection]
}

// Count returns how many commands name sent to collection.
func (c *Commands) Count(name, collection string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name+" "+collection]
}

// Writes returns how many commands changed documents of collection.
func (c *Commands) Writes(collection string) int {
	return c.Count("insert", collection) + c.Count("update", collection) + c.Count("delete", collection) + c.Count("findAndModify", collection)
}

// OpenCounting connects to database name at uri like Open, with a client
// that counts the commands it sends.
func OpenCounting(ctx context.Context, uri, name string) (*DB, *Commands, error) {
	c := &Commands{}
	c.Reset()
	mon := &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			coll, _ := e.Command.Lookup(e.CommandName).StringValueOK()
			if e.CommandName == "getMore" {
				coll, _ = e.Command.Lookup("collection").StringValueOK()
			}
			c.mu.Lock()
			c.n[e.CommandName+" "+coll]++
			if e.CommandName == "find" || e.CommandName == "getMore" {
				c.reqs[e.RequestID] = coll
			}
			c.mu.Unlock()
		},
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			c.mu.Lock()
			defer c.mu.Unlock()
			coll, ok := c.reqs[e.RequestID]
			if !ok {
				return
			}
			for _, batch := range []string{"firstBatch", "nextBatch"} {
				if docs, err := e.Reply.LookupErr("cursor", batch); err == nil {
					vals, _ := docs.Array().Values()
					c.docs[coll] += len(vals)
				}
			}
		},
	}
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri).SetMonitor(mon))
	if err != nil {
		return nil, nil, err
	}
	db, err := newDB(ctx, client, name)
	if err != nil {
		_ = client.Disconnect(ctx)
		return nil, nil, err
	}
	return db, c, nil
}

// ForgetCachedTask drops db's decoded copy of task id, so that the next
// read decodes it again (a first read, in benchmarks).
func ForgetCachedTask(db *DB, id string) { db.engine.forgetTask(id) }

// ReadTaskThroughFerretDB reads task id through the wire protocol, as
// every engine can, bypassing the embedded store's direct read.
func ReadTaskThroughFerretDB(ctx context.Context, db *DB, id string) (*backend.Task, error) {
	return findByID[backend.Task](ctx, db.c(colTasks), "FindTaskByID", "task", id)
}

// SJSONToBSON is the conversion of the direct read.
func SJSONToBSON(b []byte) ([]byte, error) { return sjsonToBSON(b) }

// InsertResultEntries stores entries as they are, in one insert and
// without audit records: benchmarks fill the register fast.
func InsertResultEntries(ctx context.Context, db *DB, es []*backend.ResultEntry) error {
	docs := make([]any, len(es))
	for i, e := range es {
		docs[i] = e
	}
	_, err := db.c(colResults).InsertMany(ctx, docs)
	return err
}

// ReadTargetThroughFerretDB reads target id through the wire protocol.
func ReadTargetThroughFerretDB(ctx context.Context, db *DB, id string) (*backend.Target, error) {
	return findByID[backend.Target](ctx, db.c(colTargets), "FindTargetByID", "target", id)
}

// ReadAuditEntryThroughFerretDB reads audit entry seq through the wire
// protocol.
func ReadAuditEntryThroughFerretDB(ctx context.Context, db *DB, seq int64) (*backend.AuditEntry, error) {
	d, err := findByID[auditDoc](ctx, db.c(colAudit), "FindAuditEntry", "audit entry", auditID(seq))
	if err != nil {
		return nil, err
	}
	return &d.AuditEntry, nil
}

// ReadThroughFerretDB reads document id of collection through the wire
// protocol.
func ReadThroughFerretDB[T any](ctx context.Context, db *DB, collection, id string) (*T, error) {
	return findByID[T](ctx, db.c(collection), "read", collection, id)
}
