package mongo

import (
	"context"
	"fmt"

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
	q := bson.D{}
	if f.Year != 0 {
		q = append(q, bson.E{Key: "year", Value: f.Year})
	}
	if len(f.Departments) > 0 {
		q = append(q, bson.E{Key: "departments", Value: in(f.Departments)})
	}
	states := f.States
	if f.PublicOnly && len(states) == 0 {
		states = []backend.PlanState{backend.PlanPublished, backend.PlanDrawn, backend.PlanClosed}
	}
	if len(states) > 0 {
		q = append(q, bson.E{Key: "state", Value: in(states)})
	}
	return findPage(ctx, s.DB, s.DB.c(colPlans), "FindPlans", q, p, func(p *backend.Plan) string { return p.ID })
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
