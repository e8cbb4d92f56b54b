package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

// colSigningKeys holds the access-token key ring: a handful of documents,
// read whole, so the lack of pushed-down filters on FerretDB costs nothing.
const colSigningKeys = "signing_keys"

// SigningKeyStore implements backend.SigningKeyStore.
type SigningKeyStore struct{ DB *DB }

var _ backend.SigningKeyStore = (*SigningKeyStore)(nil)

func (s *SigningKeyStore) FindSigningKeys(ctx context.Context) ([]*backend.SigningKey, error) {
	cur, err := s.DB.c(colSigningKeys).Find(ctx, bson.D{})
	if err != nil {
		return nil, translate("FindSigningKeys", err)
	}
	var keys []*backend.SigningKey
	if err := cur.All(ctx, &keys); err != nil {
		return nil, translate("FindSigningKeys", err)
	}
	return keys, nil
}

func (s *SigningKeyStore) CreateSigningKey(ctx context.Context, k *backend.SigningKey) error {
	_, err := s.DB.c(colSigningKeys).InsertOne(ctx, k)
	return translate("CreateSigningKey", err)
}

func (s *SigningKeyStore) RetireSigningKey(ctx context.Context, kid string, at time.Time) error {
	const op = "RetireSigningKey"
	ok, err := s.DB.updateIf(ctx, s.DB.c(colSigningKeys), kid, bson.D{{Key: "retiredAt", Value: nil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "retiredAt", Value: at.UTC()}}}}, false)
	if err != nil {
		return translate(op, err)
	}
	if ok {
		return nil
	}
	n, err := s.DB.c(colSigningKeys).CountDocuments(ctx, bson.D{{Key: "_id", Value: kid}})
	if err != nil {
		return translate(op, err)
	}
	if n == 0 {
		return notFound(op, "signing key", kid)
	}
	return nil // already retired
}
