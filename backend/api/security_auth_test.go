package api_test

// Security probes of issue 12 for sessions and logins: holes 2 (sessions
// survive a password reset, a disable and a device revocation), 10 (five
// bad guesses lock any account) and 11a (every role can log in on the
// phones' API).

import (
	"context"
	"fmt"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// trustForwardedFor makes the app believe X-Forwarded-For from the
// in-process test client, so that a test can speak from many addresses.
// Call it before the first request.
func (e *env) trustForwardedFor() {
	e.m.HTTP.TrustedProxies = []string{"0.0.0.0"}
}

// doFrom is doT from the client address addr (see trustForwardedFor),
// with a JSON body when body is set.
func (e *env) doFrom(t *testing.T, addr, method, url, token, body string) *response {
	t.Helper()
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("X-Forwarded-For", addr)
	return e.send(t, req)
}

// loginFrom tries a back-office login from addr.
func (e *env) loginFrom(t *testing.T, addr, user, password string) *response {
	t.Helper()
	return e.doFrom(t, addr, "POST", "/api/v1/auth/login", "", `{"username":"`+user+`","password":"`+password+`"}`)
}

// mustLoginTokens logs user in on the back office and returns both tokens.
func (e *env) mustLoginTokens(t *testing.T, user string) tokens {
	t.Helper()
	r := e.doT(t, "POST", "/api/v1/auth/login", "", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+testPassword+`"}`))
	if r.Status != 200 {
		t.Fatalf("login %s: %d %s", user, r.Status, r.Body)
	}
	var tok tokens
	r.JSON(t, &tok)
	return tok
}

func (e *env) refresh(t *testing.T, api, refreshToken string) *response {
	t.Helper()
	return e.doT(t, "POST", api+"/auth/refresh", "", "application/json", strings.NewReader(`{"refreshToken":"`+refreshToken+`"}`))
}

// setAuthClock puts both token services (back office and phones) on clk.
func (e *env) setAuthClock(clk *clocktest.Clock) {
	e.m.Auth.Now = clk.Now
	e.m.Mobile.Now = clk.Now
}

// sessions is one user's two open sessions, back office and phone.
type sessions struct{ office, phone tokens }

func (e *env) openSessions(t *testing.T, user, device string) sessions {
	t.Helper()
	return sessions{office: e.mustLoginTokens(t, user), phone: e.mustMobileLogin(t, user, device)}
}

// wantEnded checks that every request with the sessions' tokens is
// refused: reads, writes and refreshes, on both APIs.
func (e *env) wantEnded(t *testing.T, s sessions) {
	t.Helper()
	for _, c := range []struct {
		what   string
		status int
	}{
		{"back-office read", e.doT(t, "GET", "/api/v1/me", s.office.AccessToken, "", nil).Status},
		{"back-office write", e.doT(t, "POST", "/api/v1/targets", s.office.AccessToken, "application/json", strings.NewReader(targetJSON)).Status},
		{"back-office refresh", e.refresh(t, "/api/v1", s.office.RefreshToken).Status},
		{"phone read", e.doT(t, "GET", "/mobile/v1/tasks", s.phone.AccessToken, "", nil).Status},
		{"phone write", e.doT(t, "POST", "/mobile/v1/tasks/nope/code", s.phone.AccessToken, "", nil).Status},
		{"phone refresh", e.refresh(t, "/mobile/v1", s.phone.RefreshToken).Status},
	} {
		if c.status != 401 {
			t.Errorf("%s with an ended session: status=%d, want 401", c.what, c.status)
		}
	}
}

// wantOpen checks that the sessions still read on both APIs.
func (e *env) wantOpen(t *testing.T, s sessions) {
	t.Helper()
	if r := e.doT(t, "GET", "/api/v1/me", s.office.AccessToken, "", nil); r.Status != 200 {
		t.Errorf("back-office read: status=%d %s, want 200", r.Status, r.Body)
	}
	if r := e.doT(t, "GET", "/mobile/v1/tasks", s.phone.AccessToken, "", nil); r.Status != 200 {
		t.Errorf("phone read: status=%d %s, want 200", r.Status, r.Body)
	}
}

