package api_test

import (
	"context"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// TestTaskListFilters: the console's task list narrows by batch,
// department, team member, overdue and unplanned on the server, within
// what the caller may see; a bad filter is a 400.
func TestTaskListFilters(t *testing.T) {
	e, tasks := newReviewEnv(t)
	ctx := context.Background()
	if len(tasks) < 3 {
		t.Fatalf("the draw made %d tasks, want at least 3", len(tasks))
	}
	member := tasks[0].Team[0]
	withMember := 0
	for _, tk := range tasks {
		if slices.Contains(tk.Team, member) {
			withMember++
		}
	}
	// An ad-hoc task of the lead department, due tomorrow; the list is
	// then asked three days later, within the drawn tasks' 30 days.
	manager := backend.WithActor(ctx, &backend.Actor{UserID: "scjg.manager", Role: backend.RoleManager, Departments: []string{"scjg"}, ClientAddr: "test", Fresh: true})
	now := time.Now()
	adhoc, err := e.m.Planning.CreateAdHocTask(manager, planning.AdHocRequest{
		TargetID: tasks[0].TargetID, Items: []string{"SCJG-03"}, Team: scjgTeam(tasks),
		Trigger: &backend.Trigger{Kind: backend.TriggerComplaint, Reference: "TS-1", Reason: "投诉核查"},
		Due:     backend.DateOf(now.AddDate(0, 0, 1)),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.m.Planning.Now = func() time.Time { return now.AddDate(0, 0, 3) }
	drawn := len(tasks)

	cases := []struct {
		name  string
		user  string
		query url.Values
		want  int // tasks listed
	}{
		{"All", "test.admin", nil, drawn + 1},
		{"Batch", "test.admin", url.Values{"batch": {"第一批"}}, drawn},
		{"OtherBatch", "test.admin", url.Values{"batch": {"第二批"}}, 0},
		{"Member", "test.admin", url.Values{"member": {member}}, withMember + boolInt(slices.Contains(adhoc.Team, member))},
		{"Unplanned", "test.admin", url.Values{"unplanned": {"true"}}, 1},
		{"Overdue", "test.admin", url.Values{"overdue": {"true"}}, 1},
		{"OverdueClosedStatus", "test.admin", url.Values{"overdue": {"true"}, "status": {"published"}}, 0},
		{"OwnDepartment", "test.manager", url.Values{"department": {"scjg"}}, drawn + 1},
		{"JointDepartment", "joint.reviewer", url.Values{"department": {"yjgl"}}, drawn},
		{"NotOwnDepartment", "test.manager", url.Values{"department": {"yjgl"}}, 0},
		{"OtherDepartmentSeesNone", "other.reviewer", nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := countTasks(t, e, c.user, c.query); got != c.want {
				t.Fatalf("%s lists %d tasks with %v, want %d", c.user, got, c.query, c.want)
			}
		})
	}

	// Sorted by due day: the ad-hoc task, due tomorrow, comes first of all.
	r := e.do("GET", "/api/v1/tasks?sort=due&limit=1", e.login("test.admin"), "", nil)
	var first backend.Page[*backend.Task]
	r.JSON(t, &first)
	if r.Status != 200 || len(first.Items) != 1 || first.Items[0].ID != adhoc.ID || !strings.HasPrefix(first.NextCursor, "due/") {
		t.Fatalf("sort=due: status=%d, first %+v, cursor %q; want the ad-hoc task and a due cursor", r.Status, first.Items, first.NextCursor)
	}
	if got := countTasks(t, e, "test.admin", url.Values{"sort": {"due"}}); got != drawn+1 {
		t.Fatalf("sorted by due the pages hold %d tasks, want %d", got, drawn+1)
	}

	bad := []url.Values{{"sort": {"name"}}, {"sort": {"due"}, "after": {"not-a-due-cursor"}}, {"status": {"lost"}}, {"overdue": {"maybe"}}, {"unplanned": {"2"}}, {"department": {"Not A Dept"}}, {"batch": {strings.Repeat("批", 40)}}}
	for _, q := range bad {
		r := e.do("GET", "/api/v1/tasks?"+q.Encode(), e.login("test.admin"), "", nil)
		if r.Status != 400 || !strings.Contains(string(r.Body), `"code":"invalid"`) {
			t.Errorf("GET /api/v1/tasks?%s: status=%d %s, want 400 invalid", q.Encode(), r.Status, r.Body)
		}
	}
}

// TestTaskTimeline: a task's timeline is its audit entries, oldest first,
// with who, when, what and from where; it is for those who may see the
// task (another department's reviewer gets 404).
func TestTaskTimeline(t *testing.T) {
	e, tasks := newReviewEnv(t)
	tk := tasks[0]
	tok := e.login("test.manager")
	r := e.do("POST", "/api/v1/tasks/"+tk.ID+"/reassign", tok, "application/json",
		strings.NewReader(`{"unavailable":["`+tk.Team[0]+`"],"reason":"回避：与检查对象有利害关系","version":`+strconv.FormatInt(tk.Version, 10)+`}`))
	if r.Status != 200 {
		t.Fatalf("reassign: status=%d %s", r.Status, r.Body)
	}
	var got struct{ Items []*backend.AuditEntry }
	r = e.do("GET", "/api/v1/tasks/"+tk.ID+"/timeline", tok, "", nil)
	if r.Status != 200 {
		t.Fatalf("timeline: status=%d %s", r.Status, r.Body)
	}
	r.JSON(t, &got)
	if len(got.Items) == 0 {
		t.Fatal("the timeline is empty")
	}
	last := got.Items[len(got.Items)-1]
	if last.Action != "task.reassign" || last.Actor != "test.manager" || last.ClientAddr == "" || last.Time.IsZero() {
		t.Fatalf("the last entry is %+v, want the reassignment by test.manager with its time and address", last)
	}
	if !slices.IsSortedFunc(got.Items, func(a, b *backend.AuditEntry) int { return int(a.Seq - b.Seq) }) {
		t.Fatal("the timeline is not oldest first")
	}
	for _, user := range []string{"other.reviewer"} {
		if r := e.do("GET", "/api/v1/tasks/"+tk.ID+"/timeline", e.login(user), "", nil); r.Status != 404 {
			t.Fatalf("%s reads the timeline: status=%d, want 404", user, r.Status)
		}
	}
}

func countTasks(t *testing.T, e *env, user string, q url.Values) int {
	t.Helper()
	n, after := 0, ""
	for range 100 {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("limit", "200")
		if after != "" {
			qq.Set("after", after)
		}
		r := e.do("GET", "/api/v1/tasks?"+qq.Encode(), e.login(user), "", nil)
		if r.Status != 200 {
			t.Fatalf("GET /api/v1/tasks?%s: status=%d %s", qq.Encode(), r.Status, r.Body)
		}
		var page backend.Page[*backend.Task]
		r.JSON(t, &page)
		n += len(page.Items)
		if page.NextCursor == "" {
			return n
		}
		after = page.NextCursor
	}
	t.Fatal("too many pages")
	return 0
}

// scjgTeam returns two officers of the lead department from the drawn teams.
func scjgTeam(tasks []*backend.Task) []string {
	var team []string
	for _, tk := range tasks {
		for _, id := range tk.Team {
			if strings.HasPrefix(id, "ins-scjg-") && !slices.Contains(team, id) {
				team = append(team, id)
			}
			if len(team) == 2 {
				return team
			}
		}
	}
	return team
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkTaskList lists the first page of tasks as an administrator
// with each filter of the console's task list, on the embedded store with
// the tasks of one draw (FIELDCHECK_BENCH_TARGETS targets, 3000 by
// default, 30 % drawn).
func BenchmarkTaskList(b *testing.B) {
	ctx := context.Background()
	m := apptest.Open(b, "")
	now := time.Now()
	targets := 3000
	if v, err := strconv.Atoi(os.Getenv("FIELDCHECK_BENCH_TARGETS")); err == nil && v > 0 {
		targets = v
	}
	apptest.SeedDemo(b, m, targets, now)
	sys := backend.WithActor(ctx, backend.SystemActor("bench"))
	if err := m.Users.CreateUser(sys, &backend.User{ID: "bench.admin", DisplayName: "管理员", Role: backend.RoleAdmin}, testPassword); err != nil {
		b.Fatal(err)
	}
	ratio := 3000
	p := &backend.Plan{
		Year: now.In(backend.China).Year(), Name: "基准", Items: []string{"SCJG-03"}, LeadDepartment: "scjg", Departments: []string{"scjg"},
		StratumKey: backend.StratumCredit, Default: &backend.StratumRule{RatioBp: &ratio}, TeamSize: 2,
		Batches: []backend.Batch{{Name: "第一批", Start: backend.DateOf(now), End: backend.DateOf(now.AddDate(0, 2, 0)), DueDays: 30}},
		Method:  backend.MethodOnSite,
	}
	res, err := demo.DrawPlan(ctx, m.Planning, p, now)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d tasks", len(res.Tasks))
	e := &env{t: b, m: m}
	tok := e.loginWith("bench.admin", testPassword)
	for _, c := range []struct{ name, query string }{
		{"None", ""},
		{"Plan", "plan=" + p.ID},
		{"Status", "status=assigned"},
		{"Batch", "batch=" + url.QueryEscape("第一批")},
		{"Member", "member=" + res.Tasks[0].Team[0]},
		{"Department", "department=scjg"},
		{"UnplannedNone", "unplanned=true"},
		{"OverdueNone", "overdue=true"},
		{"SortByDue", "sort=due"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if r := e.do("GET", "/api/v1/tasks?limit=50&"+c.query, tok, "", nil); r.Status != 200 {
					b.Fatalf("status=%d %s", r.Status, r.Body)
				}
			}
		})
	}
}
