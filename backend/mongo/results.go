package mongo

import (
	"context"
	"slices"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

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
	if s.DB.ferret {
		defer s.DB.lockFor(colTargetResults, targetID)()
		var doc targetResults
		err := c.FindOne(ctx, bson.D{{Key: "_id", Value: targetID}}).Decode(&doc)
		if err != nil && err != mongo.ErrNoDocuments {
			return translate(op, err)
		}
		if slices.ContainsFunc(doc.Results, func(x backend.PublishedResult) bool { return x.TaskID == r.TaskID }) {
			return nil
		}
		doc.ID, doc.Results = targetID, append(doc.Results, r)
		_, err = c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: targetID}}, doc, options.Replace().SetUpsert(true))
		return translate(op, err)
	}
	// The filter misses a document that has the result already; the
	// upsert then collides with it on _id, which means done.
	_, err := c.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: targetID}, {Key: "results.taskId", Value: bson.D{{Key: "$ne", Value: r.TaskID}}}},
		bson.D{{Key: "$push", Value: bson.D{{Key: "results", Value: r}}}},
		options.Update().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		return nil
	}
	return translate(op, err)
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
