package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
)

// browserSession is a console login: the cookie a browser would keep and
// the CSRF token its page was given.
type browserSession struct {
	cookie *http.Cookie
	csrf   string
}

// browserLogin logs user in through the console's login form (the
// request its page sends), with extra headers.
func (e *env) browserLogin(t *testing.T, user string, header map[string]string) (*response, *browserSession) {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/auth/session", strings.NewReader(`{"username":"`+user+`","password":"`+testPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	r := e.send(t, req)
	if r.Status != 200 {
		t.Fatalf("browser login %s: %d %s", user, r.Status, r.Body)
	}
	var info struct {
		CSRFToken string `json:"csrfToken"`
		User      struct{ ID string }
	}
	r.JSON(t, &info)
	cookies := (&http.Response{Header: r.Header}).Cookies()
	if len(cookies) != 1 || info.CSRFToken == "" || info.User.ID != user {
		t.Fatalf("browser login: cookies %v, body %s; want one cookie, a CSRF token and the user", cookies, r.Body)
	}
	return r, &browserSession{cookie: cookies[0], csrf: info.CSRFToken}
}

// doBrowser sends a request as the browser of b would: with its cookie,
// and with csrf in the CSRF header unless it is empty.
func (e *env) doBrowser(t *testing.T, b *browserSession, method, url, csrf, body string) *response {
	t.Helper()
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, url, rb)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.AddCookie(&http.Cookie{Name: b.cookie.Name, Value: b.cookie.Value})
	if csrf != "" {
		req.Header.Set(api.CSRFHeader, csrf)
	}
	return e.send(t, req)
}

func TestCookieSessionFlags(t *testing.T) {
	tests := []struct {
		name       string
		proxy      bool // the in-process client is a trusted proxy
		header     map[string]string
		wantName   string
		wantSecure bool
	}{
		{"PlainHTTP", false, nil, api.SessionCookie, false},
		{"TLSAtTrustedProxy", true, map[string]string{"X-Forwarded-Proto": "https"}, api.SecureSessionCookie, true},
		{"ForwardedProtoFromUntrustedPeer", false, map[string]string{"X-Forwarded-Proto": "https"}, api.SessionCookie, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.proxy {
				e.trustForwardedFor()
			}
			r, b := e.browserLogin(t, "manager", tt.header)
			ck := b.cookie
			if ck.Name != tt.wantName || ck.Secure != tt.wantSecure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" {
				t.Fatalf("Set-Cookie %q: name %q secure %v httpOnly %v sameSite %v path %q domain %q; want name %q secure %v, HttpOnly, SameSite=Strict, Path=/, no Domain",
					r.Header.Get("Set-Cookie"), ck.Name, ck.Secure, ck.HttpOnly, ck.SameSite, ck.Path, ck.Domain, tt.wantName, tt.wantSecure)
			}
			if strings.Contains(string(r.Body), ck.Value) {
				t.Fatalf("the login's body %s carries the cookie's secret", r.Body)
			}
			// The cookie is read under its own scheme's name only.
			req := httptest.NewRequest("GET", "/api/v1/me", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
			if got := e.send(t, req).Status; got != 200 {
				t.Fatalf("read with the cookie: status=%d, want 200", got)
			}
		})
	}
}

func TestCookieSessionCSRF(t *testing.T) {
	e := newEnv(t)
	_, b := e.browserLogin(t, "manager", nil)
	bearer := e.login("manager")
	other := strings.Replace(targetJSON, "91440300708461136T", "91350100M000100Y43", 1)
	tests := []struct {
		name       string
		method     string
		url        string
		csrf       string
		body       string
		wantStatus int
	}{
		{"ErrWriteWithoutToken", "POST", "/api/v1/targets", "", targetJSON, 403},
		{"ErrWriteWithWrongToken", "POST", "/api/v1/targets", "not-the-token", targetJSON, 403},
		{"ErrWriteWithOtherSessionsToken", "POST", "/api/v1/targets", "", targetJSON, 403}, // csrf filled below
		{"OK/ReadWithoutToken", "GET", "/api/v1/targets", "", "", 200},
		{"OK/WriteWithToken", "POST", "/api/v1/targets", b.csrf, targetJSON, 201},
	}
	_, second := e.browserLogin(t, "manager", nil)
	tests[2].csrf = second.csrf
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.doBrowser(t, b, tt.method, tt.url, tt.csrf, tt.body)
			if r.Status != tt.wantStatus {
				t.Fatalf("status=%d %s, want %d", r.Status, r.Body, tt.wantStatus)
			}
			if tt.wantStatus == 403 && !strings.Contains(string(r.Body), `"code":"forbidden"`) {
				t.Fatalf("refusal %s, want {\"code\":\"forbidden\",\"message\"}", r.Body)
			}
		})
	}
	t.Run("OK/BearerWithoutToken", func(t *testing.T) {
		if r := e.do("POST", "/api/v1/targets", bearer, "application/json", strings.NewReader(other)); r.Status != 201 {
			t.Fatalf("bearer write without a CSRF token: status=%d %s, want 201", r.Status, r.Body)
		}
	})
}

func TestCookieSessionTimeouts(t *testing.T) {
	tests := []struct {
		name  string
		steps []time.Duration // the clock moves by each, then the session is used
		want  []int           // the status of each use
	}{
		{"OK/UsedWithinIdle", []time.Duration{auth.DefaultBrowserIdle - time.Minute, auth.DefaultBrowserIdle - time.Minute}, []int{200, 200}},
		{"ErrIdle", []time.Duration{time.Minute, auth.DefaultBrowserIdle}, []int{200, 401}},
		{"ErrIdleTouchedEarlier", []time.Duration{auth.BrowserTouch - time.Second, auth.DefaultBrowserIdle - auth.BrowserTouch + 2*time.Second}, []int{200, 401}},
		{"ErrAbsolute", absoluteSteps(), absoluteWant()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			clk := clocktest.New(time.Now())
			e.setAuthClock(clk)
			_, b := e.browserLogin(t, "reviewer", nil)
			for i, d := range tt.steps {
				clk.Advance(d)
				if r := e.doBrowser(t, b, "GET", "/api/v1/me", "", ""); r.Status != tt.want[i] {
					t.Fatalf("use %d, %s after the one before: status=%d %s, want %d", i+1, d, r.Status, r.Body, tt.want[i])
				}
			}
		})
	}
}

// absoluteSteps uses a session every 25 minutes up to its lifetime and once
// after.
func absoluteSteps() []time.Duration {
	var steps []time.Duration
	for t := time.Duration(0); t+25*time.Minute < auth.DefaultBrowserTTL; t += 25 * time.Minute {
		steps = append(steps, 25*time.Minute)
	}
	return append(steps, 25*time.Minute)
}

func absoluteWant() []int {
	want := make([]int, len(absoluteSteps()))
	for i := range want {
		want[i] = 200
	}
	want[len(want)-1] = 401
	return want
}

func TestCookieSessionLogout(t *testing.T) {
	e := newEnv(t)
	_, b := e.browserLogin(t, "manager", nil)
	if r := e.doBrowser(t, b, "DELETE", "/api/v1/auth/session", "", ""); r.Status != 403 {
		t.Fatalf("logout without the CSRF token: status=%d %s, want 403", r.Status, r.Body)
	}
	if r := e.doBrowser(t, b, "GET", "/api/v1/auth/session", "", ""); r.Status != 200 || !strings.Contains(string(r.Body), b.csrf) {
		t.Fatalf("session after a refused logout: %d %s, want 200 with the CSRF token", r.Status, r.Body)
	}
	r := e.doBrowser(t, b, "DELETE", "/api/v1/auth/session", b.csrf, "")
	if r.Status != 204 {
		t.Fatalf("logout: status=%d %s, want 204", r.Status, r.Body)
	}
	cleared := (&http.Response{Header: r.Header}).Cookies()
	if len(cleared) != 1 || cleared[0].Name != api.SessionCookie || cleared[0].Value != "" || !cleared[0].Expires.Before(time.Now()) {
		t.Fatalf("logout's Set-Cookie %q, want the cookie cleared", r.Header.Get("Set-Cookie"))
	}
	for _, u := range []string{"/api/v1/auth/session", "/api/v1/me"} {
		if r := e.doBrowser(t, b, "GET", u, "", ""); r.Status != 401 {
			t.Fatalf("GET %s after logout: status=%d, want 401", u, r.Status)
		}
	}
	if r := e.doBrowser(t, b, "DELETE", "/api/v1/auth/session", b.csrf, ""); r.Status != 204 {
		t.Fatalf("second logout: status=%d, want 204", r.Status)
	}
}

// An administrator ending the user's sessions ends the cookie's too.
func TestCookieSessionEndedByAdministrator(t *testing.T) {
	tests := []struct{ name, path, body string }{
		{"ResetPassword", "/api/v1/users/reviewer/reset-password", `{"password":"a-brand-new-password"}`},
		{"Disable", "/api/v1/users/reviewer/disable", ""},
		{"EndSessions", "/api/v1/users/reviewer/end-sessions", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, b := e.browserLogin(t, "reviewer", nil)
			_, bystander := e.browserLogin(t, "manager", nil)
			admin := e.login("admin")
			var body io.Reader
			ct := ""
			if tt.body != "" {
				body, ct = strings.NewReader(tt.body), "application/json"
			}
			if r := e.do("POST", tt.path, admin, ct, body); r.Status != 200 {
				t.Fatalf("POST %s: %d %s", tt.path, r.Status, r.Body)
			}
			if r := e.doBrowser(t, b, "GET", "/api/v1/me", "", ""); r.Status != 401 {
				t.Fatalf("cookie session after %s: status=%d, want 401", tt.name, r.Status)
			}
			if r := e.doBrowser(t, bystander, "GET", "/api/v1/me", "", ""); r.Status != 200 {
				t.Fatalf("another user's cookie session: status=%d, want 200", r.Status)
			}
		})
	}
}
