package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// adminCtx is a request of an administrator whose session was checked.
func adminCtx() context.Context {
	return backend.WithActor(ctxFrom("192.0.2.5"), &backend.Actor{UserID: "root", Role: backend.RoleAdmin, ClientAddr: "192.0.2.5", Fresh: true})
}

// usersService is the administrators' account service on e's stores.
func usersService(e *env) *backend.Users {
	return &backend.Users{Store: e.Users, Departments: &mongo.DepartmentStore{DB: e.DB}, Codes: &mongo.CodeKeyStore{DB: e.DB}, Audit: e.AuditLog, Now: e.Clock.Now}
}

// Every way an administrator ends a user's sessions ends all of them at
// once, on both APIs and every device, refreshes included; the user's
// inspection codes still valid are withdrawn; other users are unaffected;
// the user can log in again.
func TestSessionsEndedByAdministrator(t *testing.T) {
	tests := []struct {
		name   string
		action string
		end    func(*backend.Users) error
	}{
		{"EndSessions", "user.end_sessions", func(u *backend.Users) error { _, err := u.EndSessions(adminCtx(), "li"); return err }},
		{"ResetPassword", "user.reset_password", func(u *backend.Users) error {
			_, err := u.ResetPassword(adminCtx(), "li", testPassword) // the same password: the sessions end all the same
			return err
		}},
		{"DisableEnable", "user.enable", func(u *backend.Users) error {
			if _, err := u.SetDisabled(adminCtx(), "li", true); err != nil {
				return err
			}
			_, err := u.SetDisabled(adminCtx(), "li", false)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newDeviceEnv(t)
			e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
			e.MustCreateUser(t, "wang", backend.RoleInspector, "scjg")
			users := usersService(e.env)
			codes := &mongo.CodeKeyStore{DB: e.DB}
			ctx := ctxFrom("192.0.2.1")
			for _, c := range []*backend.CodeIssue{
				{Serial: "00000000000000a1", UserID: "li", DeviceID: "phone-0001", TaskID: "t1", IssuedAt: start, ExpiresAt: start.Add(10 * time.Minute)},
				{Serial: "00000000000000a2", UserID: "li", DeviceID: "phone-0002", TaskID: "t1", IssuedAt: start, ExpiresAt: start.Add(10 * time.Minute)},
				{Serial: "00000000000000a3", UserID: "li", DeviceID: "phone-0001", TaskID: "t1", IssuedAt: start.Add(-time.Hour), ExpiresAt: start.Add(-50 * time.Minute)},
				{Serial: "00000000000000b1", UserID: "wang", DeviceID: "phone-0003", TaskID: "t1", IssuedAt: start, ExpiresAt: start.Add(10 * time.Minute)},
			} {
				if err := codes.RecordCodeIssue(context.Background(), c); err != nil {
					t.Fatal(err)
				}
			}

			li := []*struct {
				svc    *auth.Service
				tokens *auth.Tokens
			}{
				{e.Svc, MustLogin(t, e.Svc, "li", "192.0.2.1")},
				{e.Mobile, MustLoginDevice(t, e.Mobile, "li", phone("phone-0001"))},
				{e.Mobile, MustLoginDevice(t, e.Mobile, "li", phone("phone-0002"))},
			}
			wang := MustLoginDevice(t, e.Mobile, "wang", phone("phone-0003"))
			if err := tt.end(users); err != nil {
				t.Fatal(err)
			}

			for i, s := range li {
				_, err := s.svc.Authenticate(ctx, s.tokens.AccessToken)
				wantCode(t, "request of an ended session", err, backend.EUNAUTHENTICATED)
				if got := backend.ErrorMessage(err); !strings.Contains(got, "ended by an administrator") {
					t.Fatalf("session %d: message=%q, want it to say an administrator ended it", i, got)
				}
				_, err = s.svc.Refresh(ctx, s.tokens.RefreshToken)
				wantCode(t, "refresh of an ended session", err, backend.EUNAUTHENTICATED)
			}
			if _, err := e.Mobile.Authenticate(ctx, wang.AccessToken); err != nil {
				t.Fatalf("another user's session: %v", err)
			}
			for serial, want := range map[string]bool{"00000000000000a1": true, "00000000000000a2": true, "00000000000000a3": false, "00000000000000b1": false} {
				if got, err := codes.IsRevoked(context.Background(), serial); err != nil || got != want {
					t.Fatalf("code %s revoked=%v (%v), want %v", serial, got, err, want)
				}
			}
			entries := auditEntries(t, e.env, tt.action)
			if len(entries) != 1 || entries[0].Actor != "root" || !strings.Contains(entries[0].Detail, "every session ended") {
				t.Fatalf("%s entries=%+v, want one by root saying the sessions ended", tt.action, entries)
			}
			// The codes withdrawn are the follow-up's record (intent.go).
			var withdrawn []*backend.AuditEntry
			for _, w := range auditEntries(t, e.env, "code.withdraw") {
				if strings.Contains(w.Detail, "("+tt.action+")") {
					withdrawn = append(withdrawn, w)
				}
			}
			if len(withdrawn) != 1 || withdrawn[0].Actor != "root" || withdrawn[0].Detail != "sessions ended ("+tt.action+"); inspection codes withdrawn: 2" {
				t.Fatalf("code.withdraw entries=%+v, want one by root counting 2 codes", withdrawn)
			}

			again := MustLoginDevice(t, e.Mobile, "li", phone("phone-0001"))
			if _, err := e.Mobile.Authenticate(ctx, again.AccessToken); err != nil {
				t.Fatalf("a login after the sessions ended: %v", err)
			}
		})
	}
}

