package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colVisitCounts = "visit_counts"

// VisitCountStore implements backend.VisitCountStore: one document per
// year, kind and enterprise or officer, changed with $inc (atomic on both
// engines, so instances that count at once lose nothing).
type VisitCountStore struct{ DB *DB }

var _ backend.VisitCountStore = (*VisitCountStore)(nil)

func (s *VisitCountStore) AddVisitCounts(ctx context.Context, incs []backend.VisitCountIncrement) error {
	now := s.DB.now()
	return s.DB.engine.writeVisitCounts(incs, now, func() error {
		for _, in := range incs {
			id := backend.VisitCountID(in.Year, in.Kind, in.Ref)
			_, err := s.DB.c(colVisitCounts).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{
				{Key: "$inc", Value: bson.D{{Key: "visits", Value: in.Visits}, {Key: "checkIns", Value: in.CheckIns}, {Key: "unplanned", Value: in.Unplanned}}},
				{Key: "$set", Value: bson.D{{Key: "name", Value: in.Name}, {Key: "updatedAt", Value: now}}},
				{Key: "$setOnInsert", Value: bson.D{{Key: "year", Value: in.Year}, {Key: "kind", Value: in.Kind}, {Key: "ref", Value: in.Ref}}},
			}, options.Update().SetUpsert(true))
			if err != nil {
				return translate("AddVisitCounts", err)
			}
		}
		return nil
	})
}

// TopVisitCounts reads the (year, kind, visits) or (year, kind, checkIns)
// index on MongoDB, and the in-memory copy of the counts on the embedded
// store (ferret_visitcountindex.go); never the check-ins.
func (s *VisitCountStore) TopVisitCounts(ctx context.Context, year int, kind string, limit int) ([]*backend.VisitCount, error) {
	return s.DB.engine.topVisitCounts(ctx, s, year, kind, limit)
}

// queryTop answers TopVisitCounts with a sorted query.
func (s *VisitCountStore) queryTop(ctx context.Context, year int, kind string, limit int) ([]*backend.VisitCount, error) {
	by := "visits"
	if kind == backend.CountInspector {
		by = "checkIns"
	}
	cur, err := s.DB.c(colVisitCounts).Find(ctx, bson.D{{Key: "year", Value: year}, {Key: "kind", Value: kind}},
		options.Find().SetSort(bson.D{{Key: by, Value: -1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, translate("TopVisitCounts", err)
	}
	out := []*backend.VisitCount{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, translate("TopVisitCounts", err)
	}
	return out, nil
}