// Hole 2: an administrator's reset, disable (even re-enabled) or "end all
// sessions" ends every session of the user at once, on both APIs, reads
// included; other users' sessions go on.
func TestSecuritySessionsEndByAdministrator(t *testing.T) {
	tests := []struct {
		name    string
		act     []string // POST paths with bodies, "path body"
		relogin string   // the password that logs in afterwards
	}{
		{"ResetPassword", []string{`/api/v1/users/inspector/reset-password {"password":"a-brand-new-password"}`}, "a-brand-new-password"},
		{"DisableThenEnable", []string{"/api/v1/users/inspector/disable", "/api/v1/users/inspector/enable"}, testPassword},
		{"EndSessions", []string{"/api/v1/users/inspector/end-sessions"}, testPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			victim := e.openSessions(t, "inspector", "phone-victim-1")
			bystander := e.mustLoginTokens(t, "manager")
			admin := e.login("admin")
			for _, a := range tt.act {
				path, body, _ := strings.Cut(a, " ")
				ct := ""
				var rb io.Reader
				if body != "" {
					ct, rb = "application/json", strings.NewReader(body)
				}
				if r := e.doT(t, "POST", path, admin, ct, rb); r.Status != 200 {
					t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
				}
			}
			e.wantEnded(t, victim)
			if r := e.doT(t, "GET", "/api/v1/me", bystander.AccessToken, "", nil); r.Status != 200 {
				t.Fatalf("another user's read: status=%d, want 200", r.Status)
			}
			if r := e.refresh(t, "/api/v1", bystander.RefreshToken); r.Status != 200 {
				t.Fatalf("another user's refresh: status=%d, want 200", r.Status)
			}
			// The user logs in again (with the new password after a reset).
			body := `{"username":"inspector","password":"` + tt.relogin + `","device":{"id":"phone-victim-1","platform":"android"}}`
			if r := e.doT(t, "POST", "/mobile/v1/auth/login", "", "application/json", strings.NewReader(body)); r.Status != 200 {
				t.Fatalf("login after the action: %d %s", r.Status, r.Body)
			}
		})
	}
}

