package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colRatings = "ratings"

// RatingStore implements backend.RatingStore. A visit's first rating has
// the task's id as _id, as every rating had before replacements existed;
// those stored then carry no taskId, seq or channel, and are read as the
// first rating of their visit, made with the inspection code.
type RatingStore struct{ DB *DB }

var _ backend.RatingStore = (*RatingStore)(nil)

func (s *RatingStore) CreateRating(ctx context.Context, r *backend.Rating) error {
	r.CreatedAt = s.DB.now()
	return s.DB.insertAudited(ctx, colRatings, "rating", "CreateRating", r.ID, r)
}

func (s *RatingStore) FindRating(ctx context.Context, id string) (*backend.Rating, error) {
	r, err := findByID[backend.Rating](ctx, s.DB.c(colRatings), "FindRating", "rating", id)
	if err != nil {
		return nil, err
	}
	return upgradeRating(r), nil
}

func (s *RatingStore) MarkRatingReplaced(ctx context.Context, id, by string, at time.Time) error {
	res, err := s.DB.c(colRatings).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "replacedBy", Value: by}, {Key: "replacedAt", Value: at.UTC().Truncate(time.Millisecond)}}}})
	if err != nil {
		return translate("MarkRatingReplaced", err)
	}
	if res.MatchedCount == 0 {
		return notFound("MarkRatingReplaced", "rating", id)
	}
	return nil
}

// FindRatings pages by _id. A filter is applied by the engine; on the
// embedded store that reads the ratings collection (one or a few ratings
// per visit).
func (s *RatingStore) FindRatings(ctx context.Context, f backend.RatingFilter, p backend.PageRequest) (*backend.Page[*backend.Rating], error) {
	filter := bson.D{}
	if f.TargetID != "" {
		filter = append(filter, bson.E{Key: "targetId", Value: f.TargetID})
	}
	if f.Flagged {
		filter = append(filter, bson.E{Key: "flags", Value: backend.FlagSuspectedSelfRating})
	}
	if f.Disputed {
		filter = append(filter, bson.E{Key: "happened", Value: false})
	}
	page, err := findPage(ctx, s.DB, s.DB.c(colRatings), "FindRatings", filter, p, func(r *backend.Rating) string { return r.ID })
	if err != nil {
		return nil, err
	}
	for _, r := range page.Items {
		upgradeRating(r)
	}
	return page, nil
}

// upgradeRating fills what a rating stored before replacements lacks.
func upgradeRating(r *backend.Rating) *backend.Rating {
	if r.TaskID == "" {
		r.TaskID, r.Seq, r.Channel = r.ID, 1, backend.RatingByInspectionCode
	}
	if r.Flags == nil {
		r.Flags = []string{}
	}
	return r
}
