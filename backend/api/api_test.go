package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
)

func TestMain(m *testing.M) { apptest.Main(m) }

const testPassword = "correct-horse-battery"

// env is a fully wired fieldcheck on a fresh database of the test store,
// with two departments and a user of each role.
type env struct {
	t testing.TB
	m *app.Main
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	m := apptest.Open(t, "")
	sys := backend.WithActor(ctx, backend.SystemActor("test"))
	for _, d := range []*backend.Department{{ID: "scjg", Name: "市场监督管理局"}, {ID: "yjgl", Name: "应急管理局"}} {
		if err := m.Directory.CreateDepartment(sys, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []*backend.User{
		{ID: "admin", DisplayName: "管理员", Role: backend.RoleAdmin},
		{ID: "manager", DisplayName: "王经理", Role: backend.RoleManager, Departments: []string{"scjg"}},
		{ID: "other.manager", DisplayName: "赵经理", Role: backend.RoleManager, Departments: []string{"yjgl"}},
		{ID: "reviewer", DisplayName: "钱审核", Role: backend.RoleReviewer, Departments: []string{"scjg"}},
		{ID: "inspector", DisplayName: "孙执法", Role: backend.RoleInspector, Departments: []string{"scjg"}},
	} {
		if err := m.Users.CreateUser(sys, u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	return &env{t: t, m: m}
}

// response is one answer of the app.
type response = apptest.Response

func (e *env) do(method, url, token, contentType string, body io.Reader) *response {
	e.t.Helper()
	return e.doT(e.t, method, url, token, contentType, body)
}

// doT runs one request through the app in process and reports failures on t.
func (e *env) doT(t testing.TB, method, url, token, contentType string, body io.Reader) *response {
	t.Helper()
	return e.send(t, apptest.NewRequest(method, url, token, contentType, body))
}

// send runs req through the app in process; every answer is checked
// against the OpenAPI documents.
func (e *env) send(t testing.TB, req *http.Request) *response {
	t.Helper()
	return apptest.Send(t, e.m, req)
}

func (e *env) login(user string) string {
	e.t.Helper()
	return e.loginWith(user, testPassword)
}

// loginWith logs user in with password and returns the access token.
func (e *env) loginWith(user, password string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/auth/login", "", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+password+`"}`))
	if r.Status != 200 {
		e.t.Fatalf("login %s: %d %s", user, r.Status, r.Body)
	}
	var tok struct {
		AccessToken  string `json:"accessToken"`
		RefreshToken string `json:"refreshToken"`
		ExpiresIn    int    `json:"expiresIn"`
	}
	r.JSON(e.t, &tok)
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.ExpiresIn <= 0 {
		e.t.Fatalf("login response %s", r.Body)
	}
	return tok.AccessToken
}

const targetJSON = `{"id":"91440300708461136T","kind":"enterprise","name":"华为技术有限公司","regionCode":"440307",
 "address":"深圳市龙岗区坂田","location":{"lat":22.65,"lng":114.06},"industry":"C3922","tags":["特种设备使用"],
 "creditClass":"A","whitelisted":false,"status":"active","keySupervision":false}`

// scenario is one request and what must come back (apptest.Scenario).
type scenario = apptest.Scenario

// run sends the scenarios as subtests, logging users in as they name them.
func (e *env) run(t *testing.T, scenarios []scenario) {
	t.Helper()
	apptest.Run(t, e.m, func(_ testing.TB, user string) string { return e.login(user) }, scenarios)
}

func TestTargetAPI(t *testing.T) {
	e := newEnv(t)
	e.run(t, []scenario{
		{Name: "OK/Create", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: targetJSON, WantStatus: 201, WantContent: []string{`"version":1`, `"id":"91440300708461136T"`}},
		{Name: "OK/Get", Method: "GET", URL: "/api/v1/targets/91440300708461136T", User: "reviewer", WantStatus: 200, WantContent: []string{"华为技术有限公司"}},
		{Name: "OK/List", Method: "GET", URL: "/api/v1/targets?credit=A&region=44", User: "reviewer", WantStatus: 200, WantContent: []string{`"items":[{`}},
		{Name: "OK/ListEmpty", Method: "GET", URL: "/api/v1/targets?credit=D", User: "reviewer", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "OK/ListSortedByName", Method: "GET", URL: "/api/v1/targets?sort=name&limit=1", User: "reviewer", WantStatus: 200, WantContent: []string{"华为技术有限公司"}},
		{Name: "OK/ListSortedByCredit", Method: "GET", URL: "/api/v1/targets?sort=creditClass&credit=A", User: "reviewer", WantStatus: 200, WantContent: []string{"华为技术有限公司"}},
		{Name: "ErrUnknownSort", Method: "GET", URL: "/api/v1/targets?sort=address", User: "reviewer", WantStatus: 400, WantCode: "invalid", WantContent: []string{"name, creditClass"}},
		{Name: "ErrCursorOfAnotherOrder", Method: "GET", URL: "/api/v1/targets?sort=name&after=91440300708461136T", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrDuplicate", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: targetJSON, WantStatus: 409, WantCode: "conflict"},
		{Name: "ErrBadCheckDigit", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: strings.Replace(targetJSON, "136T", "136U", 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{"check character"}},
		{Name: "ErrMalformedJSON", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: `{"id":`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownField", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: strings.Replace(targetJSON, `"kind"`, `"owner":"x","kind"`, 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{"owner"}},
		{Name: "ErrDollarKey", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: strings.Replace(targetJSON, `"kind"`, `"$set":{"whitelisted":true},"kind"`, 1), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrDollarInFilterValue", Method: "GET", URL: "/api/v1/targets?credit=%24ne", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrNestedOperator", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: strings.Replace(targetJSON, `"tags":["特种设备使用"]`, `"tags":{"$gt":""}`, 1), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrTrailingData", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: targetJSON + `{}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrWrongType", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: strings.Replace(targetJSON, `"whitelisted":false`, `"whitelisted":"no"`, 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{"whitelisted"}},
		{Name: "ErrContentType", Method: "POST", URL: "/api/v1/targets", User: "manager", ContentType: "text/plain", Body: targetJSON, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrEmptyBody", Method: "POST", URL: "/api/v1/targets", User: "manager", ContentType: "application/json", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrPageLimit", Method: "GET", URL: "/api/v1/targets?limit=201", User: "reviewer", WantStatus: 400, WantCode: "invalid", WantContent: []string{"200"}},
		{Name: "ErrPageLimitNotNumber", Method: "GET", URL: "/api/v1/targets?limit=abc", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrBadBool", Method: "GET", URL: "/api/v1/targets?whitelisted=maybe", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrNoToken", Method: "GET", URL: "/api/v1/targets", WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "ErrGarbageToken", Method: "GET", URL: "/api/v1/targets", Token: "not-a-jwt", WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "ErrInspectorReadsDirectory", Method: "GET", URL: "/api/v1/targets", User: "inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrReviewerWrites", Method: "POST", URL: "/api/v1/targets", User: "reviewer", Body: targetJSON, WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrNotFound", Method: "GET", URL: "/api/v1/targets/91350100M000100Y43", User: "reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrPathBodyMismatch", Method: "PUT", URL: "/api/v1/targets/91350100M000100Y43", User: "manager", Body: targetJSON, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrStaleVersion", Method: "PUT", URL: "/api/v1/targets/91440300708461136T", User: "manager", Body: strings.Replace(targetJSON, `"kind"`, `"version":9,"kind"`, 1), WantStatus: 409, WantCode: "conflict"},
		{Name: "OK/Update", Method: "PUT", URL: "/api/v1/targets/91440300708461136T", User: "manager", Body: strings.Replace(strings.Replace(targetJSON, `"kind"`, `"version":1,"kind"`, 1), `"creditClass":"A"`, `"creditClass":"B"`, 1), WantStatus: 200, WantContent: []string{`"version":2`, `"creditClass":"B"`}},
		{Name: "ErrUnknownRoute", Method: "GET", URL: "/api/v1/nope", WantStatus: 404, WantCode: "not_found"},
	})
	// None of the refused requests changed what is stored.
	tg, err := e.m.Stores.Targets.FindTargetByID(context.Background(), "91440300708461136T")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Version != 2 || tg.CreditClass != "B" || tg.Whitelisted || tg.Name != "华为技术有限公司" {
		t.Fatalf("stored target = version %d credit %s whitelisted %v name %s", tg.Version, tg.CreditClass, tg.Whitelisted, tg.Name)
	}
}

func TestInspectorAndItemAPI(t *testing.T) {
	e := newEnv(t)
	inspector := `{"id":"ins-zhang","name":"张三","departmentId":"scjg","certNo":"SC350404001","certExpiry":"2028-06-30","specialties":["食品安全"],"active":true}`
	item := `{"code":"SCJG-SPAQ-01","name":"食品经营许可及经营行为检查","legalBasis":"《中华人民共和国食品安全法》第八十七条","departmentId":"scjg",
	 "targetKind":"enterprise","content":"检查食品经营许可证","method":"onsite","category":"key"}`
	e.run(t, []scenario{
		{Name: "OK/CreateInspector", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: inspector, WantStatus: 201},
		{Name: "ErrUnknownDepartment", Method: "POST", URL: "/api/v1/inspectors", User: "admin", Body: strings.Replace(strings.Replace(inspector, `"scjg"`, `"nope"`, 1), "ins-zhang", "ins-li", 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{"unknown department"}},
		{Name: "ErrDuplicateCert", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: strings.Replace(inspector, "ins-zhang", "ins-li", 1), WantStatus: 409, WantCode: "conflict"},
		{Name: "ErrOtherDepartmentManager", Method: "POST", URL: "/api/v1/inspectors", User: "other.manager", Body: strings.Replace(inspector, "SC350404001", "SC350404002", 1), WantStatus: 403, WantCode: "forbidden"},
		{Name: "OK/ListByDepartment", Method: "GET", URL: "/api/v1/inspectors?department=scjg", User: "reviewer", WantStatus: 200, WantContent: []string{"ins-zhang"}},
		{Name: "OK/CreateItem", Method: "POST", URL: "/api/v1/items", User: "manager", Body: item, WantStatus: 201},
		{Name: "ErrKeyItemWithCap", Method: "POST", URL: "/api/v1/items", User: "manager", Body: strings.Replace(strings.Replace(item, `"category":"key"`, `"category":"key","ratioCapBp":300`, 1), "SPAQ-01", "SPAQ-02", 1), WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/Template", Method: "POST", URL: "/api/v1/items/SCJG-SPAQ-01/templates", User: "manager", Body: `{"questions":[{"id":"licence","text":"是否持有有效食品经营许可证","type":"yesno","required":true}]}`, WantStatus: 201, WantContent: []string{`"version":1`}},
		{Name: "OK/CurrentTemplate", Method: "GET", URL: "/api/v1/items/SCJG-SPAQ-01/templates/current", User: "inspector", WantStatus: 200, WantContent: []string{"licence"}},
		{Name: "OK/MergedChecklist", Method: "GET", URL: "/api/v1/checklists?items=SCJG-SPAQ-01", User: "inspector", WantStatus: 200, WantContent: []string{`"sections":[{`}},
		{Name: "ErrTemplateVersion", Method: "GET", URL: "/api/v1/items/SCJG-SPAQ-01/templates/x", User: "inspector", WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/AuditOfItem", Method: "GET", URL: "/api/v1/audit?objectType=item&objectId=SCJG-SPAQ-01", User: "admin", WantStatus: 200, WantContent: []string{`"action":"template.create"`, `"action":"item.create"`, `"actor":"manager"`}},
		{Name: "ErrAuditNotAdmin", Method: "GET", URL: "/api/v1/audit?objectType=item&objectId=SCJG-SPAQ-01", User: "manager", WantStatus: 403, WantCode: "forbidden"},
	})
}

func TestDisabledUser(t *testing.T) {
	e := newEnv(t)
	token := e.login("manager")
	admin := e.login("admin")
	if r := e.do("POST", "/api/v1/users/manager/disable", admin, "", nil); r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	// Reads and writes are refused at once.
	if r := e.do("GET", "/api/v1/departments", token, "", nil); r.Status != 401 {
		t.Fatalf("read after disable: %d, want 401", r.Status)
	}
	if r := e.do("POST", "/api/v1/targets", token, "application/json", strings.NewReader(targetJSON)); r.Status != 401 {
		t.Fatalf("write after disable: %d %s, want 401", r.Status, r.Body)
	}
	if r := e.do("POST", "/api/v1/auth/login", "", "application/json", strings.NewReader(`{"username":"manager","password":"`+testPassword+`"}`)); r.Status != 401 {
		t.Fatalf("login after disable: %d, want 401", r.Status)
	}
	if _, err := e.m.Stores.Targets.FindTargetByID(context.Background(), "91440300708461136T"); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("refused write was stored: %v", err)
	}
}

func TestExpiredToken(t *testing.T) {
	e := newEnv(t)
	token := e.login("reviewer")
	// Move the clock past the access token's lifetime.
	e.m.Auth.Now = func() time.Time { return time.Now().Add(16 * time.Minute) }
	r := e.do("GET", "/api/v1/departments", token, "", nil)
	if r.Status != 401 {
		t.Fatalf("expired token: %d, want 401", r.Status)
	}
}

func TestLoginThrottle(t *testing.T) {
	e := newEnv(t)
	bad := `{"username":"reviewer","password":"wrong-password-x"}`
	for i := 0; i < 5; i++ {
		if r := e.do("POST", "/api/v1/auth/login", "", "application/json", strings.NewReader(bad)); r.Status != 401 {
			t.Fatalf("attempt %d: %d, want 401", i+1, r.Status)
		}
	}
	r := e.do("POST", "/api/v1/auth/login", "", "application/json", strings.NewReader(`{"username":"reviewer","password":"`+testPassword+`"}`))
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("6th attempt with the right password: %d (Retry-After %q), want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	e.run(t, []scenario{
		{Name: "OK/Healthz", Method: "GET", URL: "/healthz", WantStatus: 200, WantContent: []string{"ok"}},
		{Name: "OK/Readyz", Method: "GET", URL: "/readyz", WantStatus: 200, WantContent: []string{"ready"}},
	})
	e.m.DB.Close()
	e.run(t, []scenario{
		{Name: "ErrReadyzStoreDown", Method: "GET", URL: "/readyz", WantStatus: 503, WantCode: "unavailable"},
		{Name: "OK/HealthzStoreDown", Method: "GET", URL: "/healthz", WantStatus: 200},
	})
}
