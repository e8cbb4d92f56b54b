package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// deviceEnv is env with a mobile service that requires a device, and the
// administrators' device service on the same stores.
type deviceEnv struct {
	*env
	Mobile  *auth.Service
	Devices *mongo.DeviceStore
	Admin   *backend.Devices
}

func newDeviceEnv(tb testing.TB) *deviceEnv {
	tb.Helper()
	e := newEnv(tb, auth.Config{})
	d := &deviceEnv{env: e, Devices: &mongo.DeviceStore{DB: e.DB}}
	d.Mobile = e.NewService(tb, auth.Config{Audience: "fieldcheck-mobile", RequireDevice: true}, 7)
	d.Mobile.Devices = d.Devices
	d.Admin = &backend.Devices{Store: d.Devices, Users: e.Users, Tokens: e.Tokens, Audit: e.AuditLog, Now: e.Clock.Now}
	return d
}

func phone(id string) backend.DeviceInfo {
	return backend.DeviceInfo{ID: id, Name: "华为 Mate 60", Platform: backend.PlatformHarmonyOS}
}

// MustLoginDevice logs in with testPassword from a device.
func MustLoginDevice(tb testing.TB, svc *auth.Service, username string, d backend.DeviceInfo) *auth.Tokens {
	tb.Helper()
	tokens, err := svc.LoginDevice(ctxFrom("192.0.2.1"), username, testPassword, d)
	if err != nil {
		tb.Fatalf("LoginDevice(%s, %s): %v", username, d.ID, err)
	}
	return tokens
}

// claimsOf decodes the payload of a JWT without verifying it.
func claimsOf(tb testing.TB, token string) map[string]any {
	tb.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		tb.Fatalf("token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestLoginDevice(t *testing.T) {
	e := newDeviceEnv(t)
	e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
	ctx := ctxFrom("192.0.2.1")

	first := MustLoginDevice(t, e.Mobile, "li", phone("phone-0001"))
	if got := claimsOf(t, first.AccessToken)["did"]; got != "phone-0001" {
		t.Fatalf("did claim=%v, want phone-0001", got)
	}
	a, err := e.Mobile.Authenticate(ctx, first.AccessToken)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if a.DeviceID != "phone-0001" || a.UserID != "li" || !a.Fresh || a.SessionID == "" {
		t.Fatalf("Authenticate actor=%+v, want li on phone-0001, fresh, with the session", *a)
	}
	d, err := e.Devices.FindDeviceByID(context.Background(), "li/phone-0001")
	if err != nil {
		t.Fatalf("device not stored: %v", err)
	}
	if d.UserID != "li" || d.DeviceID != "phone-0001" || d.Platform != backend.PlatformHarmonyOS || d.Name != "华为 Mate 60" ||
		!d.FirstSeen.Equal(start) || !d.LastSeen.Equal(start) || d.Revoked() {
		t.Fatalf("stored device %+v", d)
	}

	// A later login moves LastSeen and keeps FirstSeen; a refresh keeps the device.
	e.Clock.Advance(time.Hour)
	MustLoginDevice(t, e.Mobile, "li", phone("phone-0001"))
	d, err = e.Devices.FindDeviceByID(context.Background(), "li/phone-0001")
	if err != nil {
		t.Fatal(err)
	}
	if !d.FirstSeen.Equal(start) || !d.LastSeen.Equal(start.Add(time.Hour)) {
		t.Fatalf("after a second login first=%v last=%v, want %v %v", d.FirstSeen, d.LastSeen, start, start.Add(time.Hour))
	}
	refreshed, err := e.Mobile.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if got := claimsOf(t, refreshed.AccessToken)["did"]; got != "phone-0001" {
		t.Fatalf("did after refresh=%v, want phone-0001", got)
	}

	logins := auditEntries(t, e.env, "auth.login")
	if len(logins) != 2 {
		t.Fatalf("%d auth.login entries, want 2", len(logins))
	}
	if l := logins[0]; l.Actor != "li" || l.ObjectID != "li" || l.Detail != "device phone-0001 (harmonyos), first login from it" {
		t.Fatalf("first login entry=%+v", l)
	}
	if got, want := logins[1].Detail, "device phone-0001 (harmonyos)"; got != want {
		t.Fatalf("second login detail=%q, want %q", got, want)
	}
}

func TestLoginDeviceRejects(t *testing.T) {
	e := newDeviceEnv(t)
	e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
	tests := []struct {
		name     string
		password string
		device   backend.DeviceInfo
		wantCode string
	}{
		{"ErrNoDevice", testPassword, backend.DeviceInfo{}, backend.EINVALID},
		{"ErrShortID", testPassword, backend.DeviceInfo{ID: "short", Platform: backend.PlatformAndroid}, backend.EINVALID},
		{"ErrBadIDCharacter", testPassword, backend.DeviceInfo{ID: "phone.0001", Platform: backend.PlatformAndroid}, backend.EINVALID},
		{"ErrBadPlatform", testPassword, backend.DeviceInfo{ID: "phone-0001", Platform: "symbian"}, backend.EINVALID},
		{"ErrLongName", testPassword, backend.DeviceInfo{ID: "phone-0001", Name: strings.Repeat("n", 101), Platform: backend.PlatformIOS}, backend.EINVALID},
		{"ErrWrongPassword", "wrong password!", phone("phone-0001"), backend.EUNAUTHENTICATED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens, err := e.Mobile.LoginDevice(ctxFrom("192.0.2.1"), "li", tt.password, tt.device)
			wantCode(t, "LoginDevice", err, tt.wantCode)
			if tokens != nil {
				t.Fatalf("tokens=%v with an error", tokens)
			}
		})
	}
	// Nothing was recorded for the refused attempts.
	if list, err := e.Devices.FindDevicesOfUser(context.Background(), "li"); err != nil || len(list) != 0 {
		t.Fatalf("devices after refused logins: %v, %v; want none", list, err)
	}
}

