package mongo_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/audittest"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// downAudit is an audit log that cannot be written (the process dies
// before its append, or the log's store is down).
type downAudit struct{ calls int }

func (d *downAudit) AppendEntries(context.Context, []backend.AuditEntry) error {
	d.calls++
	return backend.Errorf(backend.EUNAVAILABLE, "audit log down")
}

// keysOf counts the stored entries of each key.
func keysOf(t *testing.T, l *backend.AuditLog) map[string]int {
	return audittest.Count(t, l, audittest.ByKey)
}

func outboxTask(id string) *backend.Task {
	return &backend.Task{ID: id, TargetID: "tg", Status: backend.TaskAssigned, TeamUsers: []string{"ana"}, Items: []string{}, Departments: []string{}}
}

// TestTaskOutbox: the audit record of a task write is stored in the same
// write as the change; when it cannot be appended at once (the log is
// down, the process stops), the sweep appends it, once, with the actor
// and time of the change.
func TestTaskOutbox(t *testing.T) {
	db := mongotest.Open(t)
	clk := clocktest.New(time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC))
	db.Now = clk.Now
	down := &downAudit{}
	db.Audit = down
	ctx := backend.WithActor(context.Background(), &backend.Actor{UserID: "ana", Role: backend.RoleInspector, ClientAddr: "10.1.1.1"})
	s := &mongo.TaskStore{DB: db}
	task := outboxTask("t-outbox")
	if err := s.CreateTasks(ctx, []*backend.Task{task}); err != nil {
		t.Fatal(err)
	}
	task.Status = backend.TaskAccepted
	task.Audit = []backend.AuditRecord{{Action: "task.accepted", ObjectType: "task", ObjectID: task.ID, Change: task}}
	if err := s.UpdateTask(ctx, task); err != nil {
		t.Fatalf("update with the audit log down: %v, want the change made", err)
	}
	if down.calls == 0 {
		t.Fatal("the write did not try to append its record")
	}
	stored, err := s.FindTaskByID(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.AuditPending) != 1 || stored.AuditPending[0].Key != "task/t-outbox/2" {
		t.Fatalf("stored task carries %+v, want the record of version 2", stored.AuditPending)
	}

	// The next process (its log up) sweeps after the lease.
	next, err := mongo.Open(ctx, mongotest.URI(t), db.Database.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	next.Now, next.SingleProcess = clk.Now, db.SingleProcess
	log := &backend.AuditLog{Store: &mongo.AuditStore{DB: next}, Now: clk.Now}
	next.Audit = log
	sweeper := &mongo.TaskStore{DB: next}
	clk.Advance(backend.FeedLease)
	if n, err := sweeper.SweepFeed(context.Background(), backend.FeedLease); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want 1", n, err)
	}
	if n, err := sweeper.SweepFeed(context.Background(), backend.FeedLease); err != nil || n != 0 {
		t.Fatalf("second sweep: %d, %v; want 0", n, err)
	}
	got := keysOf(t, log)
	if got["task/t-outbox/2"] != 1 {
		t.Fatalf("audit keys %v, want task/t-outbox/2 once", got)
	}
	e, err := log.Store.FindAuditEntry(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if e.Actor != "ana" || e.ClientAddr != "10.1.1.1" || e.Action != "task.accepted" {
		t.Fatalf("entry %+v, want ana's task.accepted from 10.1.1.1", e)
	}

	// A write after the settled one carries only its own record.
	again, err := sweeper.FindTaskByID(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	again.Status = backend.TaskCheckedIn
	again.Audit = []backend.AuditRecord{{Action: "task.checked_in", ObjectType: "task", ObjectID: task.ID, Change: again}}
	if err := sweeper.UpdateTask(ctx, again); err != nil {
		t.Fatal(err)
	}
	if len(again.AuditPending) != 1 || again.AuditPending[0].Key != "task/t-outbox/3" {
		t.Fatalf("the next write carries %+v, want only the record of version 3", again.AuditPending)
	}
	if got := keysOf(t, log); got["task/t-outbox/2"] != 1 || got["task/t-outbox/3"] != 1 {
		t.Fatalf("audit keys %v, want versions 2 and 3 once each", got)
	}
}

// TestTaskOutboxBound: while the audit log cannot be written, a task
// carries the records of every write since, up to MaxAuditPending; the
// write past that is refused, and none is lost.
func TestTaskOutboxBound(t *testing.T) {
	db := mongotest.Open(t)
	db.Audit = &downAudit{}
	ctx := context.Background()
	s := &mongo.TaskStore{DB: db}
	task := outboxTask("t-bound")
	if err := s.CreateTasks(ctx, []*backend.Task{task}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= backend.MaxAuditPending; i++ {
		task.Audit = []backend.AuditRecord{{Action: "task.note", ObjectType: "task", ObjectID: task.ID}}
		if err := s.UpdateTask(ctx, task); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	task.Audit = []backend.AuditRecord{{Action: "task.note", ObjectType: "task", ObjectID: task.ID}}
	if err := s.UpdateTask(ctx, task); !backend.IsCode(err, backend.EUNAVAILABLE) {
		t.Fatalf("write past the bound: %v, want EUNAVAILABLE", err)
	}
	log := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}}
	db.Audit = log
	task.Audit = []backend.AuditRecord{{Action: "task.note", ObjectType: "task", ObjectID: task.ID}}
	// Still refused: the log is up but the task's last write is unsettled
	// until the sweep; the sweep appends all of them.
	if _, err := s.SweepFeed(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateTask(ctx, task); err != nil {
		t.Fatalf("write after the sweep: %v", err)
	}
	got := keysOf(t, log)
	if len(got) != backend.MaxAuditPending+1 {
		t.Fatalf("%d records in the log, want %d", len(got), backend.MaxAuditPending+1)
	}
}

// TestTargetOutbox: a target's write carries its record; one that could
// not be appended (the log down, the process stopped) is appended by the
// sweep, once, and the next write carries only its own.
func TestTargetOutbox(t *testing.T) {
	db := mongotest.Open(t)
	clk := clocktest.New(time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC))
	db.Now = clk.Now
	db.Audit = &downAudit{}
	ctx := backend.WithActor(context.Background(), &backend.Actor{UserID: "mgr", Role: backend.RoleManager})
	s := &mongo.TargetStore{DB: db}
	tg := &backend.Target{ID: "91350403MA2Y0A1B3X", Kind: backend.KindEnterprise, Name: "甲公司", RegionCode: "350403", Status: backend.StatusActive, Tags: []string{}}
	tg.Audit = []backend.AuditRecord{{Action: "target.create", ObjectType: "target", ObjectID: tg.ID, Change: tg}}
	if err := s.CreateTarget(ctx, tg); err != nil {
		t.Fatalf("create with the audit log down: %v, want the change made", err)
	}
	stored, err := s.FindTargetByID(ctx, tg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.AuditPending) != 1 || stored.AuditPending[0].Key != "target/"+tg.ID+"/1" {
		t.Fatalf("stored target carries %+v, want the record of version 1", stored.AuditPending)
	}
	log := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: clk.Now}
	db.Audit = log
	if n, err := db.SweepOutbox(context.Background(), time.Minute); err != nil || n != 0 {
		t.Fatalf("sweep within the grace: %d, %v; want 0", n, err)
	}
	clk.Advance(time.Minute)
	for want := 1; want >= 0; want-- {
		if n, err := db.SweepOutbox(context.Background(), time.Minute); err != nil || n != want {
			t.Fatalf("sweep: %d, %v; want %d", n, err, want)
		}
	}
	stored.Name = "甲公司（更名）"
	stored.Audit = []backend.AuditRecord{{Action: "target.update", ObjectType: "target", ObjectID: tg.ID, Change: stored}}
	if err := s.UpdateTarget(ctx, stored); err != nil {
		t.Fatal(err)
	}
	if len(stored.AuditPending) != 1 || stored.AuditPending[0].Key != "target/"+tg.ID+"/2" {
		t.Fatalf("the next write carries %+v, want only its own record", stored.AuditPending)
	}
	if got := keysOf(t, log); got["target/"+tg.ID+"/1"] != 1 || got["target/"+tg.ID+"/2"] != 1 {
		t.Fatalf("audit keys %v, want versions 1 and 2 once each", got)
	}
	if n, err := db.SweepOutbox(context.Background(), 0); err != nil || n != 0 {
		t.Fatalf("a mark left after a settled write: %d, %v", n, err)
	}
}

