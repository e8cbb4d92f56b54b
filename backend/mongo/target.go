package mongo

import (
	"context"
	"regexp"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TargetStore implements backend.TargetStore.
type TargetStore struct{ DB *DB }

var _ backend.TargetStore = (*TargetStore)(nil)

func (s *TargetStore) FindTargetByID(ctx context.Context, id string) (*backend.Target, error) {
	return readByID[backend.Target](ctx, s.DB, colTargets, "FindTargetByID", "target", id)
}

// targetFilter translates a typed filter into a query. Every value comes
// from a validated field of backend.TargetFilter; user text only ever
// appears as a quoted literal inside $regex.
func targetFilter(f backend.TargetFilter) bson.D {
	q := bson.D{}
	if len(f.Kinds) > 0 {
		q = append(q, bson.E{Key: "kind", Value: in(f.Kinds)})
	}
	if f.RegionPrefix != "" {
		q = append(q, bson.E{Key: "regionCode", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(f.RegionPrefix)}}})
	}
	if len(f.Industries) > 0 {
		q = append(q, bson.E{Key: "industry", Value: in(f.Industries)})
	}
	if f.Tag != "" {
		q = append(q, bson.E{Key: "tags", Value: f.Tag})
	}
	if len(f.CreditClasses) > 0 {
		q = append(q, bson.E{Key: "creditClass", Value: in(f.CreditClasses)})
	}
	if len(f.Statuses) > 0 {
		q = append(q, bson.E{Key: "status", Value: in(f.Statuses)})
	}
	if f.Whitelisted != nil {
		q = append(q, bson.E{Key: "whitelisted", Value: *f.Whitelisted})
	}
	if f.KeySupervision != nil {
		q = append(q, bson.E{Key: "keySupervision", Value: *f.KeySupervision})
	}
	if f.NameContains != "" {
		q = append(q, bson.E{Key: "name", Value: bson.D{{Key: "$regex", Value: regexp.QuoteMeta(f.NameContains)}}})
	}
	return q
}

func (s *TargetStore) FindTargets(ctx context.Context, f backend.TargetFilter, p backend.PageRequest) (*backend.Page[*backend.Target], error) {
	return s.DB.engine.findTargets(ctx, s, f, p)
}

// queryTargets answers FindTargets with a query.
func (s *TargetStore) queryTargets(ctx context.Context, f backend.TargetFilter, p backend.PageRequest) (*backend.Page[*backend.Target], error) {
	if f.Sort != "" {
		return findSortedPage(ctx, s.DB.c(colTargets), "FindTargets", targetFilter(f), p, f.Sort, f.Sort,
			func(t *backend.Target) (string, string) { return t.SortKey(f.Sort), t.ID })
	}
	return findPage(ctx, s.DB, s.DB.c(colTargets), "FindTargets", targetFilter(f), p, func(t *backend.Target) string { return t.ID })
}

func (s *TargetStore) ScanTargets(ctx context.Context, f backend.TargetFilter, fn func(*backend.Target) error) error {
	return scan(ctx, s.DB.c(colTargets), "ScanTargets", targetFilter(f), fn)
}

func (s *TargetStore) CreateTarget(ctx context.Context, t *backend.Target) error {
	t.Version, t.CreatedAt, t.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.audited(ctx, colTargets, "target", t.ID, 1, t, func() error {
		return s.DB.engine.writeTargets(false, func() error {
			_, err := s.DB.c(colTargets).InsertOne(ctx, t)
			return translate("CreateTarget", err)
		}, t)
	})
}

func (s *TargetStore) CreateTargets(ctx context.Context, ts []*backend.Target) error {
	if len(ts) == 0 {
		return nil
	}
	now := s.DB.now()
	for _, t := range ts {
		t.Version, t.CreatedAt, t.UpdatedAt = 1, now, now
	}
	// Ordered: a duplicate stops the insert at that document, and the error
	// (a conflict) tells the caller to look again.
	return s.DB.engine.writeTargets(true, func() error {
		return insertAll(ctx, s.DB.c(colTargets), "CreateTargets", ts, false)
	}, ts...)
}

func (s *TargetStore) UpdateTarget(ctx context.Context, t *backend.Target) error {
	expected := t.Version
	t.Version, t.UpdatedAt = expected+1, s.DB.now()
	err := s.DB.audited(ctx, colTargets, "target", t.ID, t.Version, t, func() error {
		return s.DB.engine.writeTargets(false, func() error {
			return replaceVersioned(ctx, s.DB, s.DB.c(colTargets), "UpdateTarget", "target", t.ID, expected, t)
		}, t)
	})
	if err != nil {
		t.Version = expected
	}
	return err
}

// UpdateTargets updates ts as UpdateTarget does each, with one mark and
// one append of the audit outbox for all (auditedMany). errs[i] is the
// refusal of ts[i] (ECONFLICT, ENOTFOUND), nil when it was stored; err
// stops the batch.
func (s *TargetStore) UpdateTargets(ctx context.Context, ts []*backend.Target) (errs []error, err error) {
	ws := make([]batchWrite, len(ts))
	expected := make([]int64, len(ts))
	now := s.DB.now()
	for i, t := range ts {
		expected[i] = t.Version
		t.Version, t.UpdatedAt = t.Version+1, now
		ws[i] = batchWrite{id: t.ID, version: t.Version, doc: t, write: func() error {
			return s.DB.engine.writeTargets(false, func() error {
				return replaceVersioned(ctx, s.DB, s.DB.c(colTargets), "UpdateTargets", "target", t.ID, expected[i], t)
			}, t)
		}}
	}
	errs, err = s.DB.auditedMany(ctx, colTargets, "target", ws)
	for i, t := range ts {
		if err != nil || errs[i] != nil {
			t.Version = expected[i]
		}
	}
	return errs, err
}
