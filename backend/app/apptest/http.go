package apptest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api/openapitest"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// Main is the TestMain of a package whose tests use the test store and
// hash passwords: bcrypt at its lowest cost (the tests check logic, not
// hashing cost), then mongotest.Main.
func Main(m *testing.M) {
	backend.PasswordCost = 4 // bcrypt.MinCost
	mongotest.Main(m)
}

// Response is one answer of the app.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// JSON decodes the body into v, failing the test when it cannot.
func (r *Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// NewRequest builds a request to the app: token as the bearer and
// contentType when not empty.
func NewRequest(method, url, token, contentType string, body io.Reader) *http.Request {
	req := httptest.NewRequest(method, url, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// Send runs req through m's app in process and checks that the answer is
// what the OpenAPI documents say it is (openapitest.CheckAnswer).
func Send(tb testing.TB, m *app.Main, req *http.Request) *Response {
	tb.Helper()
	resp, err := m.HTTP.App().Test(req, -1)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	openapitest.CheckAnswer(tb, m.HTTP.App(), req, resp.StatusCode, resp.Header, b)
	return &Response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// Scenario is one request and what must come back, as a row of a table
// (PocketBase's tests.ApiScenario is the model): Run sends each as a
// subtest named Name.
type Scenario struct {
	Name        string
	Method, URL string
	User        string            // logs in as this user (Run's login); "" = no token
	Token       string            // raw bearer token, overrides User
	Headers     map[string]string // more request headers
	ContentType string            // application/json when Body is set and this is empty
	Body        string
	WantStatus  int
	WantCode    string   // the error code of a {"code","message"} body, with a message
	WantContent []string // substrings of the body
	// Before runs before the request, After after the checks, with the
	// answer: set up state, or check the store.
	Before func(t *testing.T)
	After  func(t *testing.T, r *Response)
}

// Run sends each scenario through m's app as a subtest. login turns a
// Scenario.User into a bearer token; each user logs in once per Run.
func Run(t *testing.T, m *app.Main, login func(tb testing.TB, user string) string, scenarios []Scenario) {
	t.Helper()
	tokens := map[string]string{}
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) {
			if s.Before != nil {
				s.Before(t)
			}
			token := s.Token
			if token == "" && s.User != "" {
				if tokens[s.User] == "" {
					tokens[s.User] = login(t, s.User)
				}
				token = tokens[s.User]
			}
			ct := s.ContentType
			if ct == "" && s.Body != "" {
				ct = "application/json"
			}
			var body io.Reader
			if s.Body != "" {
				body = strings.NewReader(s.Body)
			}
			req := NewRequest(s.Method, s.URL, token, ct, body)
			for k, v := range s.Headers {
				req.Header.Set(k, v)
			}
			r := Send(t, m, req)
			if r.Status != s.WantStatus {
				t.Fatalf("status=%d, want %d; body %s", r.Status, s.WantStatus, r.Body)
			}
			if s.WantCode != "" {
				var eb struct{ Code, Message string }
				r.JSON(t, &eb)
				if eb.Code != s.WantCode || eb.Message == "" {
					t.Fatalf("error body %s, want code %q with a message", r.Body, s.WantCode)
				}
			}
			for _, c := range s.WantContent {
				if !bytes.Contains(r.Body, []byte(c)) {
					t.Fatalf("body %s does not contain %q", r.Body, c)
				}
			}
			if s.After != nil {
				s.After(t, r)
			}
		})
	}
}

// Tokens are what a login answers.
type Tokens struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
}

// PhoneLogin logs user in on the phones' API (/mobile/v1/auth/login) from
// device and returns the answer.
func PhoneLogin(tb testing.TB, m *app.Main, user, password string, device backend.DeviceInfo) *Response {
	tb.Helper()
	body, err := json.Marshal(struct {
		Username string             `json:"username"`
		Password string             `json:"password"`
		Device   backend.DeviceInfo `json:"device"`
	}{user, password, device})
	if err != nil {
		tb.Fatal(err)
	}
	return Send(tb, m, NewRequest("POST", "/mobile/v1/auth/login", "", "application/json", bytes.NewReader(body)))
}

// MustPhoneLogin is PhoneLogin that fails the test unless the login
// succeeds, and returns the tokens.
func MustPhoneLogin(tb testing.TB, m *app.Main, user, password string, device backend.DeviceInfo) Tokens {
	tb.Helper()
	r := PhoneLogin(tb, m, user, password, device)
	if r.Status != 200 {
		tb.Fatalf("mobile login %s on %s: %d %s", user, device.ID, r.Status, r.Body)
	}
	var tok Tokens
	r.JSON(tb, &tok)
	return tok
}

// TestPhone is the device a test phone logs in from: an Android phone
// named "test phone".
func TestPhone(id string) backend.DeviceInfo {
	return backend.DeviceInfo{ID: id, Name: "test phone", Platform: backend.PlatformAndroid}
}
