package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colRatings = "ratings"

// RatingStore implements backend.RatingStore.
type RatingStore struct{ DB *DB }

var _ backend.RatingStore = (*RatingStore)(nil)

func (s *RatingStore) CreateRating(ctx context.Context, r *backend.Rating) error {
	r.CreatedAt = s.DB.now()
	_, err := s.DB.c(colRatings).InsertOne(ctx, r)
	return translate("CreateRating", err)
}

func (s *RatingStore) FindRatings(ctx context.Context, p backend.PageRequest) (*backend.Page[*backend.Rating], error) {
	return findPage(ctx, s.DB, s.DB.c(colRatings), "FindRatings", bson.D{}, p, func(r *backend.Rating) string { return r.TaskID })
}
