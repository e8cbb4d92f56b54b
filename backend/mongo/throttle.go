package mongo

import (
	"context"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colLoginLocks = "login_locks"

// ThrottleStore implements backend.LoginThrottleStore: one counter
// document per key and fixed window, updated with $inc so that every
// instance sees the same count; backoffs in the same collection, one
// document per key; account locks in their own small collection.
type ThrottleStore struct{ DB *DB }

var _ backend.LoginThrottleStore = (*ThrottleStore)(nil)

func (s *ThrottleStore) AddThrottle(ctx context.Context, key string, window time.Duration, now time.Time, n int) (int, error) {
	start := now.UTC().Truncate(window)
	id := key + "@" + strconv.FormatInt(start.Unix(), 10)
	var doc struct {
		Count int `bson:"count"`
	}
	if n == 0 {
		doc2, err := findByID[struct {
			Count int `bson:"count"`
		}](ctx, s.DB.c(colThrottle), "AddThrottle", "counter", id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		return doc2.Count, nil
	}
	// FerretDB's findAndModify reads, then writes: serialise it here so
	// that concurrent failures all count.
	defer s.DB.engine.exclusive(colThrottle, id)()
	err := s.DB.c(colThrottle).FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: id}},
		bson.D{
			{Key: "$inc", Value: bson.D{{Key: "count", Value: n}}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "expiresAt", Value: start.Add(window)}}},
		},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After),
	).Decode(&doc)
	if err != nil {
		return 0, translate("AddThrottle", err)
	}
	return doc.Count, nil
}

// backoffTries bounds how often TakeBackoff re-reads a key that another
// attempt updated in between.
const backoffTries = 8

// TakeBackoff reads the key by _id and writes it back conditioned on the
// version it read (a versioned insert for a new key): of concurrent
// attempts exactly one wins each version, so no more attempts are admitted
// than the delays allow.
func (s *ThrottleStore) TakeBackoff(ctx context.Context, key string, now time.Time, memory time.Duration, delay func(failures int) time.Duration) (*backend.Backoff, bool, error) {
	const op = "TakeBackoff"
	c := s.DB.c(colThrottle)
	now = now.UTC()
	for range backoffTries {
		stored, err := findByID[backend.Backoff](ctx, c, op, "backoff", key)
		if err != nil && !backend.IsCode(err, backend.ENOTFOUND) {
			return nil, false, err
		}
		prev := backend.Backoff{ID: key}
		if stored != nil {
			prev = *stored
			if !now.Before(prev.ExpiresAt) { // forgotten, not purged yet
				prev.Failures, prev.NextAt = 0, time.Time{}
			}
		}
		if now.Before(prev.NextAt) {
			return &prev, false, nil
		}
		next := backend.Backoff{ID: key, Failures: prev.Failures + 1, Version: prev.Version + 1}
		next.NextAt = now.Add(delay(next.Failures))
		next.ExpiresAt = now.Add(memory)
		if next.NextAt.After(next.ExpiresAt) {
			next.ExpiresAt = next.NextAt
		}
		if stored == nil {
			_, err := c.InsertOne(ctx, next)
			if mongo.IsDuplicateKeyError(err) {
				continue
			}
			if err != nil {
				return nil, false, translate(op, err)
			}
			return &next, true, nil
		}
		ok, err := s.DB.engine.updateIf(ctx, c, key, bson.D{{Key: "version", Value: stored.Version}}, next, true)
		if err != nil {
			return nil, false, translate(op, err)
		}
		if ok {
			return &next, true, nil
		}
	}
	return nil, false, &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "too many attempts under way at once"}
}

func (s *ThrottleStore) ClearBackoff(ctx context.Context, key string) error {
	_, err := s.DB.c(colThrottle).DeleteOne(ctx, bson.D{{Key: "_id", Value: key}})
	return translate("ClearBackoff", err)
}

func (s *ThrottleStore) PutLoginLock(ctx context.Context, l *backend.LoginLock) error {
	_, err := s.DB.c(colLoginLocks).ReplaceOne(ctx, bson.D{{Key: "_id", Value: l.Username}}, l, options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) { // two instances locking at once: the second replaces
		_, err = s.DB.c(colLoginLocks).ReplaceOne(ctx, bson.D{{Key: "_id", Value: l.Username}}, l, options.Replace().SetUpsert(true))
	}
	return translate("PutLoginLock", err)
}

func (s *ThrottleStore) FindLoginLock(ctx context.Context, username string) (*backend.LoginLock, error) {
	return findByID[backend.LoginLock](ctx, s.DB.c(colLoginLocks), "FindLoginLock", "login lock", username)
}

// FindLoginLocks filters on the end of the lock, which scans the
// collection on FerretDB: it holds only the locks of the last purge
// interval, and only administrators list them.
func (s *ThrottleStore) FindLoginLocks(ctx context.Context, now time.Time, p backend.PageRequest) (*backend.Page[*backend.LoginLock], error) {
	filter := bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: now.UTC()}}}}
	return findPage(ctx, s.DB, s.DB.c(colLoginLocks), "FindLoginLocks", filter, p, func(l *backend.LoginLock) string { return l.Username })
}

func (s *ThrottleStore) DeleteLoginLock(ctx context.Context, username string) error {
	res, err := s.DB.c(colLoginLocks).DeleteOne(ctx, bson.D{{Key: "_id", Value: username}})
	if err != nil {
		return translate("DeleteLoginLock", err)
	}
	if res.DeletedCount == 0 {
		return notFound("DeleteLoginLock", "login lock", username)
	}
	return nil
}
