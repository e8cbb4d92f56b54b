package api_test

// Probes of issue 12's holes 5, 6, 8 and 9 (separation of duties, ratings,
// check-in devices, required photos), each over HTTP as the attacker made
// it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// loginDevice opens a phone session of user on device and returns its
// access token.
func (e *env) loginDevice(t *testing.T, user, device string) string {
	t.Helper()
	return apptest.MustPhoneLogin(t, e.m, user, testPassword, backend.DeviceInfo{ID: device, Platform: backend.PlatformAndroid}).AccessToken
}

// licenceCode returns the scanned form of an enterprise's licence code.
func (e *env) licenceCode(t *testing.T, uscc string) string {
	t.Helper()
	c, err := e.m.Codes.SignEnterpriseCode(context.Background(), uscc)
	if err != nil {
		t.Fatal(err)
	}
	return c.String()
}

// firstTarget is the first target seedDirectory stored.
func firstTarget(t *testing.T, e *env) *backend.Target {
	t.Helper()
	page, err := e.m.Stores.Targets.FindTargets(context.Background(), backend.TargetFilter{}, backend.PageRequest{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("no target: %v", err)
	}
	return page.Items[0]
}

// Hole 8: a check-in took its device from the request body, so a phone
// could record its check-ins as made from another device. The device is
// the session's; a body naming one is refused.
func TestSecurityCheckInDeviceFromSession(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	target := firstTarget(t, e)
	phone := e.loginDevice(t, "inspector", "duties-phone-1")
	body := func(id, extra string) string {
		return fmt.Sprintf(`{"id":%q,"code":%q,"position":{"lat":26.26,"lng":117.63},"accuracyM":10,"deviceTime":%q,"reason":"complaint","reference":"12315-2026-0101"%s}`,
			id, e.licenceCode(t, target.ID), time.Now().UTC().Format(time.RFC3339), extra)
	}
	e.run(t, []scenario{
		{Name: "ErrDeviceInBody", Method: "POST", URL: "/mobile/v1/checkins", Token: phone, Body: body("ci-duties-0001", `,"deviceId":"someone-elses-phone"`),
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"deviceId"}},
		{Name: "OK/SessionDevice", Method: "POST", URL: "/mobile/v1/checkins", Token: phone, Body: body("ci-duties-0002", ""),
			WantStatus: 201, WantContent: []string{`"deviceId":"duties-phone-1"`}},
	})
	if _, err := e.m.Stores.CheckIns.FindCheckIn(context.Background(), "ci-duties-0001"); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("the refused check-in was stored: %v", err)
	}
	c, err := e.m.Stores.CheckIns.FindCheckIn(context.Background(), "ci-duties-0002")
	if err != nil || c.DeviceID != "duties-phone-1" {
		t.Fatalf("stored check-in %+v (%v), want device duties-phone-1", c, err)
	}
}

// addOfficer adds an inspector login of dept and its record in the
// inspector directory, linked to it.
func (e *env) addOfficer(t *testing.T, user, dept, inspectorID, certNo string) {
	t.Helper()
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	if err := e.m.Users.CreateUser(sys, &backend.User{ID: user, DisplayName: "执法员" + user, Role: backend.RoleInspector, Departments: []string{dept}}, testPassword); err != nil {
		t.Fatal(err)
	}
	in := &backend.Inspector{ID: inspectorID, Name: "执法员" + user, DepartmentID: dept, CertNo: certNo, CertExpiry: "2099-12-31", UserID: user, Active: true}
	if err := e.m.Directory.CreateInspector(sys, in); err != nil {
		t.Fatal(err)
	}
}

// fieldTask stores an on-site task of the seeded item SCJG-03 (with its
// current checklist) at the target, for a team of the given inspectors.
func (e *env) fieldTask(t *testing.T, id, targetID string, team ...string) *backend.Task {
	t.Helper()
	ctx := context.Background()
	it, err := e.m.Stores.Items.FindItemByCode(ctx, "SCJG-03")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := e.m.Stores.Items.FindTemplate(ctx, it.Code, it.TemplateVersion)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := backend.MergeChecklists([]*backend.Item{it}, []*backend.ChecklistTemplate{tpl})
	if err != nil {
		t.Fatal(err)
	}
	task := &backend.Task{ID: id, TargetID: targetID, TargetName: "检查对象", Items: []string{it.Code}, Method: backend.MethodOnSite,
		LeadDepartment: "scjg", Departments: []string{"scjg"}, Team: team, TeamUsers: []string{}, Batch: "ad-hoc",
		Start: backend.DateOf(time.Now()), End: "2099-12-31", Due: "2099-12-31", Checklist: cl.Refs(), Status: backend.TaskAccepted,
		Trigger: &backend.Trigger{Kind: backend.TriggerComplaint, Reference: "12315-2026-0102", Reason: "投诉举报核查"}}
	for _, ins := range team {
		in, err := e.m.Stores.Inspectors.FindInspectorByID(ctx, ins)
		if err != nil {
			t.Fatal(err)
		}
		task.TeamUsers = append(task.TeamUsers, in.UserID)
	}
	if err := e.m.Stores.Tasks.CreateTasks(ctx, []*backend.Task{task}); err != nil {
		t.Fatal(err)
	}
	return task
}

