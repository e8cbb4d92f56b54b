package api_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// creditForm is a filing's multipart body and its content type.
func creditForm(t *testing.T, subject, text, contact string, files ...[2]string) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, kv := range [][2]string{{"subject", subject}, {"text", text}, {"contact", contact}} {
		if err := w.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		fw, err := w.CreateFormFile("attachment", f[0])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(f[1]))
	}
	w.Close()
	return w.FormDataContentType(), &b
}

// publishForTest approves task id with the result code and has the
// manager publish it.
func publishForTest(t *testing.T, e *env, id string, code backend.ResultCode, mgr string) {
	t.Helper()
	tk := apptest.MustSubmit(t, e.m.Stores.Tasks, id, time.Now())
	if _, err := backend.UpdateTaskWith(context.Background(), e.m.Stores.Tasks, id, func(tk *backend.Task) (bool, error) {
		tk.Result.Code, tk.Result.Label = code, code.Label()
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	reviewer := backend.WithActor(context.Background(), &backend.Actor{UserID: "lead.reviewer", Role: backend.RoleReviewer, Departments: []string{"scjg"}, ClientAddr: "test", Fresh: true})
	if _, err := e.m.Planning.Transition(reviewer, id, planning.TransitionRequest{To: backend.TaskApproved, Version: tk.Version + 1}); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/v1/results/"+id+"/publish", mgr, "", nil); r.Status != 200 {
		t.Fatalf("publish %s: %d %s", id, r.Status, r.Body)
	}
}

// TestCreditAPI: through HTTP, a listing proposal is decided by the lead
// department's manager only; the licence page's filing form takes a
// filing with a PDF and refuses bad ones with a Chinese page (400) and a
// flood (429); the answer is published on the portal without the phone.
func TestCreditAPI(t *testing.T) {
	e, tasks := newReviewEnv(t)
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	if err := e.m.Users.CreateUser(sys, &backend.User{ID: "other.manager", DisplayName: "卫健经理", Role: backend.RoleManager, Departments: []string{"wsjk"}}, testPassword); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tk := range tasks {
		if !tk.Unassigned && len(ids) < 2 {
			ids = append(ids, tk.ID)
		}
	}
	mgr := e.login("test.manager")
	publishForTest(t, e, ids[0], backend.ResultUnreachable, mgr)
	publishForTest(t, e, ids[1], backend.ResultFollowUp, mgr)
	listedTask, _ := e.m.Stores.Tasks.FindTaskByID(context.Background(), ids[0])
	objTask, _ := e.m.Stores.Tasks.FindTaskByID(context.Background(), ids[1])

	e.run(t, []scenario{
		{Name: "OK/Queue", Method: "GET", URL: "/api/v1/credit/queue", User: "test.manager", WantStatus: 200, WantContent: []string{`"resultId":"` + ids[0] + `"`}},
		{Name: "ErrQueueInspector", Method: "GET", URL: "/api/v1/credit/queue", User: "test.inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrQueueAnonymous", Method: "GET", URL: "/api/v1/credit/queue", WantStatus: 401},
		{Name: "ErrListingOtherDepartment", Method: "POST", URL: "/api/v1/results/" + ids[0] + "/listing", User: "other.manager", Body: `{"list":true,"reason":"无法联系"}`, WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrListingUnknownField", Method: "POST", URL: "/api/v1/results/" + ids[0] + "/listing", User: "test.manager", Body: `{"list":true,"reason":"无法联系","state":"removed"}`, WantStatus: 400},
		{Name: "ErrListingNoReason", Method: "POST", URL: "/api/v1/results/" + ids[0] + "/listing", User: "test.manager", Body: `{"list":true,"reason":" "}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrListingNotProposed", Method: "POST", URL: "/api/v1/results/" + ids[1] + "/listing", User: "test.manager", Body: `{"list":true,"reason":"无法联系"}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/List", Method: "POST", URL: "/api/v1/results/" + ids[0] + "/listing", User: "test.manager", Body: `{"list":true,"reason":"经实地核查无法联系"}`, WantStatus: 200, WantContent: []string{`"state":"listed"`}},
		{Name: "ErrListTwice", Method: "POST", URL: "/api/v1/results/" + ids[0] + "/listing", User: "test.manager", Body: `{"list":false,"reason":"再议"}`, WantStatus: 409},
		{Name: "OK/PortalListed", Method: "GET", URL: "/public/enterprises/" + listedTask.TargetID + "?format=json", WantStatus: 200, WantContent: []string{`"state":"listed"`, "通过登记的住所（经营场所）无法联系"}},
		{Name: "ErrCreditInspector", Method: "GET", URL: "/api/v1/targets/" + listedTask.TargetID + "/credit", User: "test.inspector", WantStatus: 403},
		{Name: "OK/CreditRecord", Method: "GET", URL: "/api/v1/targets/" + listedTask.TargetID + "/credit", User: "test.manager", WantStatus: 200, WantContent: []string{`"creditClass":"D"`}},
	})

	code, err := e.m.Codes.SignEnterpriseCode(context.Background(), objTask.TargetID)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(code.String())
	action := "/e/credit/" + objTask.TargetID + "?" + u.RawQuery
	subject := "objection:" + ids[1]
	const text = "检查当日我单位正常营业，结果有误。"
	pdf := [2]string{"营业照片.pdf", "%PDF-1.4\n%%EOF\n"}

	ct, body := creditForm(t, subject, text, "13912345678", pdf)
	if r := e.do("POST", action, "", ct, body); r.Status != 200 || !strings.Contains(string(r.Body), "申请已受理") {
		t.Fatalf("filing: %d %s", r.Status, r.Body)
	}
	type badFiling struct {
		name, url, ct string
		body          *bytes.Buffer
		status        int
		want          string
	}
	var bad []badFiling
	add := func(name, url string, status int, want string, ct string, body *bytes.Buffer) {
		bad = append(bad, badFiling{name, url, ct, body, status, want})
	}
	ct, body = creditForm(t, subject, text, "13912345678", pdf)
	add("ErrTwice", action, 409, "已有一份同样的申请", ct, body)
	ct, body = creditForm(t, "objection:"+ids[1], text, "8888")
	add("ErrPhone", action, 400, "联系电话", ct, body)
	ct, body = creditForm(t, subject, text, "13912345678", [2]string{"a.exe", "MZ\x90\x00"})
	add("ErrFileType", action, 400, "不是 PDF、JPEG 或 PNG", ct, body)
	add("ErrNotMultipart", action, 400, "表单", "application/x-www-form-urlencoded", bytes.NewBufferString("subject=x"))
	ct, body = creditForm(t, subject, text, "13912345678")
	add("ErrForgedCode", "/e/credit/"+objTask.TargetID+"?k=AAAAAAAA&s="+strings.Repeat("A", 86), 400, "二维码", ct, body)
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			r := e.do("POST", b.url, "", b.ct, b.body)
			if r.Status != b.status || !strings.Contains(string(r.Body), b.want) || !strings.Contains(string(r.Body), "申请未能提交") {
				t.Fatalf("%d %s, want %d with %q", r.Status, r.Body, b.status, b.want)
			}
		})
	}
	// Four counted for the enterprise (the forged code is refused before
	// any count): the sixth of the day is refused.
	ct, body = creditForm(t, subject, "", "13912345678")
	if r := e.do("POST", action, "", ct, body); r.Status != 400 {
		t.Fatalf("5th filing: %d, want 400 (its own fault, still counted)", r.Status)
	}
	ct, body = creditForm(t, subject, text, "13912345678")
	if r := e.do("POST", action, "", ct, body); r.Status != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "过多") {
		t.Fatalf("6th filing of the day: %d %q %s, want 429", r.Status, r.Header.Get("Retry-After"), r.Body)
	}

	var q planning.CreditQueue
	e.do("GET", "/api/v1/credit/queue", mgr, "", nil).JSON(t, &q)
	if len(q.Applications) != 1 || q.Applications[0].Contact != "13912345678" || len(q.Applications[0].Attachments) != 1 {
		t.Fatalf("queue %+v, want the one filing with its phone and PDF", q.Applications)
	}
	a := q.Applications[0]
	if r := e.do("GET", "/api/v1/credit/applications/"+a.ID+"/attachments/0", mgr, "", nil); r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(r.Body, []byte("%PDF-")) {
		t.Fatalf("attachment: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	decision := func(outcome, reason string) string {
		return fmt.Sprintf(`{"version":%d,"outcome":%q,"reason":%q}`, a.Version, outcome, reason)
	}
	path := "/api/v1/credit/applications/" + a.ID
	e.run(t, []scenario{
		{Name: "ErrAttachmentOtherDepartment", Method: "GET", URL: path + "/attachments/0", User: "other.manager", WantStatus: 403},
		{Name: "ErrAttachmentNumber", Method: "GET", URL: path + "/attachments/x", User: "test.manager", WantStatus: 400},
		{Name: "ErrAttachmentMissing", Method: "GET", URL: path + "/attachments/5", User: "test.manager", WantStatus: 404},
		{Name: "ErrDecideOtherDepartment", Method: "POST", URL: path + "/decision", User: "other.manager", Body: decision("upheld", "维持原结果"), WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrDecideOutcome", Method: "POST", URL: path + "/decision", User: "test.manager", Body: decision("granted", "准予"), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrDecideStaleVersion", Method: "POST", URL: path + "/decision", User: "test.manager", Body: strings.Replace(decision("upheld", "维持"), fmt.Sprintf(`"version":%d`, a.Version), `"version":99`, 1), WantStatus: 409},
		{Name: "OK/Upheld", Method: "POST", URL: path + "/decision", User: "test.manager", Body: decision("upheld", "经复核，检查结果无误"), WantStatus: 200, WantContent: []string{`"state":"decided"`}},
		{Name: "OK/PortalAnswer", Method: "GET", URL: "/public/enterprises/" + objTask.TargetID + "?format=json", WantStatus: 200, WantContent: []string{`"outcome":"维持"`, "经复核，检查结果无误"},
			After: func(t *testing.T, r *response) {
				for _, secret := range []string{"13912345678", "test.manager", text} {
					if bytes.Contains(r.Body, []byte(secret)) {
						t.Fatalf("the portal shows %q", secret)
					}
				}
			}},
	})
}