// A service that requires a device refuses a login without one, and the
// tokens of a session opened without one (before devices were required).
func TestRequireDevice(t *testing.T) {
	e := newDeviceEnv(t)
	e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
	ctx := ctxFrom("192.0.2.1")

	_, err := e.Mobile.Login(ctx, "li", testPassword)
	wantCode(t, "Login without a device", err, backend.EINVALID)

	old := e.NewService(t, auth.Config{Audience: "fieldcheck-mobile"}, 8)
	unbound := MustLogin(t, old, "li", "192.0.2.1")
	_, err = e.Mobile.Authenticate(ctx, unbound.AccessToken)
	wantCode(t, "Authenticate an unbound session", err, backend.EUNAUTHENTICATED)
	_, err = e.Mobile.Refresh(ctx, unbound.RefreshToken)
	wantCode(t, "Refresh an unbound session", err, backend.EUNAUTHENTICATED)

	// The back office takes no device: Login works, its tokens carry none.
	tokens := MustLogin(t, e.Svc, "li", "192.0.2.1")
	if _, ok := claimsOf(t, tokens.AccessToken)["did"]; ok {
		t.Fatalf("back-office token carries a did")
	}
	a, err := e.Svc.Authenticate(ctx, tokens.AccessToken)
	if err != nil || a.DeviceID != "" {
		t.Fatalf("back-office Authenticate=%+v, %v; want no device", a, err)
	}
}

