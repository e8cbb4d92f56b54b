package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colComplaints = "complaints"

// ComplaintStore implements backend.ComplaintStore.
type ComplaintStore struct{ DB *DB }

var _ backend.ComplaintStore = (*ComplaintStore)(nil)

func (s *ComplaintStore) CreateComplaint(ctx context.Context, c *backend.Complaint) error {
	c.CreatedAt = s.DB.now()
	return s.DB.insertAudited(ctx, colComplaints, "complaint", "CreateComplaint", c.ID, c)
}

func (s *ComplaintStore) FindComplaints(ctx context.Context, p backend.PageRequest) (*backend.Page[*backend.Complaint], error) {
	return findPage(ctx, s.DB, s.DB.c(colComplaints), "FindComplaints", bson.D{}, p, func(c *backend.Complaint) string { return c.ID })
}
