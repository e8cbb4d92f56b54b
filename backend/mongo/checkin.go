package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colCheckIns = "checkins"

// CheckInStore implements backend.CheckInStore.
type CheckInStore struct{ DB *DB }

var _ backend.CheckInStore = (*CheckInStore)(nil)

func (s *CheckInStore) CreateCheckIn(ctx context.Context, c *backend.CheckIn) error {
	c.CreatedAt = s.DB.now()
	_, err := s.DB.c(colCheckIns).InsertOne(ctx, c)
	return translate("CreateCheckIn", err)
}

func (s *CheckInStore) FindCheckInsOfTask(ctx context.Context, taskID string) ([]*backend.CheckIn, error) {
	var out []*backend.CheckIn
	err := scan(ctx, s.DB.c(colCheckIns), "FindCheckInsOfTask", bson.D{{Key: "taskId", Value: taskID}},
		func(c *backend.CheckIn) error { out = append(out, c); return nil })
	return out, err
}

// FindCheckIn returns one check-in by id (the phone's idempotency key).
func (s *CheckInStore) FindCheckIn(ctx context.Context, id string) (*backend.CheckIn, error) {
	return findByID[backend.CheckIn](ctx, s.DB.c(colCheckIns), "FindCheckIn", "check-in", id)
}
