package mongo

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

const (
	colPlans        = "plans"
	colPlanVersions = "plan_versions"
	colPlanSecrets  = "plan_secrets"
)

// PlanStore implements backend.PlanStore.
type PlanStore struct{ DB *DB }

var _ backend.PlanStore = (*PlanStore)(nil)

func versionID(planID string, v int) string { return fmt.Sprintf("%s@%d", planID, v) }

func (s *PlanStore) FindPlanByID(ctx context.Context, id string) (*backend.Plan, error) {
	return readByID[backend.Plan](ctx, s.DB, colPlans, "FindPlanByID", "plan", id)
}

func (s *PlanStore) FindPlans(ctx context.Context, f backend.PlanFilterQuery, p backend.PageRequest) (*backend.Page[*backend.Plan], error) {
	if page, ok, err := s.findPlansDirect(ctx, f, p); ok {
		return page, err
	}
	return findPage(ctx, s.DB, s.DB.c(colPlans), "FindPlans", planFilter(f), p, func(p *backend.Plan) string { return p.ID })
}

// CountPlans counts the plans f selects: on MongoDB a count over the
// query; on the embedded store from three fields of each plan read
// straight from SQLite (DB.ScanJSON), not FerretDB decoding every plan.
func (s *PlanStore) CountPlans(ctx context.Context, f backend.PlanFilterQuery) (int, error) {
	if n, ok, err := s.DB.engine.countPlans(ctx, s.DB, f); ok || err != nil {
		return n, err
	}
	n, err := s.DB.c(colPlans).CountDocuments(ctx, planFilter(f))
	return int(n), translate("CountPlans", err)
}

// planFilter translates a typed filter into a query.
func planFilter(f backend.PlanFilterQuery) bson.D {
	q := bson.D{}
	if f.Year != 0 {
		q = append(q, bson.E{Key: "year", Value: f.Year})
	}
	if len(f.Departments) > 0 {
		q = append(q, bson.E{Key: "departments", Value: in(f.Departments)})
	}
	if states := planStates(f); len(states) > 0 {
		q = append(q, bson.E{Key: "state", Value: in(states)})
	}
	return q
}

func (s *PlanStore) CreatePlan(ctx context.Context, p *backend.Plan) error {
	p.Version, p.CreatedAt, p.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.insertAudited(ctx, colPlans, "plan", "CreatePlan", p.ID, p)
}

func (s *PlanStore) UpdatePlan(ctx context.Context, p *backend.Plan) error {
	expected := p.Version
	p.Version, p.UpdatedAt = expected+1, s.DB.now()
	if err := s.DB.replaceAudited(ctx, colPlans, "plan", "UpdatePlan", p.ID, expected, p); err != nil {
		p.Version = expected
		return err
	}
	return nil
}

func (s *PlanStore) CreatePlanVersion(ctx context.Context, v *backend.PlanVersion) error {
	v.ID = versionID(v.PlanID, v.Version)
	_, err := s.DB.c(colPlanVersions).InsertOne(ctx, v)
	return translate("CreatePlanVersion", err)
}

func (s *PlanStore) FindPlanVersion(ctx context.Context, planID string, version int) (*backend.PlanVersion, error) {
	return readByID[backend.PlanVersion](ctx, s.DB, colPlanVersions, "FindPlanVersion", "plan version", versionID(planID, version))
}

func (s *PlanStore) CreatePlanSecret(ctx context.Context, sec *backend.PlanSecret) error {
	_, err := s.DB.c(colPlanSecrets).InsertOne(ctx, sec)
	return translate("CreatePlanSecret", err)
}

func (s *PlanStore) FindPlanSecret(ctx context.Context, planID string, version int) (*backend.PlanSecret, error) {
	return findByID[backend.PlanSecret](ctx, s.DB.c(colPlanSecrets), "FindPlanSecret", "plan secret", versionID(planID, version))
}

// planStates are the states f selects: the public ones for PublicOnly.
func planStates(f backend.PlanFilterQuery) []backend.PlanState {
	if f.PublicOnly && len(f.States) == 0 {
		return []backend.PlanState{backend.PlanPublished, backend.PlanDrawn, backend.PlanClosed}
	}
	return f.States
}

// planFields are the fields FindPlans filters on, as ScanJSON reads them.
type planFields struct {
	ID          string            `json:"_id"`
	Year        int               `json:"year"`
	State       backend.PlanState `json:"state"`
	Departments []string          `json:"departments"`
}

// findPlansDirect answers FindPlans on the embedded store's one writer
// without a FerretDB query: the filter fields of every plan straight from
// SQLite (ScanJSON), the page's plans by _id (readByID), in the order and
// with the offset cursors of the FerretDB query it replaces. A FerretDB
// query waits for one of its few SQLite connections, which the portal's
// concurrent pages queued on (docs/benchmarks.md). ok is false where it
// does not apply.
func (s *PlanStore) findPlansDirect(ctx context.Context, f backend.PlanFilterQuery, p backend.PageRequest) (*backend.Page[*backend.Plan], bool, error) {
	if !s.DB.SingleProcess || s.DB.ScanJSON == nil || s.DB.FindJSON == nil || !s.DB.IsFerretDB() {
		return nil, false, nil
	}
	if err := p.Normalize(); err != nil {
		return nil, true, err
	}
	after, err := offsetCursor(p.After)
	if err != nil {
		return nil, true, err
	}
	offset := int(after)
	states := planStates(f)
	var ids []string
	_, err = fastScan(ctx, s.DB, colPlans, []string{"_id", "year", "state", "departments"}, func(pf *planFields) error {
		switch {
		case f.Year != 0 && pf.Year != f.Year,
			len(states) > 0 && !slices.Contains(states, pf.State),
			len(f.Departments) > 0 && !slices.ContainsFunc(pf.Departments, func(d string) bool { return slices.Contains(f.Departments, d) }):
			return nil
		}
		ids = append(ids, pf.ID)
		return nil
	})
	if err != nil {
		return nil, true, err
	}
	page := &backend.Page[*backend.Plan]{Items: []*backend.Plan{}}
	if offset >= len(ids) {
		return page, true, nil
	}
	ids = ids[offset:]
	if len(ids) > p.Limit {
		ids = ids[:p.Limit]
		page.NextCursor = "@" + strconv.Itoa(offset+p.Limit)
	}
	for _, id := range ids {
		pl, err := s.FindPlanByID(ctx, id)
		if err != nil {
			return nil, true, err
		}
		page.Items = append(page.Items, pl)
	}
	return page, true, nil
}
