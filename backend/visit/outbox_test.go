package visit_test

import (
	"context"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/audittest"
)

// killedTasks is a task store whose next kills writes die before they
// are made (the process stops between the check-in and its task's note).
type killedTasks struct {
	backend.TaskStore
	kills int
}

func (k *killedTasks) UpdateTask(ctx context.Context, t *backend.Task) error {
	if k.kills > 0 {
		k.kills--
		return backend.Errorf(backend.EUNAVAILABLE, "killed")
	}
	return k.TaskStore.UpdateTask(ctx, t)
}

// TestCheckInCutShortIsRecordedOnce: a check-in stored but cut short
// before its task's note is completed by the phone's replay, and its
// record (which travels with the task's write) is in the log once, with
// the task's move.
func TestCheckInCutShortIsRecordedOnce(t *testing.T) {
	f := newFixture(t)
	svc := *f.svc
	svc.Tasks = &killedTasks{TaskStore: f.tasks, kills: 1}
	if _, err := svc.CheckIn(officer("li"), req("ci-li-0001", "code-a")); !backend.IsCode(err, backend.EUNAVAILABLE) {
		t.Fatalf("check-in: %v, want it killed", err)
	}
	for range 2 { // the replay, and a replay of the replay
		if _, err := svc.CheckIn(officer("li"), req("ci-li-0001", "code-a")); err != nil {
			t.Fatalf("replay: %v", err)
		}
	}
	task, err := f.tasks.FindTaskByID(context.Background(), "task-1")
	if err != nil {
		t.Fatal(err)
	}
	if task.Status != backend.TaskCheckedIn || len(task.CheckIns) != 1 {
		t.Fatalf("task %s with %d check-ins, want checked_in with 1", task.Status, len(task.CheckIns))
	}
	got := audittest.Count(t, svc.Audit, audittest.ByAction)
	if got["checkin.create"] != 1 || got["task.checked_in"] != 1 {
		t.Fatalf("audit actions %v, want one checkin.create and one task.checked_in", got)
	}
}
