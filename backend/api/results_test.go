package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// approveForTest makes task id submitted (apptest.MustSubmit) and has the
// lead reviewer approve it.
func approveForTest(t *testing.T, e *env, id string) {
	t.Helper()
	ctx := context.Background()
	tk := apptest.MustSubmit(t, e.m.Stores.Tasks, id, time.Now())
	reviewer := backend.WithActor(ctx, &backend.Actor{UserID: "lead.reviewer", Role: backend.RoleReviewer, Departments: []string{"scjg"}, ClientAddr: "test", Fresh: true})
	if _, err := e.m.Planning.Transition(reviewer, id, planning.TransitionRequest{To: backend.TaskApproved, Version: tk.Version}); err != nil {
		t.Fatal(err)
	}
}

// TestResultsAPI: the register through HTTP (list with counts, publish one
// and in bulk, withhold with a second person, correct), refused to other
// departments, inspectors and anonymous callers; the open data in JSON and
// CSV agree, carry no staff names, page by keyset and answer 304 to their
// ETag.
func TestResultsAPI(t *testing.T) {
	e, tasks := newReviewEnv(t)
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	for _, u := range []*backend.User{
		{ID: "second.manager", DisplayName: "另一经理", Role: backend.RoleManager, Departments: []string{"scjg"}},
		{ID: "other.manager", DisplayName: "卫健经理", Role: backend.RoleManager, Departments: []string{"wsjk"}},
	} {
		if err := e.m.Users.CreateUser(sys, u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, tk := range tasks {
		if !tk.Unassigned && len(ids) < 4 {
			approveForTest(t, e, tk.ID)
			ids = append(ids, tk.ID)
		}
	}
	if len(ids) < 4 {
		t.Fatalf("%d tasks with a team, want 4", len(ids))
	}
	mgr := e.login("test.manager")
	entry := func(id string) *planning.RegisterEntry {
		r := e.do("GET", "/api/v1/results/"+id, mgr, "", nil)
		if r.Status != 200 {
			t.Fatalf("entry %s: %d %s", id, r.Status, r.Body)
		}
		var v planning.RegisterEntry
		r.JSON(t, &v)
		return &v
	}
	r := e.do("GET", "/api/v1/results?view=pending", mgr, "", nil)
	var reg planning.Register
	r.JSON(t, &reg)
	if r.Status != 200 || len(reg.Items) != 4 || reg.Counts.Pending != 4 || reg.Items[0].DaysLeft == nil || reg.Items[0].Deadline == "" {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	bulk := fmt.Sprintf(`{"ids":[%q,%q]}`, ids[1], ids[2])
	tooMany := `{"ids":[` + strings.TrimSuffix(strings.Repeat(`"x",`, backend.MaxBulkPublish+1), ",") + `]}`
	e.run(t, []scenario{
		{Name: "ErrOtherDepartmentPublishes", Method: "POST", URL: "/api/v1/results/" + ids[0] + "/publish", User: "other.manager", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrOtherDepartmentBulk", Method: "POST", URL: "/api/v1/results/publish", User: "other.manager", Body: bulk, WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrOtherDepartmentWithholds", Method: "POST", URL: "/api/v1/results/" + ids[3] + "/withhold", User: "other.manager", Body: `{"version":1,"reason":"x"}`, WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrOtherDepartmentReads", Method: "GET", URL: "/api/v1/results/" + ids[0], User: "other.manager", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrInspectorRegister", Method: "GET", URL: "/api/v1/results", User: "test.inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrNoLogin", Method: "GET", URL: "/api/v1/results", WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "ErrTooMany", Method: "POST", URL: "/api/v1/results/publish", User: "test.manager", Body: tooMany, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownField", Method: "POST", URL: "/api/v1/results/publish", User: "test.manager", Body: `{"ids":["a"],"all":true}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrView", Method: "GET", URL: "/api/v1/results?view=late", User: "test.manager", WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/PublishOne", Method: "POST", URL: "/api/v1/results/" + ids[0] + "/publish", User: "test.manager", WantStatus: 200, WantContent: []string{`"state":"published"`}},
		{Name: "OK/PublishBulk", Method: "POST", URL: "/api/v1/results/publish", User: "test.manager", Body: bulk, WantStatus: 200, WantContent: []string{ids[1], ids[2]}},
		{Name: "ErrPublishAgain", Method: "POST", URL: "/api/v1/results/" + ids[0] + "/publish", User: "test.manager", WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/ProposeWithhold", Method: "POST", URL: "/api/v1/results/" + ids[3] + "/withhold", User: "test.manager", Body: `{"version":1,"reason":"涉及正在办理的案件"}`, WantStatus: 200, WantContent: []string{`"state":"withhold-proposed"`}},
		{Name: "ErrProposerConfirms", Method: "POST", URL: "/api/v1/results/" + ids[3] + "/withhold/confirm", User: "test.manager", Body: `{"version":2}`, WantStatus: 403, WantCode: "forbidden"},
		{Name: "OK/SecondPersonConfirms", Method: "POST", URL: "/api/v1/results/" + ids[3] + "/withhold/confirm", User: "second.manager", Body: `{"version":2}`, WantStatus: 200, WantContent: []string{`"state":"withheld"`, `"confirmedBy":"second.manager"`}},
	})
	c := entry(ids[0])
	r = e.do("POST", "/api/v1/results/"+ids[0]+"/corrections", mgr, "application/json",
		strings.NewReader(fmt.Sprintf(`{"version":%d,"code":"follow-up","reason":"=录入有误"}`, c.Version)))
	if r.Status != 200 {
		t.Fatalf("correction: %d %s", r.Status, r.Body)
	}

	// A task approved before the register: an administrator registers it.
	var legacy string
	for _, tk := range tasks {
		if !tk.Unassigned && !slices.Contains(ids, tk.ID) {
			legacy = tk.ID
			break
		}
	}
	if _, err := backend.UpdateTaskWith(context.Background(), e.m.Stores.Tasks, legacy, func(tk *backend.Task) (bool, error) {
		tk.Result = &backend.Result{Code: backend.ResultNoProblem, Label: backend.ResultNoProblem.Label(), EnteredBy: tk.TeamUsers[0]}
		tk.Reviews = append(tk.Reviews, backend.ReviewNote{Status: backend.TaskApproved, Reviewer: "lead.reviewer", At: time.Date(2026, 3, 2, 9, 0, 0, 0, backend.China)})
		tk.Status = backend.TaskApproved
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	older := fmt.Sprintf(`{"ids":[%q]}`, legacy)
	e.run(t, []scenario{
		{Name: "ErrManagerRegistersOlder", Method: "POST", URL: "/api/v1/results/register", User: "test.manager", Body: older, WantStatus: 403, WantCode: "forbidden"},
		{Name: "OK/AdminRegistersOlder", Method: "POST", URL: "/api/v1/results/register", User: "test.admin", Body: older, WantStatus: 200,
			WantContent: []string{`"resultDate":"2026-03-02"`, `"deadline":"2026-03-30"`, `"state":"pending"`}},
		{Name: "OK/AgainReturnsIt", Method: "POST", URL: "/api/v1/results/register", User: "test.admin", Body: older, WantStatus: 200, WantContent: []string{legacy}},
		{Name: "ErrNotApproved", Method: "POST", URL: "/api/v1/results/register", User: "test.admin", Body: fmt.Sprintf(`{"ids":[%q]}`, tasks[len(tasks)-1].ID), WantStatus: 400, WantCode: "invalid"},
	})

	// The open data.
	r = e.do("GET", "/public/results.json", "", "", nil)
	if r.Status != 200 || r.Header.Get("ETag") == "" {
		t.Fatalf("public json: %d %s", r.Status, r.Body)
	}
	for _, secret := range []string{"test.manager", "second.manager", "publishedBy", "teamUsers", tasks[0].TeamUsers[0]} {
		if strings.Contains(string(r.Body), secret) {
			t.Fatalf("the public results show %q: %s", secret, r.Body)
		}
	}
	var page backend.Page[*planning.PublicResult]
	r.JSON(t, &page)
	if len(page.Items) != 3 {
		t.Fatalf("%d public results, want the 3 published (not the withheld)", len(page.Items))
	}
	if again := e.send(t, withHeader(t, "/public/results.json", "If-None-Match", r.Header.Get("ETag"))); again.Status != 304 {
		t.Fatalf("with its ETag: %d, want 304", again.Status)
	}
	rc := e.do("GET", "/public/results.csv", "", "", nil)
	body, ok := bytes.CutPrefix(rc.Body, []byte("\ufeff"))
	if rc.Status != 200 || !ok {
		t.Fatalf("public csv: %d, byte order mark %v", rc.Status, ok)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(page.Items)+1 || rows[0][0] != "序号" {
		t.Fatalf("csv rows %d (header %v), want %d", len(rows), rows[0], len(page.Items)+1)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	corrected := 0
	for i, it := range page.Items {
		row := rows[i+1]
		if row[col["任务编号"]] != it.ID || row[col["名称"]] != it.TargetName || row[col["结果"]] != it.Label || row[col["日期"]] != string(it.ResultDate) ||
			row[col["统一社会信用代码"]] != it.USCC || row[col["检查实施机关"]] != it.Authority || row[col["公示版本"]] != strconv.Itoa(it.Version) || row[col["更正原因"]] != strings.Replace(it.Reason, "=", "'=", 1) {
			t.Fatalf("csv row %v does not match %+v", row, it)
		}
		if it.Authority == "scjg" || it.Authority == "" || it.Type != "双随机抽查" || len(it.Items) == 0 || it.Items[0] == "SCJG-03" {
			t.Fatalf("public result %+v: want the department's and items' names", it)
		}
		if it.Version == 2 {
			corrected++
			if it.Code != backend.ResultFollowUp || len(it.History) != 1 || it.History[0].Code != backend.ResultNoProblem || it.Reason != "=录入有误" {
				t.Fatalf("corrected result %+v, want version 2 over version 1", it)
			}
		}
	}
	if corrected != 1 {
		t.Fatalf("%d corrected results, want 1", corrected)
	}

	// Filters and keyset pages, the same in both formats.
	e.run(t, []scenario{
		{Name: "OK/Category", Method: "GET", URL: "/public/results.json?code=follow-up", WantStatus: 200, WantContent: []string{ids[0]}},
		{Name: "OK/OtherDepartment", Method: "GET", URL: "/public/results.json?department=wsjk", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "OK/Joint", Method: "GET", URL: "/public/results.json?department=yjgl&plan=" + tasks[0].PlanID, WantStatus: 200, WantContent: []string{ids[1]}},
		{Name: "OK/Period", Method: "GET", URL: "/public/results.json?from=2000-01-01&to=2000-12-31", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "ErrDate", Method: "GET", URL: "/public/results.json?from=yesterday", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrCategory", Method: "GET", URL: "/public/results.csv?code=bad", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrCursor", Method: "GET", URL: "/public/results.json?after=nope", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrLimit", Method: "GET", URL: "/public/results.json?limit=1000", WantStatus: 400, WantCode: "invalid"},
	})
	var seen []string
	url := "/public/results.json?limit=2"
	for range 3 {
		var p backend.Page[*planning.PublicResult]
		e.do("GET", url, "", "", nil).JSON(t, &p)
		for _, it := range p.Items {
			seen = append(seen, it.ID)
		}
		if p.NextCursor == "" {
			break
		}
		url = "/public/results.json?limit=2&after=" + p.NextCursor
	}
	if len(seen) != 3 {
		t.Fatalf("pages of 2 gave %v, want the 3", seen)
	}
	if link := e.do("GET", "/public/results.csv?limit=2", "", "", nil).Header.Get("Link"); !strings.Contains(link, "after=") || !strings.Contains(link, `rel="next"`) {
		t.Fatalf("csv Link %q, want the next page", link)
	}
}

// withHeader is an anonymous GET of url with one header.
func withHeader(t *testing.T, url, name, value string) *http.Request {
	t.Helper()
	req := apptest.NewRequest("GET", url, "", "", nil)
	req.Header.Set(name, value)
	return req
}