func TestRevokeDevice(t *testing.T) {
	e := newDeviceEnv(t)
	e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
	e.MustCreateUser(t, "wang", backend.RoleInspector, "scjg")
	e.MustCreateUser(t, "root", backend.RoleAdmin)
	ctx := ctxFrom("192.0.2.1")

	lost := MustLoginDevice(t, e.Mobile, "li", phone("phone-0001"))
	lost2 := MustLoginDevice(t, e.Mobile, "li", phone("phone-0001")) // a second session on it
	other := MustLoginDevice(t, e.Mobile, "li", phone("phone-0002"))
	wangs := MustLoginDevice(t, e.Mobile, "wang", phone("phone-0001")) // same id, another user

	admin := backend.WithActor(ctx, &backend.Actor{UserID: "root", Role: backend.RoleAdmin, ClientAddr: "192.0.2.5", Fresh: true})
	d, err := e.Admin.RevokeDevice(admin, "li", "phone-0001", "lost on site")
	if err != nil {
		t.Fatalf("RevokeDevice: %v", err)
	}
	if d.RevokedAt == nil || !d.RevokedAt.Equal(start) || d.RevokedBy != "root" || d.Reason != "lost on site" {
		t.Fatalf("revoked device %+v", d)
	}

	for _, tok := range []*auth.Tokens{lost, lost2} {
		_, err = e.Mobile.Authenticate(ctx, tok.AccessToken)
		wantCode(t, "write from the revoked device", err, backend.EFORBIDDEN)
		_, err = e.Mobile.Refresh(ctx, tok.RefreshToken)
		wantCode(t, "refresh from the revoked device", err, backend.EFORBIDDEN)
		if msg := backend.ErrorMessage(err); !strings.Contains(msg, "revoked") {
			t.Fatalf("refresh refused with %q, want it to say the device was revoked (the phone wipes on it)", msg)
		}
	}
	// A session ended otherwise stays a 401: the phone keeps its data.
	loggedOut := MustLoginDevice(t, e.Mobile, "li", phone("phone-0002"))
	if err := e.Mobile.Logout(ctx, loggedOut.RefreshToken); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err = e.Mobile.Refresh(ctx, loggedOut.RefreshToken)
	wantCode(t, "refresh of a logged-out session of a device in use", err, backend.EUNAUTHENTICATED)
	_, err = e.Mobile.LoginDevice(ctx, "li", testPassword, phone("phone-0001"))
	wantCode(t, "login from the revoked device", err, backend.EFORBIDDEN)
	if msg := backend.ErrorMessage(err); !strings.Contains(msg, "revoked") {
		t.Fatalf("message=%q, want it to say the device was revoked", msg)
	}

	// The user's other device and another user's device of the same id go on.
	for _, tok := range []*auth.Tokens{other, wangs} {
		if _, err := e.Mobile.Authenticate(ctx, tok.AccessToken); err != nil {
			t.Fatalf("write from an unrevoked device: %v", err)
		}
	}
	MustLoginDevice(t, e.Mobile, "li", phone("phone-0002"))
	MustLoginDevice(t, e.Mobile, "wang", phone("phone-0001"))

	// Revoking again keeps the first record.
	e.Clock.Advance(time.Minute)
	d, err = e.Admin.RevokeDevice(admin, "li", "phone-0001", "second thoughts")
	if err != nil || !d.RevokedAt.Equal(start) || d.Reason != "lost on site" {
		t.Fatalf("second RevokeDevice=%+v, %v; want the first revocation kept", d, err)
	}

	// The revocation's record travels with its write; the follow-ups'
	// (sessions, codes) comes after them under an intent (intent.go).
	revokes := auditEntries(t, e.env, "device.revoke")
	if len(revokes) != 1 {
		t.Fatalf("%d device.revoke entries, want 1", len(revokes))
	}
	if r := revokes[0]; r.Actor != "root" || r.ObjectType != "device" || r.ObjectID != "li/phone-0001" || r.Outcome != backend.OutcomeOK ||
		r.Detail != "reason: lost on site; its sessions and inspection codes are ended next" || r.ClientAddr != "192.0.2.5" || r.Key != "device/li/phone-0001/1" {
		t.Fatalf("revoke entry=%+v", r)
	}
	ended := auditEntries(t, e.env, "device.sessions_ended")
	if len(ended) != 2 || ended[0].Detail != "sessions ended: 2; inspection codes withdrawn: 0" || ended[1].Detail != "already revoked; sessions ended: 0; inspection codes withdrawn: 0" {
		t.Fatalf("device.sessions_ended entries=%+v, want the first revocation's and the second's", ended)
	}
	refused := auditEntries(t, e.env, "auth.login_failed")
	if len(refused) != 1 || refused[0].ObjectID != "li" || refused[0].Outcome != backend.OutcomeDenied || refused[0].Detail != "device phone-0001 was revoked" {
		t.Fatalf("auth.login_failed entries=%+v, want one for li's revoked device", refused)
	}
}

