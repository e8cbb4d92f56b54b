package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/qr"
)

// Key rings: a handful of documents each, read whole, so the lack of
// pushed-down filters on FerretDB costs nothing.
const (
	colSigningKeys = "signing_keys" // access tokens (backend/auth)
	colCodeKeys    = "code_keys"    // enterprise and inspection codes (qr)
	colRevoked     = "revoked_codes"
)

// keyStore keeps the keys of one ring in one collection. Both rings store
// {_id, algorithm, seed, createdAt, activatedAt, retiredAt?}.
type keyStore[K any] struct {
	db  *DB
	col string
}

func (s keyStore[K]) find(ctx context.Context, op string) ([]*K, error) {
	var keys []*K
	err := scan(ctx, s.db.c(s.col), op, bson.D{}, func(k *K) error { keys = append(keys, k); return nil })
	return keys, err
}

func (s keyStore[K]) create(ctx context.Context, op string, k *K) error {
	_, err := s.db.c(s.col).InsertOne(ctx, k)
	return translate(op, err)
}

func (s keyStore[K]) retire(ctx context.Context, op, kid string, at time.Time) error {
	ok, err := s.db.updateIf(ctx, s.db.c(s.col), kid, bson.D{{Key: "retiredAt", Value: nil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "retiredAt", Value: at.UTC()}}}}, false)
	if err != nil {
		return translate(op, err)
	}
	if ok {
		return nil
	}
	n, err := s.db.c(s.col).CountDocuments(ctx, bson.D{{Key: "_id", Value: kid}})
	if err != nil {
		return translate(op, err)
	}
	if n == 0 {
		return notFound(op, "signing key", kid)
	}
	return nil // already retired
}

// SigningKeyStore implements backend.SigningKeyStore (access-token keys).
type SigningKeyStore struct{ DB *DB }

var _ backend.SigningKeyStore = (*SigningKeyStore)(nil)

func (s *SigningKeyStore) ring() keyStore[backend.SigningKey] {
	return keyStore[backend.SigningKey]{db: s.DB, col: colSigningKeys}
}

func (s *SigningKeyStore) FindSigningKeys(ctx context.Context) ([]*backend.SigningKey, error) {
	return s.ring().find(ctx, "FindSigningKeys")
}

func (s *SigningKeyStore) CreateSigningKey(ctx context.Context, k *backend.SigningKey) error {
	return s.ring().create(ctx, "CreateSigningKey", k)
}

func (s *SigningKeyStore) RetireSigningKey(ctx context.Context, kid string, at time.Time) error {
	return s.ring().retire(ctx, "RetireSigningKey", kid, at)
}

// CodeKeyStore implements qr.KeyStore (code-signing keys) and
// qr.RevocationList.
type CodeKeyStore struct{ DB *DB }

var (
	_ qr.KeyStore       = (*CodeKeyStore)(nil)
	_ qr.RevocationList = (*CodeKeyStore)(nil)
)

func (s *CodeKeyStore) ring() keyStore[qr.Key] { return keyStore[qr.Key]{db: s.DB, col: colCodeKeys} }

func (s *CodeKeyStore) FindKeys(ctx context.Context) ([]*qr.Key, error) {
	return s.ring().find(ctx, "FindCodeKeys")
}

func (s *CodeKeyStore) CreateKey(ctx context.Context, k *qr.Key) error {
	return s.ring().create(ctx, "CreateCodeKey", k)
}

func (s *CodeKeyStore) RetireKey(ctx context.Context, kid string, at time.Time) error {
	return s.ring().retire(ctx, "RetireCodeKey", kid, at)
}

// revocation is a revoked inspection code, by its serial.
type revocation struct {
	ID     string    `bson:"_id"`
	At     time.Time `bson:"at"`
	Reason string    `bson:"reason"`
}

// Revoke records that the inspection code with this serial is no longer
// valid (task cancelled, phone lost). Revoking twice keeps the first.
func (s *CodeKeyStore) Revoke(ctx context.Context, serial, reason string, at time.Time) error {
	_, err := s.DB.c(colRevoked).InsertOne(ctx, revocation{ID: serial, At: at.UTC(), Reason: reason})
	if backend.IsCode(translate("", err), backend.ECONFLICT) {
		return nil
	}
	return translate("Revoke", err)
}

func (s *CodeKeyStore) IsRevoked(ctx context.Context, serial string) (bool, error) {
	_, err := findByID[revocation](ctx, s.DB.c(colRevoked), "IsRevoked", "revocation", serial)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return false, nil
	}
	return err == nil, err
}
