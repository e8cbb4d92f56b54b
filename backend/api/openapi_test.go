package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api/openapitest"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// TestOpenAPICoversRoutes compares the document served at
// /api/v1/openapi.json with the routes Fiber actually has registered.
func TestOpenAPICoversRoutes(t *testing.T) {
	e := newEnv(t)
	documented := map[string]bool{}
	// The back office's document and the phones' document together cover
	// every route, and neither covers the other's.
	for _, d := range []struct{ url, prefix string }{{"/api/v1/openapi.json", ""}, {"/mobile/v1/openapi.json", "/mobile/"}} {
		r := e.do("GET", d.url, "", "", nil)
		if r.Status != 200 {
			t.Fatalf("%s: status=%d", d.url, r.Status)
		}
		var doc struct {
			OpenAPI string                                `json:"openapi"`
			Paths   map[string]map[string]json.RawMessage `json:"paths"`
		}
		r.JSON(t, &doc)
		if doc.OpenAPI != "3.1.0" {
			t.Fatalf("%s: openapi=%q, want 3.1.0", d.url, doc.OpenAPI)
		}
		for p, ops := range doc.Paths {
			if strings.HasPrefix(p, "/mobile/") != (d.prefix != "") {
				t.Fatalf("%s documents %s", d.url, p)
			}
			for m := range ops {
				documented[strings.ToUpper(m)+" "+p] = true
			}
		}
	}
	registered := map[string]bool{}
	routes := e.m.HTTP.App().GetRoutes(true)
	gets := map[string]bool{}
	for _, rt := range routes {
		gets[rt.Path] = gets[rt.Path] || rt.Method == "GET"
	}
	for _, rt := range routes {
		if rt.Method == "HEAD" && gets[rt.Path] || rt.Path == "/" || strings.HasSuffix(rt.Path, "*") {
			continue // Fiber adds HEAD for each GET; "/" and "*" are middleware
		}
		registered[rt.Method+" "+httpkit.OpenAPIPath(rt.Path)] = true
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("routes not documented: %v\ndocumented but not registered: %v", missing, extra)
	}
	if len(registered) < 30 {
		t.Fatalf("only %d routes registered; the route list looks wrong", len(registered))
	}
}

// TestOpenAPIEnums: fields with a fixed set of values list them, so that
// generated clients get enumerations.
func TestOpenAPIEnums(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/mobile/v1/openapi.json", "", "", nil)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	r.JSON(t, &doc)
	for _, c := range []struct{ schema, field, value string }{
		{"Mutation", "entity", "evidence"},
		{"MutationResult", "status", "duplicate"},
		{"TaskPayload", "to", "accepted"},
		{"ResultInput", "code", "no-problem"},
		{"EvidenceInput", "type", "photo"},
	} {
		enum := doc.Components.Schemas[c.schema].Properties[c.field].Enum
		if !slices.Contains(enum, c.value) {
			t.Errorf("%s.%s enum %v lacks %q", c.schema, c.field, enum, c.value)
		}
	}
}

// TestOpenAPIDrawRequests: the requests that publish and draw a plan
// describe the entropy source and the value (doc tags), and the source's
// codes are listed.
func TestOpenAPIDrawRequests(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/openapi.json", "", "", nil)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Description string   `json:"description"`
					Enum        []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	r.JSON(t, &doc)
	for _, c := range []struct{ schema, field, want string }{
		{"DrawRequest", "value", "canonical form"},
		{"DrawRequest", "redraw", "drawn once"},
		{"PublishRequest", "entropySource", "future public random event"},
		{"PlanUpdateRequest", "entropySource", "future public random event"},
		{"EntropySource", "issue", "期号"},
	} {
		if got := doc.Components.Schemas[c.schema].Properties[c.field].Description; !strings.Contains(got, c.want) {
			t.Errorf("%s.%s description %q lacks %q", c.schema, c.field, got, c.want)
		}
	}
	if enum := doc.Components.Schemas["EntropySource"].Properties["source"].Enum; !slices.Contains(enum, "drand-quicknet") {
		t.Errorf("EntropySource.source enum %v", enum)
	}
	if _, ok := doc.Components.Schemas["DrawRequest"].Properties["publicEntropy"]; ok {
		t.Error("DrawRequest still takes publicEntropy")
	}
}

