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
	s.DB.marks.mark(k.Pending, k.ID)
	err := s.DB.c(colTaskKeys).FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: k.ID}}, k,
		options.FindOneAndReplace().SetUpsert(true).SetReturnDocument(options.Before)).Decode(&old)
	if err == mongo.ErrNoDocuments {
		return nil, nil
	}
	if err != nil {
		// Replaced or not: the sweeper reads the key and the mark set
		// follows what it finds.
		s.DB.sweep.unswept(&backend.Task{ID: k.ID})
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
	out, err := stageEntries(ctx, "task", t.ID, t.Version, carried, t.Audit, now)
	if err != nil {
		return err
	}
	t.AuditPending = out
	return nil
}

// stageEntries returns what a document of objectType, about to be written
// as version, carries: the carried entries, then those of recs keyed by
// the version; at most backend.MaxAuditPending.
func stageEntries(ctx context.Context, objectType, id string, version int64, carried []backend.AuditEntry, recs []backend.AuditRecord, now time.Time) ([]backend.AuditEntry, error) {
	if len(carried)+len(recs) > backend.MaxAuditPending {
		return nil, backend.Errorf(backend.EUNAVAILABLE, "%s %s holds %d audit records not yet in the audit log: it changes again once the log is written", objectType, id, len(carried))
	}
	out := make([]backend.AuditEntry, 0, len(carried)+len(recs))
	out = append(out, carried...)
	for i, r := range recs {
		r.Key = backend.AuditKey(objectType, id, version)
		if i > 0 {
			r.Key += fmt.Sprintf("/%d", i)
		}
		out = append(out, backend.NewAuditEntry(ctx, now, r))
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
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

// Documents other than tasks (backend.Outbox) have no key to mark: their writes
// are marked in the outbox collection, one small document per write under
// way (its _id a nonce), put before the write and removed once the
// entries the document carries are appended. The collection holds only
// writes under way or cut short, so reading it whole is cheap on both
// engines. A write starting while another mark of its document is there
// carries the entries the document holds (they may not be in the log);
// otherwise they are, and are dropped.

const colOutbox = "outbox"

type outboxMark struct {
	ID      string    `bson:"_id"`
	Kind    string    `bson:"kind"`              // the documents' collection
	Object  string    `bson:"object,omitempty"`  // the document of one write
	Objects []string  `bson:"objects,omitempty"` // the documents of a batch (auditedMany)
	At      time.Time `bson:"at"`
}

// objects are the documents whose writes m marks.
func (m *outboxMark) objects() []string {
	if m.Object != "" {
		return append([]string{m.Object}, m.Objects...)
	}
	return m.Objects
}

// markWrite puts the mark of a write of document id of collection kind
// and reports whether a mark of an earlier write of it is still there.
func (db *DB) markWrite(ctx context.Context, kind, id string) (string, bool, error) {
	mark, earlier, err := db.markWrites(ctx, outboxMark{Kind: kind, Object: id})
	return mark, earlier[id], err
}

// markWrites puts m (its id a new nonce) and returns the documents it
// names that a mark of an earlier write names too.
func (db *DB) markWrites(ctx context.Context, m outboxMark) (string, map[string]bool, error) {
	m.ID, m.At = newNonce(), db.now()
	if _, err := db.c(colOutbox).InsertOne(ctx, m); err != nil {
		return "", nil, translate("markWrite", err)
	}
	mine := map[string]bool{}
	for _, o := range m.objects() {
		mine[o] = true
	}
	earlier := map[string]bool{}
	err := scan(ctx, db.c(colOutbox), "markWrite", bson.D{{Key: "kind", Value: m.Kind}}, func(o *outboxMark) error {
		if o.ID != m.ID {
			for _, id := range o.objects() {
				if mine[id] {
					earlier[id] = true
				}
			}
		}
		return nil
	})
	return m.ID, earlier, err
}

// settleWrite appends the entries a written document carries and removes
// the write's mark. A failure leaves the mark for SweepOutbox.
func (db *DB) settleWrite(ctx context.Context, mark string, entries []backend.AuditEntry) error {
	if len(entries) > 0 {
		if err := db.auditLog().AppendEntries(ctx, entries); err != nil {
			return err
		}
	}
	_, err := db.c(colOutbox).DeleteOne(ctx, bson.D{{Key: "_id", Value: mark}})
	return translate("settleWrite", err)
}

// pendingOf is what SweepOutbox reads of a marked document.
type pendingOf struct {
	AuditPending []backend.AuditEntry `bson:"auditPending"`
}

// SweepOutbox appends the entries of the documents whose write marks are
// at least grace old (the write was cut short, or its entries could not
// be appended) and removes the marks. It returns how many it settled.
func (db *DB) SweepOutbox(ctx context.Context, grace time.Duration) (int, error) {
	cutoff := db.now().Add(-grace)
	var stale []*outboxMark
	if err := scan(ctx, db.c(colOutbox), "SweepOutbox", bson.D{}, func(m *outboxMark) error {
		if !m.At.After(cutoff) {
			stale = append(stale, m)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, m := range stale {
		var entries []backend.AuditEntry
		for _, id := range m.objects() {
			pending, err := db.storedPending(ctx, m.Kind, id)
			if err != nil {
				return n, err
			}
			entries = append(entries, pending...)
		}
		if err := db.settleWrite(ctx, m.ID, entries); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// storedPending returns the entries document id of collection kind
// carries: none when there is no such document (a create cut short
// before it).
func (db *DB) storedPending(ctx context.Context, kind, id string) ([]backend.AuditEntry, error) {
	doc, err := findByID[pendingOf](ctx, db.c(kind), "outbox", kind, id)
	switch {
	case backend.IsCode(err, backend.ENOTFOUND):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return doc.AuditPending, nil
}

// outboxWrite runs write, the single-document write of document id of
// collection kind (of objectType, being written as version), as an outbox
// write when it states records (recs): set stores in the document what it
// carries (its records' entries, after those the stored document holds
// when an earlier write of it is unsettled); write; then the entries are
// appended. Without records it is write alone.
func (db *DB) outboxWrite(ctx context.Context, kind, objectType, id string, version int64, recs []backend.AuditRecord, set func([]backend.AuditEntry), write func() error) error {
	if len(recs) == 0 {
		return write()
	}
	mark, earlier, err := db.markWrite(ctx, kind, id)
	if err != nil {
		return err
	}
	var pending []backend.AuditEntry
	if earlier {
		// Those entries may not be in the log: carry them. The stored
		// document says what they are, whatever the caller read.
		if pending, err = db.storedPending(ctx, kind, id); err != nil {
			_ = db.settleWrite(ctx, mark, nil)
			return err
		}
	}
	entries, err := stageEntries(ctx, objectType, id, version, pending, recs, db.now())
	if err != nil {
		_ = db.settleWrite(ctx, mark, nil)
		return err
	}
	set(entries)
	if err := write(); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) || backend.IsCode(err, backend.ENOTFOUND) {
			_ = db.settleWrite(ctx, mark, nil) // refused: it wrote nothing
		}
		return err // otherwise the mark stays: the sweep finds out what was written
	}
	_ = db.settleWrite(ctx, mark, entries) // the change stands; a mark left is the sweep's
	return nil
}

// auditedDoc is a document with an audit outbox (backend.Outbox).
type auditedDoc interface{ AuditOutbox() *backend.Outbox }

// audited runs write, the single-document write of doc (document id of
// collection kind, of objectType, written as version), through the
// outbox with the records doc states. On success the records are spent
// (doc.Audit is cleared) and doc.AuditPending is what the stored document
// carries; on failure doc is as it was.
func (db *DB) audited(ctx context.Context, kind, objectType, id string, version int64, doc auditedDoc, write func() error) error {
	ob := doc.AuditOutbox()
	held := ob.AuditPending
	err := db.outboxWrite(ctx, kind, objectType, id, version, ob.Audit, func(es []backend.AuditEntry) { ob.AuditPending = es }, write)
	if err != nil {
		ob.AuditPending = held
		return err
	}
	ob.Audit = nil
	return nil
}

// insertAudited inserts doc, the first version of document id of kind,
// with the records it states (audited).
func (db *DB) insertAudited(ctx context.Context, kind, objectType, op, id string, doc auditedDoc) error {
	return db.audited(ctx, kind, objectType, id, 1, doc, func() error {
		_, err := db.c(kind).InsertOne(ctx, doc)
		return translate(op, err)
	})
}

// replaceAudited replaces document id of kind, stored as version
// expected, with doc (version expected+1), with the records doc states
// (audited; replaceVersioned).
func (db *DB) replaceAudited(ctx context.Context, kind, objectType, op, id string, expected int64, doc auditedDoc) error {
	return db.audited(ctx, kind, objectType, id, expected+1, doc, func() error {
		return replaceVersioned(ctx, db, db.c(kind), op, objectType, id, expected, doc)
	})
}

// batchWrite is one write of auditedMany: the single-document write of
// doc, document id written as version.
type batchWrite struct {
	id      string
	version int64
	doc     auditedDoc
	write   func() error
}

// auditedMany runs the writes ws of documents of collection kind (of
// objectType) as audited runs each, with one mark for all of them, one
// read of the marks and one append of all their entries: a batch pays for
// its mark and its append once, not per document. It returns the error of
// each write that was refused (ECONFLICT, ENOTFOUND: it wrote nothing, and
// its document is as it was) and stops at any other error, leaving the
// mark to the sweep.
func (db *DB) auditedMany(ctx context.Context, kind, objectType string, ws []batchWrite) ([]error, error) {
	errs := make([]error, len(ws))
	if len(ws) == 0 {
		return errs, nil
	}
	ids := make([]string, len(ws))
	for i, w := range ws {
		ids[i] = w.id
	}
	mark, earlier, err := db.markWrites(ctx, outboxMark{Kind: kind, Objects: ids})
	if err != nil {
		return nil, err
	}
	now := db.now()
	var appended []backend.AuditEntry
	for i, w := range ws {
		ob := w.doc.AuditOutbox()
		var pending []backend.AuditEntry
		if earlier[w.id] {
			if pending, err = db.storedPending(ctx, kind, w.id); err != nil {
				return nil, err
			}
		}
		entries, err := stageEntries(ctx, objectType, w.id, w.version, pending, ob.Audit, now)
		if err != nil {
			errs[i] = err
			continue
		}
		held := ob.AuditPending
		ob.AuditPending = entries
		if err := w.write(); err != nil {
			ob.AuditPending = held
			if backend.IsCode(err, backend.ECONFLICT) || backend.IsCode(err, backend.ENOTFOUND) {
				errs[i] = err
				continue
			}
			return nil, err // the mark stays: the sweep finds out what was written
		}
		ob.Audit = nil
		appended = append(appended, entries...)
	}
	_ = db.settleWrite(ctx, mark, appended) // the changes stand; a mark left is the sweep's
	return errs, nil
}
