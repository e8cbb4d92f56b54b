package fcsync_test

import (
	"context"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

type downAudit struct{}

func (downAudit) AppendEntries(context.Context, []backend.AuditEntry) error {
	return backend.Errorf(backend.EUNAVAILABLE, "audit log down")
}

// TestResentPushIsAuditedOnce: a push applied while its audit entry could
// not be appended (the log was down, or the server stopped right after
// the write) and then resent, answered as a duplicate, ends up in the
// audit log exactly once: the record was stored with the change.
func TestResentPushIsAuditedOnce(t *testing.T) {
	e := newEnv(t, 300)
	task := e.teamTask()
	a := e.phone(task.TeamUsers[0], "phone-a-test")
	a.sync(200)
	v := a.tasks[task.ID].Task.Version
	accept := a.mutation(fcsync.EntityTask, task.ID, v, fcsync.TaskPayload{To: backend.TaskAccepted})

	e.m.DB.Audit = downAudit{}
	wantStatus(t, "accept", a.push(accept)[0], fcsync.Applied, "")
	e.m.DB.Audit = e.m.Audit
	wantStatus(t, "resend", a.push(accept)[0], fcsync.Duplicate, "")

	ctx := context.Background()
	key := backend.AuditKey("task", task.ID, v+1)
	count := func() int {
		n := 0
		if err := e.m.Audit.Store.ScanAudit(ctx, func(x *backend.AuditEntry) error {
			if x.Key == key {
				n++
				if x.Action != "sync.push" || x.Actor != task.TeamUsers[0] {
					t.Errorf("entry %s by %s, want sync.push by %s", x.Action, x.Actor, task.TeamUsers[0])
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("%d entries before the sweep, want 0 (the append failed)", n)
	}
	if _, err := e.m.Stores.Tasks.SweepFeed(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Stores.Tasks.SweepFeed(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d entries of %s after the sweeps, want 1", n, key)
	}
	if _, problem, err := e.m.Audit.Verify(ctx); err != nil || problem != nil {
		t.Fatalf("verify: %v %v", problem, err)
	}
}
