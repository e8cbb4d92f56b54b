package mongo

import (
	"context"
	"maps"
	"sync"

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
// keys marked pending and outbox marks. Read from the store, so that every
// instance reports the same. On FerretDB the pending task keys are
// counted by a scan of the task keys (about 65 µs a key).
func (db *DB) SweepBacklog(ctx context.Context) (int64, error) {
	pending, err := db.c(colTaskKeys).CountDocuments(ctx, bson.D{{Key: "pending", Value: bson.D{{Key: "$exists", Value: true}}}})
	if err != nil {
		return 0, translate("SweepBacklog", err)
	}
	marks, err := db.c(colOutbox).CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, translate("SweepBacklog", err)
	}
	return pending + marks, nil
}
