package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colTeamTraces = "team_traces"

// TeamTraceStore implements backend.TeamTraceStore: one document per task,
// _id the task's id, written with a version.
type TeamTraceStore struct{ DB *DB }

var _ backend.TeamTraceStore = (*TeamTraceStore)(nil)

func (s *TeamTraceStore) FindTeamTrace(ctx context.Context, taskID string) (*backend.TeamTrace, error) {
	t, err := findByID[backend.TeamTrace](ctx, s.DB.c(colTeamTraces), "FindTeamTrace", "team trace", taskID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return &backend.TeamTrace{TaskID: taskID}, nil
	}
	return t, err
}

func (s *TeamTraceStore) SaveTeamTrace(ctx context.Context, t *backend.TeamTrace) error {
	const op = "SaveTeamTrace"
	expected := t.Version
	t.Version = expected + 1
	if t.Sightings == nil {
		t.Sightings = []backend.Sighting{}
	}
	var err error
	if expected == 0 {
		_, err = s.DB.c(colTeamTraces).InsertOne(ctx, t)
		err = translate(op, err) // a duplicate: another writer came first
	} else {
		var ok bool
		ok, err = s.DB.engine.updateIf(ctx, s.DB.c(colTeamTraces), t.TaskID, bson.D{{Key: "version", Value: expected}}, t, true)
		if err == nil && !ok {
			err = versionConflict(op, "team trace", t.TaskID)
		}
		err = translate(op, err)
	}
	if err != nil {
		t.Version = expected
	}
	return err
}
