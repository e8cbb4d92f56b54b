package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestSetRole(t *testing.T) {
	e := newEnv(t)
	const url = "/api/v1/users/reviewer/role"
	reviewerToken := e.login("reviewer")
	phone := e.mustMobileLogin(t, "inspector", "phone-role-01")
	e.run(t, []scenario{
		{Name: "ErrManager", Method: "PUT", URL: url, User: "manager", Body: `{"role":"manager","departments":["scjg"]}`, WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrNoToken", Method: "PUT", URL: url, Body: `{"role":"manager","departments":["scjg"]}`, WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "ErrOwnRole", Method: "PUT", URL: "/api/v1/users/admin/role", User: "admin", Body: `{"role":"manager","departments":["scjg"]}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"your own role"}},
		{Name: "ErrUnknownRole", Method: "PUT", URL: url, User: "admin", Body: `{"role":"root","departments":["scjg"]}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"role"}},
		{Name: "ErrNoDepartment", Method: "PUT", URL: url, User: "admin", Body: `{"role":"manager","departments":[]}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"at least one department"}},
		{Name: "ErrUnknownDepartment", Method: "PUT", URL: url, User: "admin", Body: `{"role":"manager","departments":["nope"]}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"unknown department"}},
		{Name: "ErrMalformedDepartment", Method: "PUT", URL: url, User: "admin", Body: `{"role":"manager","departments":["$ne"]}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrTooManyDepartments", Method: "PUT", URL: url, User: "admin", Body: `{"role":"manager","departments":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownField", Method: "PUT", URL: url, User: "admin", Body: `{"role":"manager","departments":["scjg"],"disabled":false}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownUser", Method: "PUT", URL: "/api/v1/users/nobody/role", User: "admin", Body: `{"role":"manager","departments":["scjg"]}`, WantStatus: 404, WantCode: "not_found"},
		{Name: "OK/Unchanged", Method: "PUT", URL: url, User: "admin", Body: `{"role":"reviewer","departments":["scjg"]}`, WantStatus: 200, WantContent: []string{`"role":"reviewer"`}},
	})
	// Nothing changed: the reviewer's session goes on.
	if r := e.do("GET", "/api/v1/me", reviewerToken, "", nil); r.Status != 200 {
		t.Fatalf("reviewer after an unchanged role: %d %s, want 200", r.Status, r.Body)
	}
	e.run(t, []scenario{
		{Name: "OK/ReviewerToManager", Method: "PUT", URL: url, User: "admin", Body: `{"role":"manager","departments":["scjg","yjgl"]}`, WantStatus: 200,
			WantContent: []string{`"role":"manager"`, `"departments":["scjg","yjgl"]`}},
		{Name: "OK/InspectorToOversight", Method: "PUT", URL: "/api/v1/users/inspector/role", User: "admin", Body: `{"role":"oversight","departments":[]}`, WantStatus: 200, WantContent: []string{`"role":"oversight"`}},
		{Name: "OK/AdminMayMakeAnotherAdmin", Method: "PUT", URL: "/api/v1/users/manager/role", User: "admin", Body: `{"role":"admin"}`, WantStatus: 200, WantContent: []string{`"role":"admin"`, `"departments":[]`}},
		{Name: "OK/Audit", Method: "GET", URL: "/api/v1/audit?objectType=user&objectId=reviewer", User: "admin", WantStatus: 200,
			WantContent: []string{`"action":"user.set_role"`, `every session ended`}},
		{Name: "OK/AuditDenied", Method: "GET", URL: "/api/v1/audit?objectType=user&objectId=admin", User: "admin", WantStatus: 200,
			WantContent: []string{`"action":"user.set_role"`, `"outcome":"denied"`, `your own role`}},
	})
	// The sessions opened with the old role are over, on the console's
	// API and on the phone's.
	if r := e.do("GET", "/api/v1/me", reviewerToken, "", nil); r.Status != 401 {
		t.Fatalf("old reviewer session after the change: %d %s, want 401", r.Status, r.Body)
	}
	if r := e.do("POST", "/mobile/v1/auth/refresh", "", "application/json", strings.NewReader(`{"refreshToken":"`+phone.RefreshToken+`"}`)); r.Status != 403 || !strings.Contains(string(r.Body), "only inspector accounts") {
		t.Fatalf("phone refresh after the inspector became oversight: %d %s, want 403 (not an inspector any more)", r.Status, r.Body)
	}
	// A new login has the new role.
	var me backend.User
	e.do("GET", "/api/v1/me", e.login("reviewer"), "", nil).JSON(t, &me)
	if me.Role != backend.RoleManager {
		t.Fatalf("role after a new login %q, want manager", me.Role)
	}
	u, err := e.m.Stores.Users.FindUserByID(context.Background(), "inspector")
	if err != nil || u.Role != backend.RoleOversight {
		t.Fatalf("stored inspector %+v, %v; want oversight", u, err)
	}
}
