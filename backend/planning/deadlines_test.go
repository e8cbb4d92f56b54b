package planning_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TestRecomputeDeadlines: an entry stored without a deadline because the
// calendar of the binary that approved it lacked the year (its
// deadlineError) gets the deadline, audited, once the calendar covers it;
// a stored deadline is never changed, not even one the calendar would now
// compute differently; an entry the calendar still cannot compute keeps
// its error; running it again changes nothing.
func TestRecomputeDeadlines(t *testing.T) {
	f := newFixture(t, 300)
	svc := withRegister(f)
	tasks := mustDraw(t, f, manager, basePlan())
	approved := time.Date(2026, 9, 18, 10, 0, 0, 0, backend.China) // due 2026-10-22
	lacked, kept, uncovered := tasks[0].ID, tasks[1].ID, tasks[2].ID
	approveAt(t, f, lacked, approved)
	approveAt(t, f, kept, approved)
	approveAt(t, f, uncovered, time.Date(2027, 12, 20, 10, 0, 0, 0, backend.China)) // runs into 2028
	ctx := context.Background()
	// As an older binary stored them: one without 2026 in its calendar,
	// one whose calendar counted another day.
	store := func(id string, change func(e *backend.ResultEntry)) {
		e := mustEntry(t, svc, id)
		change(e)
		e.Audit = []backend.AuditRecord{{Action: "test.older-binary", ObjectType: "result", ObjectID: id, Change: e}}
		if err := svc.Register.UpdateResultEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	store(lacked, func(e *backend.ResultEntry) {
		e.Deadline, e.DeadlineError = "", "工作日历未收录 2026 年的节假日安排（已收录 2025 年）"
	})
	store(kept, func(e *backend.ResultEntry) { e.Deadline = "2026-10-23" })
	before := auditActions(t, f.svc.Audit)["result.deadline"]

	n, err := svc.RecomputeDeadlines(backend.WithActor(ctx, backend.SystemActor("calendar")))
	if err != nil || n != 1 {
		t.Fatalf("RecomputeDeadlines: %d, %v; want 1 entry", n, err)
	}
	cases := []struct {
		name, id, deadline, errorHas string
	}{
		{"OK/ComputedNow", lacked, "2026-10-22", ""},
		{"OK/StoredDeadlineKept", kept, "2026-10-23", ""},
		{"OK/StillUncovered", uncovered, "", "工作日历未收录 2028 年"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := mustEntry(t, svc, c.id)
			if e.Deadline != backend.Date(c.deadline) || c.errorHas == "" && e.DeadlineError != "" || !strings.Contains(e.DeadlineError, c.errorHas) {
				t.Fatalf("deadline %q error %q, want %q with an error containing %q", e.Deadline, e.DeadlineError, c.deadline, c.errorHas)
			}
		})
	}
	if got := auditActions(t, f.svc.Audit)["result.deadline"] - before; got != 1 {
		t.Fatalf("%d result.deadline records, want 1", got)
	}
	if n, err := svc.RecomputeDeadlines(backend.WithActor(ctx, backend.SystemActor("calendar"))); err != nil || n != 0 {
		t.Fatalf("again: %d, %v; want nothing to do", n, err)
	}
}
