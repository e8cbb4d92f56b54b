package mongo

import (
	"context"
	"slices"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// maxDepartments bounds FindDepartments.
const maxDepartments = 1000

// DepartmentStore implements backend.DepartmentStore.
type DepartmentStore struct{ DB *DB }

var _ backend.DepartmentStore = (*DepartmentStore)(nil)

func (s *DepartmentStore) FindDepartmentByID(ctx context.Context, id string) (*backend.Department, error) {
	return readByID[backend.Department](ctx, s.DB, colDepartments, "FindDepartmentByID", "department", id)
}

func (s *DepartmentStore) FindDepartments(ctx context.Context) ([]*backend.Department, error) {
	if s.DB.SingleProcess && s.DB.FindJSON != nil && s.DB.IsFerretDB() {
		// Every portal page names departments: their ids straight from
		// SQLite and each read by _id, rather than a FerretDB query that
		// waits for one of its few SQLite connections.
		var ids []string
		if ok, err := fastScan(ctx, s.DB, colDepartments, []string{"_id"}, func(d *struct {
			ID string `json:"_id"`
		}) error {
			ids = append(ids, d.ID)
			return nil
		}); ok {
			if err != nil {
				return nil, err
			}
			slices.Sort(ids)
			out := make([]*backend.Department, 0, min(len(ids), maxDepartments))
			for _, id := range ids[:min(len(ids), maxDepartments)] {
				d, err := s.FindDepartmentByID(ctx, id)
				if err != nil {
					return nil, err
				}
				out = append(out, d)
			}
			return out, nil
		}
	}
	cur, err := s.DB.c(colDepartments).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(maxDepartments))
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
