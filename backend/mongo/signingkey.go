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
	colIssuedCodes = "issued_codes" // which login and device each inspection code went to
)

// keyStore keeps the keys of one ring in one collection. Both rings store
// backend.SigningKey: {_id, algorithm, seed, createdAt, activatedAt,
// retiredAt?}.
type keyStore struct {
	db  *DB
	col string
}

func (s keyStore) find(ctx context.Context, op string) ([]*backend.SigningKey, error) {
	var keys []*backend.SigningKey
	err := scan(ctx, s.db.c(s.col), op, bson.D{}, func(k *backend.SigningKey) error { keys = append(keys, k); return nil })
	return keys, err
}

func (s keyStore) create(ctx context.Context, op string, k *backend.SigningKey) error {
	return s.db.insertAudited(ctx, s.col, "key", op, k.ID, k)
}

// retire marks key kid retired, with the records recs in the write (its
// version 2: a key is retired once; retiring it again writes nothing and
// its records are the first retirement's key's, chained once).
func (s keyStore) retire(ctx context.Context, op, kid string, at time.Time, recs []backend.AuditRecord) error {
	k := &backend.SigningKey{ID: kid}
	k.Record(recs...)
	var ok bool
	err := s.db.audited(ctx, s.col, "key", kid, 2, k, func() error {
		var err error
		ok, err = s.db.engine.updateIf(ctx, s.db.c(s.col), kid, bson.D{{Key: "retiredAt", Value: nil}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "retiredAt", Value: at.UTC()}, {Key: "auditPending", Value: k.AuditPending}}}}, false)
		if err == nil && !ok {
			return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "not retired now"} // nothing written
		}
		return translate(op, err)
	})
	if err == nil {
		return nil
	}
	if !backend.IsCode(err, backend.ECONFLICT) {
		return err
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

func (s *SigningKeyStore) ring() keyStore { return keyStore{db: s.DB, col: colSigningKeys} }

func (s *SigningKeyStore) FindSigningKeys(ctx context.Context) ([]*backend.SigningKey, error) {
	return s.ring().find(ctx, "FindSigningKeys")
}

func (s *SigningKeyStore) CreateSigningKey(ctx context.Context, k *backend.SigningKey) error {
	return s.ring().create(ctx, "CreateSigningKey", k)
}

func (s *SigningKeyStore) RetireSigningKey(ctx context.Context, kid string, at time.Time, recs ...backend.AuditRecord) error {
	return s.ring().retire(ctx, "RetireSigningKey", kid, at, recs)
}

// CodeKeyStore implements backend.SigningKeyStore for the code-signing
// keys (qr.KeyStore), qr.RevocationList and backend.CodeIssueStore.
type CodeKeyStore struct{ DB *DB }

var (
	_ backend.SigningKeyStore = (*CodeKeyStore)(nil)
	_ qr.RevocationList       = (*CodeKeyStore)(nil)
	_ backend.CodeIssueStore  = (*CodeKeyStore)(nil)
)

func (s *CodeKeyStore) ring() keyStore { return keyStore{db: s.DB, col: colCodeKeys} }

func (s *CodeKeyStore) FindSigningKeys(ctx context.Context) ([]*backend.SigningKey, error) {
	return s.ring().find(ctx, "FindCodeKeys")
}

func (s *CodeKeyStore) CreateSigningKey(ctx context.Context, k *backend.SigningKey) error {
	return s.ring().create(ctx, "CreateCodeKey", k)
}

func (s *CodeKeyStore) RetireSigningKey(ctx context.Context, kid string, at time.Time, recs ...backend.AuditRecord) error {
	return s.ring().retire(ctx, "RetireCodeKey", kid, at, recs)
}

// revocation is a revoked inspection code, by its serial. It is purged
// revocationRetention after the code expired: the verifier refuses an
// expired code before it asks the list (with a leeway of minutes).
type revocation struct {
	ID        string    `bson:"_id"`
	At        time.Time `bson:"at"`
	Reason    string    `bson:"reason"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// revocationRetention is how long a revocation is kept after its code
// expired: far beyond qr.DefaultLeeway.
const revocationRetention = time.Hour

// Revoke records that the inspection code with this serial, valid until
// expires, is no longer valid (task cancelled, phone lost). Revoking twice
// keeps the first.
func (s *CodeKeyStore) Revoke(ctx context.Context, serial, reason string, at, expires time.Time) error {
	_, err := s.DB.c(colRevoked).InsertOne(ctx, revocation{ID: serial, At: at.UTC(), Reason: reason, ExpiresAt: expires.UTC().Add(revocationRetention)})
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

// RecordCodeIssue stores which login and device a code went to, by its
// serial; the record is purged once the code has expired.
func (s *CodeKeyStore) RecordCodeIssue(ctx context.Context, c *backend.CodeIssue) error {
	return s.DB.insertAudited(ctx, colIssuedCodes, "code", "RecordCodeIssue", c.Serial, c)
}

func (s *CodeKeyStore) FindCodeIssue(ctx context.Context, serial string) (*backend.CodeIssue, error) {
	return findByID[backend.CodeIssue](ctx, s.DB.c(colIssuedCodes), "FindCodeIssue", "issued code", serial)
}

// RevokeIssuedCodes finds the user's codes by user (and device), which
// scans the collection on FerretDB: it holds only the codes of the last
// purge interval (codes live minutes), and only administrators ending
// sessions ask. Each code found is then revoked by serial.
func (s *CodeKeyStore) RevokeIssuedCodes(ctx context.Context, userID, deviceID string, at time.Time, reason string) (int, error) {
	const op = "RevokeIssuedCodes"
	filter := bson.D{{Key: "userId", Value: userID}}
	if deviceID != "" {
		filter = append(filter, bson.E{Key: "deviceId", Value: deviceID})
	}
	filter = append(filter, bson.E{Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: at.UTC()}}})
	var codes []*backend.CodeIssue
	if err := scan(ctx, s.DB.c(colIssuedCodes), op, filter, func(c *backend.CodeIssue) error { codes = append(codes, c); return nil }); err != nil {
		return 0, err
	}
	for i, c := range codes {
		if err := s.Revoke(ctx, c.Serial, reason, at, c.ExpiresAt); err != nil {
			return i, err
		}
	}
	return len(codes), nil
}
