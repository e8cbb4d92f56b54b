package mongo

import (
	"context"
	"regexp"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

// InspectorStore implements backend.InspectorStore.
type InspectorStore struct{ DB *DB }

var _ backend.InspectorStore = (*InspectorStore)(nil)

func (s *InspectorStore) FindInspectorByID(ctx context.Context, id string) (*backend.Inspector, error) {
	if in := s.DB.engine.cachedInspector(id); in != nil {
		return in, nil
	}
	in, err := findByID[backend.Inspector](ctx, s.DB.c(colInspectors), "FindInspectorByID", "inspector", id)
	if err == nil {
		s.DB.engine.cacheInspector(in)
	}
	return in, err
}

func (s *InspectorStore) FindInspectorByCertNo(ctx context.Context, certNo string) (*backend.Inspector, error) {
	return findOneBy[backend.Inspector](ctx, s.DB.c(colInspectors), "FindInspectorByCertNo", "certificate", "certNo", certNo)
}

func (s *InspectorStore) FindInspectorByUserID(ctx context.Context, userID string) (*backend.Inspector, error) {
	return findOneBy[backend.Inspector](ctx, s.DB.c(colInspectors), "FindInspectorByUserID", "inspector for user", "userId", userID)
}

func (s *InspectorStore) FindInspectors(ctx context.Context, f backend.InspectorFilter, p backend.PageRequest) (*backend.Page[*backend.Inspector], error) {
	q := bson.D{}
	if len(f.DepartmentIDs) > 0 {
		q = append(q, bson.E{Key: "departmentId", Value: in(f.DepartmentIDs)})
	}
	if f.Specialty != "" {
		q = append(q, bson.E{Key: "specialties", Value: f.Specialty})
	}
	if f.Active != nil {
		q = append(q, bson.E{Key: "active", Value: *f.Active})
	}
	if f.CertNo != "" {
		q = append(q, bson.E{Key: "certNo", Value: f.CertNo})
	}
	if f.Search != "" {
		// User text only as a quoted literal inside $regex.
		quoted := regexp.QuoteMeta(f.Search)
		q = append(q, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "name", Value: bson.D{{Key: "$regex", Value: quoted}}}},
			bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^" + quoted}}}},
		}})
	}
	return findPage(ctx, s.DB, s.DB.c(colInspectors), "FindInspectors", q, p, func(in *backend.Inspector) string { return in.ID })
}

func (s *InspectorStore) CreateInspector(ctx context.Context, in *backend.Inspector) error {
	in.Version, in.CreatedAt, in.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.insertAudited(ctx, colInspectors, "inspector", "CreateInspector", in.ID, in)
}

func (s *InspectorStore) UpdateInspector(ctx context.Context, in *backend.Inspector) error {
	expected := in.Version
	in.Version, in.UpdatedAt = expected+1, s.DB.now()
	if err := s.DB.replaceAudited(ctx, colInspectors, "inspector", "UpdateInspector", in.ID, expected, in); err != nil {
		in.Version = expected
		s.DB.engine.forgetInspector(in.ID) // read it from the store next time
		return err
	}
	s.DB.engine.cacheInspector(in)
	return nil
}

func (s *InspectorStore) FindExpertByID(ctx context.Context, id string) (*backend.Expert, error) {
	return findByID[backend.Expert](ctx, s.DB.c(colExperts), "FindExpertByID", "expert", id)
}

func (s *InspectorStore) FindExperts(ctx context.Context, p backend.PageRequest) (*backend.Page[*backend.Expert], error) {
	return findPage(ctx, s.DB, s.DB.c(colExperts), "FindExperts", bson.D{}, p, func(e *backend.Expert) string { return e.ID })
}

func (s *InspectorStore) CreateExpert(ctx context.Context, e *backend.Expert) error {
	e.Version, e.CreatedAt, e.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.insertAudited(ctx, colExperts, "expert", "CreateExpert", e.ID, e)
}

func (s *InspectorStore) UpdateExpert(ctx context.Context, e *backend.Expert) error {
	expected := e.Version
	e.Version, e.UpdatedAt = expected+1, s.DB.now()
	if err := s.DB.replaceAudited(ctx, colExperts, "expert", "UpdateExpert", e.ID, expected, e); err != nil {
		e.Version = expected
		return err
	}
	return nil
}
