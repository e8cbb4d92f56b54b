package mongo

import (
	"context"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// ThrottleStore implements backend.ThrottleStore with one counter document
// per key and fixed window, updated with $inc so that every instance sees
// the same count.
type ThrottleStore struct{ DB *DB }

var _ backend.ThrottleStore = (*ThrottleStore)(nil)

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
	if s.DB.ferret {
		// FerretDB's findAndModify reads, then writes: serialise it here so
		// that concurrent failures all count.
		defer s.DB.lockFor(colThrottle, id)()
	}
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
