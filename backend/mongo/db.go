// Package mongo implements the backend store interfaces on MongoDB with the
// official driver. The same code serves a MongoDB replica set in production
// and the embedded FerretDB (backend/embedded) by default, so it uses only
// what both support: no multi-document transactions, no change streams, no
// $sample. Atomicity comes from single-document updates guarded by a version
// field, unique indexes and idempotency keys.
//
// FerretDB v1 on SQLite pushes only _id equality down to SQL; every other
// filter scans the collection. Natural keys (USCC, item code, username) are
// therefore used as _id wherever they exist, so that hot lookups stay cheap
// on both engines.
//
// Tasks keep small documents beside them (taskkey.go): a key per task,
// which is also the change feed's outbox, and the operation records that
// left the task document. On the embedded store, whose one writer is this
// process, in-memory indexes of targets, tasks (the review queue's order
// included) and check-ins answer filters, built at start from a direct
// read of a few fields in SQLite (DB.ScanJSON), and tasks and inspectors
// once decoded are kept (ferret_taskcache.go); a task not kept is read
// straight from SQLite (DB.FindJSON, ferret_sjson.go). The store's layout has a
// version and Migrate upgrades an older one (migrate.go).
//
// What the stores do differently on the two engines is one interface,
// engine (engine.go), chosen when the DB is opened: the MongoDB engine
// puts conditions into the filters of updates and answers every read with
// a query; the FerretDB engine and its workarounds (locks, offset
// cursors, the in-memory indexes and caches, the writer lease) are in the
// ferret_*.go files. The stores call their engine and read as one path.
//
// The audit outbox (outbox.go): a task's key is also the mark of its audit
// entries, which the task carries and the store appends before it settles
// the key; targets' writes put a mark of their own in the outbox
// collection. Intents of operations of several writes are in intents
// (intent.go).
package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Collection names.
const (
	colDepartments   = "departments"
	colUsers         = "users"
	colTargets       = "targets"
	colInspectors    = "inspectors"
	colExperts       = "experts"
	colItems         = "items"
	colTemplates     = "templates"
	colAudit         = "audit"
	colAuditHead     = "audit_head"
	colRefreshTokens = "refresh_tokens"
	colTokenFamilies = "token_families"
	colThrottle      = "throttle"
)

// DB is a connection to one fieldcheck database.
type DB struct {
	Client   *mongo.Client
	Database *mongo.Database
	// Now is the clock used for timestamps; tests replace it.
	Now func() time.Time

	// SingleProcess says that this process is the only one writing to the
	// store: true for the embedded FerretDB, whose data directory is locked.
	// It enables in-memory indexes that would be wrong with other writers.
	SingleProcess bool
	// ScanJSON, when set (the embedded store: embedded.Server.ScanJSON),
	// reads a few fields of every document of a collection much faster
	// than a query does: the in-memory indexes start with it.
	ScanJSON func(ctx context.Context, collection string, fields []string, fn func([]byte) error) error
	// Audit appends the audit entries that task writes carry (outbox.go):
	// the process's audit log. Unset, the DB makes a log of its own.
	Audit     backend.AuditAppender
	auditOnce sync.Once
	// FindJSON, when set (the embedded store: embedded.Server.FindJSON),
	// reads the stored form of one document by its string _id, nil when
	// there is none: tasks are read with it (ferret_sjson.go).
	FindJSON func(ctx context.Context, collection, id string) ([]byte, error)

	// engine is what the stores do differently on MongoDB and on
	// FerretDB (engine.go), chosen in Open.
	engine     engine
	holdsLease bool
	failures   *commandFailures
	sweep      sweepState
	marks      markSet // the task keys marked pending (backlog.go)
	forms      formCache
}

// Open connects to uri and selects database name. It does not create
// indexes; call EnsureIndexes once at start.
func Open(ctx context.Context, uri, name string) (*DB, error) {
	failures := &commandFailures{}
	opts := options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(10 * time.Second).
		SetTimeout(30 * time.Second).
		SetMonitor(failures.monitor())
	client, err := mongo.Connect(ctx, opts)
	if err != nil {
		return nil, &backend.Error{Code: backend.EUNAVAILABLE, Op: "mongo.Open", Message: "cannot connect to the store", Err: err}
	}
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, &backend.Error{Code: backend.EUNAVAILABLE, Op: "mongo.Open", Message: "store is not reachable", Err: err}
	}
	db, err := newDB(ctx, client, name)
	if err != nil {
		_ = client.Disconnect(context.Background())
		return nil, &backend.Error{Code: backend.EUNAVAILABLE, Op: "mongo.Open", Message: "cannot identify the store", Err: err}
	}
	db.failures = failures
	return db, nil
}