func TestRevokeDeviceRejects(t *testing.T) {
	e := newDeviceEnv(t)
	e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
	MustLoginDevice(t, e.Mobile, "li", phone("phone-0001"))
	as := func(role backend.Role, fresh bool) context.Context {
		return backend.WithActor(ctxFrom("192.0.2.5"), &backend.Actor{UserID: "someone", Role: role, Departments: []string{"scjg"}, Fresh: fresh})
	}
	tests := []struct {
		name     string
		ctx      context.Context
		user     string
		device   string
		reason   string
		wantCode string
	}{
		{"ErrAnonymous", context.Background(), "li", "phone-0001", "lost", backend.EUNAUTHENTICATED},
		{"ErrNotFresh", as(backend.RoleAdmin, false), "li", "phone-0001", "lost", backend.EUNAUTHENTICATED},
		{"ErrManager", as(backend.RoleManager, true), "li", "phone-0001", "lost", backend.EFORBIDDEN},
		{"ErrInspector", as(backend.RoleInspector, true), "li", "phone-0001", "lost", backend.EFORBIDDEN},
		{"ErrNoReason", as(backend.RoleAdmin, true), "li", "phone-0001", "  ", backend.EINVALID},
		{"ErrLongReason", as(backend.RoleAdmin, true), "li", "phone-0001", strings.Repeat("x", 501), backend.EINVALID},
		{"ErrMalformedDevice", as(backend.RoleAdmin, true), "li", "a/b", "lost", backend.EINVALID},
		{"ErrUnknownDevice", as(backend.RoleAdmin, true), "li", "phone-0009", "lost", backend.ENOTFOUND},
		{"ErrUnknownUser", as(backend.RoleAdmin, true), "Li/x", "phone-0001", "lost", backend.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Admin.RevokeDevice(tt.ctx, tt.user, tt.device, tt.reason)
			wantCode(t, "RevokeDevice", err, tt.wantCode)
		})
	}
	d, err := e.Devices.FindDeviceByID(context.Background(), "li/phone-0001")
	if err != nil || d.Revoked() {
		t.Fatalf("device after refused revocations: %+v, %v; want not revoked", d, err)
	}
	denied := auditEntries(t, e.env, "device.revoke")
	if len(denied) != 4 {
		t.Fatalf("%d device.revoke entries, want 4 denied ones", len(denied))
	}
	for _, a := range denied {
		if a.Outcome != backend.OutcomeDenied || a.ObjectID != "li/phone-0001" {
			t.Fatalf("entry %+v, want denied for li/phone-0001", a)
		}
	}
	// Listing is for administrators only too.
	if _, err := e.Admin.ListDevices(as(backend.RoleManager, true), "li"); !backend.IsCode(err, backend.EFORBIDDEN) {
		t.Fatalf("ListDevices as a manager: %v, want forbidden", err)
	}
	list, err := e.Admin.ListDevices(as(backend.RoleAdmin, false), "li")
	if err != nil || len(list) != 1 || list[0].DeviceID != "phone-0001" {
		t.Fatalf("ListDevices as an admin=%v, %v; want phone-0001", list, err)
	}
	if _, err := e.Admin.ListDevices(as(backend.RoleAdmin, false), "nobody"); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("ListDevices(unknown user): %v, want not found", err)
	}
}

// revokingStore revokes the device right after the login has checked it,
// before the login opens its session, as an administrator working at that
// moment would: the revocation's sweep of sessions cannot find the new one.
type revokingStore struct {
	backend.DeviceStore
	revoke func()
}

func (s *revokingStore) FindDeviceByID(ctx context.Context, id string) (*backend.Device, error) {
	d, err := s.DeviceStore.FindDeviceByID(ctx, id)
	if s.revoke != nil {
		s.revoke()
		s.revoke = nil
	}
	return d, err
}

