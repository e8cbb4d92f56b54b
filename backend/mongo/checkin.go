package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colCheckIns = "checkins"

// CheckInStore implements backend.CheckInStore.
type CheckInStore struct{ DB *DB }

var _ backend.CheckInStore = (*CheckInStore)(nil)

func (s *CheckInStore) CreateCheckIn(ctx context.Context, c *backend.CheckIn) error {
	c.CreatedAt = s.DB.now()
	s.DB.engine.writingCheckIn(c) // before the write: the index may hold more, never less
	return s.DB.insertAudited(ctx, colCheckIns, "checkin", "CreateCheckIn", c.ID, c)
}

func (s *CheckInStore) FindCheckInsOfTask(ctx context.Context, taskID string) ([]*backend.CheckIn, error) {
	return s.DB.engine.checkInsOfTask(ctx, s, taskID)
}

// queryOfTask answers FindCheckInsOfTask with a query.
func (s *CheckInStore) queryOfTask(ctx context.Context, taskID string) ([]*backend.CheckIn, error) {
	var out []*backend.CheckIn
	err := scan(ctx, s.DB.c(colCheckIns), "FindCheckInsOfTask", bson.D{{Key: "taskId", Value: taskID}},
		func(c *backend.CheckIn) error { out = append(out, c); return nil })
	return out, err
}

func (s *CheckInStore) FindCheckInsOfTarget(ctx context.Context, targetID string, since time.Time) ([]*backend.CheckIn, error) {
	return s.DB.engine.checkInsOfTarget(ctx, s, targetID, since)
}

// queryOfTarget answers FindCheckInsOfTarget with a query.
func (s *CheckInStore) queryOfTarget(ctx context.Context, targetID string, since time.Time) ([]*backend.CheckIn, error) {
	var out []*backend.CheckIn
	err := scan(ctx, s.DB.c(colCheckIns), "FindCheckInsOfTarget",
		bson.D{{Key: "targetId", Value: targetID}, {Key: "deviceTime", Value: bson.D{{Key: "$gte", Value: since.UTC()}}}},
		func(c *backend.CheckIn) error { out = append(out, c); return nil })
	return out, err
}

func (s *CheckInStore) FindUnplannedCheckIns(ctx context.Context, since, until time.Time, limit int) ([]*backend.CheckIn, error) {
	return s.DB.engine.unplannedCheckIns(ctx, s, since, until, limit)
}

// unplannedReasons are the reasons a check-in without a task records.
var unplannedReasons = bson.A{string(backend.ReasonComplaint), string(backend.ReasonReferral), string(backend.ReasonEmergency)}

// queryUnplanned answers FindUnplannedCheckIns with a query on the
// (reason, serverTime) index.
func (s *CheckInStore) queryUnplanned(ctx context.Context, since, until time.Time, limit int) ([]*backend.CheckIn, error) {
	cur, err := s.DB.c(colCheckIns).Find(ctx,
		bson.D{{Key: "reason", Value: bson.D{{Key: "$in", Value: unplannedReasons}}}, {Key: "serverTime", Value: bson.D{{Key: "$gte", Value: since.UTC()}, {Key: "$lt", Value: until.UTC()}}}},
		options.Find().SetSort(bson.D{{Key: "serverTime", Value: -1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, translate("FindUnplannedCheckIns", err)
	}
	out := []*backend.CheckIn{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, translate("FindUnplannedCheckIns", err)
	}
	return out, nil
}

// UpdateCheckIn replaces a check-in. Check-ins are written by one request
// each and changed only by a back-fill, so no version is kept.
//
// Its records are keyed as the check-in's version 2: the one back-fill.
func (s *CheckInStore) UpdateCheckIn(ctx context.Context, c *backend.CheckIn) error {
	return s.DB.audited(ctx, colCheckIns, "checkin", c.ID, 2, c, func() error {
		res, err := s.DB.c(colCheckIns).ReplaceOne(ctx, bson.D{{Key: "_id", Value: c.ID}}, c)
		s.DB.engine.updatedCheckIn(c.ID) // whether or not it was replaced: read it again
		if err != nil {
			return translate("UpdateCheckIn", err)
		}
		if res.MatchedCount == 0 {
			return notFound("UpdateCheckIn", "check-in", c.ID)
		}
		return nil
	})
}

// FindCheckIn returns one check-in by id (the phone's idempotency key).
func (s *CheckInStore) FindCheckIn(ctx context.Context, id string) (*backend.CheckIn, error) {
	return findByID[backend.CheckIn](ctx, s.DB.c(colCheckIns), "FindCheckIn", "check-in", id)
}