// newDB is database name on client, with the engine of the server.
func newDB(ctx context.Context, client *mongo.Client, name string) (*DB, error) {
	db := &DB{Client: client, Database: client.Database(name), Now: time.Now, engine: mongoEngine{}}
	ferret, err := detectEngine(ctx, db.Database)
	if err != nil {
		return nil, err
	}
	if ferret {
		st, err := db.sharedStore(ctx)
		if err != nil {
			return nil, err
		}
		db.engine = &ferretEngine{db: db, store: st}
	}
	return db, nil
}

// Close gives up the writer lease (if this was the process's last DB
// holding it) and disconnects.
func (db *DB) Close() error {
	db.releaseLease()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return db.Client.Disconnect(ctx)
}

// Ping checks that the store answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.Client.Ping(ctx, readpref.Primary()); err != nil {
		return &backend.Error{Code: backend.EUNAVAILABLE, Op: "mongo.Ping", Message: "store is not reachable", Err: err}
	}
	return nil
}

func (db *DB) c(name string) *mongo.Collection { return db.Database.Collection(name) }

func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Millisecond) }

// index describes one index to create.
type index struct {
	collection string
	keys       bson.D
	unique     bool
	sparse     bool
}

var indexes = []index{
	{colTargets, bson.D{{Key: "kind", Value: 1}}, false, false},
	{colTargets, bson.D{{Key: "regionCode", Value: 1}}, false, false},
	{colTargets, bson.D{{Key: "creditClass", Value: 1}}, false, false},
	// The sorted target lists (backend.TargetSorts): key, then id.
	{colTargets, bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}, false, false},
	{colTargets, bson.D{{Key: "creditClass", Value: 1}, {Key: "_id", Value: 1}}, false, false},
	{colInspectors, bson.D{{Key: "certNo", Value: 1}}, true, false},
	{colInspectors, bson.D{{Key: "departmentId", Value: 1}}, false, false},
	// The sorted inspector lists (backend.InspectorSorts).
	{colInspectors, bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}, false, false},
	{colInspectors, bson.D{{Key: "certExpiry", Value: 1}, {Key: "_id", Value: 1}}, false, false},
	{colItems, bson.D{{Key: "departmentId", Value: 1}}, false, false},
	{colTemplates, bson.D{{Key: "itemCode", Value: 1}, {Key: "version", Value: 1}}, true, false},
	{colAudit, bson.D{{Key: "objectType", Value: 1}, {Key: "objectId", Value: 1}}, false, false},
	// A keyed record is chained once (backend.AuditEntry.Key). Sparse:
	// most entries have none (FerretDB ignores the option, and its SQLite
	// index holds any number of documents without the field).
	{colAudit, bson.D{{Key: "key", Value: 1}}, true, true},
	{colRefreshTokens, bson.D{{Key: "family", Value: 1}}, false, false},
	{colPlans, bson.D{{Key: "year", Value: 1}}, false, false},
	{colTasks, bson.D{{Key: "teamUsers", Value: 1}}, false, false},
	{colTasks, bson.D{{Key: "planId", Value: 1}}, false, false},
	{colTasks, bson.D{{Key: "status", Value: 1}, {Key: "leadDepartment", Value: 1}, {Key: "submittedAt", Value: 1}, {Key: "_id", Value: 1}}, false, false}, // the review queue
	{colTaskKeys, bson.D{{Key: "pending", Value: 1}}, false, true},
	{colTasks, bson.D{{Key: "leadDepartment", Value: 1}, {Key: "status", Value: 1}}, false, false},                         // the dashboard's counts
	{colTasks, bson.D{{Key: "status", Value: 1}, {Key: "due", Value: 1}, {Key: "leadDepartment", Value: 1}}, false, false}, // the dashboard's overdue count
	{colTasks, bson.D{{Key: "targetId", Value: 1}}, false, false},
	{colCheckIns, bson.D{{Key: "taskId", Value: 1}}, false, false},
	{colCheckIns, bson.D{{Key: "targetId", Value: 1}, {Key: "deviceTime", Value: 1}}, false, false},
	{colCheckIns, bson.D{{Key: "reason", Value: 1}, {Key: "serverTime", Value: -1}}, false, false},
	{colVisitCounts, bson.D{{Key: "year", Value: 1}, {Key: "kind", Value: 1}, {Key: "visits", Value: -1}}, false, false},
	{colVisitCounts, bson.D{{Key: "year", Value: 1}, {Key: "kind", Value: 1}, {Key: "checkIns", Value: -1}}, false, false},
	{colInspectors, bson.D{{Key: "userId", Value: 1}}, false, false},
	{colDevices, bson.D{{Key: "approval", Value: 1}, {Key: "lastSeen", Value: 1}}, false, false}, // devices waiting for approval
	{colDevices, bson.D{{Key: "lastSeen", Value: 1}}, false, false},                              // devices unused for long
	{colSelections, bson.D{{Key: "year", Value: 1}, {Key: "itemCode", Value: 1}}, false, false},
	{colUploads, bson.D{{Key: "expiresAt", Value: 1}}, false, false},
	{colIssuedCodes, bson.D{{Key: "userId", Value: 1}, {Key: "deviceId", Value: 1}}, false, false},
	// The results register: a department's lists in (result date, id)
	// order, its counts by state and deadline, the public list newest first.
	{colResults, bson.D{{Key: "departments", Value: 1}, {Key: "state", Value: 1}, {Key: "resultDate", Value: 1}, {Key: "_id", Value: 1}}, false, false},
	{colResults, bson.D{{Key: "departments", Value: 1}, {Key: "state", Value: 1}, {Key: "deadline", Value: 1}}, false, false},
	{colResults, bson.D{{Key: "state", Value: 1}, {Key: "resultDate", Value: -1}, {Key: "_id", Value: -1}}, false, false},
	{colResults, bson.D{{Key: "planId", Value: 1}, {Key: "state", Value: 1}, {Key: "resultDate", Value: -1}}, false, false},
}

