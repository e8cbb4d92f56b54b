package mongo

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// FerretDB v1 on SQLite pushes a query down to SQL only when its filter is
// exactly {_id: value}; any other filter, including {_id, version}, reads
// every document of the collection into Go. A versioned update in a 50,000
// document collection then takes seconds instead of a millisecond. So on
// FerretDB a conditional update is done as: lock the document in this
// process, read it by _id, check the condition here, write it by _id.
//
// That is sound because FerretDB's own updates are read-then-write too (not
// atomic against another client), and one process writes a FerretDB
// database: backend/embedded locks its data directory, a writer lease in
// the database refuses a second process on it, and the DBs of one process
// on it share their locks (ferret_lease.go). Several server instances must share
// a MongoDB, where the condition goes into the update's filter and the
// server applies it atomically.

// detectEngine asks the server what it is.
func detectEngine(ctx context.Context, db *mongo.Database) (ferret bool, err error) {
	var info bson.M
	if err := db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return false, err
	}
	_, ferret = info["ferretdbVersion"]
	return ferret, nil
}

// IsFerretDB reports whether the store is FerretDB.
func (db *DB) IsFerretDB() bool {
	_, ok := db.engine.(*ferretEngine)
	return ok
}

// ferretEngine is the engine of FerretDB. Where this process is the
// store's one writer (DB.SingleProcess: the embedded store), its in-memory
// indexes answer the filters that FerretDB would answer by reading a whole
// collection, and it keeps what it decoded (tasks, inspectors); elsewhere
// every read is a query, as on MongoDB.
type ferretEngine struct {
	db *DB
	// store is what the DBs of this process on the same FerretDB database
	// share: its locks and its writer lease (ferret_lease.go).
	store    *storeState
	targets  targetIndex
	tasks    taskIndex
	checkIns checkInIndex
	// visitCounts orders the oversight office's counts.
	visitCounts visitCountIndex
	cache       taskCache
	results     resultIndex
	officers    officerCache
	audit       auditIndex
}

// indexed reports whether the in-memory indexes and caches answer.
func (e *ferretEngine) indexed() bool { return e.db.SingleProcess }

const lockStripes = 256

func (e *ferretEngine) exclusive(coll string, id any) func() {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s\x00%v", coll, id)
	m := &e.store.locks[h.Sum32()%lockStripes]
	m.Lock()
	return m.Unlock
}

// updateIf locks the document in this process, reads it by _id, checks
// the condition here and writes it by _id.
// orderedBatch: FerretDB runs an insert of many documents in batches of
// 100 and goes on with the next batch after one failed, ordered or not
// (TestAuditBigBatchAfterAnotherInstance): an ordered insert that must stop at its first
// duplicate (the audit chain's) sends at most 100.
func (e *ferretEngine) orderedBatch() int { return 100 }

func (e *ferretEngine) updateIf(ctx context.Context, c *mongo.Collection, id any, cond bson.D, update any, replace bool) (bool, error) {
	unlock := e.exclusive(c.Name(), id)
	defer unlock()
	var stored bson.M
	err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&stored)
	if err == mongo.ErrNoDocuments {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range cond {
		if !sameValue(stored[e.Key], e.Value) {
			return false, nil
		}
	}
	byID := bson.D{{Key: "_id", Value: id}}
	if replace {
		_, err = c.ReplaceOne(ctx, byID, update)
	} else {
		_, err = c.UpdateOne(ctx, byID, update)
	}
	return err == nil, err
}

// secondaryIndexes: FerretDB's query planner never uses a secondary
// index, and each one made every update of a 20,000-document collection
// take ~250 ms instead of ~1 ms (measured; see docs/benchmarks.md). Only
// unique indexes are created: they enforce constraints.
func (e *ferretEngine) secondaryIndexes() bool { return false }

// pageQuery: a sort reads and sorts the whole collection before the first
// document comes back, so pages come in the store's insertion order
// (stable: targets are never deleted and an update keeps a document's
// place) and the cursor is an offset; the scan stops as soon as the page
// is full.
func (e *ferretEngine) pageQuery(filter bson.D, p backend.PageRequest) (bson.D, *options.FindOptions, func(string) string, error) {
	opts := options.Find().SetLimit(int64(p.Limit + 1))
	offset, err := offsetCursor(p.After)
	if err != nil {
		return nil, nil, nil, err
	}
	if offset > 0 {
		opts.SetSkip(offset)
	}
	next := func(string) string { return "@" + strconv.FormatInt(offset+int64(p.Limit), 10) }
	return filter, opts, next, nil
}

// offsetCursor reads the cursor of a FerretDB page, "@" and the offset of
// the next page; 0 for none.
func offsetCursor(after string) (int64, error) {
	if after == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(after, "@"), 10, 64)
	if err != nil || !strings.HasPrefix(after, "@") || n < 0 {
		return 0, backend.Errorf(backend.EINVALID, "malformed cursor %q", after)
	}
	return n, nil
}

// addPublishedResult reads the target's results and writes them back
// under the lock of the document.
func (e *ferretEngine) addPublishedResult(ctx context.Context, c *mongo.Collection, targetID string, r backend.PublishedResult, replace bool) error {
	defer e.exclusive(c.Name(), targetID)()
	var doc targetResults
	err := c.FindOne(ctx, bson.D{{Key: "_id", Value: targetID}}).Decode(&doc)
	if err != nil && err != mongo.ErrNoDocuments {
		return err
	}
	if i := slices.IndexFunc(doc.Results, func(x backend.PublishedResult) bool { return x.TaskID == r.TaskID }); i >= 0 {
		if !replace || doc.Results[i].Version >= r.Version {
			return nil
		}
		doc.Results[i] = r
	} else {
		doc.Results = append(doc.Results, r)
	}
	doc.ID = targetID
	_, err = c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: targetID}}, doc, options.Replace().SetUpsert(true))
	return err
}

func (e *ferretEngine) shared() *storeState { return e.store }

// sameValue compares a decoded BSON value with a condition value the way a
// MongoDB equality filter would for the types the stores use: numbers by
// value whatever their width, nil matching a missing field.
func sameValue(stored, want any) bool {
	if want == nil {
		return stored == nil
	}
	if a, ok := number(stored); ok {
		if b, ok := number(want); ok {
			return a == b
		}
		return false
	}
	return reflect.DeepEqual(stored, want)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		if n > 1<<53 || n < -(1<<53) {
			return math.NaN(), false
		}
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// fetchFeed reads the entries one by one by _id: a range of _id is a scan
// of the whole feed on FerretDB.
func (e *ferretEngine) fetchFeed(ctx context.Context, s *FeedStore, user string, from, to int64) (map[int64]*feedDoc, error) {
	out := make(map[int64]*feedDoc, to-from+1)
	for seq := from; seq <= to; seq++ {
		d := &feedDoc{}
		err := s.DB.c(colFeed).FindOne(ctx, bson.D{{Key: "_id", Value: feedKey(user, seq)}}).Decode(d)
		if err == mongo.ErrNoDocuments {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[seq] = d
	}
	return out, nil
}
