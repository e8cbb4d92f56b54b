package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
)

// TestDeadlinesAtStartUp: a register entry stored without a deadline by a
// binary whose calendar lacked the year gets it when a fieldcheck whose
// calendar has it opens the store.
func TestDeadlinesAtStartUp(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	e := &backend.ResultEntry{ID: "older-binary-task", TargetID: "t1", TargetName: "旧版本登记的对象", LeadDepartment: "scjg", Departments: []string{"scjg"},
		Items: []string{"SCJG-03"}, TeamUsers: []string{}, Code: backend.ResultNoProblem, Label: "未发现问题", ResultDate: "2026-09-18",
		DeadlineError: "工作日历未收录 2026 年的节假日安排", State: backend.ResultPending, Versions: []backend.ResultVersion{}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	e.Audit = []backend.AuditRecord{{Action: "result.register", ObjectType: "result", ObjectID: e.ID, Change: e}}
	if err := m.Planning.Register.CreateResultEntry(backend.WithActor(ctx, backend.SystemActor("test")), e); err != nil {
		t.Fatal(err)
	}
	again := apptest.Reopen(t, m)
	got, err := again.Planning.Register.FindResultEntry(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Deadline != "2026-10-22" || got.DeadlineError != "" {
		t.Fatalf("after the restart: deadline %q, error %q; want 2026-10-22 and none", got.Deadline, got.DeadlineError)
	}
}