// fromAddr sends a request as if from the client address addr (none when
// empty), with the cookie when not empty. The test must have made the
// in-process peer a trusted proxy (trustPeer) for the address to count.
func (e *env) fromAddr(t *testing.T, addr, method, url, token, contentType, body, cookie string) *response {
	t.Helper()
	req := apptest.NewRequest(method, url, token, contentType, strings.NewReader(body))
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	return e.send(t, req)
}

// trustPeer makes the in-process test client the server's trusted proxy,
// so that X-Forwarded-For names the client (fromAddr). Call it before the
// first request.
func (e *env) trustPeer() { e.m.HTTP.TrustedProxies = []string{"0.0.0.0"} }

// checkIn checks the phone in at the task's target with its licence code,
// through the phones' API.
func (e *env) checkIn(t *testing.T, phone, id string, task *backend.Task) *backend.CheckIn {
	t.Helper()
	return e.checkInFrom(t, "", phone, id, task)
}

// checkInFrom is checkIn from the client address addr.
func (e *env) checkInFrom(t *testing.T, addr, phone, id string, task *backend.Task) *backend.CheckIn {
	t.Helper()
	body := fmt.Sprintf(`{"id":%q,"code":%q,"taskId":%q,"position":{"lat":26.26,"lng":117.63},"accuracyM":10,"deviceTime":%q}`,
		id, e.licenceCode(t, task.TargetID), task.ID, time.Now().UTC().Format(time.RFC3339))
	r := e.fromAddr(t, addr, "POST", "/mobile/v1/checkins", phone, "application/json", body, "")
	if r.Status != 201 {
		t.Fatalf("check-in %s: %d %s", id, r.Status, r.Body)
	}
	var c backend.CheckIn
	r.JSON(t, &c)
	return &c
}

// syncPush pushes one mutation per payload (entity, payload pairs) for the
// task on its current version and returns their results.
func (e *env) syncPush(t *testing.T, phone, taskID string, entityPayload ...any) []fcsync.MutationResult {
	t.Helper()
	tk, err := e.m.Stores.Tasks.FindTaskByID(context.Background(), taskID)
	if err != nil {
		t.Fatal(err)
	}
	var req fcsync.PushRequest
	for i := 0; i < len(entityPayload); i += 2 {
		j, _ := json.Marshal(entityPayload[i+1])
		req.Mutations = append(req.Mutations, fcsync.Mutation{OpID: fmt.Sprintf("op-%d-%d", time.Now().UnixNano(), i), Entity: entityPayload[i].(string), TaskID: taskID, BaseVersion: tk.Version, Payload: j})
	}
	body, _ := json.Marshal(req)
	r := e.doT(t, "POST", fcsync.PushPath(), phone, "application/json", bytes.NewReader(body))
	if r.Status != 200 {
		t.Fatalf("push: %d %s", r.Status, r.Body)
	}
	var resp fcsync.PushResponse
	r.JSON(t, &resp)
	return resp.Results
}

// photo declares a photo slot for a question.
func photo(id, question string) backend.EvidenceInput {
	return backend.EvidenceInput{ID: id, Type: backend.EvidencePhoto, SHA256: strings.Repeat("c", 64), Size: 90000, ContentType: "image/jpeg",
		Question: question, CapturedAt: time.Now()}
}

