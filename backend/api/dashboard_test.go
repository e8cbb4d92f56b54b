package api_test

import (
	"context"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestDashboardAPI(t *testing.T) {
	e, tasks := newReviewEnv(t)
	// One of the drawn tasks is submitted: it is in the review queue.
	ctx := context.Background()
	sub := e.storedTask(tasks[0].ID)
	sub.Status = backend.TaskSubmitted
	if err := e.m.Stores.Tasks.UpdateTask(ctx, sub); err != nil {
		t.Fatal(err)
	}
	type dashboard struct {
		ReviewQueue       int
		PlansAwaitingDraw int
		TasksByDepartment []struct {
			Department, DepartmentName string
			Counts                     map[string]int
		}
	}
	get := func(t *testing.T, user string) dashboard {
		t.Helper()
		r := e.do("GET", "/api/v1/dashboard", e.login(user), "", nil)
		if r.Status != 200 {
			t.Fatalf("status=%d %s, want 200", r.Status, r.Body)
		}
		var d dashboard
		r.JSON(t, &d)
		return d
	}
	t.Run("OK/LeadDepartment", func(t *testing.T) {
		d := get(t, "lead.reviewer")
		if d.ReviewQueue != 1 || len(d.TasksByDepartment) != 1 || d.TasksByDepartment[0].Department != "scjg" || d.TasksByDepartment[0].DepartmentName == "" {
			t.Fatalf("dashboard %+v, want 1 in review and one row for scjg with its name", d)
		}
		c := d.TasksByDepartment[0].Counts
		if c["submitted"] != 1 || c["assigned"] != len(tasks)-1 {
			t.Fatalf("counts %v, want 1 submitted and %d assigned", c, len(tasks)-1)
		}
	})
	t.Run("OK/OtherDepartmentSeesNone", func(t *testing.T) {
		if d := get(t, "other.reviewer"); d.ReviewQueue != 0 || len(d.TasksByDepartment) != 0 {
			t.Fatalf("dashboard of another department %+v, want nothing", d)
		}
	})
	t.Run("OK/AdminSeesAll", func(t *testing.T) {
		if d := get(t, "test.admin"); d.ReviewQueue != 1 || len(d.TasksByDepartment) != 1 {
			t.Fatalf("administrator's dashboard %+v, want the task counts of scjg", d)
		}
	})
	e.run(t, []scenario{
		{Name: "ErrInspector", Method: "GET", URL: "/api/v1/dashboard", User: "test.inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrAnonymous", Method: "GET", URL: "/api/v1/dashboard", WantStatus: 401, WantCode: "unauthenticated"},
	})
}
