package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// AuditStore implements backend.AuditStore. Entries are keyed by sequence
// number and the head is a single document, so appending costs two _id
// operations however long the log grows.
type AuditStore struct{ DB *DB }

var _ backend.AuditStore = (*AuditStore)(nil)

const auditHeadID = "head"

func (s *AuditStore) FindAuditHead(ctx context.Context) (*backend.AuditHead, error) {
	var h backend.AuditHead
	err := s.DB.c(colAuditHead).FindOne(ctx, bson.D{{Key: "_id", Value: auditHeadID}}).Decode(&h)
	if err == mongo.ErrNoDocuments {
		return &backend.AuditHead{}, nil
	}
	if err != nil {
		return nil, translate("FindAuditHead", err)
	}
	return &h, nil
}

func (s *AuditStore) AdvanceAuditHead(ctx context.Context, version, seq int64, hash string) error {
	const op = "AdvanceAuditHead"
	doc := bson.D{{Key: "_id", Value: auditHeadID}, {Key: "seq", Value: seq}, {Key: "hash", Value: hash}, {Key: "version", Value: version + 1}}
	if version == 0 {
		_, err := s.DB.c(colAuditHead).InsertOne(ctx, doc)
		return translate(op, err)
	}
	ok, err := s.DB.engine.updateIf(ctx, s.DB.c(colAuditHead), auditHeadID, bson.D{{Key: "version", Value: version}}, doc, true)
	if err != nil {
		return translate(op, err)
	}
	if !ok {
		return versionConflict(op, "audit head", auditHeadID)
	}
	return nil
}

// auditDoc is the stored form of an entry: keyed by the sequence number as
// a zero-padded string, because FerretDB pushes down _id lookups only for
// strings and ObjectIDs, and padding keeps string order equal to numeric order.
type auditDoc struct {
	ID                 string `bson:"_id"`
	backend.AuditEntry `bson:",inline"`
}

func auditID(seq int64) string { return fmt.Sprintf("%019d", seq) }

func (s *AuditStore) InsertAuditEntry(ctx context.Context, e *backend.AuditEntry) error {
	s.DB.engine.writingAudit([]*backend.AuditEntry{e})
	_, err := s.DB.c(colAudit).InsertOne(ctx, auditDoc{ID: auditID(e.Seq), AuditEntry: *e})
	return translate("InsertAuditEntry", err)
}

// InsertAuditEntries stores entries in order with one command; it stops at
// the first that fails, which is ECONFLICT when its Seq is taken, and
// reports how many were stored before it.
func (s *AuditStore) InsertAuditEntries(ctx context.Context, entries []*backend.AuditEntry) (int, error) {
	// In pieces the engine stops at their first failure (orderedBatch).
	size := s.DB.engine.orderedBatch()
	for start := 0; start < len(entries); start += size {
		end := min(start+size, len(entries))
		n, err := s.insertAuditEntries(ctx, entries[start:end])
		if err != nil {
			return start + n, err
		}
	}
	return len(entries), nil
}

func (s *AuditStore) insertAuditEntries(ctx context.Context, entries []*backend.AuditEntry) (int, error) {
	const op = "InsertAuditEntries"
	s.DB.engine.writingAudit(entries)
	docs := make([]any, len(entries))
	for i, e := range entries {
		docs[i] = auditDoc{ID: auditID(e.Seq), AuditEntry: *e}
	}
	_, err := s.DB.c(colAudit).InsertMany(ctx, docs, options.InsertMany().SetOrdered(true))
	if err == nil {
		return len(entries), nil
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && len(bwe.WriteErrors) > 0 {
		first := bwe.WriteErrors[0]
		for _, we := range bwe.WriteErrors[1:] {
			if we.Index < first.Index {
				first = we
			}
		}
		if first.Index >= 0 && first.Index <= len(entries) {
			return first.Index, translate(op, err)
		}
	}
	// Unknown how far it got: the caller finds out by reading.
	return 0, translate(op, err)
}

func (s *AuditStore) FindAuditEntry(ctx context.Context, seq int64) (*backend.AuditEntry, error) {
	d, err := readByID[auditDoc](ctx, s.DB, colAudit, "FindAuditEntry", "audit entry", auditID(seq))
	if err != nil {
		return nil, err
	}
	return &d.AuditEntry, nil
}

func (s *AuditStore) ScanAudit(ctx context.Context, fn func(*backend.AuditEntry) error) error {
	cur, err := s.DB.c(colAudit).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetBatchSize(1000))
	if err != nil {
		return translate("ScanAudit", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d auditDoc
		if err := cur.Decode(&d); err != nil {
			return translate("ScanAudit", err)
		}
		if err := fn(&d.AuditEntry); err != nil {
			return err
		}
	}
	return translate("ScanAudit", cur.Err())
}

// FindAuditEntries returns the newest limit entries about one object: a
// query on the (objectType, objectId) index, or the embedded store's
// in-memory index of them (ferret_auditindex.go).
func (s *AuditStore) FindAuditEntries(ctx context.Context, objectType, objectID string, limit int) ([]*backend.AuditEntry, error) {
	return s.DB.engine.findAuditEntries(ctx, s, objectType, objectID, limit)
}

func (s *AuditStore) queryAuditEntries(ctx context.Context, objectType, objectID string, limit int) ([]*backend.AuditEntry, error) {
	cur, err := s.DB.c(colAudit).Find(ctx,
		bson.D{{Key: "objectType", Value: objectType}, {Key: "objectId", Value: objectID}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, translate("FindAuditEntries", err)
	}
	var docs []auditDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, translate("FindAuditEntries", err)
	}
	out := make([]*backend.AuditEntry, len(docs))
	for i := range docs {
		out[i] = &docs[i].AuditEntry
	}
	return out, nil
}

// scanFields calls fn with the _id, objectType and objectId of every
// entry (the audit index's build where the store has no ScanJSON).
func (s *AuditStore) scanFields(ctx context.Context, fn func(id, objectType, objectID string) error) error {
	cur, err := s.DB.c(colAudit).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "objectType", Value: 1}, {Key: "objectId", Value: 1}}).SetBatchSize(2000))
	if err != nil {
		return translate("auditIndex.load", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d struct {
			ID         string `bson:"_id"`
			ObjectType string `bson:"objectType"`
			ObjectID   string `bson:"objectId"`
		}
		if err := cur.Decode(&d); err != nil {
			return translate("auditIndex.load", err)
		}
		if err := fn(d.ID, d.ObjectType, d.ObjectID); err != nil {
			return err
		}
	}
	return translate("auditIndex.load", cur.Err())
}