// TestInspectorOutbox: an inspector's write carries its record through
// the same outbox as a target's.
func TestInspectorOutbox(t *testing.T) {
	db := mongotest.Open(t)
	clk := clocktest.New(time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC))
	db.Now = clk.Now
	db.Audit = &downAudit{}
	ctx := backend.WithActor(context.Background(), &backend.Actor{UserID: "mgr", Role: backend.RoleManager})
	s := &mongo.InspectorStore{DB: db}
	in := &backend.Inspector{ID: "ins-1", Name: "甲", DepartmentID: "scjg", CertNo: "SC0001", CertExpiry: "2030-01-01", Active: true}
	in.Audit = []backend.AuditRecord{{Action: "inspector.create", ObjectType: "inspector", ObjectID: in.ID, Change: in}}
	if err := s.CreateInspector(ctx, in); err != nil {
		t.Fatal(err)
	}
	log := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: clk.Now}
	db.Audit = log
	in.Name = "甲（更名）"
	in.Audit = []backend.AuditRecord{{Action: "inspector.update", ObjectType: "inspector", ObjectID: in.ID, Change: in}}
	if err := s.UpdateInspector(ctx, in); err != nil {
		t.Fatal(err)
	}
	// The update found the create's mark: it carried the create's entry.
	if got := keysOf(t, log); got["inspector/ins-1/1"] != 1 || got["inspector/ins-1/2"] != 1 {
		t.Fatalf("audit keys %v, want versions 1 and 2 once each", got)
	}
	clk.Advance(time.Minute)
	if n, err := db.SweepOutbox(context.Background(), time.Minute); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want the create's mark", n, err)
	}
	if got := keysOf(t, log); len(got) != 2 {
		t.Fatalf("audit keys %v after the sweep, want the same two", got)
	}
}