// hookUsers runs hook once, right after the first user lookup returns:
// a change committed between a login's read of the user and its session.
type hookUsers struct {
	backend.UserStore
	hook func()
}

func (h *hookUsers) FindUserByID(ctx context.Context, id string) (*backend.User, error) {
	u, err := h.UserStore.FindUserByID(ctx, id)
	if f := h.hook; f != nil {
		h.hook = nil
		f()
	}
	return u, err
}

// A reset committed while a login with the old password is under way
// (after the login read the user, before it stored its session) still
// ends that session: it carries the epoch of the record it checked.
func TestResetDuringLogin(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
	users := usersService(e)
	svc := e.NewService(t, auth.Config{}, 9)
	svc.Users = &hookUsers{UserStore: e.Users, hook: func() {
		if _, err := users.ResetPassword(adminCtx(), "li", "a new password, 16"); err != nil {
			t.Errorf("ResetPassword: %v", err)
		}
	}}
	tokens := MustLogin(t, svc, "li", "192.0.2.1") // the old password, checked against the record read before the reset
	_, err := e.Svc.Authenticate(ctxFrom("192.0.2.1"), tokens.AccessToken)
	wantCode(t, "the session of the racing login", err, backend.EUNAUTHENTICATED)
	_, err = e.Svc.Refresh(ctxFrom("192.0.2.1"), tokens.RefreshToken)
	wantCode(t, "its refresh", err, backend.EUNAUTHENTICATED)
}

// A service limited to some roles (the phones': inspectors) refuses the
// others once their password was right, without counting a failure, and
// drops a session whose user changed role.
func TestRoles(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
	e.MustCreateUser(t, "boss", backend.RoleManager, "scjg")
	e.MustCreateUser(t, "root", backend.RoleAdmin)
	inspectors := e.NewService(t, auth.Config{Audience: "fieldcheck-mobile", Roles: []backend.Role{backend.RoleInspector}}, 10)
	ctx := ctxFrom("192.0.2.1")

	for _, user := range []string{"boss", "root"} {
		for range 10 { // more than the free failures: none is counted
			_, err := inspectors.Login(ctx, user, testPassword)
			wantCode(t, "login of a "+user, err, backend.EFORBIDDEN)
			if got, want := backend.ErrorMessage(err), "only inspector accounts may use this API"; !strings.HasPrefix(got, want) {
				t.Fatalf("message=%q, want it to start with %q", got, want)
			}
		}
		_, err := inspectors.Login(ctx, user, "wrong password!")
		wantCode(t, "wrong password of a "+user, err, backend.EUNAUTHENTICATED) // the role is told only to who knows the password
		MustLogin(t, e.Svc, user, "192.0.2.1")                                  // the back office serves every role
	}
	if n := len(auditEntries(t, e, "auth.login_failed")); n != 22 {
		t.Fatalf("%d auth.login_failed entries, want 22", n)
	}

	tokens := MustLogin(t, inspectors, "li", "192.0.2.1")
	u, err := e.Users.FindUserByID(context.Background(), "li")
	if err != nil {
		t.Fatal(err)
	}
	u.Role = backend.RoleManager
	if err := e.Users.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	_, err = inspectors.Authenticate(ctx, tokens.AccessToken)
	wantCode(t, "request after the role changed", err, backend.EFORBIDDEN)
	_, err = inspectors.Refresh(ctx, tokens.RefreshToken)
	wantCode(t, "refresh after the role changed", err, backend.EFORBIDDEN)
}

