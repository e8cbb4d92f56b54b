package mongo

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/fieldcheck/fieldcheck/backend"
)

var _ backend.TaskCounter = (*TaskStore)(nil)

// CountTasks counts tasks by lead department and status. On MongoDB it is
// a group over the index (leadDepartment, status), which the query planner
// covers without reading the tasks; on the embedded store, a pass over the
// in-memory index's entries (the status of each task's last committed
// write), without a read.
func (s *TaskStore) CountTasks(ctx context.Context, departments []string) ([]backend.TaskCount, error) {
	return s.DB.engine.countTasks(ctx, s, departments)
}

// countTasks counts from the in-memory index on the embedded store.
func (e *ferretEngine) countTasks(ctx context.Context, s *TaskStore, departments []string) ([]backend.TaskCount, error) {
	if !e.indexed() {
		return s.queryCountTasks(ctx, departments)
	}
	x := &e.tasks
	if err := x.ensure(ctx, e.db); err != nil {
		return nil, err
	}
	type key struct {
		lead   string
		status backend.TaskStatus
	}
	counts := map[key]int{}
	x.mu.RLock()
	for _, e := range x.byID {
		if departments == nil || slices.Contains(departments, e.lead) {
			counts[key{e.lead, e.status}]++
		}
	}
	x.mu.RUnlock()
	out := make([]backend.TaskCount, 0, len(counts))
	for k, n := range counts {
		out = append(out, backend.TaskCount{LeadDepartment: k.lead, Status: k.status, Count: n})
	}
	sortTaskCounts(out)
	return out, nil
}

func (mongoEngine) countTasks(ctx context.Context, s *TaskStore, departments []string) ([]backend.TaskCount, error) {
	return s.queryCountTasks(ctx, departments)
}

// queryCountTasks groups over the index (leadDepartment, status).
func (s *TaskStore) queryCountTasks(ctx context.Context, departments []string) ([]backend.TaskCount, error) {
	const op = "CountTasks"
	var pipeline mongo.Pipeline
	if departments != nil {
		pipeline = append(pipeline, bson.D{{Key: "$match", Value: bson.D{{Key: "leadDepartment", Value: in(departments)}}}})
	}
	pipeline = append(pipeline, bson.D{{Key: "$group", Value: bson.D{
		{Key: "_id", Value: bson.D{{Key: "lead", Value: "$leadDepartment"}, {Key: "status", Value: "$status"}}},
		{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
	}}})
	cur, err := s.DB.c(colTasks).Aggregate(ctx, pipeline)
	if err != nil {
		return nil, translate(op, err)
	}
	var rows []struct {
		ID struct {
			Lead   string             `bson:"lead"`
			Status backend.TaskStatus `bson:"status"`
		} `bson:"_id"`
		N int `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, translate(op, err)
	}
	out := make([]backend.TaskCount, len(rows))
	for i, r := range rows {
		out[i] = backend.TaskCount{LeadDepartment: r.ID.Lead, Status: r.ID.Status, Count: r.N}
	}
	sortTaskCounts(out)
	return out, nil
}

func sortTaskCounts(c []backend.TaskCount) {
	slices.SortFunc(c, func(a, b backend.TaskCount) int {
		return cmp.Or(strings.Compare(a.LeadDepartment, b.LeadDepartment), strings.Compare(string(a.Status), string(b.Status)))
	})
}

// CountOverdueTasks counts open tasks due before the day: on MongoDB a
// count over the index (status, due, leadDepartment); on the embedded
// store a pass over the in-memory index (tasks whose key predates the due
// day being kept there are not counted).
func (s *TaskStore) CountOverdueTasks(ctx context.Context, departments []string, before backend.Date) (int, error) {
	return s.DB.engine.countOverdueTasks(ctx, s, departments, before)
}

func (e *ferretEngine) countOverdueTasks(ctx context.Context, s *TaskStore, departments []string, before backend.Date) (int, error) {
	if !e.indexed() {
		return s.queryCountOverdue(ctx, departments, before)
	}
	x := &e.tasks
	if err := x.ensure(ctx, e.db); err != nil {
		return 0, err
	}
	n := 0
	x.mu.RLock()
	for _, e := range x.byID {
		if e.status.Open() && e.due != "" && e.due < before && (departments == nil || slices.Contains(departments, e.lead)) {
			n++
		}
	}
	x.mu.RUnlock()
	return n, nil
}

func (mongoEngine) countOverdueTasks(ctx context.Context, s *TaskStore, departments []string, before backend.Date) (int, error) {
	return s.queryCountOverdue(ctx, departments, before)
}

func (s *TaskStore) queryCountOverdue(ctx context.Context, departments []string, before backend.Date) (int, error) {
	open := bson.A{}
	for _, st := range []backend.TaskStatus{backend.TaskAssigned, backend.TaskAccepted, backend.TaskCheckedIn, backend.TaskSubmitted, backend.TaskReturned} {
		open = append(open, string(st))
	}
	filter := bson.D{
		{Key: "status", Value: bson.D{{Key: "$in", Value: open}}},
		{Key: "due", Value: bson.D{{Key: "$lt", Value: string(before)}, {Key: "$gt", Value: ""}}},
	}
	if departments != nil {
		filter = append(filter, bson.E{Key: "leadDepartment", Value: in(departments)})
	}
	n, err := s.DB.c(colTasks).CountDocuments(ctx, filter)
	if err != nil {
		return 0, translate("CountOverdueTasks", err)
	}
	return int(n), nil
}
