package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// newReviewEnv is a fieldcheck with the demo county (whose inspectors log
// in on phones with their demo passwords), back-office users with the
// test password, and a joint plan of market supervision (lead) and
// emergency management drawn. It returns the drawn tasks.
func newReviewEnv(t *testing.T) (*env, []*backend.Task) {
	t.Helper()
	ctx := context.Background()
	m := apptest.Open(t, "https://fc.example.gov.cn")
	sys := backend.WithActor(ctx, backend.SystemActor("test"))
	now := time.Now()
	apptest.SeedDemo(t, m, 300, now)
	for _, u := range []*backend.User{
		{ID: "lead.reviewer", DisplayName: "市场监管审核", Role: backend.RoleReviewer, Departments: []string{"scjg"}},
		{ID: "joint.reviewer", DisplayName: "应急审核", Role: backend.RoleReviewer, Departments: []string{"yjgl"}},
		{ID: "other.reviewer", DisplayName: "卫健审核", Role: backend.RoleReviewer, Departments: []string{"wsjk"}},
		{ID: "test.admin", DisplayName: "管理员", Role: backend.RoleAdmin},
		{ID: "test.manager", DisplayName: "经理", Role: backend.RoleManager, Departments: []string{"scjg"}},
		{ID: "test.inspector", DisplayName: "执法员", Role: backend.RoleInspector, Departments: []string{"scjg"}},
	} {
		if err := m.Users.CreateUser(sys, u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	ratio := func(bp int) *int { return &bp }
	today := backend.DateOf(now)
	p := &backend.Plan{
		Year: now.In(backend.China).Year(), Name: "市场监管、应急管理联合抽查", Items: []string{"SCJG-03", "YJGL-01"},
		LeadDepartment: "scjg", Departments: []string{"scjg", "yjgl"},
		Filter:     backend.PlanFilter{Kinds: []backend.TargetKind{backend.KindEnterprise, backend.KindIndividual, backend.KindCooperative}},
		StratumKey: backend.StratumCredit, Default: &backend.StratumRule{RatioBp: ratio(1000)},
		TeamSize: 2, Batches: []backend.Batch{{Name: "第一批", Start: today, End: backend.DateOf(now.AddDate(0, 2, 0)), DueDays: 30}},
		Method: backend.MethodOnSite,
	}
	res, err := demo.DrawPlan(ctx, m.Planning, p, now)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, m: m}, res.Tasks
}

// fieldPhone is an inspector's phone, syncing through the mobile API.
type fieldPhone struct {
	e      *env
	device string
	token  string
	cursor string
	tasks  map[string]*fcsync.TaskView
	ops    int
}

func (e *env) fieldPhone(user string) *fieldPhone {
	e.t.Helper()
	device := "phone-" + strings.ReplaceAll(user, ".", "-")
	tok := apptest.MustPhoneLogin(e.t, e.m, user, demo.DemoPassword(user), apptest.TestPhone(device))
	return &fieldPhone{e: e, device: device, token: tok.AccessToken, tasks: map[string]*fcsync.TaskView{}}
}

// pull syncs until the server has nothing more.
func (p *fieldPhone) pull() {
	p.e.t.Helper()
	for range 100 {
		r := p.e.do("GET", fcsync.PullPath(p.cursor, 200), p.token, "", nil)
		var resp fcsync.PullResponse
		if r.Status != 200 {
			p.e.t.Fatalf("pull: %d %s", r.Status, r.Body)
		}
		r.JSON(p.e.t, &resp)
		for _, v := range resp.Tasks {
			p.tasks[v.Task.ID] = v
		}
		p.cursor = resp.Cursor
		if !resp.More && !resp.Pending {
			return
		}
		if resp.Pending { // a writer is at work: as a phone, come back shortly (More: at once)
			time.Sleep(10 * time.Millisecond)
		}
	}
	p.e.t.Fatal("the pull never ended")
}

func (p *fieldPhone) push(entity, taskID string, base int64, payload any) fcsync.MutationResult {
	p.e.t.Helper()
	p.ops++
	j, _ := json.Marshal(payload)
	body, _ := json.Marshal(fcsync.PushRequest{Mutations: []fcsync.Mutation{{OpID: fmt.Sprint("op-", p.ops), Entity: entity, TaskID: taskID, BaseVersion: base, Payload: j}}})
	r := p.e.do("POST", fcsync.PushPath(), p.token, "application/json", bytes.NewReader(body))
	var resp fcsync.PushResponse
	if r.Status != 200 {
		p.e.t.Fatalf("push: %d %s", r.Status, r.Body)
	}
	r.JSON(p.e.t, &resp)
	if res := resp.Results[0]; res.Status != fcsync.Applied {
		p.e.t.Fatalf("push %s: %s %s %s", entity, res.Status, res.Code, res.Message)
	}
	return resp.Results[0]
}

// answerAll answers every question of the task's form from the phone:
// the first option, or 是, with note when it is not empty.
func (p *fieldPhone) answerAll(task *backend.Task, note string) {
	p.e.t.Helper()
	var answers fcsync.AnswersPayload
	for _, s := range task.Form.Sections {
		for _, q := range s.Questions {
			v := "是"
			if len(q.Options) > 0 {
				v = q.Options[0]
			}
			n := ""
			if note != "" {
				n = note + q.ID
			}
			answers.Answers = append(answers.Answers, backend.AnswerInput{Question: backend.AnswerKey(s.ItemCode, q.ID), Value: v, Note: n, EditedAt: time.Now()})
		}
	}
	p.push(fcsync.EntityAnswers, task.ID, task.Version, answers)
}

// syncCheckIns has each phone check in through sync at the task's target with its signed
// licence code, at its registered location; it returns the code.
func (e *env) syncCheckIns(task *backend.Task, phones ...*fieldPhone) string {
	e.t.Helper()
	return e.syncCheckInsAt(task, time.Now(), phones...)
}

// syncCheckInsAt is syncCheckIns with the phones' clocks at at.
func (e *env) syncCheckInsAt(task *backend.Task, at time.Time, phones ...*fieldPhone) string {
	e.t.Helper()
	ctx := context.Background()
	code, err := e.m.Codes.SignEnterpriseCode(ctx, task.TargetID)
	if err != nil {
		e.t.Fatal(err)
	}
	where := e.locationOf(task.TargetID)
	for _, ph := range phones {
		ph.push(fcsync.EntityCheckIn, task.ID, 0, fcsync.CheckInPayload{Code: code.String(), Position: &where, AccuracyM: 8, DeviceTime: at})
	}
	return code.String()
}

// locationOf is a target's registered location (a point of the county
// when it has none).
func (e *env) locationOf(targetID string) backend.GeoPoint {
	e.t.Helper()
	if tg, _ := e.m.Stores.Targets.FindTargetByID(context.Background(), targetID); tg != nil && tg.Location != nil {
		return *tg.Location
	}
	return backend.GeoPoint{Lat: 26.26, Lng: 117.63}
}

// evidenceArrived marks every declared file of the task as uploaded, as
// the evidence service does when the bytes arrive (the upload path is
// not the review's to test).
func (e *env) evidenceArrived(taskID string) {
	e.t.Helper()
	if _, err := backend.UpdateTaskWith(context.Background(), e.m.Stores.Tasks, taskID, func(tk *backend.Task) (bool, error) {
		for i := range tk.Evidence {
			tk.Evidence[i].Uploaded = true
			tk.Evidence[i].Received = &backend.EvidenceReceipt{By: tk.TeamUsers[0], At: time.Now(), ContentType: tk.Evidence[i].ContentType}
		}
		return true, nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) storedTask(id string) *backend.Task {
	e.t.Helper()
	tk, err := e.m.Stores.Tasks.FindTaskByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return tk
}

func reviewOf(t *testing.T, r *response) planning.ReviewView {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("status=%d, want 200; body %s", r.Status, r.Body)
	}
	var v planning.ReviewView
	r.JSON(t, &v)
	return v
}

// TestReviewAPI follows a task from the phones' submission through the
// review: issues, a return the phone sees, a resubmission, an approval
// that waits for the evidence; with who may see and do what, and the
// requests that are refused.
func TestReviewAPI(t *testing.T) {
	e, tasks := newReviewEnv(t)
	ctx := context.Background()
	i := slices.IndexFunc(tasks, func(tk *backend.Task) bool { return len(tk.TeamUsers) == 2 })
	if i < 0 {
		t.Fatal("no drawn task has a team of two logins")
	}
	task := tasks[i]

	// The team works the task on its phones: answers, two pieces of
	// evidence declared (not uploaded yet), both officers check in, the
	// result submits it.
	a, b := e.fieldPhone(task.TeamUsers[0]), e.fieldPhone(task.TeamUsers[1])
	a.pull()
	a.answerAll(task, "")
	files := []backend.EvidenceInput{
		{ID: "licence-photo", Type: backend.EvidencePhoto, SHA256: strings.Repeat("a", 64), Size: 120000, ContentType: "image/jpeg", Question: "SCJG-03/licence", Caption: "许可证", CapturedAt: time.Now()},
		{ID: "signature", Type: backend.EvidenceSignature, SHA256: strings.Repeat("b", 64), Size: 3000, ContentType: "image/png", CapturedAt: time.Now()},
	}
	for i, q := range task.PhotosMissing() { // a photo for each question that requires one
		if q != "SCJG-03/licence" {
			files = append(files, backend.EvidenceInput{ID: fmt.Sprint("site-photo-", i), Type: backend.EvidencePhoto, SHA256: fmt.Sprintf("%064x", i+1),
				Size: 90000, ContentType: "image/jpeg", Question: q, CapturedAt: time.Now()})
		}
	}
	a.push(fcsync.EntityEvidence, task.ID, task.Version, fcsync.EvidencePayload{Files: files})
	e.syncCheckIns(task, a, b)
	a.push(fcsync.EntityResult, task.ID, e.storedTask(task.ID).Version, fcsync.ResultPayload{Code: backend.ResultNoProblem, Findings: "未发现问题", DeviceTime: time.Now()})
	submitted := e.storedTask(task.ID)
	if submitted.Status != backend.TaskSubmitted {
		t.Fatalf("after the phone's result: %s", submitted.Status)
	}
	v0 := submitted.Version
	base := "/api/v1/reviews/" + task.ID
	body := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }

	e.run(t, []scenario{
		{Name: "OK/QueueOfLeadReviewer", Method: "GET", URL: "/api/v1/reviews", User: "lead.reviewer", WantStatus: 200,
			WantContent: []string{`"taskId":"` + task.ID + `"`, `"state":"received"`, fmt.Sprintf(`"evidenceDeclared":%d`, len(files)), `"evidenceArrived":0`, `"resultLabel":"未发现问题"`}},
		{Name: "OK/QueueOfAdmin", Method: "GET", URL: "/api/v1/reviews?planId=" + task.PlanID, User: "test.admin", WantStatus: 200, WantContent: []string{task.ID}},
		{Name: "OK/QueueOfJointReviewerIsEmpty", Method: "GET", URL: "/api/v1/reviews", User: "joint.reviewer", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "OK/QueueOfOtherReviewerIsEmpty", Method: "GET", URL: "/api/v1/reviews", User: "other.reviewer", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "OK/QueueHasIssuesIsEmpty", Method: "GET", URL: "/api/v1/reviews?state=has_issues", User: "lead.reviewer", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "ErrQueueOfManager", Method: "GET", URL: "/api/v1/reviews", User: "test.manager", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrQueueOfInspector", Method: "GET", URL: "/api/v1/reviews", User: "test.inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrQueueState", Method: "GET", URL: "/api/v1/reviews?state=approved", User: "lead.reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrQueueLimit", Method: "GET", URL: "/api/v1/reviews?limit=500", User: "lead.reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrQueueNoToken", Method: "GET", URL: "/api/v1/reviews", WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "OK/DetailOfLeadReviewer", Method: "GET", URL: base, User: "lead.reviewer", WantStatus: 200,
			WantContent: []string{`"canReview":true`, `"url":"/api/v1/tasks/` + task.ID + `/evidence/licence-photo"`, `"key":"SCJG-03/licence"`, `"checkIns":[{`}},
		{Name: "OK/DetailOfJointReviewer", Method: "GET", URL: base, User: "joint.reviewer", WantStatus: 200, WantContent: []string{`"canReview":false`}},
		{Name: "ErrDetailOfOtherReviewer", Method: "GET", URL: base, User: "other.reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrDetailOfManager", Method: "GET", URL: base, User: "test.manager", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrDetailUnknown", Method: "GET", URL: "/api/v1/reviews/nope", User: "lead.reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrIssuesOfJointReviewer", Method: "POST", URL: base + "/issues", User: "joint.reviewer", Body: body(`{"version":%d,"comment":"x"}`, v0), WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrApproveOfJointReviewer", Method: "POST", URL: base + "/approve", User: "joint.reviewer", Body: body(`{"version":%d}`, v0), WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrIssuesOfOtherReviewer", Method: "POST", URL: base + "/issues", User: "other.reviewer", Body: body(`{"version":%d,"comment":"x"}`, v0), WantStatus: 404, WantCode: "not_found"},
		// Bad bodies.
		{Name: "ErrUnknownField", Method: "POST", URL: base + "/issues", User: "lead.reviewer", Body: body(`{"version":%d,"comment":"x","state":"approved"}`, v0), WantStatus: 400, WantCode: "invalid", WantContent: []string{"state"}},
		{Name: "ErrUnknownIssueField", Method: "POST", URL: base + "/issues", User: "lead.reviewer", Body: body(`{"version":%d,"comment":"x","issues":[{"question":"SCJG-03/licence","comment":"x","severity":1}]}`, v0), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownQuestion", Method: "POST", URL: base + "/issues", User: "lead.reviewer", Body: body(`{"version":%d,"comment":"x","issues":[{"question":"SCJG-03/nope","comment":"x"}]}`, v0), WantStatus: 400, WantCode: "invalid", WantContent: []string{"SCJG-03/nope"}},
		{Name: "ErrUnknownSlot", Method: "POST", URL: base + "/issues", User: "lead.reviewer", Body: body(`{"version":%d,"comment":"x","issues":[{"evidence":"nope","comment":"x"}]}`, v0), WantStatus: 400, WantCode: "invalid", WantContent: []string{"nope"}},
		{Name: "ErrLongComment", Method: "POST", URL: base + "/issues", User: "lead.reviewer", Body: body(`{"version":%d,"comment":%q}`, v0, strings.Repeat("x", 2001)), WantStatus: 400, WantCode: "invalid", WantContent: []string{"2000"}},
		{Name: "ErrMalformed", Method: "POST", URL: base + "/issues", User: "lead.reviewer", Body: `{"version":`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrContentType", Method: "POST", URL: base + "/issues", User: "lead.reviewer", ContentType: "text/plain", Body: body(`{"version":%d,"comment":"x"}`, v0), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrReturnWithoutComment", Method: "POST", URL: base + "/return", User: "lead.reviewer", Body: body(`{"version":%d}`, v0), WantStatus: 400, WantCode: "invalid", WantContent: []string{"comment"}},
		{Name: "ErrReturnUnknownSlot", Method: "POST", URL: base + "/return", User: "lead.reviewer", Body: body(`{"version":%d,"comment":"x","issues":[{"evidence":"nope","comment":"x"}]}`, v0), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrIssuesStale", Method: "POST", URL: base + "/issues", User: "lead.reviewer", Body: body(`{"version":%d,"comment":"x"}`, v0-1), WantStatus: 409, WantCode: "conflict"},
		{Name: "ErrApproveMissingEvidence", Method: "POST", URL: base + "/approve", User: "lead.reviewer", Body: body(`{"version":%d}`, v0), WantStatus: 400, WantCode: "invalid", WantContent: []string{fmt.Sprintf("%d of %d evidence files have not arrived", len(files), len(files))}},
	})
	// None of the refused requests changed the task.
	if cur := e.storedTask(task.ID); cur.Version != v0 || len(cur.Reviews) != 0 || cur.Status != backend.TaskSubmitted {
		t.Fatalf("after refused requests: version %d (want %d), %d notes, %s", cur.Version, v0, len(cur.Reviews), cur.Status)
	}

	// Issues: the task stays submitted and is in the has_issues queue.
	lead := e.login("lead.reviewer")
	issues := []backend.ReviewIssue{{Question: "YJGL-01/responsibility", Comment: "未拍摄责任制公示"}, {Evidence: "signature", Comment: "签名尚未上传"}}
	req, _ := json.Marshal(planning.IssuesRequest{Version: v0, Comment: "等待签名上传", Issues: issues})
	v := reviewOf(t, e.do("POST", base+"/issues", lead, "application/json", bytes.NewReader(req)))
	if v.State != backend.ReviewHasIssues || v.Status != backend.TaskSubmitted || !slices.Equal(v.Issues, issues) || v.Version != v0+1 {
		t.Fatalf("after issues: %s %s %v version %d", v.State, v.Status, v.Issues, v.Version)
	}
	if r := e.do("GET", "/api/v1/reviews?state=has_issues", lead, "", nil); !bytes.Contains(r.Body, []byte(task.ID)) {
		t.Fatalf("has_issues queue: %s", r.Body)
	}

	// The return takes the recorded issues to the phone.
	v = reviewOf(t, e.do("POST", base+"/return", lead, "application/json", strings.NewReader(body(`{"version":%d,"comment":"请补拍责任制公示照片"}`, v.Version))))
	if v.State != backend.ReviewReturned || v.Status != backend.TaskReturned || v.CanReview {
		t.Fatalf("after return: %s %s canReview %v", v.State, v.Status, v.CanReview)
	}
	b.pull()
	onPhone := b.tasks[task.ID].Task
	last := onPhone.Reviews[len(onPhone.Reviews)-1]
	if onPhone.Status != backend.TaskReturned || last.Status != backend.TaskReturned || last.Comment != "请补拍责任制公示照片" || !slices.Equal(last.Issues, issues) {
		t.Fatalf("the phone holds %s with note %+v", onPhone.Status, last)
	}

	// Resubmitted from the phone: received again, no open issues.
	b.push(fcsync.EntityResult, task.ID, onPhone.Version, fcsync.ResultPayload{Code: backend.ResultCorrected, Findings: "已补拍", DeviceTime: time.Now()})
	v = reviewOf(t, e.do("GET", base, lead, "", nil))
	if v.State != backend.ReviewReceived || len(v.Issues) != 0 || v.Result.Code != backend.ResultCorrected || len(v.History) != 2 {
		t.Fatalf("after resubmission: %s issues %v result %v history %d", v.State, v.Issues, v.Result, len(v.History))
	}
	if r := e.do("POST", base+"/approve", lead, "application/json", strings.NewReader(body(`{"version":%d}`, v.Version))); r.Status != 400 {
		t.Fatalf("approve with evidence missing: %d %s", r.Status, r.Body)
	}

	// The files arrive (the upload path is not this test's): approved.
	e.evidenceArrived(task.ID)
	if r := e.do("POST", base+"/approve", lead, "application/json", strings.NewReader(body(`{"version":%d}`, v.Version))); r.Status != 409 {
		t.Fatalf("approve on the version read before the upload: %d %s, want 409", r.Status, r.Body)
	}
	v = reviewOf(t, e.do("GET", base, lead, "", nil))
	if v.Evidence[0].Thumbnail == "" || v.Evidence[1].Preview == "" {
		t.Fatalf("uploaded images without thumbnail or preview: %+v", v.Evidence)
	}
	v = reviewOf(t, e.do("POST", base+"/approve", lead, "application/json", strings.NewReader(body(`{"version":%d,"comment":"同意"}`, v.Version))))
	if v.State != backend.ReviewApproved || v.Status != backend.TaskApproved {
		t.Fatalf("after approval: %s %s", v.State, v.Status)
	}
	b.pull()
	if got := b.tasks[task.ID].Task.Status; got != backend.TaskApproved {
		t.Fatalf("the phone holds %s, want approved", got)
	}

	// Every step is audited, the refused permissions as denied.
	entries, err := e.m.Stores.Audit.FindAuditEntries(ctx, "task", task.ID, 200)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(entries) - 1; i >= 0; i-- {
		if en := entries[i]; slices.Contains([]string{"task.has_issues", "task.returned", "task.approved"}, en.Action) {
			got = append(got, en.Action+" "+en.Outcome+" "+en.Actor)
		}
	}
	want := []string{
		"task.has_issues denied joint.reviewer",
		"task.approved denied joint.reviewer",
		"task.has_issues ok lead.reviewer",
		"task.returned ok lead.reviewer",
		"task.approved ok lead.reviewer",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit of the task:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
