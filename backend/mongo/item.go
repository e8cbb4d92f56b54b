package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

// ItemStore implements backend.ItemStore.
type ItemStore struct{ DB *DB }

var _ backend.ItemStore = (*ItemStore)(nil)

func (s *ItemStore) FindItemByCode(ctx context.Context, code string) (*backend.Item, error) {
	return readByID[backend.Item](ctx, s.DB, colItems, "FindItemByCode", "item", code)
}

func (s *ItemStore) FindItems(ctx context.Context, f backend.ItemFilter, p backend.PageRequest) (*backend.Page[*backend.Item], error) {
	q := bson.D{}
	and := bson.A{} // each an $or
	if f.DepartmentID != "" {
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "departmentId", Value: f.DepartmentID}},
			bson.D{{Key: "cooperatingDepartments", Value: f.DepartmentID}},
		}}})
	}
	if f.Q != "" {
		and = append(and, bson.D{containsAny(f.Q, "name", "_id")})
	}
	if len(and) > 0 {
		q = append(q, bson.E{Key: "$and", Value: and})
	}
	if f.Category != "" {
		q = append(q, bson.E{Key: "category", Value: f.Category})
	}
	if f.TargetKind != "" {
		q = append(q, bson.E{Key: "targetKind", Value: f.TargetKind})
	}
	return findPage(ctx, s.DB, s.DB.c(colItems), "FindItems", q, p, func(it *backend.Item) string { return it.Code })
}

func (s *ItemStore) CreateItem(ctx context.Context, it *backend.Item) error {
	it.Version, it.CreatedAt, it.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.insertAudited(ctx, colItems, "item", "CreateItem", it.Code, it)
}

func (s *ItemStore) UpdateItem(ctx context.Context, it *backend.Item) error {
	expected := it.Version
	it.Version, it.UpdatedAt = expected+1, s.DB.now()
	if err := s.DB.replaceAudited(ctx, colItems, "item", "UpdateItem", it.Code, expected, it); err != nil {
		it.Version = expected
		return err
	}
	return nil
}

func (s *ItemStore) CreateTemplate(ctx context.Context, t *backend.ChecklistTemplate) error {
	t.ID = backend.TemplateID(t.ItemCode, t.Version)
	t.CreatedAt = s.DB.now()
	return s.DB.insertAudited(ctx, colTemplates, "template", "CreateTemplate", t.ID, t)
}

func (s *ItemStore) FindTemplate(ctx context.Context, itemCode string, version int) (*backend.ChecklistTemplate, error) {
	return findByID[backend.ChecklistTemplate](ctx, s.DB.c(colTemplates), "FindTemplate", "checklist template", backend.TemplateID(itemCode, version))
}