// Hole 9: photoRequired questions were not enforced: a result without
// the photos submitted. A submission is refused, naming every question
// without a declared photo, in the push's result for the phone to show;
// an approval asks again (for tasks submitted before the rule).
func TestSecuritySubmissionNeedsRequiredPhotos(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	e.addOfficer(t, "inspector2", "scjg", "ins-9", "SC0009")
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	if _, err := e.m.Directory.CreateTemplate(sys, "SCJG-03", []backend.Question{
		{ID: "licence", Text: "是否持证", Type: backend.QYesNo, Required: true, PhotoRequired: true},
		{ID: "premises", Text: "经营场所照片", Type: backend.QPhoto, PhotoRequired: true},
		{ID: "remarks", Text: "其他情况", Type: backend.QText},
	}); err != nil {
		t.Fatal(err)
	}
	target := firstTarget(t, e)
	task := e.fieldTask(t, "task-photos", target.ID, "ins-0", "ins-9")
	a, b := e.loginDevice(t, "inspector", "photos-phone-a"), e.loginDevice(t, "inspector2", "photos-phone-b")
	e.checkIn(t, a, "ci-photos-a", task)
	e.checkIn(t, b, "ci-photos-b", task)
	answers := fcsync.AnswersPayload{Answers: []backend.AnswerInput{{Question: "SCJG-03/licence", Value: "是", EditedAt: time.Now()}}}
	result := fcsync.ResultPayload{Code: backend.ResultNoProblem, Findings: "未发现问题", DeviceTime: time.Now()}
	document := backend.EvidenceInput{ID: "premises-scan", Type: backend.EvidenceDocument, SHA256: strings.Repeat("d", 64), Size: 90000,
		ContentType: "application/pdf", Question: "SCJG-03/premises", CapturedAt: time.Now()}

	tests := []struct {
		name    string
		push    []any
		status  string
		missing []string
	}{
		{"ErrNoPhotos", []any{fcsync.EntityAnswers, answers, fcsync.EntityResult, result}, fcsync.Rejected, []string{"SCJG-03/licence", "SCJG-03/premises"}},
		{"ErrOnePhotoAndADocument", []any{fcsync.EntityEvidence, fcsync.EvidencePayload{Files: []backend.EvidenceInput{photo("licence-photo", "SCJG-03/licence"), document}},
			fcsync.EntityResult, result}, fcsync.Rejected, []string{"SCJG-03/premises"}},
		{"OK", []any{fcsync.EntityEvidence, fcsync.EvidencePayload{Files: []backend.EvidenceInput{photo("premises-photo", "SCJG-03/premises")}},
			fcsync.EntityResult, result}, fcsync.Applied, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.syncPush(t, a, task.ID, tt.push...)
			got := res[len(res)-1]
			if got.Status != tt.status || !slices.Equal(got.MissingPhotos, tt.missing) {
				t.Fatalf("result: %s %s %q missingPhotos %v; want %s missing %v", got.Status, got.Code, got.Message, got.MissingPhotos, tt.status, tt.missing)
			}
			for _, q := range tt.missing {
				if got.Code != backend.EINVALID || !strings.Contains(got.Message, q) {
					t.Fatalf("message %q (code %s) does not name %s", got.Message, got.Code, q)
				}
			}
		})
	}
	if st := e.storedTask(task.ID).Status; st != backend.TaskSubmitted {
		t.Fatalf("task %s after the complete submission, want submitted", st)
	}

	// A task that was submitted without its photos before the rule is not
	// approved either.
	legacy := e.fieldTask(t, "task-photos-legacy", target.ID, "ins-0", "ins-9")
	if _, err := backend.UpdateTaskWith(context.Background(), e.m.Stores.Tasks, legacy.ID, func(tk *backend.Task) (bool, error) {
		tk.Answers = map[string]backend.Answer{"SCJG-03/licence": {Value: "是", EditedBy: "inspector", EditedAt: time.Now()}}
		tk.Result = &backend.Result{Code: backend.ResultNoProblem, Label: "未发现问题", EnteredBy: "inspector", EnteredAt: time.Now()}
		tk.Status = backend.TaskSubmitted
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	e.run(t, []scenario{{Name: "ErrApproveWithoutPhotos", Method: "POST", URL: "/api/v1/reviews/" + legacy.ID + "/approve", User: "reviewer",
		Body: fmt.Sprintf(`{"version":%d}`, e.storedTask(legacy.ID).Version), WantStatus: 400, WantCode: "invalid",
		WantContent: []string{"SCJG-03/licence", "SCJG-03/premises"}}})
}

// Hole 5, first part: a manager linked an inspector record to any login —
// a reviewer, the administrator, another department's inspector, one that
// does not exist. Only an inspector login of the record's own department
// that no other record holds may be linked.
func TestSecurityInspectorLinksOnlyToOwnInspectorLogin(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e) // ins-0 is linked to the login "inspector"
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	for _, u := range []*backend.User{
		{ID: "yjgl.inspector", DisplayName: "应急执法员", Role: backend.RoleInspector, Departments: []string{"yjgl"}},
		{ID: "new.inspector", DisplayName: "新执法员", Role: backend.RoleInspector, Departments: []string{"scjg"}},
	} {
		if err := e.m.Users.CreateUser(sys, u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	record := func(id, cert, user string, version int) string {
		return fmt.Sprintf(`{"id":%q,"name":"张三","departmentId":"scjg","certNo":%q,"certExpiry":"2030-12-31","active":true,"userId":%q,"version":%d}`, id, cert, user, version)
	}
	e.run(t, []scenario{
		{Name: "ErrLinkToReviewer", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: record("ins-r", "SC1001", "reviewer", 0), WantStatus: 400, WantCode: "invalid", WantContent: []string{"reviewer"}},
		{Name: "ErrLinkToAdmin", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: record("ins-a", "SC1002", "admin", 0), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrLinkToManagerByAdmin", Method: "POST", URL: "/api/v1/inspectors", User: "admin", Body: record("ins-m", "SC1003", "manager", 0), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrLinkToNobody", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: record("ins-n", "SC1004", "nobody", 0), WantStatus: 400, WantCode: "invalid", WantContent: []string{"nobody"}},
		{Name: "ErrLinkToOtherDepartment", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: record("ins-y", "SC1005", "yjgl.inspector", 0), WantStatus: 400, WantCode: "invalid", WantContent: []string{"scjg"}},
		{Name: "ErrLinkTaken", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: record("ins-t", "SC1006", "inspector", 0), WantStatus: 409, WantCode: "conflict", WantContent: []string{"ins-0"}},
		{Name: "OK/LinkOwnInspector", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: record("ins-new", "SC1007", "new.inspector", 0), WantStatus: 201},
		{Name: "ErrRelinkToReviewer", Method: "PUT", URL: "/api/v1/inspectors/ins-new", User: "manager", Body: record("ins-new", "SC1007", "reviewer", 1), WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/UpdateKeepsLink", Method: "PUT", URL: "/api/v1/inspectors/ins-new", User: "manager", Body: record("ins-new", "SC1007", "new.inspector", 1), WantStatus: 200},
		{Name: "OK/Unlinked", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: record("ins-u", "SC1008", "", 0), WantStatus: 201},
	})
	for _, id := range []string{"ins-r", "ins-a", "ins-m", "ins-n", "ins-y", "ins-t"} {
		if _, err := e.m.Stores.Inspectors.FindInspectorByID(context.Background(), id); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("refused record %s was stored: %v", id, err)
		}
	}
	if in, _ := e.m.Stores.Inspectors.FindInspectorByID(context.Background(), "ins-new"); in.UserID != "new.inspector" {
		t.Fatalf("ins-new is linked to %q after the refused relink", in.UserID)
	}
	entries, err := e.m.Stores.Audit.FindAuditEntries(context.Background(), "inspector", "ins-r", 10)
	if err != nil || len(entries) != 1 || entries[0].Outcome != backend.OutcomeDenied || entries[0].Actor != "manager" {
		t.Fatalf("audit of the refused link: %+v (%v), want one denied entry by manager", entries, err)
	}
}

// Hole 5, second part: a reviewer put on a team (its record linked to the
// reviewer's login before links were checked) approved the team's own
// visit. Nobody who worked on a task decides its review.
func TestSecurityNoReviewOfOwnTask(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	ctx := context.Background()
	// The link as it could be made before: straight into the store.
	if err := e.m.Stores.Inspectors.CreateInspector(ctx, &backend.Inspector{ID: "ins-rev", Name: "钱审核", DepartmentID: "scjg",
		CertNo: "SC2001", CertExpiry: "2099-12-31", UserID: "reviewer", Active: true}); err != nil {
		t.Fatal(err)
	}
	task := e.fieldTask(t, "task-own-review", firstTarget(t, e).ID, "ins-0", "ins-rev")
	if _, err := backend.UpdateTaskWith(ctx, e.m.Stores.Tasks, task.ID, func(tk *backend.Task) (bool, error) {
		tk.Answers = map[string]backend.Answer{"SCJG-03/licence": {Value: "是", EditedBy: "reviewer", EditedAt: time.Now()}}
		tk.Result = &backend.Result{Code: backend.ResultNoProblem, Label: "未发现问题", EnteredBy: "reviewer", EnteredAt: time.Now()}
		tk.Status = backend.TaskSubmitted
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/reviews/" + task.ID
	v := e.storedTask(task.ID).Version
	e.run(t, []scenario{
		{Name: "OK/ViewSaysCannotReview", Method: "GET", URL: base, User: "reviewer", WantStatus: 200, WantContent: []string{`"canReview":false`}},
		{Name: "ErrApproveOwn", Method: "POST", URL: base + "/approve", User: "reviewer", Body: fmt.Sprintf(`{"version":%d}`, v), WantStatus: 403, WantCode: "forbidden", WantContent: []string{"team"}},
		{Name: "ErrReturnOwn", Method: "POST", URL: base + "/return", User: "reviewer", Body: fmt.Sprintf(`{"version":%d,"comment":"自己退回"}`, v), WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrIssuesOwn", Method: "POST", URL: base + "/issues", User: "reviewer", Body: fmt.Sprintf(`{"version":%d,"comment":"x"}`, v), WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrTransitionOwn", Method: "POST", URL: "/api/v1/tasks/" + task.ID + "/transitions", User: "reviewer", Body: fmt.Sprintf(`{"to":"approved","version":%d}`, v), WantStatus: 403, WantCode: "forbidden"},
	})
	if tk := e.storedTask(task.ID); tk.Status != backend.TaskSubmitted || tk.Version != v || len(tk.Reviews) != 0 {
		t.Fatalf("after the refused reviews: %s version %d (want %d), %d notes", tk.Status, tk.Version, v, len(tk.Reviews))
	}
}

// Hole 5, third part: a manager dispatched an ad-hoc task to another
// department's officers with that department's items. Such a task waits,
// on no phone, until a manager of that department accepts it; a decline
// cancels it; every answer is audited.
func TestSecurityCrossDepartmentAdHocTaskNeedsAcceptance(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	ctx := context.Background()
	sys := backend.WithActor(ctx, backend.SystemActor("test"))
	it := &backend.Item{Code: "YJGL-01", Name: "安全生产检查", LegalBasis: "《中华人民共和国安全生产法》", DepartmentID: "yjgl",
		TargetKind: backend.KindEnterprise, Content: "检查安全生产责任制", Method: backend.MethodOnSite, Category: backend.ItemKey}
	if err := e.m.Directory.CreateItem(sys, it); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Directory.CreateTemplate(sys, it.Code, []backend.Question{{ID: "duty", Text: "是否建立安全生产责任制", Type: backend.QYesNo}}); err != nil {
		t.Fatal(err)
	}
	e.addOfficer(t, "yj.inspector1", "yjgl", "ins-y1", "YJ0001")
	e.addOfficer(t, "yj.inspector2", "yjgl", "ins-y2", "YJ0002")
	target := firstTarget(t, e)
	adhoc := fmt.Sprintf(`{"targetId":%q,"items":["YJGL-01"],"team":["ins-y1","ins-y2"],"due":"2099-12-31",
		"trigger":{"kind":"complaint","reference":"12315-2026-0200","reason":"群众投诉安全隐患"}}`, target.ID)
	create := func() *backend.Task {
		r := e.do("POST", "/api/v1/tasks", e.login("manager"), "application/json", strings.NewReader(adhoc))
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var tk backend.Task
		r.JSON(t, &tk)
		return &tk
	}
	task := create()
	if task.Status != backend.TaskPending || len(task.TeamUsers) != 0 || len(task.Consents) != 1 ||
		task.Consents[0].DepartmentID != "yjgl" || task.Consents[0].State != backend.ConsentRequested ||
		!slices.Equal(task.Consents[0].Officers, []string{"ins-y1", "ins-y2"}) || !slices.Equal(task.Consents[0].Items, []string{"YJGL-01"}) {
		t.Fatalf("created: %s, team logins %v, consents %+v; want pending, none, yjgl asked", task.Status, task.TeamUsers, task.Consents)
	}
	phone := e.loginDevice(t, "yj.inspector1", "yjgl-phone-01")
	accept := func(v int64, reason string) string { return fmt.Sprintf(`{"version":%d,"reason":%q}`, v, reason) }
	e.run(t, []scenario{
		{Name: "OK/NotOnThePhone", Method: "GET", URL: fcsync.PullPath("", 0), Token: phone, WantStatus: 200, WantContent: []string{`"tasks":[]`}},
		{Name: "ErrPhoneReadsPending", Method: "GET", URL: "/mobile/v1/tasks/" + task.ID, Token: phone, WantStatus: 404, WantCode: "not_found"},
		{Name: "OK/AskedManagerSeesIt", Method: "GET", URL: "/api/v1/task-requests", User: "other.manager", WantStatus: 200, WantContent: []string{`"id":"` + task.ID + `"`, `"state":"requested"`}},
		{Name: "OK/LeadManagerAskedNothing", Method: "GET", URL: "/api/v1/task-requests", User: "manager", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "ErrReviewerLists", Method: "GET", URL: "/api/v1/task-requests", User: "reviewer", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrLeadManagerAccepts", Method: "POST", URL: "/api/v1/task-requests/" + task.ID + "/accept", User: "manager", Body: accept(task.Version, "自己同意"), WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrAdminAccepts", Method: "POST", URL: "/api/v1/task-requests/" + task.ID + "/accept", User: "admin", Body: accept(task.Version, "管理员同意"), WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrNoReason", Method: "POST", URL: "/api/v1/task-requests/" + task.ID + "/accept", User: "other.manager", Body: accept(task.Version, ""), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrStale", Method: "POST", URL: "/api/v1/task-requests/" + task.ID + "/accept", User: "other.manager", Body: accept(task.Version-1, "同意派员"), WantStatus: 409, WantCode: "conflict"},
		{Name: "ErrUnknownField", Method: "POST", URL: "/api/v1/task-requests/" + task.ID + "/accept", User: "other.manager", Body: `{"version":1,"reason":"同意派员","state":"accepted"}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/Accept", Method: "POST", URL: "/api/v1/task-requests/" + task.ID + "/accept", User: "other.manager", Body: accept(task.Version, "同意派员参加"),
			WantStatus: 200, WantContent: []string{`"status":"assigned"`, `"teamUsers":["yj.inspector1","yj.inspector2"]`, `"state":"accepted"`, `"decidedBy":"other.manager"`}},
		{Name: "ErrAcceptTwice", Method: "POST", URL: "/api/v1/task-requests/" + task.ID + "/accept", User: "other.manager", Body: accept(task.Version+1, "再次同意"), WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/OnThePhone", Method: "GET", URL: "/mobile/v1/tasks/" + task.ID, Token: phone, WantStatus: 200, WantContent: []string{`"status":"assigned"`}},
	})

	declined := create()
	e.run(t, []scenario{
		{Name: "OK/Decline", Method: "POST", URL: "/api/v1/task-requests/" + declined.ID + "/decline", User: "other.manager", Body: accept(declined.Version, "人员另有任务"),
			WantStatus: 200, WantContent: []string{`"status":"cancelled"`, `"state":"declined"`, `"reason":"人员另有任务"`}},
		{Name: "ErrDeclinedOnPhone", Method: "GET", URL: "/mobile/v1/tasks/" + declined.ID, Token: phone, WantStatus: 404, WantCode: "not_found"},
	})
	var got []string
	for _, id := range []string{task.ID, declined.ID} {
		entries, err := e.m.Stores.Audit.FindAuditEntries(ctx, "task", id, 50)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(entries) - 1; i >= 0; i-- {
			if strings.HasPrefix(entries[i].Action, "task.") {
				got = append(got, entries[i].Action+" "+entries[i].Outcome+" "+entries[i].Actor)
			}
		}
	}
	want := []string{"task.adhoc ok manager", "task.request_accept denied manager", "task.request_accept denied admin",
		"task.request_accept ok other.manager", "task.adhoc ok manager", "task.request_decline ok other.manager"}
	if !slices.Equal(got, want) {
		t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// issueCode has the phone issue an inspection code for the task from addr
// and returns the path of the page it opens, and the answer.
func (e *env) issueCode(t *testing.T, addr, phone, taskID string) (string, *response) {
	t.Helper()
	r := e.fromAddr(t, addr, "POST", "/mobile/v1/tasks/"+taskID+"/code", phone, "", "", "")
	var code struct{ URL string }
	r.JSON(t, &code)
	u, err := url.Parse(code.URL)
	if r.Status != 201 || err != nil {
		t.Fatalf("issue code for %s: %d %s", taskID, r.Status, r.Body)
	}
	return u.Path, r
}

const (
	formType  = "application/x-www-form-urlencoded"
	goodScore = "happened=yes&conduct=5&professionalism=4&burden=5&comment=%E6%A3%80%E6%9F%A5%E8%A7%84%E8%8C%83"
	phoneAddr = "10.20.30.40"  // where the team's phones work from
	shopAddr  = "198.51.100.7" // the enterprise's own network
)

// ratings reads the oversight office's list.
func (e *env) ratings(t *testing.T) []backend.Rating {
	t.Helper()
	r := e.doT(t, "GET", "/api/v1/ratings?limit=200", e.login("admin"), "", nil)
	var got struct{ Items []backend.Rating }
	r.JSON(t, &got)
	return got.Items
}

// Hole 6: the team's own app issues the inspection code, and holding it
// was all the rating form needed — before any check-in, for a cancelled
// task, for ever; the enterprise's later dispute was refused as rated
// already. A rating opens at the team's check-in and closes after the
// window (7 days); the code rates once, and only while its holder is on
// the team; the enterprise replaces a rating from the page its licence
// code opens, the replaced one kept; the pages say why not in Chinese.
func TestSecurityRatingOnlyAfterCheckInWithinWindow(t *testing.T) {
	e := newEnv(t)
	e.trustPeer()
	seedDirectory(t, e)
	e.addOfficer(t, "inspector2", "scjg", "ins-9", "SC0009")
	now := time.Now()
	e.m.Visit.Now = func() time.Time { return now }
	target := firstTarget(t, e)
	licence, _ := url.Parse(e.licenceCode(t, target.ID))
	licencePage := licence.RequestURI()
	licenceRating := "/e/" + target.ID + "/rating?" + licence.RawQuery
	a, b := e.loginDevice(t, "inspector", "rating-phone-a"), e.loginDevice(t, "inspector2", "rating-phone-b")
	rate := func(t *testing.T, page string) *response {
		return e.fromAddr(t, shopAddr, "POST", page+"/rating", "", formType, goodScore, "")
	}
	rateFromLicence := func(t *testing.T, taskID string) *response {
		return e.fromAddr(t, shopAddr, "POST", licenceRating, "", formType, goodScore+"&task="+taskID, "")
	}
	want := func(t *testing.T, r *response, status int, texts ...string) {
		t.Helper()
		if r.Status != status {
			t.Fatalf("status=%d, want %d; body %s", r.Status, status, r.Body)
		}
		for _, x := range texts {
			if !strings.Contains(string(r.Body), x) {
				t.Fatalf("body %s does not contain %q", r.Body, x)
			}
		}
	}

	task := e.fieldTask(t, "task-rate", target.ID, "ins-0", "ins-9")
	page, _ := e.issueCode(t, phoneAddr, a, task.ID)
	t.Run("ErrBeforeCheckIn", func(t *testing.T) {
		want(t, rate(t, page), 400, "评价未能提交", "尚未在贵单位现场签到")
		want(t, rateFromLicence(t, task.ID), 400, "尚未在贵单位现场签到")
		if r := e.fromAddr(t, shopAddr, "GET", page, "", "", "", ""); strings.Contains(string(r.Body), `id="rating"`) || !strings.Contains(string(r.Body), "签到后才能评价") {
			t.Fatalf("the code's page before the check-in offers a rating or does not say why not: %s", r.Body)
		}
	})
	e.checkInFrom(t, "10.20.30.41", b, "ci-rate-b", task)
	t.Run("OK/AfterCheckIn", func(t *testing.T) {
		want(t, rate(t, page), 200, "评价已提交")
	})
	t.Run("ErrCodeRatesOnce", func(t *testing.T) {
		want(t, rate(t, page), 409, "本次检查已有评价", "营业执照")
	})
	t.Run("OK/EnterpriseReplaces", func(t *testing.T) {
		want(t, e.fromAddr(t, shopAddr, "GET", licencePage, "", "", "", ""), 200, `id="visit-task-rate"`, "通过检查码", `name="task" value="task-rate"`)
		want(t, rateFromLicence(t, task.ID), 200, "评价已提交")
		got := e.ratings(t)
		if len(got) != 2 || got[0].ID != "task-rate" || got[0].ReplacedBy != "task-rate/2" || got[1].Channel != backend.RatingByLicenceCode || len(got[1].Flags) != 0 {
			t.Fatalf("ratings after the replacement: %+v", got)
		}
	})
	t.Run("ErrTooManyChanges", func(t *testing.T) {
		for n := 3; n <= backend.MaxRatingsPerVisit; n++ {
			want(t, rateFromLicence(t, task.ID), 200, "评价已提交")
		}
		want(t, rateFromLicence(t, task.ID), 400, "多次更改")
		if n := len(e.ratings(t)); n != backend.MaxRatingsPerVisit {
			t.Fatalf("%d ratings kept, want %d", n, backend.MaxRatingsPerVisit)
		}
	})

	window := e.fieldTask(t, "task-window", target.ID, "ins-0", "ins-9")
	e.checkInFrom(t, "10.20.30.41", b, "ci-window-b", window)
	t.Run("OK/LastMinuteOfWindow", func(t *testing.T) {
		e.m.Visit.Now = func() time.Time { return now.Add(backend.DefaultRatingWindow - time.Minute) }
		want(t, rateFromLicence(t, window.ID), 200, "评价已提交")
	})
	t.Run("ErrWindowClosed", func(t *testing.T) {
		e.m.Visit.Now = func() time.Time { return now.Add(backend.DefaultRatingWindow + time.Minute) }
		want(t, rateFromLicence(t, window.ID), 400, "评价期限已过")
		want(t, e.fromAddr(t, shopAddr, "GET", licencePage, "", "", "", ""), 200, `id="visit-task-window"`, "评价期限已过")
	})
	t.Run("ErrConfiguredWindowClosed", func(t *testing.T) {
		e.m.Visit.RatingWindow = 48 * time.Hour
		defer func() { e.m.Visit.RatingWindow = 0 }()
		e.m.Visit.Now = func() time.Time { return now.Add(48*time.Hour + time.Minute) }
		want(t, rateFromLicence(t, window.ID), 400, "评价期限已过")
	})
	e.m.Visit.Now = func() time.Time { return now }

	cancelled := e.fieldTask(t, "task-cancelled", target.ID, "ins-0", "ins-9")
	cancelledPage, _ := e.issueCode(t, phoneAddr, a, cancelled.ID)
	e.checkInFrom(t, phoneAddr, a, "ci-cancelled-a", cancelled)
	if r := e.do("POST", "/api/v1/tasks/"+cancelled.ID+"/transitions", e.login("manager"), "application/json",
		strings.NewReader(fmt.Sprintf(`{"to":"cancelled","version":%d}`, e.storedTask(cancelled.ID).Version))); r.Status != 200 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	t.Run("ErrCancelled", func(t *testing.T) {
		want(t, rate(t, cancelledPage), 400, "已取消")
		want(t, rateFromLicence(t, cancelled.ID), 400, "已取消")
	})

	// The code's holder leaves the team; the visit goes on with the rest.
	moved := e.fieldTask(t, "task-reassigned", target.ID, "ins-0", "ins-9")
	movedPage, _ := e.issueCode(t, phoneAddr, a, moved.ID)
	e.checkInFrom(t, "10.20.30.41", b, "ci-moved-b", moved)
	if _, err := backend.UpdateTaskWith(context.Background(), e.m.Stores.Tasks, moved.ID, func(tk *backend.Task) (bool, error) {
		tk.Team, tk.TeamUsers = []string{"ins-9", "ins-1"}, []string{"inspector2"}
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrCodeOfFormerMember", func(t *testing.T) {
		want(t, rate(t, movedPage), 400, "重新指派")
	})
	for _, r := range e.ratings(t) {
		if r.TaskID == cancelled.ID || r.TaskID == moved.ID {
			t.Fatalf("a refused rating was stored: %+v", r)
		}
	}
}

// Hole 6, self-ratings: a rating from an address or a device a team member
// worked from is accepted and flagged for the oversight office, which sees
// whose it was; user text on the pages is never HTML.
func TestSecuritySelfRatingFlagged(t *testing.T) {
	e := newEnv(t)
	e.trustPeer()
	seedDirectory(t, e)
	e.addOfficer(t, "inspector2", "scjg", "ins-9", "SC0009")
	target := firstTarget(t, e)
	licence, _ := url.Parse(e.licenceCode(t, target.ID))
	a := e.loginDevice(t, "inspector", "self-phone-a")
	task := e.fieldTask(t, "task-self", target.ID, "ins-0", "ins-9")
	page, issued := e.issueCode(t, phoneAddr, a, task.ID)
	if c := issued.Header.Get("Set-Cookie"); !strings.Contains(c, "fc_device=self-phone-a") || !strings.Contains(strings.ToLower(c), "httponly") {
		t.Fatalf("the code's answer sets cookie %q, want fc_device=self-phone-a, HttpOnly", c)
	}
	e.checkInFrom(t, phoneAddr, a, "ci-self-a", task)

	// The inspector rates the visit from the phone's own network.
	if r := e.fromAddr(t, phoneAddr, "POST", page+"/rating", "", formType, goodScore, ""); r.Status != 200 {
		t.Fatalf("self-rating: %d %s, want accepted", r.Status, r.Body)
	}
	// Then from another network, with the phone's browser, on the
	// enterprise's page.
	if r := e.fromAddr(t, "203.0.113.9", "POST", "/e/"+target.ID+"/rating?"+licence.RawQuery, "", formType, goodScore+"&task="+task.ID, "fc_device=self-phone-a"); r.Status != 200 {
		t.Fatalf("rating from the phone's browser: %d %s, want accepted", r.Status, r.Body)
	}
	// The enterprise's own rating, from its network, is not suspect.
	if r := e.fromAddr(t, shopAddr, "POST", "/e/"+target.ID+"/rating?"+licence.RawQuery, "", formType, goodScore+"&task="+task.ID, ""); r.Status != 200 {
		t.Fatalf("the enterprise's rating: %d %s", r.Status, r.Body)
	}
	got := e.ratings(t)
	if len(got) != 3 {
		t.Fatalf("ratings %+v", got)
	}
	for i, want := range []struct {
		flagged   bool
		suspicion string
	}{
		{true, "client address " + phoneAddr + " was used by team member inspector"},
		{true, "device self-phone-a was used by team member inspector"},
		{false, ""},
	} {
		r := got[i]
		if flagged := slices.Contains(r.Flags, backend.FlagSuspectedSelfRating); flagged != want.flagged || !strings.HasPrefix(r.Suspicion, want.suspicion) {
			t.Fatalf("rating %d (%s from %s): flags %v suspicion %q; want flagged %v, %q", i+1, r.Channel, r.ClientAddr, r.Flags, r.Suspicion, want.flagged, want.suspicion)
		}
	}

	// Names on the pages are text, never markup.
	if err := e.m.Stores.Inspectors.UpdateInspector(context.Background(), func() *backend.Inspector {
		in, _ := e.m.Stores.Inspectors.FindInspectorByID(context.Background(), "ins-9")
		in.Name = "<script>alert(1)</script>"
		return in
	}()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{page, licence.RequestURI()} {
		r := e.fromAddr(t, shopAddr, "GET", p, "", "", "", "")
		if strings.Contains(string(r.Body), "<script>alert") || !strings.Contains(string(r.Body), "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatalf("%s renders a name as HTML: %s", p, r.Body)
		}
	}
}