// EnsureIndexes creates every index the stores rely on. Creating an index
// that exists is a no-op on both engines, so it runs at every start.
// On FerretDB only unique indexes are created (ferretEngine.secondaryIndexes).
func (db *DB) EnsureIndexes(ctx context.Context) error {
	if err := db.ensureCollections(ctx); err != nil {
		return err
	}
	for _, ix := range indexes {
		if !ix.unique && !db.engine.secondaryIndexes() {
			continue
		}
		opts := options.Index().SetUnique(ix.unique)
		if ix.sparse {
			opts.SetSparse(true)
		}
		if _, err := db.c(ix.collection).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.keys, Options: opts}); err != nil {
			return fmt.Errorf("create index on %s: %w", ix.collection, err)
		}
	}
	return nil
}

// collections lists every collection the stores use.
var collections = []string{
	colDepartments, colUsers, colTargets, colInspectors, colExperts, colItems, colTemplates,
	colAudit, colAuditHead, colRefreshTokens, colTokenFamilies, colThrottle, colSigningKeys,
	colPlans, colPlanVersions, colPlanSecrets, colTasks, colTaskKeys, colTaskOps, colDraws, colDrawRecords, colSelections,
	colCheckIns, colCodeKeys, colRevoked, colRatings, colComplaints, colFeed, colFeedHeads, colDevices, colTargetResults,
	colUploads, colDerivatives, colIssuedCodes, colLoginLocks, colTeamTraces, colUploadWriters, colUploadTakeovers, colLeases, colMeta,
	colAuditKeys, colAuditCheckpoints, colIntents, colOutbox, colRounds, colRoundSecrets, colVisitCounts, colResults, colCheckBooks,
	colListings, colCreditApplications,
}

// ensureCollections creates the collections that do not exist yet, so that
// the embedded store's tables (and their _id indexes) exist from the start.
func (db *DB) ensureCollections(ctx context.Context) error {
	existing, err := db.Database.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("list collections: %w", err)
	}
	for _, name := range collections {
		if slices.Contains(existing, name) {
			continue
		}
		if err := db.Database.CreateCollection(ctx, name); err != nil {
			var ce mongo.CommandError
			if errors.As(err, &ce) && ce.Code == 48 { // NamespaceExists: another instance was quicker
				continue
			}
			return fmt.Errorf("create collection %s: %w", name, err)
		}
	}
	return nil
}

// translate turns driver errors into backend errors: no document → not found,
// duplicate key → conflict, timeouts and network trouble → unavailable,
// anything else wrapped with op.
func translate(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return &backend.Error{Code: backend.ENOTFOUND, Op: op, Message: "not found"}
	case mongo.IsDuplicateKeyError(err):
		return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "already exists", Err: err}
	case mongo.IsTimeout(err), mongo.IsNetworkError(err), errors.Is(err, context.DeadlineExceeded):
		return &backend.Error{Code: backend.EUNAVAILABLE, Op: op, Message: "store is not reachable", Err: err}
	case errors.Is(err, context.Canceled):
		return &backend.Error{Code: backend.EUNAVAILABLE, Op: op, Message: "request cancelled", Err: err}
	}
	var be *backend.Error
	if errors.As(err, &be) {
		return err
	}
	return &backend.Error{Code: backend.EINTERNAL, Op: op, Err: err}
}

func notFound(op, what, id string) error {
	return &backend.Error{Code: backend.ENOTFOUND, Op: op, Message: fmt.Sprintf("%s %q not found", what, id)}
}

func versionConflict(op, what, id string) error {
	return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: fmt.Sprintf("%s %q was changed by someone else; reload and try again", what, id)}
}
