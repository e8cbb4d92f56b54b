package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// DepartmentStore implements backend.DepartmentStore.
type DepartmentStore struct{ DB *DB }

var _ backend.DepartmentStore = (*DepartmentStore)(nil)

func (s *DepartmentStore) FindDepartmentByID(ctx context.Context, id string) (*backend.Department, error) {
	return readByID[backend.Department](ctx, s.DB, colDepartments, "FindDepartmentByID", "department", id)
}

func (s *DepartmentStore) FindDepartments(ctx context.Context) ([]*backend.Department, error) {
	cur, err := s.DB.c(colDepartments).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(1000))
	if err != nil {
		return nil, translate("FindDepartments", err)
	}
	var out []*backend.Department
	if err := cur.All(ctx, &out); err != nil {
		return nil, translate("FindDepartments", err)
	}
	return out, nil
}

func (s *DepartmentStore) CreateDepartment(ctx context.Context, d *backend.Department) error {
	d.Version, d.CreatedAt, d.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.insertAudited(ctx, colDepartments, "department", "CreateDepartment", d.ID, d)
}

func (s *DepartmentStore) UpdateDepartment(ctx context.Context, d *backend.Department) error {
	expected := d.Version
	d.Version, d.UpdatedAt = expected+1, s.DB.now()
	if err := s.DB.replaceAudited(ctx, colDepartments, "department", "UpdateDepartment", d.ID, expected, d); err != nil {
		d.Version = expected
		return err
	}
	return nil
}
