package mongo

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
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
// on it share their locks (lease.go). Several server instances must share
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
func (db *DB) IsFerretDB() bool { return db.ferret }

const lockStripes = 256

func (db *DB) lockFor(coll string, id any) func() {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s\x00%v", coll, id)
	m := &db.store.locks[h.Sum32()%lockStripes]
	m.Lock()
	return m.Unlock
}

// updateIf applies update (an update document, or a replacement when
// replace is true) to the document with the given _id if its fields equal
// cond (nil in cond: the field is missing or null). It reports whether the
// document existed and matched.
func (db *DB) updateIf(ctx context.Context, c *mongo.Collection, id any, cond bson.D, update any, replace bool) (bool, error) {
	if !db.ferret {
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
	unlock := db.lockFor(c.Name(), id)
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