// Hole 2: "end all sessions" is for administrators, and audited.
func TestSecurityEndSessionsRoute(t *testing.T) {
	e := newEnv(t)
	e.openSessions(t, "inspector", "phone-victim-2")
	e.run(t, []scenario{
		{Name: "ErrManager", Method: "POST", URL: "/api/v1/users/inspector/end-sessions", User: "manager", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrInspectorSelf", Method: "POST", URL: "/api/v1/users/inspector/end-sessions", User: "inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrNoToken", Method: "POST", URL: "/api/v1/users/inspector/end-sessions", WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "ErrUnknownUser", Method: "POST", URL: "/api/v1/users/nobody/end-sessions", User: "admin", WantStatus: 404, WantCode: "not_found"},
		{Name: "OK", Method: "POST", URL: "/api/v1/users/inspector/end-sessions", User: "admin", WantStatus: 200, WantContent: []string{`"id":"inspector"`}},
		{Name: "OK/Audit", Method: "GET", URL: "/api/v1/audit?objectType=user&objectId=inspector", User: "admin", WantStatus: 200,
			WantContent: []string{`"action":"user.end_sessions","objectType":"user","objectId":"inspector"`, `"actor":"admin"`, `"actor":"manager"`, `"outcome":"denied"`}},
	})
}

// Hole 2: a session that was ended is refused on reads at once, not only
// on writes: after a logout, and after the device was revoked.
func TestSecurityEndedSessionRefusedOnReads(t *testing.T) {
	e := newEnv(t)
	office := e.mustLoginTokens(t, "reviewer")
	if r := e.doT(t, "POST", "/api/v1/auth/logout", "", "application/json", strings.NewReader(`{"refreshToken":"`+office.RefreshToken+`"}`)); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := e.doT(t, "GET", "/api/v1/me", office.AccessToken, "", nil); r.Status != 401 {
		t.Fatalf("read after logout: status=%d, want 401", r.Status)
	}

	phone := e.mustMobileLogin(t, "inspector", "phone-lost-02")
	admin := e.login("admin")
	if r := e.do("POST", "/api/v1/users/inspector/devices/phone-lost-02/revoke", admin, "application/json", strings.NewReader(`{"reason":"丢失"}`)); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := e.doT(t, "GET", "/mobile/v1/tasks", phone.AccessToken, "", nil); r.Status != 403 {
		t.Fatalf("phone read after the device was revoked: status=%d, want 403 (revoked: the phone wipes)", r.Status)
	}
}

// issueCode has user's phone issue an inspection code for task and returns
// the path of the page it opens.

// Hole 2: revoking a phone withdraws the inspection codes it issued (and
// only those); ending a user's sessions withdraws all of the user's.
func TestSecurityRevokedDeviceCodesWithdrawn(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	ctx := context.Background()
	page, _ := e.m.Stores.Targets.FindTargets(ctx, backend.TargetFilter{}, backend.PageRequest{Limit: 1})
	target := page.Items[0]
	task := &backend.Task{ID: "task-sec-1", Random: true, DrawID: "2026-scjg-x-v1-d1", TargetID: target.ID, TargetName: target.Name,
		Items: []string{"SCJG-03"}, Method: backend.MethodOnSite, LeadDepartment: "scjg", Departments: []string{"scjg"},
		Team: []string{"ins-0", "ins-1"}, TeamUsers: []string{"inspector"}, Status: backend.TaskAccepted}
	if err := e.m.Stores.Tasks.CreateTasks(ctx, []*backend.Task{task}); err != nil {
		t.Fatal(err)
	}
	lost := e.mustMobileLogin(t, "inspector", "phone-lost-03")
	kept := e.mustMobileLogin(t, "inspector", "phone-kept-03")
	lostCode, _ := e.issueCode(t, "", lost.AccessToken, task.ID)
	keptCode, _ := e.issueCode(t, "", kept.AccessToken, task.ID)
	const genuine, withdrawn = "检查真实有效", "检查码已被撤销"
	e.run(t, []scenario{
		{Name: "OK/LostPhonesCodeBefore", Method: "GET", URL: lostCode, WantStatus: 200, WantContent: []string{genuine}},
		{Name: "OK/RevokeLostPhone", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-lost-03/revoke", User: "admin", Body: `{"reason":"手机被盗"}`, WantStatus: 200},
		{Name: "ErrLostPhonesCodeAfter", Method: "GET", URL: lostCode, WantStatus: 200, WantContent: []string{withdrawn}},
		{Name: "OK/OtherPhonesCode", Method: "GET", URL: keptCode, WantStatus: 200, WantContent: []string{genuine}},
		{Name: "OK/AuditOfDevice", Method: "GET", URL: "/api/v1/audit?objectType=device&objectId=inspector/phone-lost-03", User: "admin", WantStatus: 200,
			WantContent: []string{"inspection codes withdrawn: 1"}},
		{Name: "OK/EndSessions", Method: "POST", URL: "/api/v1/users/inspector/end-sessions", User: "admin", WantStatus: 200},
		{Name: "ErrOtherPhonesCodeAfterEndSessions", Method: "GET", URL: keptCode, WantStatus: 200, WantContent: []string{withdrawn}},
	})
}

// Hole 2: a code asked for by a session that an administrator ends while
// the request is under way is not handed out, and is withdrawn.
func TestSecurityCodeIssuedWhileSessionEnds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	task := &backend.Task{ID: "task-sec-2", Random: true, TargetID: "91440300708461136T", TargetName: "华为技术有限公司",
		Items: []string{"SCJG-03"}, Method: backend.MethodOnSite, LeadDepartment: "scjg", Departments: []string{"scjg"},
		Team: []string{"ins-0", "ins-1"}, TeamUsers: []string{"inspector"}, Status: backend.TaskAccepted}
	if err := e.m.Stores.Tasks.CreateTasks(ctx, []*backend.Task{task}); err != nil {
		t.Fatal(err)
	}
	phone := e.mustMobileLogin(t, "inspector", "phone-race-01")
	// The request was authenticated; then the administrator ends the
	// sessions; then the request issues its code.
	actor, err := e.m.Mobile.Authenticate(ctx, phone.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	sys := backend.WithActor(ctx, backend.SystemActor("test"))
	if _, err := e.m.Users.EndSessions(sys, "inspector"); err != nil {
		t.Fatal(err)
	}
	code, err := e.m.Visit.IssueCode(backend.WithActor(ctx, actor), task.ID)
	if !backend.IsCode(err, backend.EUNAUTHENTICATED) || code != nil {
		t.Fatalf("IssueCode=%v, %v; want no code and unauthenticated", code, err)
	}
	var issued []struct {
		Serial string `bson:"_id"`
	}
	cur, err := e.m.DB.Database.Collection("issued_codes").Find(ctx, map[string]any{})
	if err != nil || cur.All(ctx, &issued) != nil || len(issued) != 1 {
		t.Fatalf("issued codes %v (%v), want the one signed", issued, err)
	}
	if revoked, err := e.m.Stores.CodeKeys.IsRevoked(ctx, issued[0].Serial); err != nil || !revoked {
		t.Fatalf("the code signed for the ended session: revoked=%v (%v), want revoked", revoked, err)
	}
}

// Hole 10: a stranger failing again and again from another address does
// not lock the real user out of their own.
func TestSecurityStrangerCannotLockOut(t *testing.T) {
	e := newEnv(t)
	e.trustForwardedFor()
	for i := range 30 {
		r := e.loginFrom(t, "203.0.113.66", "admin", fmt.Sprintf("guess-number-%02d", i))
		if r.Status != 401 && r.Status != 429 {
			t.Fatalf("stranger's guess %d: status=%d %s, want 401 or 429", i+1, r.Status, r.Body)
		}
	}
	if r := e.loginFrom(t, "198.51.100.7", "admin", testPassword); r.Status != 200 {
		t.Fatalf("the real admin from their own address: status=%d %s, want 200", r.Status, r.Body)
	}
	// The stranger's address is slowed down, whatever the password.
	r := e.loginFrom(t, "203.0.113.66", "admin", testPassword)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("the stranger's address: status=%d (Retry-After %q), want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
	}
}

// Hole 10: failures from one (account, address) make each further attempt
// wait longer, and Retry-After says exactly how long.
func TestSecurityLoginBackoff(t *testing.T) {
	e := newEnv(t)
	e.trustForwardedFor()
	clk := clocktest.New(time.Now())
	e.setAuthClock(clk)
	const addr = "192.0.2.45"
	for i := range 5 {
		if r := e.loginFrom(t, addr, "reviewer", "wrong-password-x"); r.Status != 401 {
			t.Fatalf("failure %d: status=%d %s, want 401", i+1, r.Status, r.Body)
		}
	}
	for _, wait := range []int{2, 4, 8} {
		r := e.loginFrom(t, addr, "reviewer", testPassword)
		if r.Status != 429 || r.Header.Get("Retry-After") != fmt.Sprint(wait) {
			t.Fatalf("attempt within the delay: status=%d Retry-After %q, want 429 and %d", r.Status, r.Header.Get("Retry-After"), wait)
		}
		clk.Advance(time.Duration(wait) * time.Second)
		if r := e.loginFrom(t, addr, "reviewer", "wrong-password-x"); r.Status != 401 {
			t.Fatalf("attempt after %d s: status=%d %s, want 401", wait, r.Status, r.Body)
		}
	}
	clk.Advance(16 * time.Second)
	if r := e.loginFrom(t, addr, "reviewer", testPassword); r.Status != 200 {
		t.Fatalf("right password after the delay: status=%d %s, want 200", r.Status, r.Body)
	}
	// The success forgets the failures.
	if r := e.loginFrom(t, addr, "reviewer", "wrong-password-x"); r.Status != 401 {
		t.Fatalf("failure after a success: status=%d, want 401", r.Status)
	}
	if r := e.loginFrom(t, addr, "reviewer", testPassword); r.Status != 200 {
		t.Fatalf("login after one new failure: status=%d %s, want 200", r.Status, r.Body)
	}
}

// Hole 10: an account is locked only after many failures from many
// addresses; administrators see the lock (list and audit) and can lift it.
func TestSecurityAccountLock(t *testing.T) {
	e := newEnv(t)
	e.trustForwardedFor()
	admin := e.login("admin")
	for i := range 100 {
		addr := fmt.Sprintf("198.18.%d.%d", i/5, i%5+1) // 5 failures from each of 20 addresses
		if r := e.loginFrom(t, addr, "reviewer", "wrong-password-x"); r.Status != 401 {
			t.Fatalf("failure %d from %s: status=%d %s, want 401", i+1, addr, r.Status, r.Body)
		}
	}
	r := e.loginFrom(t, "198.51.100.8", "reviewer", testPassword)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "locked") {
		t.Fatalf("login of a locked account: status=%d %s (Retry-After %q), want 429 saying it is locked", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	e.run(t, []scenario{
		{Name: "OK/ListLocks", Method: "GET", URL: "/api/v1/login-locks", Token: admin, WantStatus: 200, WantContent: []string{`"username":"reviewer"`, `"failures":100`, `"until"`}},
		{Name: "ErrListLocksManager", Method: "GET", URL: "/api/v1/login-locks", User: "manager", WantStatus: 403, WantCode: "forbidden"},
		{Name: "OK/AuditOfLock", Method: "GET", URL: "/api/v1/audit?objectType=user&objectId=reviewer&limit=200", Token: admin, WantStatus: 200, WantContent: []string{`"action":"auth.account_locked"`}},
		{Name: "ErrLiftManager", Method: "DELETE", URL: "/api/v1/login-locks/reviewer", User: "manager", WantStatus: 403, WantCode: "forbidden"},
		{Name: "OK/Lift", Method: "DELETE", URL: "/api/v1/login-locks/reviewer", Token: admin, WantStatus: 204},
		{Name: "ErrLiftAgain", Method: "DELETE", URL: "/api/v1/login-locks/reviewer", Token: admin, WantStatus: 404, WantCode: "not_found"},
		{Name: "OK/ListEmpty", Method: "GET", URL: "/api/v1/login-locks", Token: admin, WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "OK/AuditOfLift", Method: "GET", URL: "/api/v1/audit?objectType=user&objectId=reviewer&limit=200", Token: admin, WantStatus: 200, WantContent: []string{`"action":"auth.account_unlocked"`, `"actor":"admin"`}},
	})
	if r := e.loginFrom(t, "198.51.100.8", "reviewer", testPassword); r.Status != 200 {
		t.Fatalf("login after the lock was lifted: status=%d %s, want 200", r.Status, r.Body)
	}
}

// Hole 11a: only inspectors log in (and refresh) on the phones' API.
func TestSecurityMobileLoginInspectorsOnly(t *testing.T) {
	e := newEnv(t)
	for _, user := range []string{"admin", "manager", "reviewer"} {
		t.Run("Err/"+user, func(t *testing.T) {
			r := e.mobileLogin(t, user, "phone-"+strings.ReplaceAll(user, ".", "-")+"-01")
			if r.Status != 403 || !strings.Contains(string(r.Body), `"code":"forbidden"`) || !strings.Contains(string(r.Body), "inspector") {
				t.Fatalf("mobile login of %s: %d %s, want 403 saying only inspectors may", user, r.Status, r.Body)
			}
		})
	}
	t.Run("OK/inspector", func(t *testing.T) { e.mustMobileLogin(t, "inspector", "phone-insp-0001") })

	// An inspector who becomes a manager loses the phone session.
	phone := e.mustMobileLogin(t, "inspector", "phone-insp-0002")
	ctx := context.Background()
	u, err := e.m.Stores.Users.FindUserByID(ctx, "inspector")
	if err != nil {
		t.Fatal(err)
	}
	u.Role = backend.RoleManager
	if err := e.m.Stores.Users.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if r := e.refresh(t, "/mobile/v1", phone.RefreshToken); r.Status != 403 {
		t.Fatalf("phone refresh of a manager: %d %s, want 403", r.Status, r.Body)
	}
	if r := e.doT(t, "GET", "/mobile/v1/tasks", phone.AccessToken, "", nil); r.Status != 403 {
		t.Fatalf("phone read of a manager: %d %s, want 403", r.Status, r.Body)
	}
}
