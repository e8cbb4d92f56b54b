package mongo

import (
	"context"
	"slices"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colTargetResults = "target_results"

// PublishedResultStore implements backend.PublishedResultStore: one
// document per target, _id the target's id.
type PublishedResultStore struct{ DB *DB }

var _ backend.PublishedResultStore = (*PublishedResultStore)(nil)

type targetResults struct {
	ID      string                    `bson:"_id"`
	Results []backend.PublishedResult `bson:"results"`
}

func (s *PublishedResultStore) AddPublishedResult(ctx context.Context, targetID string, r backend.PublishedResult) error {
	const op = "AddPublishedResult"
	c := s.DB.c(colTargetResults)
	return translate(op, s.DB.engine.addPublishedResult(ctx, c, targetID, r, false))
}

func (s *PublishedResultStore) PutPublishedResult(ctx context.Context, targetID string, r backend.PublishedResult) error {
	return translate("PutPublishedResult", s.DB.engine.addPublishedResult(ctx, s.DB.c(colTargetResults), targetID, r, true))
}

func (s *PublishedResultStore) PublishedResults(ctx context.Context, targetID string) ([]backend.PublishedResult, error) {
	var doc targetResults
	err := s.DB.c(colTargetResults).FindOne(ctx, bson.D{{Key: "_id", Value: targetID}}).Decode(&doc)
	if err == mongo.ErrNoDocuments {
		return []backend.PublishedResult{}, nil
	}
	if err != nil {
		return nil, translate("PublishedResults", err)
	}
	slices.SortStableFunc(doc.Results, func(a, b backend.PublishedResult) int { return b.PublishedAt.Compare(a.PublishedAt) })
	return doc.Results, nil
}
