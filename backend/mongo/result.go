package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colResults = "results"

// ResultStore implements backend.ResultStore: the results register, one
// document per task (_id the task's id). On MongoDB the lists and counts
// are index range scans (indexes in db.go); on the embedded FerretDB they
// are answered by an in-memory index of the register's fields
// (ferret_resultindex.go) and the page's documents read by _id.
type ResultStore struct{ DB *DB }

var _ backend.ResultStore = (*ResultStore)(nil)

func (s *ResultStore) CreateResultEntry(ctx context.Context, e *backend.ResultEntry) error {
	now := s.DB.now()
	e.Version, e.CreatedAt, e.UpdatedAt = 1, now, now
	if err := s.DB.insertAudited(ctx, colResults, "result", "CreateResultEntry", e.ID, e); err != nil {
		e.Version = 0
		return err
	}
	s.DB.engine.wroteResult(e)
	return nil
}

func (s *ResultStore) FindResultEntry(ctx context.Context, id string) (*backend.ResultEntry, error) {
	return findByID[backend.ResultEntry](ctx, s.DB.c(colResults), "FindResultEntry", "result", id)
}

func (s *ResultStore) UpdateResultEntry(ctx context.Context, e *backend.ResultEntry) error {
	expected := e.Version
	e.Version, e.UpdatedAt = expected+1, s.DB.now()
	err := s.DB.audited(ctx, colResults, "result", e.ID, e.Version, e, func() error {
		return replaceVersioned(ctx, s.DB, s.DB.c(colResults), "UpdateResultEntry", "result", e.ID, expected, e)
	})
	if err != nil {
		e.Version = expected
		return err
	}
	s.DB.engine.wroteResult(e)
	return nil
}

func (s *ResultStore) FindResultEntries(ctx context.Context, f backend.ResultFilter, p backend.PageRequest) (*backend.Page[*backend.ResultEntry], error) {
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	if p.After != "" {
		if _, _, err := backend.ParseResultCursor(p.After); err != nil {
			return nil, err
		}
	}
	return s.DB.engine.findResults(ctx, s, f, p)
}

func (s *ResultStore) CountResultEntries(ctx context.Context, departments []string, today backend.Date) (backend.ResultCounts, error) {
	return s.DB.engine.countResults(ctx, s, departments, today)
}

// resultFilter is the query of f, after the cursor's position.
func resultFilter(f backend.ResultFilter, after string) bson.D {
	and := bson.A{}
	if len(f.Departments) > 0 {
		and = append(and, bson.D{{Key: "departments", Value: bson.D{{Key: "$in", Value: f.Departments}}}})
	}
	if len(f.States) > 0 {
		and = append(and, bson.D{{Key: "state", Value: bson.D{{Key: "$in", Value: f.States}}}})
	}
	if f.DeadlineBefore != "" {
		and = append(and, bson.D{{Key: "deadline", Value: bson.D{{Key: "$lt", Value: f.DeadlineBefore}}}})
	}
	if f.DeadlineFrom != "" {
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "deadline", Value: bson.D{{Key: "$gte", Value: f.DeadlineFrom}}}},
			bson.D{{Key: "deadline", Value: bson.D{{Key: "$exists", Value: false}}}},
		}}})
	}
	if f.NoDeadline {
		and = append(and, bson.D{{Key: "deadline", Value: bson.D{{Key: "$exists", Value: false}}}})
	}
	if f.PlanID != "" {
		and = append(and, bson.D{{Key: "planId", Value: f.PlanID}})
	}
	if f.Code != "" {
		and = append(and, bson.D{{Key: "code", Value: f.Code}})
	}
	if f.From != "" {
		and = append(and, bson.D{{Key: "resultDate", Value: bson.D{{Key: "$gte", Value: f.From}}}})
	}
	if f.To != "" {
		and = append(and, bson.D{{Key: "resultDate", Value: bson.D{{Key: "$lte", Value: f.To}}}})
	}
	if after != "" {
		d, id, _ := backend.ParseResultCursor(after)
		op := "$gt"
		if f.Newest {
			op = "$lt"
		}
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "resultDate", Value: bson.D{{Key: op, Value: d}}}},
			bson.D{{Key: "resultDate", Value: d}, {Key: "_id", Value: bson.D{{Key: op, Value: id}}}},
		}}})
	}
	if len(and) == 0 {
		return bson.D{}
	}
	return bson.D{{Key: "$and", Value: and}}
}

// queryResults answers FindResultEntries with a query.
func (s *ResultStore) queryResults(ctx context.Context, f backend.ResultFilter, p backend.PageRequest) (*backend.Page[*backend.ResultEntry], error) {
	dir := 1
	if f.Newest {
		dir = -1
	}
	opts := options.Find().SetLimit(int64(p.Limit + 1)).SetSort(bson.D{{Key: "resultDate", Value: dir}, {Key: "_id", Value: dir}})
	cur, err := s.DB.c(colResults).Find(ctx, resultFilter(f, p.After), opts)
	if err != nil {
		return nil, translate("FindResultEntries", err)
	}
	items := make([]*backend.ResultEntry, 0, p.Limit+1)
	if err := cur.All(ctx, &items); err != nil {
		return nil, translate("FindResultEntries", err)
	}
	return pageOf(items, p.Limit), nil
}

func pageOf(items []*backend.ResultEntry, limit int) *backend.Page[*backend.ResultEntry] {
	page := &backend.Page[*backend.ResultEntry]{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = backend.ResultCursor(page.Items[limit-1])
	}
	return page
}

// queryCounts answers CountResultEntries with one count per view.
func (s *ResultStore) queryCounts(ctx context.Context, departments []string, today backend.Date) (backend.ResultCounts, error) {
	var out backend.ResultCounts
	views := []struct {
		n *int
		f backend.ResultFilter
	}{
		{&out.Pending, backend.ResultFilter{States: []backend.ResultState{backend.ResultPending}, DeadlineFrom: today}},
		{&out.Overdue, backend.ResultFilter{States: []backend.ResultState{backend.ResultPending}, DeadlineBefore: today}},
		{&out.WithholdProposed, backend.ResultFilter{States: []backend.ResultState{backend.ResultWithholdProposed}}},
		{&out.Withheld, backend.ResultFilter{States: []backend.ResultState{backend.ResultWithheld}}},
		{&out.Published, backend.ResultFilter{States: []backend.ResultState{backend.ResultPublished}}},
	}
	for _, v := range views {
		v.f.Departments = departments
		n, err := s.DB.c(colResults).CountDocuments(ctx, resultFilter(v.f, ""))
		if err != nil {
			return out, translate("CountResultEntries", err)
		}
		*v.n = int(n)
	}
	return out, nil
}
