package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

const (
	colUploads         = "uploads"
	colDerivatives     = "derivatives"
	colUploadWriters   = "upload_writers"   // by login: the uploads being written now
	colUploadTakeovers = "upload_takeovers" // by upload and holder: asked to let go
)

// UploadStore implements backend.UploadStore. Every write of an upload is
// conditional on the version read (updateIf), so the lock is taken by one
// request at a time on both engines. Uploads are few (the ones under way
// and recently finished), so the expiry sweep's scan on FerretDB is cheap.
type UploadStore struct{ DB *DB }

var _ backend.UploadStore = (*UploadStore)(nil)

func (s *UploadStore) CreateUpload(ctx context.Context, u *backend.Upload) error {
	u.Version = 1
	_, err := s.DB.c(colUploads).InsertOne(ctx, u)
	return translate("CreateUpload", err)
}

func (s *UploadStore) FindUpload(ctx context.Context, id string) (*backend.Upload, error) {
	return findByID[backend.Upload](ctx, s.DB.c(colUploads), "FindUpload", "upload", id)
}

func (s *UploadStore) LockUpload(ctx context.Context, id, holder string, now, until time.Time) (*backend.Upload, error) {
	const op = "LockUpload"
	for range 3 {
		u, err := s.FindUpload(ctx, id)
		if err != nil {
			return nil, err
		}
		if u.Holder != "" && u.Holder != holder && u.LockedUntil.After(now) {
			return nil, &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "the upload is being written by another request; try again shortly"}
		}
		u.Holder, u.LockedUntil = holder, until.UTC()
		ok, err := s.save(ctx, u)
		if err != nil {
			return nil, translate(op, err)
		}
		if ok {
			return u, nil
		}
	}
	return nil, &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "the upload is being written by another request; try again shortly"}
}

// save writes u if its stored version is the one u was read at.
func (s *UploadStore) save(ctx context.Context, u *backend.Upload) (bool, error) {
	expected := u.Version
	u.Version++
	ok, err := s.DB.engine.updateIf(ctx, s.DB.c(colUploads), u.ID, bson.D{{Key: "version", Value: expected}}, u, true)
	if !ok || err != nil {
		u.Version = expected
	}
	return ok, err
}

func (s *UploadStore) SaveUpload(ctx context.Context, u *backend.Upload, holder string) error {
	const op = "SaveUpload"
	if u.Holder != holder {
		return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "the upload's lock was lost"}
	}
	ok, err := s.save(ctx, u)
	if err != nil {
		return translate(op, err)
	}
	if !ok {
		return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "the upload's lock lapsed and another request took it"}
	}
	return nil
}

func (s *UploadStore) DeleteUpload(ctx context.Context, id string) error {
	_, err := s.DB.c(colUploads).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return translate("DeleteUpload", err)
}

func (s *UploadStore) ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]*backend.Upload, error) {
	const op = "ExpiredUploads"
	cur, err := s.DB.c(colUploads).Find(ctx, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lt", Value: now.UTC()}}}},
		options.Find().SetLimit(int64(limit)))
	if err != nil {
		return nil, translate(op, err)
	}
	var out []*backend.Upload
	if err := cur.All(ctx, &out); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

func (s *UploadStore) FindUploadWriters(ctx context.Context, user string) (*backend.UploadWriters, error) {
	w, err := findByID[backend.UploadWriters](ctx, s.DB.c(colUploadWriters), "FindUploadWriters", "upload writers", user)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return &backend.UploadWriters{UserID: user}, nil
	}
	return w, err
}

// SaveUploadWriters writes by _id with the version read as the condition
// (updateIf): on MongoDB in the filter, on the embedded store under this
// process's lock; the first save inserts, and a concurrent first save
// loses on the unique _id.
func (s *UploadStore) SaveUploadWriters(ctx context.Context, w *backend.UploadWriters) error {
	const op = "SaveUploadWriters"
	expected := w.Version
	w.Version++
	if expected == 0 {
		_, err := s.DB.c(colUploadWriters).InsertOne(ctx, w)
		if err != nil {
			w.Version = expected
		}
		return translate(op, err)
	}
	ok, err := s.DB.engine.updateIf(ctx, s.DB.c(colUploadWriters), w.UserID, bson.D{{Key: "version", Value: expected}}, w, true)
	if err != nil || !ok {
		w.Version = expected
	}
	if err != nil {
		return translate(op, err)
	}
	if !ok {
		return versionConflict(op, "upload writers of", w.UserID)
	}
	return nil
}

// takeover is a request that the holder of an upload let go: _id
// "<upload>/<holder>", so that the writer asks by _id.
type takeover struct {
	ID        string    `bson:"_id"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

func (s *UploadStore) RequestTakeover(ctx context.Context, id, holder string, expires time.Time) error {
	_, err := s.DB.c(colUploadTakeovers).InsertOne(ctx, takeover{ID: id + "/" + holder, ExpiresAt: expires.UTC()})
	if mongo.IsDuplicateKeyError(err) {
		return nil
	}
	return translate("RequestTakeover", err)
}

func (s *UploadStore) TakeoverRequested(ctx context.Context, id, holder string) (bool, error) {
	_, err := findByID[takeover](ctx, s.DB.c(colUploadTakeovers), "TakeoverRequested", "takeover", id+"/"+holder)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return false, nil
	}
	return err == nil, err
}

// DerivativeStore implements backend.DerivativeStore: one small document
// per derived image, by _id.
type DerivativeStore struct{ DB *DB }

var _ backend.DerivativeStore = (*DerivativeStore)(nil)

type derivative struct {
	ID  string `bson:"_id"`
	SHA string `bson:"sha256"`
}

func (s *DerivativeStore) FindDerivative(ctx context.Context, key string) (string, error) {
	d, err := readByID[derivative](ctx, s.DB, colDerivatives, "FindDerivative", "derivative", key)
	if err != nil {
		return "", err
	}
	return d.SHA, nil
}

func (s *DerivativeStore) SaveDerivative(ctx context.Context, key, sha string) error {
	_, err := s.DB.c(colDerivatives).ReplaceOne(ctx, bson.D{{Key: "_id", Value: key}}, derivative{ID: key, SHA: sha}, options.Replace().SetUpsert(true))
	return translate("SaveDerivative", err)
}
