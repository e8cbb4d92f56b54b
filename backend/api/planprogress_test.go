package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TestPlanProgress: a plan's batches day by day, counted from its stored
// tasks: a check-in, a submission and an approval land on their days
// (Asia/Shanghai) and the counts carry on; those who may not see the plan
// are told it does not exist.
func TestPlanProgress(t *testing.T) {
	e, tasks := newReviewEnv(t)
	ctx := context.Background()
	now := time.Now()
	yesterday := now.AddDate(0, 0, -1)
	// The first task: checked in and submitted yesterday, approved today;
	// the second: checked in today; the third: replaced (left out).
	done := e.storedTask(tasks[0].ID)
	done.CheckIns = []backend.CheckInSummary{{ID: "c1", UserID: done.TeamUsers[0], InspectorID: done.Team[0], DeviceTime: yesterday, Flags: []string{}}}
	done.Result = &backend.Result{Code: backend.ResultNoProblem, Label: "未发现问题", LabelsVersion: 1, EnteredBy: done.TeamUsers[0], EnteredAt: yesterday, DeviceTime: yesterday}
	done.Reviews = []backend.ReviewNote{{Status: backend.TaskApproved, Reviewer: "lead.reviewer", At: now}}
	done.Status = backend.TaskApproved
	started := e.storedTask(tasks[1].ID)
	started.CheckIns = []backend.CheckInSummary{{ID: "c2", UserID: started.TeamUsers[0], InspectorID: started.Team[0], DeviceTime: now, Flags: []string{}}}
	started.Status = backend.TaskCheckedIn
	gone := e.storedTask(tasks[2].ID)
	gone.Status = backend.TaskReplaced
	for _, tk := range []*backend.Task{done, started, gone} {
		if err := e.m.Stores.Tasks.UpdateTask(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}

	r := e.do("GET", "/api/v1/plans/"+tasks[0].PlanID+"/progress", e.login("lead.reviewer"), "", nil)
	if r.Status != 200 {
		t.Fatalf("status=%d %s, want 200", r.Status, r.Body)
	}
	var got backend.PlanProgress
	r.JSON(t, &got)
	if got.PlanID != tasks[0].PlanID || got.PlanName == "" || got.Capped || len(got.Batches) != 1 {
		t.Fatalf("progress %+v, want the plan's one batch, not capped", got)
	}
	b := got.Batches[0]
	want := []backend.DayProgress{
		{Day: backend.DateOf(yesterday), CheckedIn: 1, Submitted: 1, Approved: 0},
		{Day: backend.DateOf(now), CheckedIn: 2, Submitted: 1, Approved: 1},
	}
	if b.Batch != "第一批" || b.Tasks != len(tasks)-1 || b.Start != backend.DateOf(now) || len(b.Days) != len(want) {
		t.Fatalf("batch %+v, want 第一批 with %d tasks and the days %v", b, len(tasks)-1, want)
	}
	for i := range want {
		if b.Days[i] != want[i] {
			t.Errorf("day %d: %+v, want %+v", i, b.Days[i], want[i])
		}
	}
	path := "/api/v1/plans/" + tasks[0].PlanID + "/progress"
	e.run(t, []scenario{
		{Name: "OK/Admin", Method: "GET", URL: path, User: "test.admin", WantStatus: 200, WantContent: []string{`"checkedIn":2`}},
		{Name: "ErrOtherDepartment", Method: "GET", URL: path, User: "other.reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrInspector", Method: "GET", URL: path, User: "test.inspector", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrUnknownPlan", Method: "GET", URL: "/api/v1/plans/no-such-plan/progress", User: "test.admin", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrAnonymous", Method: "GET", URL: path, WantStatus: 401, WantCode: "unauthenticated"},
	})
}
