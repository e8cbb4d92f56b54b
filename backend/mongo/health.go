package mongo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
)

// commandFailures counts the store's failed commands by command name, as
// the driver reports them (a command the server refused with ok: 0, or
// one whose connection broke): the store errors of the metrics. A
// duplicate key is not one (its command succeeds with a write error).
type commandFailures struct {
	mu sync.Mutex
	by map[string]int64
}

func (f *commandFailures) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Failed: func(_ context.Context, e *event.CommandFailedEvent) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.by == nil {
			f.by = map[string]int64{}
		}
		f.by[e.CommandName]++
	}}
}

// CommandFailures returns how many commands of each name failed since the
// DB was opened, in this process.
func (db *DB) CommandFailures() map[string]int64 {
	if db.failures == nil {
		return map[string]int64{}
	}
	db.failures.mu.Lock()
	defer db.failures.mu.Unlock()
	return maps.Clone(db.failures.by)
}

// SweepBacklog is how many writes wait for the sweeper to write their
// change-feed entries and audit records (SweepFeed, SweepOutbox): task
// keys marked pending and outbox marks (a small collection: a mark lives
// from a write to its audit record). On MongoDB the marked keys are
// counted in the store through the sparse index on "pending" (it holds
// the marked keys only), so that every instance reports the same. On the
// embedded store, whose one writer is this process, they are the marks
// this process put and has not cleared (markSet), once its first sweep
// has read the marks of the process before; until then they are counted
// in the store, which reads every key there (about 65 µs a key).
func (db *DB) SweepBacklog(ctx context.Context) (int64, error) {
	var pending int64
	if n, known := db.marks.count(); known && db.engine.oneWriter() {
		pending = int64(n)
	} else {
		var err error
		pending, err = db.c(colTaskKeys).CountDocuments(ctx, bson.D{{Key: "pending", Value: bson.D{{Key: "$exists", Value: true}}}})
		if err != nil {
			return 0, translate("SweepBacklog", err)
		}
	}
	marks, err := db.c(colOutbox).CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, translate("SweepBacklog", err)
	}
	return pending + marks, nil
}

// MissingIndexes lists the indexes EnsureIndexes makes that the store
// lacks, as "collection {keys}" (those the engine does not take are not
// wanted: FerretDB gets the unique ones only). It changes nothing.
func (db *DB) MissingIndexes(ctx context.Context) ([]string, error) {
	have := map[string][]bson.D{}
	var missing []string
	for _, ix := range indexes {
		if !ix.unique && !db.engine.secondaryIndexes() {
			continue
		}
		list, ok := have[ix.collection]
		if !ok {
			cur, err := db.c(ix.collection).Indexes().List(ctx)
			if err != nil {
				return nil, translate("MissingIndexes", err)
			}
			var specs []struct {
				Key bson.D `bson:"key"`
			}
			if err := cur.All(ctx, &specs); err != nil {
				return nil, translate("MissingIndexes", err)
			}
			for _, s := range specs {
				list = append(list, s.Key)
			}
			have[ix.collection] = list
		}
		if !slices.ContainsFunc(list, func(k bson.D) bool { return sameKeys(k, ix.keys) }) {
			missing = append(missing, fmt.Sprintf("%s %v", ix.collection, keyNames(ix.keys)))
		}
	}
	return missing, nil
}

// sameKeys compares index keys by field and direction, whatever number
// type the server wrote the direction in.
func sameKeys(a, b bson.D) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || fmt.Sprint(a[i].Value) != fmt.Sprint(b[i].Value) {
			return false
		}
	}
	return true
}

func keyNames(k bson.D) []string {
	out := make([]string, len(k))
	for i, e := range k {
		out[i] = e.Key
	}
	return out
}

// ServerTime is the store server's clock, from its hello answer
// (localTime), for the clock-skew check: codes and tokens carry times
// that instances and the store must agree on.
func (db *DB) ServerTime(ctx context.Context) (time.Time, error) {
	var hello struct {
		LocalTime time.Time `bson:"localTime"`
	}
	if err := db.Database.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		return time.Time{}, translate("ServerTime", err)
	}
	if hello.LocalTime.IsZero() {
		return time.Time{}, fmt.Errorf("the store's hello has no localTime")
	}
	return hello.LocalTime, nil
}
