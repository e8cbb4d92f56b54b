package api_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/visit"
)

func TestInspectionCodeAndPages(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	ctx := context.Background()
	page, _ := e.m.Stores.Targets.FindTargets(ctx, backend.TargetFilter{}, backend.PageRequest{Limit: 1})
	target := page.Items[0]
	task := &backend.Task{ID: "task-v1", Random: true, DrawID: "2026-scjg-x-v1-d1", TargetID: target.ID, TargetName: target.Name,
		Items: []string{"SCJG-03"}, Method: backend.MethodOnSite, LeadDepartment: "scjg", Departments: []string{"scjg"},
		Team: []string{"ins-0", "ins-1"}, TeamUsers: []string{"inspector"}, Status: backend.TaskAccepted}
	if err := e.m.Stores.Tasks.CreateTasks(ctx, []*backend.Task{task}); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/mobile/v1/auth/login", "", "application/json", strings.NewReader(`{"username":"inspector","password":"`+testPassword+`","device":{"id":"pages-test-phone","platform":"android"}}`))
	var tok struct{ AccessToken string }
	r.JSON(t, &tok)
	phone := tok.AccessToken

	r = e.do("POST", "/mobile/v1/tasks/task-v1/code", phone, "", nil)
	if r.Status != 201 {
		t.Fatalf("issue code: %d %s", r.Status, r.Body)
	}
	var code struct {
		URL       string
		ExpiresAt time.Time
	}
	r.JSON(t, &code)
	u, err := url.Parse(code.URL)
	if err != nil || !strings.HasPrefix(u.Path, "/v/") {
		t.Fatalf("code URL %q", code.URL)
	}
	// Valid for the rest of the working day (Asia/Shanghai), at least
	// ten minutes, so that the phone can show it offline.
	if d, want := code.ExpiresAt.Sub(time.Now()), visit.CodeValidityAt(time.Now()); d < want-time.Minute || d > want+time.Minute {
		t.Fatalf("code valid for %v, want %v", d, want)
	}
	token := strings.TrimPrefix(u.Path, "/v/")
	flipped := []byte(token)
	if flipped[20] == 'A' {
		flipped[20] = 'B'
	} else {
		flipped[20] = 'A'
	}
	e.run(t, []scenario{
		{Name: "ErrOtherTeamsCode", Method: "POST", URL: "/mobile/v1/tasks/nope/code", Token: phone, WantStatus: 404, WantCode: "not_found"},
		{Name: "OK/GenuinePage", Method: "GET", URL: u.Path, WantStatus: 200, WantContent: []string{"检查真实有效", target.Name, "SC0000", "SC0001", "食品经营许可及经营行为检查", "/public/draws/2026-scjg-x-v1-d1",
			// Before the team checks in, no rating form, only why.
			`<p id="no-rating">检查人员尚未在贵单位现场签到`}},
		{Name: "ErrTamperedPage", Method: "GET", URL: "/v/" + string(flipped), WantStatus: 200, WantContent: []string{"检查码无效"}},
		{Name: "ErrGarbagePage", Method: "GET", URL: "/v/hello", WantStatus: 200, WantContent: []string{"检查码无效", "格式不正确"}},
	})
	// Past its expiry and the clock skew tolerated, the same code has
	// expired.
	e.m.Codes.Now = func() time.Time { return code.ExpiresAt.Add(e.m.Codes.Leeway + time.Minute) }
	e.run(t, []scenario{{Name: "ErrExpiredPage", Method: "GET", URL: u.Path, WantStatus: 200, WantContent: []string{"检查码无效", "已过期"}}})
	e.m.Codes.Now = time.Now

	// The licence code opens the enterprise page.
	ec, err := e.m.Codes.SignEnterpriseCode(ctx, target.ID)
	if err != nil {
		t.Fatal(err)
	}
	eu, _ := url.Parse(ec.String())
	altered := strings.Replace(eu.RequestURI(), "&s=", "&s=x", 1)
	e.run(t, []scenario{
		{Name: "OK/EnterprisePage", Method: "GET", URL: eu.RequestURI(), WantStatus: 200, WantContent: []string{"营业执照二维码真实", target.Name, target.ID, "暂无公示"}},
		{Name: "ErrAlteredLicenceCode", Method: "GET", URL: altered, WantStatus: 200, WantContent: []string{"二维码无效", "营业执照上的二维码"}},
		{Name: "ErrUnsignedLicenceLink", Method: "GET", URL: "/e/" + target.ID, WantStatus: 200, WantContent: []string{"二维码无效", target.Name}},
	})
	// The pages speak Chinese only and take their styles from the server.
	for _, path := range []string{u.Path, eu.RequestURI(), "/e/" + target.ID, "/v/hello"} {
		r := e.do("GET", path, "", "", nil)
		if strings.Contains(r.Header.Get("Content-Security-Policy"), "unsafe-inline") || !strings.Contains(string(r.Body), "/public/assets/pages.css") {
			t.Fatalf("%s: CSP %q, body %.300s", path, r.Header.Get("Content-Security-Policy"), r.Body)
		}
		if english := regexp.MustCompile(`>[^<]*\b(the|is|not|code|valid|field)\b[^<]*<`).Find(r.Body); english != nil {
			t.Fatalf("%s shows English: %s", path, english)
		}
	}
	if r := e.do("POST", u.Path+"/rating", "", "application/x-www-form-urlencoded", strings.NewReader("happened=yes&conduct=5&professionalism=5&burden=x")); !strings.Contains(string(r.Body), "尚未在贵单位现场签到") && !strings.Contains(string(r.Body), "1 至 5 分") {
		t.Fatalf("a rating before the check-in: %d %s", r.Status, r.Body)
	}
}

