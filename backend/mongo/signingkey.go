package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend/auth"
)

// colSigningKeys holds the access-token key ring: a handful of documents,
// read whole, so the lack of pushed-down filters on FerretDB costs nothing.
const colSigningKeys = "signing_keys"

// SigningKeyStore implements auth.SigningKeyStore.
type SigningKeyStore struct{ DB *DB }

var _ auth.SigningKeyStore = (*SigningKeyStore)(nil)

func (s *SigningKeyStore) FindSigningKeys(ctx context.Context) ([]*auth.SigningKey, error) {
	cur, err := s.DB.c(colSigningKeys).Find(ctx, bson.D{})
	if err != nil {
		return nil, translate("FindSigningKeys", err)
	}
	var keys []*auth.SigningKey
	if err := cur.All(ctx, &keys); err != nil {
		return nil, translate("FindSigningKeys", err)
	}
	return keys, nil
}

func (s *SigningKeyStore) CreateSigningKey(ctx context.Context, k *auth.SigningKey) error {
	_, err := s.DB.c(colSigningKeys).InsertOne(ctx, k)
	return translate("CreateSigningKey", err)
}

func (s *SigningKeyStore) RetireSigningKey(ctx context.Context, kid string, at time.Time) error {
	const op = "RetireSigningKey"
	res, err := s.DB.c(colSigningKeys).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: kid}, {Key: "retiredAt", Value: nil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "retiredAt", Value: at.UTC()}}}})
	if err != nil {
		return translate(op, err)
	}
	if res.MatchedCount == 1 {
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