// TestOpenAPIDocumentsValid validates every document the server serves
// with kin-openapi, as OpenAPI 3.1 (JSON Schema 2020-12), and shows on
// broken copies that the validation catches a broken document.
func TestOpenAPIDocumentsValid(t *testing.T) {
	e := newEnv(t)
	bodies := map[string][]byte{}
	for _, path := range openapitest.Documents {
		r := e.do("GET", path, "", "", nil)
		bodies[path] = r.Body
		t.Run("OK"+path, func(t *testing.T) {
			doc, err := openapitest.Parse(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			if n := doc.Paths.Len(); n < 10 {
				t.Fatalf("%d paths: the document looks empty", n)
			}
		})
	}
	tests := []struct {
		name  string
		spoil func(doc map[string]any)
	}{
		{"ErrNotOpenAPI31", func(doc map[string]any) { doc["openapi"] = "3.0.3" }},
		{"ErrDanglingReference", func(doc map[string]any) { delete(schemas(doc), "Target") }},
		{"ErrUnknownSchemaType", func(doc map[string]any) { schemas(doc)["Target"].(map[string]any)["type"] = "record" }},
		{"ErrUndeclaredPathParameter", func(doc map[string]any) {
			doc["paths"].(map[string]any)["/api/v1/nowhere/{id}"] = map[string]any{"get": map[string]any{
				"operationId": "getNowhere", "responses": map[string]any{"200": map[string]any{"description": "success"}}}}
		}},
		{"ErrDuplicateOperationID", func(doc map[string]any) {
			op := doc["paths"].(map[string]any)["/api/v1/targets"].(map[string]any)["post"].(map[string]any)
			op["operationId"] = "getTargets"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(bodies["/api/v1/openapi.json"], &doc); err != nil {
				t.Fatal(err)
			}
			tt.spoil(doc)
			broken, _ := json.Marshal(doc)
			if _, err := openapitest.Parse(broken); err == nil {
				t.Fatal("the broken document passed validation")
			}
		})
	}
}

func schemas(doc map[string]any) map[string]any {
	return doc["components"].(map[string]any)["schemas"].(map[string]any)
}

// TestOpenAPIContractCatches: the check that every test's answers go
// through (env.doT) accepts the answers the document describes and
// refuses those it does not.
func TestOpenAPIContractCatches(t *testing.T) {
	e := newEnv(t)
	c, err := openapitest.Load(e.m.HTTP.App(), openapitest.Documents...)
	if err != nil {
		t.Fatal(err)
	}
	token := e.login("manager")
	if r := e.do("POST", "/api/v1/targets", token, "application/json", strings.NewReader(targetJSON)); r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	target := string(e.do("GET", "/api/v1/targets/91440300708461136T", token, "", nil).Body)
	const url = "/api/v1/targets/91440300708461136T"
	jsonType := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name, method, url string
		status            int
		header            http.Header
		body              string
		ok                bool
	}{
		{"OK/Target", "GET", url, 200, jsonType, target, true},
		{"OK/Error", "GET", url, 404, jsonType, `{"code":"not_found","message":"no such target"}`, true},
		{"OK/ErrorOfUnknownRoute", "GET", "/api/v1/nope", 404, jsonType, `{"code":"not_found","message":"no route"}`, true},
		{"OK/NoBody", "POST", "/api/v1/auth/logout", 204, http.Header{}, "", true},
		{"ErrUnknownField", "GET", url, 200, jsonType, strings.Replace(target, `"name"`, `"owner":"x","name"`, 1), false},
		{"ErrNullString", "GET", url, 200, jsonType, strings.Replace(target, `"name":"华为技术有限公司"`, `"name":null`, 1), false},
		{"ErrWrongTypeOfList", "GET", url, 200, jsonType, strings.Replace(target, `"tags":["特种设备使用"]`, `"tags":5`, 1), false},
		{"ErrNullList", "GET", url, 200, jsonType, strings.Replace(target, `"tags":["特种设备使用"]`, `"tags":null`, 1), false},
		{"ErrMissingRequiredField", "GET", url, 200, jsonType, strings.Replace(target, `"name":"华为技术有限公司",`, ``, 1), false},
		{"ErrUndeclaredStatus", "GET", url, 201, jsonType, target, false},
		{"ErrWrongContentType", "GET", url, 200, http.Header{"Content-Type": {"text/html"}}, target, false},
		{"ErrErrorBodyShape", "GET", url, 404, jsonType, `{"error":"not found"}`, false},
		{"ErrErrorBodyExtraField", "GET", url, 400, jsonType, `{"code":"invalid","message":"x","detail":"y"}`, false},
		{"ErrErrorOfUnknownRouteShape", "GET", "/api/v1/nope", 404, jsonType, `not found`, false},
		{"ErrSuccessOfUnknownRoute", "GET", "/api/v1/nope", 200, jsonType, `{}`, false},
		{"ErrBodyWhereNoneDeclared", "POST", "/api/v1/auth/logout", 204, http.Header{"Content-Type": {"text/plain"}}, "No Content", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.url, nil)
			err := c.Check(req, tt.status, tt.header, []byte(tt.body))
			if (err == nil) != tt.ok {
				t.Fatalf("Check = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestOpenAPIAnswersOfTheDirectoryAndUsers walks the directory, item and
// account routes that other tests do not reach through env.doT, so that
// their answers too are checked against the document.
func TestOpenAPIAnswersOfTheDirectoryAndUsers(t *testing.T) {
	e := newEnv(t)
	inspector := `{"id":"ins-zhang","name":"张三","departmentId":"scjg","certNo":"SC350404001","certExpiry":"2028-06-30","specialties":["食品安全"],"active":true}`
	expert := `{"id":"exp-wang","name":"王专家","organisation":"福州大学","specialties":["特种设备"],"conflicts":[],"active":true}`
	item := `{"code":"SCJG-SPAQ-01","name":"食品经营许可及经营行为检查","legalBasis":"《中华人民共和国食品安全法》第八十七条","departmentId":"scjg",
	 "targetKind":"enterprise","content":"检查食品经营许可证","method":"onsite","category":"key"}`
	versioned := func(body string) string { return strings.Replace(body, `{`, `{"version":1,`, 1) }
	e.run(t, []scenario{
		{Name: "OK/CreateDepartment", Method: "POST", URL: "/api/v1/departments", User: "admin", Body: `{"id":"lyj","name":"林业局"}`, WantStatus: 201},
		{Name: "OK/UpdateDepartment", Method: "PUT", URL: "/api/v1/departments/lyj", User: "admin", Body: `{"id":"lyj","name":"林业局（森林防火）","version":1}`, WantStatus: 200},
		{Name: "OK/CreateExpert", Method: "POST", URL: "/api/v1/experts", User: "admin", Body: expert, WantStatus: 201},
		{Name: "OK/ListExperts", Method: "GET", URL: "/api/v1/experts", User: "reviewer", WantStatus: 200, WantContent: []string{"exp-wang"}},
		{Name: "OK/GetExpert", Method: "GET", URL: "/api/v1/experts/exp-wang", User: "reviewer", WantStatus: 200},
		{Name: "OK/UpdateExpert", Method: "PUT", URL: "/api/v1/experts/exp-wang", User: "admin", Body: versioned(expert), WantStatus: 200},
		{Name: "OK/CreateInspector", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: inspector, WantStatus: 201},
		{Name: "OK/GetInspector", Method: "GET", URL: "/api/v1/inspectors/ins-zhang", User: "reviewer", WantStatus: 200},
		{Name: "OK/UpdateInspector", Method: "PUT", URL: "/api/v1/inspectors/ins-zhang", User: "manager", Body: versioned(inspector), WantStatus: 200},
		{Name: "OK/CreateItem", Method: "POST", URL: "/api/v1/items", User: "manager", Body: item, WantStatus: 201},
		{Name: "OK/ListItems", Method: "GET", URL: "/api/v1/items", User: "inspector", WantStatus: 200, WantContent: []string{"SCJG-SPAQ-01"}},
		{Name: "OK/GetItem", Method: "GET", URL: "/api/v1/items/SCJG-SPAQ-01", User: "inspector", WantStatus: 200},
		{Name: "OK/UpdateItem", Method: "PUT", URL: "/api/v1/items/SCJG-SPAQ-01", User: "manager", Body: versioned(item), WantStatus: 200},
		{Name: "OK/Me", Method: "GET", URL: "/api/v1/me", User: "manager", WantStatus: 200, WantContent: []string{`"id":"manager"`}},
		{Name: "OK/ListUsers", Method: "GET", URL: "/api/v1/users", User: "admin", WantStatus: 200},
		{Name: "OK/GetUser", Method: "GET", URL: "/api/v1/users/manager", User: "admin", WantStatus: 200},
		{Name: "OK/CreateUser", Method: "POST", URL: "/api/v1/users", User: "admin", Body: `{"id":"new.reviewer","displayName":"李审核","role":"reviewer","departments":["scjg"],"password":"another-horse-battery"}`, WantStatus: 201},
		{Name: "OK/DisableUser", Method: "POST", URL: "/api/v1/users/new.reviewer/disable", User: "admin", WantStatus: 200},
		{Name: "OK/EnableUser", Method: "POST", URL: "/api/v1/users/new.reviewer/enable", User: "admin", WantStatus: 200},
		{Name: "OK/ResetPasswordGenerated", Method: "POST", URL: "/api/v1/users/new.reviewer/reset-password", User: "admin", Body: `{"password":""}`, WantStatus: 200, WantContent: []string{`"password":"`}},
	})
	r := e.do("POST", "/api/v1/auth/login", "", "application/json", strings.NewReader(`{"username":"reviewer","password":"`+testPassword+`"}`))
	var tok struct{ RefreshToken string }
	r.JSON(t, &tok)
	r = e.do("POST", "/api/v1/auth/refresh", "", "application/json", strings.NewReader(`{"refreshToken":"`+tok.RefreshToken+`"}`))
	if r.Status != 200 {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &tok)
	if r := e.do("POST", "/api/v1/auth/logout", "", "application/json", strings.NewReader(`{"refreshToken":"`+tok.RefreshToken+`"}`)); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
}

// TestOpenAPISchemasAsEncoded: the schemas say what the answers' encoder
// (apijson) writes — a nil pointer without omitempty as null, a nil list
// or map as [] or {}, never null; the fields of an embedded struct as the
// outer one's — and two types of one name from two packages get two
// schemas.
func TestOpenAPISchemasAsEncoded(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	e.do("GET", "/api/v1/openapi.json", "", "", nil).JSON(t, &doc)
	s := doc.Components.Schemas
	for _, c := range []struct{ schema, field, want string }{
		{"Task", "answers", `"type":"object"`},
		{"Task", "evidence", `"type":"array"`},
		{"Task", "checklist", `"items":{"$ref":"#/components/schemas/ChecklistRef"},"type":"array"`},
		{"Task", "result", `"$ref":"#/components/schemas/Result"`}, // omitempty: absent, never null
		{"Task", "items", `"type":"array"`},
		{"Selection", "team", `"type":"array"`},
		{"PublicPlan", "current", `{"anyOf":[{"$ref":"#/components/schemas/PlanVersion"},{"type":"null"}]}`}, // a nil pointer: null // from the embedded draw.Assignment
		{"Selection", "id", `"type":"string"`},
		{"Record", "inspectors", `"$ref":"#/components/schemas/DrawInspector"`},
		{"DrawInspector", "openTasks", `"type":"integer"`},
		{"Inspector", "certNo", `"type":"string"`},
	} {
		if got := string(s[c.schema].Properties[c.field]); !strings.Contains(strings.ReplaceAll(got, " ", ""), c.want) {
			t.Errorf("%s.%s = %s, want it to contain %s", c.schema, c.field, got, c.want)
		}
	}
	if !slices.Contains(s["Selection"].Required, "eligibleInspectors") {
		t.Errorf("Selection.required %v lacks the embedded eligibleInspectors", s["Selection"].Required)
	}
}

// TestOpenAPIAnswersOfTheTaskRoutes walks the task routes of both APIs
// that other tests do not reach through env.doT, so that their answers too
// are checked against the documents.
func TestOpenAPIAnswersOfTheTaskRoutes(t *testing.T) {
	e, tasks := newReviewEnv(t)
	i := slices.IndexFunc(tasks, func(tk *backend.Task) bool { return len(tk.TeamUsers) > 0 })
	j := slices.IndexFunc(tasks, func(tk *backend.Task) bool { return tk.ID != tasks[max(i, 0)].ID })
	if i < 0 || j < 0 {
		t.Fatal("the draw gave no task with a login on its team, or a single task")
	}
	task, other := tasks[i], tasks[j]
	phone := e.fieldPhone(task.TeamUsers[0])
	var officers struct {
		Items []struct{ ID string } `json:"items"`
	}
	e.do("GET", "/api/v1/inspectors?department=scjg", e.login("test.manager"), "", nil).JSON(t, &officers)
	if len(officers.Items) < 2 {
		t.Fatalf("%d officers of scjg", len(officers.Items))
	}
	due := backend.DateOf(time.Now().AddDate(0, 0, 10))
	adHoc := fmt.Sprintf(`{"targetId":%q,"items":["SCJG-03"],"team":[%q,%q],"trigger":{"kind":"complaint","reference":"TS-2026-0001","reason":"消费者投诉"},"due":%q}`,
		task.TargetID, officers.Items[0].ID, officers.Items[1].ID, due)
	e.run(t, []scenario{
		{Name: "OK/PhoneListsTasks", Method: "GET", URL: "/mobile/v1/tasks", Token: phone.token, WantStatus: 200, WantContent: []string{task.ID}},
		{Name: "OK/PhoneGetsTask", Method: "GET", URL: "/mobile/v1/tasks/" + task.ID, Token: phone.token, WantStatus: 200},
		{Name: "OK/PhoneAccepts", Method: "POST", URL: "/mobile/v1/tasks/" + task.ID + "/transitions", Token: phone.token,
			Body: fmt.Sprintf(`{"to":"accepted","version":%d}`, task.Version), WantStatus: 200, WantContent: []string{`"status":"accepted"`}},
		{Name: "OK/TusOptions", Method: "OPTIONS", URL: "/mobile/v1/uploads", WantStatus: 204},
		{Name: "OK/ManagerCancels", Method: "POST", URL: "/api/v1/tasks/" + other.ID + "/transitions", User: "test.manager",
			Body: fmt.Sprintf(`{"to":"cancelled","version":%d,"comment":"企业已注销"}`, other.Version), WantStatus: 200, WantContent: []string{`"status":"cancelled"`}},
		{Name: "OK/AdHocTask", Method: "POST", URL: "/api/v1/tasks", User: "test.manager", Body: adHoc, WantStatus: 201, WantContent: []string{`"random":false`}},
		{Name: "OK/ClosePlan", Method: "POST", URL: "/api/v1/plans/" + task.PlanID + "/close", User: "test.manager", WantStatus: 200},
	})
}
