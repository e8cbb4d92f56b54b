package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
)

// phoneDevice is the phone the device tests log in from, as id.
func phoneDevice(id string) backend.DeviceInfo {
	return backend.DeviceInfo{ID: id, Name: "华为 Mate 60", Platform: backend.PlatformHarmonyOS}
}

// mobileLogin logs user in on the phones' API from device id and returns
// the response.
func (e *env) mobileLogin(t testing.TB, user, deviceID string) *response {
	t.Helper()
	return apptest.PhoneLogin(t, e.m, user, testPassword, phoneDevice(deviceID))
}

type tokens = apptest.Tokens

func (e *env) mustMobileLogin(t testing.TB, user, deviceID string) tokens {
	t.Helper()
	return apptest.MustPhoneLogin(t, e.m, user, testPassword, phoneDevice(deviceID))
}

func TestMobileLoginDevice(t *testing.T) {
	e := newEnv(t)
	login := func(device string) string {
		return `{"username":"inspector","password":"` + testPassword + `"` + device + `}`
	}
	e.run(t, []scenario{
		{Name: "ErrNoDevice", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(""), WantStatus: 400, WantCode: "invalid", WantContent: []string{`field \"device\" is required`}},
		{Name: "ErrNullDevice", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":null`), WantStatus: 400, WantCode: "invalid", WantContent: []string{`field \"device\" must not be null`}},
		{Name: "ErrEmptyDevice", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":{}`), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrShortID", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":{"id":"abc","platform":"android"}`), WantStatus: 400, WantCode: "invalid", WantContent: []string{"device id"}},
		{Name: "ErrBadIDCharacter", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":{"id":"abcd efgh","platform":"android"}`), WantStatus: 400, WantCode: "invalid", WantContent: []string{"device id"}},
		{Name: "ErrIDOperator", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":{"id":{"$ne":""},"platform":"android"}`), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrNoPlatform", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":{"id":"phone-0001"}`), WantStatus: 400, WantCode: "invalid", WantContent: []string{"platform"}},
		{Name: "ErrBadPlatform", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":{"id":"phone-0001","platform":"windows"}`), WantStatus: 400, WantCode: "invalid", WantContent: []string{"platform"}},
		{Name: "ErrLongName", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":{"id":"phone-0001","platform":"ios","name":"` + strings.Repeat("手", 34) + `"}`), WantStatus: 400, WantCode: "invalid", WantContent: []string{"100 bytes"}},
		{Name: "ErrUnknownDeviceField", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":{"id":"phone-0001","platform":"ios","imei":"1"}`), WantStatus: 400, WantCode: "invalid", WantContent: []string{"imei"}},
		{Name: "ErrUnknownField", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":{"id":"phone-0001","platform":"ios"},"remember":true`), WantStatus: 400, WantCode: "invalid", WantContent: []string{"remember"}},
		{Name: "ErrWrongPassword", Method: "POST", URL: "/mobile/v1/auth/login", Body: `{"username":"inspector","password":"wrong-password-x","device":{"id":"phone-0001","platform":"ios"}}`, WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "OK", Method: "POST", URL: "/mobile/v1/auth/login", Body: login(`,"device":{"id":"phone-0001","platform":"ios"}`), WantStatus: 200, WantContent: []string{`"accessToken"`}},
		{Name: "OK/BackOfficeTakesNoDevice", Method: "POST", URL: "/api/v1/auth/login", Body: login(""), WantStatus: 200},
		{Name: "ErrBackOfficeRefusesDevice", Method: "POST", URL: "/api/v1/auth/login", Body: login(`,"device":{"id":"phone-0001","platform":"ios"}`), WantStatus: 400, WantCode: "invalid"},
	})

	// The access token names the device.
	tok := e.mustMobileLogin(t, "inspector", "phone-0002")
	parts := strings.Split(tok.AccessToken, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Subject  string `json:"sub"`
		DeviceID string `json:"did"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Subject != "inspector" || claims.DeviceID != "phone-0002" {
		t.Fatalf("claims sub=%q did=%q, want inspector phone-0002", claims.Subject, claims.DeviceID)
	}
}

func TestDeviceAPI(t *testing.T) {
	e := newEnv(t)
	lost := e.mustMobileLogin(t, "inspector", "phone-lost-01")
	other := e.mustMobileLogin(t, "inspector", "phone-other-01")
	// A write on the phones' API: authenticated (the task is just not there).
	write := func(t *testing.T, token string) int {
		t.Helper()
		return e.doT(t, "POST", "/mobile/v1/tasks/nope/code", token, "", nil).Status
	}
	if got := write(t, lost.AccessToken); got != 404 {
		t.Fatalf("write before revocation: status=%d, want 404 (authenticated)", got)
	}

	const revoke = "/api/v1/users/inspector/devices/phone-lost-01/revoke"
	e.run(t, []scenario{
		{Name: "OK/List", Method: "GET", URL: "/api/v1/users/inspector/devices", User: "admin", WantStatus: 200,
			WantContent: []string{`"id":"inspector/phone-lost-01"`, `"deviceId":"phone-other-01"`, `"platform":"harmonyos"`, `"name":"华为 Mate 60"`, `"firstSeen"`, `"lastSeen"`}},
		{Name: "OK/ListNone", Method: "GET", URL: "/api/v1/users/manager/devices", User: "admin", WantStatus: 200, WantContent: []string{`{"items":[]}`}},
		{Name: "ErrListUnknownUser", Method: "GET", URL: "/api/v1/users/nobody/devices", User: "admin", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrListManager", Method: "GET", URL: "/api/v1/users/inspector/devices", User: "manager", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrListNoToken", Method: "GET", URL: "/api/v1/users/inspector/devices", WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "ErrRevokeManager", Method: "POST", URL: revoke, User: "manager", Body: `{"reason":"lost"}`, WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrRevokeInspector", Method: "POST", URL: revoke, User: "inspector", Body: `{"reason":"lost"}`, WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrRevokeWithPhoneToken", Method: "POST", URL: revoke, Token: other.AccessToken, Body: `{"reason":"lost"}`, WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "ErrRevokeNoReason", Method: "POST", URL: revoke, User: "admin", Body: `{}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"reason"}},
		{Name: "ErrRevokeBlankReason", Method: "POST", URL: revoke, User: "admin", Body: `{"reason":"   "}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrRevokeNoBody", Method: "POST", URL: revoke, User: "admin", ContentType: "application/json", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrRevokeUnknownField", Method: "POST", URL: revoke, User: "admin", Body: `{"reason":"lost","revokedBy":"x"}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrRevokeUnknownDevice", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-none-01/revoke", User: "admin", Body: `{"reason":"lost"}`, WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrRevokeMalformedDevice", Method: "POST", URL: "/api/v1/users/inspector/devices/x/revoke", User: "admin", Body: `{"reason":"lost"}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/Revoke", Method: "POST", URL: revoke, User: "admin", Body: `{"reason":"手机丢失"}`, WantStatus: 200,
			WantContent: []string{`"id":"inspector/phone-lost-01"`, `"revokedAt"`, `"revokedBy":"admin"`, `"reason":"手机丢失"`}},
		{Name: "OK/ListShowsRevoked", Method: "GET", URL: "/api/v1/users/inspector/devices", User: "admin", WantStatus: 200, WantContent: []string{`"revokedBy":"admin"`}},
		{Name: "OK/AuditOfDevice", Method: "GET", URL: "/api/v1/audit?objectType=device&objectId=inspector/phone-lost-01", User: "admin", WantStatus: 200,
			WantContent: []string{`"action":"device.revoke","objectType":"device","objectId":"inspector/phone-lost-01","clientAddr":"0.0.0.0","outcome":"ok"`,
				`"actor":"manager"`, `"outcome":"denied"`, `reason: 手机丢失; its sessions and inspection codes are ended next`, `"action":"device.sessions_ended"`, `sessions ended: 1; inspection codes withdrawn: 0`}},
	})

	// The lost phone's session is over: writes and refreshes are refused at
	// once, and it cannot log in again.
	if got := write(t, lost.AccessToken); got != 403 {
		t.Fatalf("write from the revoked phone: status=%d, want 403 (revoked: the phone wipes)", got)
	}
	r := e.do("POST", "/mobile/v1/auth/refresh", "", "application/json", strings.NewReader(`{"refreshToken":"`+lost.RefreshToken+`"}`))
	if r.Status != 403 || !strings.Contains(string(r.Body), "revoked") {
		t.Fatalf("refresh from the revoked phone: %d %s, want 403 saying it was revoked (the phone wipes)", r.Status, r.Body)
	}
	if r := e.mobileLogin(t, "inspector", "phone-lost-01"); r.Status != 403 || !strings.Contains(string(r.Body), "revoked") {
		t.Fatalf("login from the revoked phone: %d %s, want 403 saying it was revoked", r.Status, r.Body)
	}
	// The other phone goes on, and logs in again.
	if got := write(t, other.AccessToken); got != 404 {
		t.Fatalf("write from the other phone: status=%d, want 404 (authenticated)", got)
	}
	r = e.do("POST", "/mobile/v1/auth/refresh", "", "application/json", strings.NewReader(`{"refreshToken":"`+other.RefreshToken+`"}`))
	if r.Status != 200 {
		t.Fatalf("refresh from the other phone: %d %s", r.Status, r.Body)
	}
	e.mustMobileLogin(t, "inspector", "phone-other-01")
	e.mustMobileLogin(t, "inspector", "phone-new-0001")

	// The user's audit trail has the logins with their devices and the
	// refused one.
	e.run(t, []scenario{
		{Name: "OK/AuditOfUser", Method: "GET", URL: "/api/v1/audit?objectType=user&objectId=inspector&limit=200", User: "admin", WantStatus: 200,
			WantContent: []string{
				`"action":"auth.login","objectType":"user","objectId":"inspector"`,
				`device phone-lost-01 (harmonyos), first login from it`,
				`device phone-other-01 (harmonyos)"`,
				`"action":"auth.login_failed"`, `device phone-lost-01 was revoked`,
			}},
	})
}

func TestDeviceApproval(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	known := e.mustMobileLogin(t, "inspector", "phone-known-01") // before the deployment required approval
	e.m.Mobile.ApproveDevices = true

	login := func(device string) string {
		return `{"username":"inspector","password":"` + testPassword + `","device":{"id":"` + device + `","name":"小米 14","platform":"android"}}`
	}
	// A phone unused for longer than backend.DeviceStaleDays.
	old := time.Now().UTC().AddDate(0, 0, -backend.DeviceStaleDays-5).Truncate(time.Millisecond)
	if _, err := e.m.Stores.Devices.UpsertDevice(ctx, &backend.Device{ID: "inspector/phone-drawer-1", UserID: "inspector", DeviceID: "phone-drawer-1",
		Platform: backend.PlatformIOS, FirstSeen: old, LastSeen: old}); err != nil {
		t.Fatal(err)
	}
	e.run(t, []scenario{
		{Name: "ErrPendingFirstLogin", Method: "POST", URL: "/mobile/v1/auth/login", Body: login("phone-new-0001"), WantStatus: 403, WantCode: "device_pending", WantContent: []string{"approval"}},
		{Name: "ErrPendingAgain", Method: "POST", URL: "/mobile/v1/auth/login", Body: login("phone-new-0001"), WantStatus: 403, WantCode: "device_pending"},
		{Name: "ErrWrongPasswordIsNotPending", Method: "POST", URL: "/mobile/v1/auth/login", Body: `{"username":"inspector","password":"wrong-password-x","device":{"id":"phone-new-0009","platform":"ios"}}`, WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "OK/KnownDeviceUnaffected", Method: "POST", URL: "/mobile/v1/auth/login", Body: login("phone-known-01"), WantStatus: 200, WantContent: []string{`"accessToken"`}},
		{Name: "ErrPendingSecond", Method: "POST", URL: "/mobile/v1/auth/login", Body: login("phone-new-0002"), WantStatus: 403, WantCode: "device_pending"},
		{Name: "OK/ListPending", Method: "GET", URL: "/api/v1/devices?view=pending", User: "admin", WantStatus: 200,
			WantContent: []string{`"id":"inspector/phone-new-0001"`, `"id":"inspector/phone-new-0002"`, `"approval":"pending"`, `"userName":"孙执法"`, `"truncated":false`}},
		{Name: "OK/ListStale", Method: "GET", URL: "/api/v1/devices?view=stale", User: "admin", WantStatus: 200,
			WantContent: []string{`"items":[{"id":"inspector/phone-drawer-1"`, `"approval":"approved"`}},
		{Name: "ErrListView", Method: "GET", URL: "/api/v1/devices?view=all", User: "admin", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrListNoView", Method: "GET", URL: "/api/v1/devices", User: "admin", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrListManager", Method: "GET", URL: "/api/v1/devices?view=pending", User: "manager", WantStatus: 403, WantCode: "forbidden"},
		{Name: "OK/DashboardAdmin", Method: "GET", URL: "/api/v1/dashboard", User: "admin", WantStatus: 200,
			WantContent: []string{`"devicesPending":2`, `"devicesStale":1`, `"deviceStaleDays":60`}},
		{Name: "OK/DashboardManagerSeesNoDevices", Method: "GET", URL: "/api/v1/dashboard", User: "manager", WantStatus: 200,
			WantContent: []string{`"devicesPending":0`, `"devicesStale":0`}},
		{Name: "ErrApproveManager", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-new-0001/approve", User: "manager", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrApproveInspector", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-new-0001/approve", User: "inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrApproveUnknown", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-none-01/approve", User: "admin", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrApproveMalformed", Method: "POST", URL: "/api/v1/users/inspector/devices/x/approve", User: "admin", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrApproveApproved", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-known-01/approve", User: "admin", WantStatus: 409, WantCode: "conflict"},
		{Name: "OK/Approve", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-new-0001/approve", User: "admin", WantStatus: 200,
			WantContent: []string{`"approval":"approved"`, `"decidedBy":"admin"`, `"decidedAt"`}},
		{Name: "ErrApproveTwice", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-new-0001/approve", User: "admin", WantStatus: 409, WantCode: "conflict"},
		{Name: "OK/ApprovedLogsIn", Method: "POST", URL: "/mobile/v1/auth/login", Body: login("phone-new-0001"), WantStatus: 200, WantContent: []string{`"accessToken"`}},
		{Name: "ErrRejectNoReason", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-new-0002/reject", User: "admin", Body: `{"reason":" "}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrRejectManager", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-new-0002/reject", User: "manager", Body: `{"reason":"x"}`, WantStatus: 403, WantCode: "forbidden"},
		{Name: "OK/Reject", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-new-0002/reject", User: "admin", Body: `{"reason":"非单位配发手机"}`, WantStatus: 200,
			WantContent: []string{`"approval":"rejected"`, `"decisionNote":"非单位配发手机"`}},
		{Name: "ErrRejectedLogin", Method: "POST", URL: "/mobile/v1/auth/login", Body: login("phone-new-0002"), WantStatus: 403, WantCode: "device_rejected"},
		{Name: "ErrApproveRejected", Method: "POST", URL: "/api/v1/users/inspector/devices/phone-new-0002/approve", User: "admin", WantStatus: 409, WantCode: "conflict"},
		{Name: "OK/NonePending", Method: "GET", URL: "/api/v1/devices?view=pending", User: "admin", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "OK/AuditApproved", Method: "GET", URL: "/api/v1/audit?objectType=device&objectId=inspector/phone-new-0001", User: "admin", WantStatus: 200,
			WantContent: []string{`"action":"device.approve"`, `"actor":"admin"`, `"outcome":"ok"`, `"actor":"manager"`, `"outcome":"denied"`}},
		{Name: "OK/AuditRejected", Method: "GET", URL: "/api/v1/audit?objectType=device&objectId=inspector/phone-new-0002", User: "admin", WantStatus: 200,
			WantContent: []string{`"action":"device.reject"`, `rejected: 非单位配发手机`}},
		{Name: "OK/AuditOfUser", Method: "GET", URL: "/api/v1/audit?objectType=user&objectId=inspector&limit=200", User: "admin", WantStatus: 200,
			WantContent: []string{`device phone-new-0001 (android) waits for approval`, `device phone-new-0002 was rejected`}},
	})
	// The refusals do not read as a revocation: the phone keeps its data.
	r := e.mobileLogin(t, "inspector", "phone-new-0002")
	if strings.Contains(string(r.Body), "revoked") {
		t.Fatalf("rejected login body %s says revoked: the app would wipe", r.Body)
	}
	// The known phone's session was never touched.
	if r := e.do("POST", "/mobile/v1/auth/refresh", "", "application/json", strings.NewReader(`{"refreshToken":"`+known.RefreshToken+`"}`)); r.Status != 200 {
		t.Fatalf("refresh of the known phone: %d %s", r.Status, r.Body)
	}
	// A pending device has no session: nothing to refresh or revoke.
	d, err := e.m.Stores.Devices.FindDeviceByID(ctx, "inspector/phone-new-0002")
	if err != nil || d.Approval != backend.DeviceRejected || d.DecidedBy != "admin" {
		t.Fatalf("stored device %+v, %v; want rejected by admin", d, err)
	}
}
