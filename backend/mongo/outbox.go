package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// The audit outbox of tasks (backend/outbox.go): a task write carries its
// audit entries (Task.AuditPending) and the write is settled (its key's
// mark cleared) only once they are appended, by the writer or by SweepFeed.

// auditLog is what empties the outbox: DB.Audit, or a log of this DB's own
// (tests that build stores by hand; it races for the chain's head as
// another instance would).
func (db *DB) auditLog() backend.AuditAppender {
	db.auditOnce.Do(func() {
		if db.Audit == nil {
			db.Audit = &backend.AuditLog{Store: &AuditStore{DB: db}, Now: db.Now}
		}
	})
	return db.Audit
}

// swapKey stores a key, replacing the task's key of before, and returns
// that one (nil when there was none).
func (s *TaskStore) swapKey(ctx context.Context, k *taskKey) (*taskKey, error) {
	var old taskKey
	err := s.DB.c(colTaskKeys).FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: k.ID}}, k,
		options.FindOneAndReplace().SetUpsert(true).SetReturnDocument(options.Before)).Decode(&old)
	if err == mongo.ErrNoDocuments {
		return nil, nil
	}
	if err != nil {
		return nil, translate("TaskStore.putKey", err)
	}
	return &old, nil
}

// carriedAudit is what a write starting from version of a task must carry
// of the entries the task holds: none when the key says that version's
// write was settled (its entries are in the log), all of them otherwise.
func carriedAudit(pending []backend.AuditEntry, old *taskKey, version int64) []backend.AuditEntry {
	if old != nil && old.Pending == "" && old.Version == version {
		return nil
	}
	return pending
}

// stageAudit sets what task t, about to be written as t.Version, carries:
// the carried entries, then those of the write's records (t.Audit), keyed
// by the version. It refuses a task that would carry more than
// backend.MaxAuditPending.
func stageAudit(ctx context.Context, t *backend.Task, carried []backend.AuditEntry, now time.Time) error {
	if len(carried)+len(t.Audit) > backend.MaxAuditPending {
		return backend.Errorf(backend.EUNAVAILABLE, "task %s holds %d audit records not yet in the audit log: it changes again once the log is written", t.ID, len(carried))
	}
	out := make([]backend.AuditEntry, 0, len(carried)+len(t.Audit))
	out = append(out, carried...)
	for i, r := range t.Audit {
		r.Key = backend.AuditKey("task", t.ID, t.Version)
		if i > 0 {
			r.Key += fmt.Sprintf("/%d", i)
		}
		out = append(out, backend.NewAuditEntry(ctx, now, r))
	}
	if len(out) == 0 {
		out = nil
	}
	t.AuditPending = out
	return nil
}

// appendAudit appends the entries the tasks just written carry.
func (s *TaskStore) appendAudit(ctx context.Context, ts []*backend.Task) error {
	var es []backend.AuditEntry
	for _, t := range ts {
		es = append(es, t.AuditPending...)
	}
	if len(es) == 0 {
		return nil
	}
	return s.DB.auditLog().AppendEntries(ctx, es)
}
