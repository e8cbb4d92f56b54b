package api_test

// Probes of issue 12's holes 5, 6, 8 and 9 (separation of duties, ratings,
// check-in devices, required photos), each over HTTP as the attacker made
// it.

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
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// loginDevice opens a phone session of user on device and returns its
// access token.
func (e *env) loginDevice(t *testing.T, user, device string) string {
	t.Helper()
	r := e.doT(t, "POST", "/mobile/v1/auth/login", "", "application/json",
		strings.NewReader(`{"username":"`+user+`","password":"`+testPassword+`","device":{"id":"`+device+`","platform":"android"}}`))
	if r.Status != 200 {
		t.Fatalf("mobile login %s on %s: %d %s", user, device, r.Status, r.Body)
	}
	var tok struct{ AccessToken string }
	r.json(t, &tok)
	return tok.AccessToken
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
		Start: backend.DateOf(time.Now()), End: "2099-12-31", Due: "2099-12-31", Checklist: cl, Status: backend.TaskAccepted,
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

// checkIn checks the phone in at the task's target with its licence code,
// through the phones' API.
func (e *env) checkIn(t *testing.T, phone, id string, task *backend.Task) *backend.CheckIn {
	t.Helper()
	body := fmt.Sprintf(`{"id":%q,"code":%q,"taskId":%q,"position":{"lat":26.26,"lng":117.63},"accuracyM":10,"deviceTime":%q}`,
		id, e.licenceCode(t, task.TargetID), task.ID, time.Now().UTC().Format(time.RFC3339))
	r := e.doT(t, "POST", "/mobile/v1/checkins", phone, "application/json", strings.NewReader(body))
	if r.Status != 201 {
		t.Fatalf("check-in %s: %d %s", id, r.Status, r.Body)
	}
	var c backend.CheckIn
	r.json(t, &c)
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
	r := e.doT(t, "POST", "/mobile/v1/sync", phone, "application/json", bytes.NewReader(body))
	if r.Status != 200 {
		t.Fatalf("push: %d %s", r.Status, r.Body)
	}
	var resp fcsync.PushResponse
	r.json(t, &resp)
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