func TestComplaintLimits(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	ctx := context.Background()
	page, _ := e.m.Stores.Targets.FindTargets(ctx, backend.TargetFilter{}, backend.PageRequest{Limit: 1})
	id := page.Items[0].ID
	code, err := e.m.Codes.SignEnterpriseCode(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(code.String())
	action := "/e/" + id + "/complaint?" + u.RawQuery
	form := "application/x-www-form-urlencoded"
	good := "category=conduct&text=" + url.QueryEscape("检查人员态度粗暴")
	e.run(t, []scenario{
		{Name: "ErrUnknownField", Method: "POST", URL: action, ContentType: form, Body: good + "&admin=1", WantStatus: 400, WantContent: []string{"页面上没有的内容（admin）"}},
		{Name: "ErrJSON", Method: "POST", URL: action, ContentType: "application/json", Body: `{"text":"x"}`, WantStatus: 400},
		{Name: "ErrNoCategory", Method: "POST", URL: action, ContentType: form, Body: "category=bribery&text=" + url.QueryEscape("检查人员态度粗暴"), WantStatus: 400, WantContent: []string{"请选择投诉的类别"}},
		{Name: "ErrShortText", Method: "POST", URL: action, ContentType: form, Body: "category=conduct&text=abc", WantStatus: 400, WantContent: []string{"5 至 2000 字"}},
		{Name: "ErrForgedCode", Method: "POST", URL: "/e/" + id + "/complaint?k=AAAAAAAA&s=" + strings.Repeat("A", 86), ContentType: form, Body: good, WantStatus: 400},
		{Name: "ErrOversightOnly", Method: "GET", URL: "/api/v1/complaints", User: "manager", WantStatus: 403, WantCode: "forbidden"},
	})
	for i := 1; i <= 5; i++ {
		if r := e.do("POST", action, "", form, strings.NewReader(good)); r.Status != 200 {
			t.Fatalf("complaint %d: %d %s", i, r.Status, r.Body)
		}
	}
	r := e.do("POST", action, "", form, strings.NewReader(good))
	if r.Status != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "投诉未能提交") {
		t.Fatalf("6th complaint from one address: %d %q", r.Status, r.Header.Get("Retry-After"))
	}
	list := e.do("GET", "/api/v1/complaints", e.login("admin"), "", nil)
	var got struct{ Items []backend.Complaint }
	list.JSON(t, &got)
	if len(got.Items) != 5 {
		t.Fatalf("%d complaints stored, want 5 (the flood is refused, nothing else lost)", len(got.Items))
	}
}
