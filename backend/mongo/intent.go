package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colIntents = "intents"

// IntentStore implements backend.IntentStore: one small document per
// operation under way, by its id, so the collection stays as small as the
// number of operations running (reading it whole is cheap on both engines).
type IntentStore struct{ DB *DB }

var _ backend.IntentStore = (*IntentStore)(nil)

func (s *IntentStore) PutIntent(ctx context.Context, in *backend.Intent) error {
	_, err := s.DB.c(colIntents).InsertOne(ctx, in)
	return translate("PutIntent", err)
}

func (s *IntentStore) DeleteIntent(ctx context.Context, id string) error {
	_, err := s.DB.c(colIntents).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return translate("DeleteIntent", err)
}

func (s *IntentStore) FindIntents(ctx context.Context) ([]*backend.Intent, error) {
	var out []*backend.Intent
	err := scan(ctx, s.DB.c(colIntents), "FindIntents", bson.D{}, func(in *backend.Intent) error {
		out = append(out, in)
		return nil
	})
	return out, err
}

// DeleteDraw removes a draw whose record was never stored whole (its
// process stopped in between), and the pieces of the record it stored: the
// plan version can be drawn again, and no part of its secret stays.
func (s *DrawStore) DeleteDraw(ctx context.Context, id string) error {
	for n := 0; ; n++ {
		res, err := s.DB.c(colDrawRecords).DeleteOne(ctx, bson.D{{Key: "_id", Value: pieceID(id, n)}})
		if err != nil {
			return translate("DeleteDraw", err)
		}
		if res.DeletedCount == 0 {
			break
		}
	}
	_, err := s.DB.c(colDraws).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return translate("DeleteDraw", err)
}