// CheckSession says whether an authenticated actor's session is still
// open.
func TestCheckSession(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
	ctx := ctxFrom("192.0.2.1")
	tokens := MustLogin(t, e.Svc, "li", "192.0.2.1")
	a, err := e.Svc.Authenticate(ctx, tokens.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.CheckSession(ctx, a); err != nil {
		t.Fatalf("open session: %v", err)
	}
	for _, tt := range []struct {
		name  string
		actor *backend.Actor
	}{
		{"ErrNoActor", nil},
		{"ErrNoSession", &backend.Actor{UserID: "li", Role: backend.RoleInspector, Fresh: true}},
		{"ErrOtherUsersSession", &backend.Actor{UserID: "wang", Role: backend.RoleInspector, SessionID: a.SessionID, Fresh: true}},
		{"ErrOtherDevice", &backend.Actor{UserID: "li", Role: backend.RoleInspector, SessionID: a.SessionID, DeviceID: "phone-0009", Fresh: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, "CheckSession", e.Svc.CheckSession(ctx, tt.actor), backend.EUNAUTHENTICATED)
		})
	}
	if err := e.Svc.Logout(ctx, tokens.RefreshToken); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "CheckSession after logout", e.Svc.CheckSession(ctx, a), backend.EUNAUTHENTICATED)
}

// TestEndSessionsRollForward: a password reset whose process stopped after
// the user was stored with the new epoch, before the user's codes were
// withdrawn, is completed by its intent's roll-forward: the codes are
// withdrawn and the withdrawal recorded once under the intent's key. An
// intent whose change never reached the store is dropped.
func TestEndSessionsRollForward(t *testing.T) {
	e := newEnv(t, auth.Config{})
	intents := &backend.Intents{Store: &mongo.IntentStore{DB: e.DB}, Audit: e.AuditLog, Now: e.Clock.Now}
	users := usersService(e)
	users.Intents = intents
	users.RegisterIntents()
	e.MustCreateUser(t, "li", backend.RoleInspector)
	e.MustCreateUser(t, "wang", backend.RoleInspector)
	codes := &mongo.CodeKeyStore{DB: e.DB}
	for _, c := range []*backend.CodeIssue{
		{Serial: "00000000000000a1", UserID: "li", TaskID: "t1", IssuedAt: start, ExpiresAt: start.Add(10 * time.Minute)},
		{Serial: "00000000000000b1", UserID: "wang", TaskID: "t1", IssuedAt: start, ExpiresAt: start.Add(10 * time.Minute)},
	} {
		if err := codes.RecordCodeIssue(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	// What update stores before the process stops: li's intent and li
	// with the next epoch; wang's intent, and nothing of wang.
	for _, id := range []string{"li/1", "wang/1"} {
		if _, err := intents.Begin(adminCtx(), "user.end_sessions", id, "user", strings.Split(id, "/")[0], "user.reset_password"); err != nil {
			t.Fatal(err)
		}
	}
	li, err := e.Users.FindUserByID(context.Background(), "li")
	if err != nil {
		t.Fatal(err)
	}
	li.SessionEpoch++
	li.Record(backend.AuditRecord{Action: "user.reset_password", ObjectType: "user", ObjectID: "li"})
	if err := e.Users.UpdateUser(adminCtx(), li); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		if _, err := intents.RollForward(context.Background(), 0); err != nil {
			t.Fatalf("roll forward: %v", err)
		}
	}
	for serial, want := range map[string]bool{"00000000000000a1": true, "00000000000000b1": false} {
		if got, err := codes.IsRevoked(context.Background(), serial); err != nil || got != want {
			t.Fatalf("code %s revoked=%v (%v), want %v", serial, got, err, want)
		}
	}
	withdrawn := auditEntries(t, e, "code.withdraw")
	if len(withdrawn) != 1 || withdrawn[0].ObjectID != "li" || withdrawn[0].Key != "intent/user.end_sessions/li/1/done" ||
		withdrawn[0].Detail != "sessions ended (user.reset_password); inspection codes withdrawn: 1" {
		t.Fatalf("code.withdraw entries %+v, want li's one, keyed by its intent", withdrawn)
	}
	if left, err := intents.Store.FindIntents(context.Background()); err != nil || len(left) != 0 {
		t.Fatalf("intents left %v (%v), want none", left, err)
	}
}
