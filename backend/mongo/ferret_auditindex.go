package mongo

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/fieldcheck/fieldcheck/backend"
)

// auditIndex holds, in memory, the sequence numbers of each object's audit
// entries, for the embedded store with one writer (DB.SingleProcess): the
// audit of an object (系统 · 审计, a task's 办理记录) filters the log by
// (objectType, objectId), which FerretDB answers by reading the whole log,
// one entry for every write ever made (seconds at the demo scale). Like the
// other in-memory indexes it is add-only, filled before the write, built on
// first use, and a cache of the store: a listed entry is read by _id and
// kept only if it is there and about the object (a write that failed, or a
// sequence number another entry took, is skipped).
type auditIndex struct {
	mu       sync.RWMutex
	loaded   bool
	byObject map[string][]int64 // ascending
}

func auditObjectKey(objectType, objectID string) string { return objectType + "\x00" + objectID }

func (x *auditIndex) ensure(ctx context.Context, db *DB) error {
	return loadOnce(&x.mu, &x.loaded, func() error { return x.load(ctx, db) })
}

// load reads the (_id, objectType, objectId) of every entry once. The
// caller holds the write lock.
func (x *auditIndex) load(ctx context.Context, db *DB) error {
	x.byObject = map[string][]int64{}
	type fields struct {
		ID         string `json:"_id"`
		ObjectType string `json:"objectType"`
		ObjectID   string `json:"objectId"`
	}
	add := func(f *fields) error {
		seq, err := strconv.ParseInt(f.ID, 10, 64)
		if err != nil {
			return nil // not an entry (auditID pads a number)
		}
		x.add(f.ObjectType, f.ObjectID, seq)
		return nil
	}
	fast, err := fastScan(ctx, db, colAudit, []string{"_id", "objectType", "objectId"}, add)
	if !fast && err == nil {
		err = (&AuditStore{DB: db}).scanFields(ctx, func(id, objectType, objectID string) error {
			return add(&fields{ID: id, ObjectType: objectType, ObjectID: objectID})
		})
	}
	if err != nil {
		return err
	}
	for _, seqs := range x.byObject {
		slices.Sort(seqs)
	}
	x.loaded = true
	return nil
}

// add lists seq under its object. The caller holds the write lock.
func (x *auditIndex) add(objectType, objectID string, seq int64) {
	k := auditObjectKey(objectType, objectID)
	seqs := x.byObject[k]
	i, found := slices.BinarySearch(seqs, seq)
	if !found {
		x.byObject[k] = slices.Insert(seqs, i, seq)
	}
}

func (e *ferretEngine) writingAudit(entries []*backend.AuditEntry) {
	x := &e.audit
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.loaded {
		return // the first use reads them from the store
	}
	for _, en := range entries {
		x.add(en.ObjectType, en.ObjectID, en.Seq)
	}
}

// findAuditEntries reads the object's listed entries newest first by _id
// until limit of them are there and about it.
func (e *ferretEngine) findAuditEntries(ctx context.Context, s *AuditStore, objectType, objectID string, limit int) ([]*backend.AuditEntry, error) {
	if !e.indexed() {
		return s.queryAuditEntries(ctx, objectType, objectID, limit)
	}
	x := &e.audit
	if err := x.ensure(ctx, e.db); err != nil {
		return nil, err
	}
	x.mu.RLock()
	seqs := slices.Clone(x.byObject[auditObjectKey(objectType, objectID)])
	x.mu.RUnlock()
	out := []*backend.AuditEntry{}
	for i := len(seqs) - 1; i >= 0 && len(out) < limit; i-- {
		en, err := s.FindAuditEntry(ctx, seqs[i])
		if backend.IsCode(err, backend.ENOTFOUND) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if en.ObjectType == objectType && en.ObjectID == objectID {
			out = append(out, en)
		}
	}
	return out, nil
}
