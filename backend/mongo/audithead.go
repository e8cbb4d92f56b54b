package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// The signed audit head: its key ring (a handful of documents, read whole)
// and the daily checkpoints, one small document a day keyed by its date.
const (
	colAuditKeys        = "audit_keys"
	colAuditCheckpoints = "audit_checkpoints"
)

// AuditKeyStore implements backend.SigningKeyStore for the keys that sign
// audit heads.
type AuditKeyStore struct{ DB *DB }

var _ backend.SigningKeyStore = (*AuditKeyStore)(nil)

func (s *AuditKeyStore) ring() keyStore { return keyStore{db: s.DB, col: colAuditKeys} }

func (s *AuditKeyStore) FindSigningKeys(ctx context.Context) ([]*backend.SigningKey, error) {
	return s.ring().find(ctx, "FindAuditKeys")
}

func (s *AuditKeyStore) CreateSigningKey(ctx context.Context, k *backend.SigningKey) error {
	return s.ring().create(ctx, "CreateAuditKey", k)
}

func (s *AuditKeyStore) RetireSigningKey(ctx context.Context, kid string, at time.Time, recs ...backend.AuditRecord) error {
	return s.ring().retire(ctx, "RetireAuditKey", kid, at, recs)
}

// AuditCheckpointStore implements backend.AuditCheckpointStore. The date
// is the _id: whichever instance inserts a day's checkpoint first wins,
// and a lookup by date is the one filter FerretDB pushes down. The list
// sorts by _id, which scans the collection on FerretDB: a document a day.
type AuditCheckpointStore struct{ DB *DB }

var _ backend.AuditCheckpointStore = (*AuditCheckpointStore)(nil)

func (s *AuditCheckpointStore) InsertAuditCheckpoint(ctx context.Context, c *backend.AuditCheckpoint) error {
	_, err := s.DB.c(colAuditCheckpoints).InsertOne(ctx, c)
	return translate("InsertAuditCheckpoint", err)
}

func (s *AuditCheckpointStore) FindAuditCheckpoint(ctx context.Context, date string) (*backend.AuditCheckpoint, error) {
	return findByID[backend.AuditCheckpoint](ctx, s.DB.c(colAuditCheckpoints), "FindAuditCheckpoint", "audit checkpoint", date)
}

func (s *AuditCheckpointStore) FindAuditCheckpoints(ctx context.Context, limit int) ([]*backend.AuditCheckpoint, error) {
	const op = "FindAuditCheckpoints"
	cur, err := s.DB.c(colAuditCheckpoints).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, translate(op, err)
	}
	out := []*backend.AuditCheckpoint{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}