// A revocation that lands while a login from the device is under way ends
// the session that login opened: no session of a revoked device survives.
func TestLoginDeviceRevokedMeanwhile(t *testing.T) {
	e := newDeviceEnv(t)
	e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
	MustLoginDevice(t, e.Mobile, "li", phone("phone-0001"))
	admin := backend.WithActor(ctxFrom("192.0.2.5"), &backend.Actor{UserID: "root", Role: backend.RoleAdmin, Fresh: true})
	store := &revokingStore{DeviceStore: e.Devices}
	store.revoke = func() {
		if _, err := e.Admin.RevokeDevice(admin, "li", "phone-0001", "stolen"); err != nil {
			t.Errorf("RevokeDevice: %v", err)
		}
	}
	e.Mobile.Devices = store
	_, err := e.Mobile.LoginDevice(ctxFrom("192.0.2.1"), "li", testPassword, phone("phone-0001"))
	wantCode(t, "login racing a revocation", err, backend.EFORBIDDEN)
	// Every session of the device is revoked, the racing one included.
	cur, err := e.DB.Database.Collection("token_families").Find(context.Background(), map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var families []*backend.TokenFamily
	if err := cur.All(context.Background(), &families); err != nil {
		t.Fatal(err)
	}
	if len(families) != 2 {
		t.Fatalf("%d sessions, want 2 (the first login's and the racing one's)", len(families))
	}
	for _, f := range families {
		if f.RevokedAt == nil {
			t.Fatalf("session %s of the revoked device is still open", f.ID)
		}
	}
}

// TestRevokeDeviceRollForward: a revocation whose process stopped after
// the device was stored revoked, before its sessions were ended, is
// completed by the roll-forward of its intent: the sessions end, and the
// follow-ups' record is chained once under the intent's key, however often
// the roll-forward runs. An intent whose revocation was never stored is
// dropped and ends nothing.
func TestRevokeDeviceRollForward(t *testing.T) {
	e := newDeviceEnv(t)
	intents := &backend.Intents{Store: &mongo.IntentStore{DB: e.DB}, Audit: e.AuditLog, Now: e.Clock.Now}
	e.Admin.Intents = intents
	e.Admin.RegisterIntents()
	e.MustCreateUser(t, "li", backend.RoleInspector)
	ctx := ctxFrom("192.0.2.1")
	lost := MustLoginDevice(t, e.Mobile, "li", phone("phone-0001"))
	kept := MustLoginDevice(t, e.Mobile, "li", phone("phone-0002"))
	admin := backend.WithActor(ctx, &backend.Actor{UserID: "root", Role: backend.RoleAdmin, ClientAddr: "192.0.2.5", Fresh: true})

	// What RevokeDevice stores before the process stops: the intents, the
	// first device's revocation with its record.
	for _, key := range []string{"li/phone-0001", "li/phone-0002"} {
		if _, err := intents.Begin(admin, "device.revoke", key, "device", key, "lost"); err != nil {
			t.Fatal(err)
		}
	}
	at := e.Clock.Now()
	d := &backend.Device{ID: "li/phone-0001", RevokedAt: &at, RevokedBy: "root", Reason: "lost"}
	d.Record(backend.AuditRecord{Action: "device.revoke", ObjectType: "device", ObjectID: d.ID})
	if err := e.Devices.RevokeDevice(admin, d); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Mobile.Authenticate(ctx, lost.AccessToken); err != nil {
		t.Fatalf("before the roll-forward the session is still open: %v", err)
	}

	for range 2 {
		if _, err := intents.RollForward(context.Background(), 0); err != nil {
			t.Fatalf("roll forward: %v", err)
		}
	}
	_, err := e.Mobile.Authenticate(ctx, lost.AccessToken)
	wantCode(t, "the revoked device's session after the roll-forward", err, backend.EFORBIDDEN)
	if _, err := e.Mobile.Authenticate(ctx, kept.AccessToken); err != nil {
		t.Fatalf("the device never revoked: %v, want its session kept", err)
	}
	ended := auditEntries(t, e.env, "device.sessions_ended")
	if len(ended) != 1 || ended[0].ObjectID != "li/phone-0001" || ended[0].Key != "intent/device.revoke/li/phone-0001/done" || ended[0].Actor != "system:roll-forward" {
		t.Fatalf("device.sessions_ended entries %+v, want one for phone-0001 keyed by its intent, by the roll-forward", ended)
	}
	if left, err := intents.Store.FindIntents(context.Background()); err != nil || len(left) != 0 {
		t.Fatalf("intents left %v (%v), want none", left, err)
	}
}
