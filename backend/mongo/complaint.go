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

// FindComplaints pages by _id. A filter is applied by the engine; on the
// embedded store that reads the collection, which the complaint limits
// (visit.ComplaintsPerEnterprise per hour) keep small.
func (s *ComplaintStore) FindComplaints(ctx context.Context, f backend.ComplaintFilter, p backend.PageRequest) (*backend.Page[*backend.Complaint], error) {
	filter := bson.D{}
	if f.Category != "" {
		filter = append(filter, bson.E{Key: "category", Value: string(f.Category)})
	}
	if f.TargetID != "" {
		filter = append(filter, bson.E{Key: "targetId", Value: f.TargetID})
	}
	return findPage(ctx, s.DB, s.DB.c(colComplaints), "FindComplaints", filter, p, func(c *backend.Complaint) string { return c.ID })
}
