package mongo

import (
	"context"
	"slices"

	"go.mongodb.org/mongo-driver/bson"

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
	m, err := s.PublishedResultsOf(ctx, []string{targetID})
	if err != nil {
		return nil, err
	}
	return m[targetID], nil
}

// PublishedResultsOf returns the results of every target of ids, newest
// first, an empty list for a target without any. On the embedded store
// each document is read by its _id straight from SQLite (readByID: no
// round trip through the wire protocol, which decodes every value); on
// MongoDB the documents come in one query by _id ($in), in batches of
// resultsBatch ids: a page of a phone's download costs one round trip to
// the store, not one per task.
func (s *PublishedResultStore) PublishedResultsOf(ctx context.Context, ids []string) (map[string][]backend.PublishedResult, error) {
	const op = "PublishedResultsOf"
	out := make(map[string][]backend.PublishedResult, len(ids))
	var want []string
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			out[id] = []backend.PublishedResult{}
			want = append(want, id)
		}
	}
	if s.DB.FindJSON != nil && s.DB.SingleProcess {
		for _, id := range want {
			doc, err := readByID[targetResults](ctx, s.DB, colTargetResults, op, "published results", id)
			if backend.IsCode(err, backend.ENOTFOUND) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out[id] = sortedResults(doc.Results)
		}
		return out, nil
	}
	for len(want) > 0 {
		batch := want[:min(len(want), resultsBatch)]
		want = want[len(batch):]
		cur, err := s.DB.c(colTargetResults).Find(ctx, bson.D{{Key: "_id", Value: in(batch)}})
		if err != nil {
			return nil, translate(op, err)
		}
		var docs []targetResults
		if err := cur.All(ctx, &docs); err != nil {
			return nil, translate(op, err)
		}
		for _, d := range docs {
			out[d.ID] = sortedResults(d.Results)
		}
	}
	return out, nil
}

// resultsBatch bounds the ids of one query of PublishedResultsOf: a pull
// page (fcsync.MaxPullPage) in one.
const resultsBatch = 500

func sortedResults(rs []backend.PublishedResult) []backend.PublishedResult {
	if rs == nil {
		return []backend.PublishedResult{}
	}
	slices.SortStableFunc(rs, func(a, b backend.PublishedResult) int { return b.PublishedAt.Compare(a.PublishedAt) })
	return rs
}
