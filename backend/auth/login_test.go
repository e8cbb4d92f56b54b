package auth_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
)

func TestLogin(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	e.MustCreateUser(t, "dora", backend.RoleInspector, "scjg")
	e.MustDisable(t, "dora")

	tests := []struct {
		name     string
		username string
		password string
		wantCode string
		wantMsg  string
	}{
		{"OK", "alice", testPassword, "", ""},
		{"OKUpperCaseAndSpaces", "  Alice ", testPassword, "", ""},
		{"ErrWrongPassword", "alice", "wrong password!", backend.EUNAUTHENTICATED, "wrong username or password"},
		{"ErrUnknownUser", "nobody", testPassword, backend.EUNAUTHENTICATED, "wrong username or password"},
		{"ErrMalformedUsername", "$where", testPassword, backend.EUNAUTHENTICATED, "wrong username or password"},
		{"ErrEmpty", "", "", backend.EUNAUTHENTICATED, "wrong username or password"},
		{"ErrDisabledWrongPassword", "dora", "wrong password!", backend.EUNAUTHENTICATED, "wrong username or password"},
		{"ErrDisabled", "dora", testPassword, backend.EUNAUTHENTICATED, "account disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens, err := e.Svc.Login(ctxFrom("192.0.2.1"), tt.username, tt.password)
			if got := backend.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code=%q (err=%v), want %q", got, err, tt.wantCode)
			}
			if got := backend.ErrorMessage(err); got != tt.wantMsg {
				t.Fatalf("message=%q, want %q", got, tt.wantMsg)
			}
			if err != nil {
				if tokens != nil {
					t.Fatalf("tokens=%v with an error, want nil", tokens)
				}
				return
			}
			if tokens.ExpiresIn != 900 {
				t.Errorf("expiresIn=%d, want 900", tokens.ExpiresIn)
			}
			if len(tokens.RefreshToken) != 43 {
				t.Errorf("refresh token has %d characters, want 43", len(tokens.RefreshToken))
			}
			actor, err := e.Svc.Authenticate(ctxFrom("192.0.2.9"), tokens.AccessToken)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			want := backend.Actor{UserID: "alice", Role: backend.RoleManager, Departments: []string{"scjg"}, ClientAddr: "192.0.2.9", Fresh: true}
			if actor.UserID != want.UserID || actor.Role != want.Role || !slices.Equal(actor.Departments, want.Departments) || actor.ClientAddr != want.ClientAddr ||
				actor.Fresh != want.Fresh || actor.SessionID != claimsOf(t, tokens.AccessToken)["sid"] {
				t.Fatalf("actor=%+v, want %+v with the token's session", *actor, want)
			}
		})
	}
}

func TestTokensJSON(t *testing.T) {
	b, err := json.Marshal(auth.Tokens{AccessToken: "a", RefreshToken: "r", ExpiresIn: 900})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"accessToken":"a","refreshToken":"r","expiresIn":900}`; got != want {
		t.Fatalf("json=%s, want %s", got, want)
	}
}

// A disabled user is refused at once, on every request and refresh, and
// cannot log in again. (Users.SetDisabled also ends the sessions; this is
// the store alone.)
func TestDisabledUser(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	tokens := MustLogin(t, e.Svc, "alice", "192.0.2.1")
	e.MustDisable(t, "alice")
	ctx := ctxFrom("192.0.2.1")

	_, err := e.Svc.Authenticate(ctx, tokens.AccessToken)
	wantCode(t, "request", err, backend.EUNAUTHENTICATED)
	if got, want := backend.ErrorMessage(err), "account disabled"; got != want {
		t.Fatalf("request message=%q, want %q", got, want)
	}
	_, err = e.Svc.Refresh(ctx, tokens.RefreshToken)
	wantCode(t, "refresh", err, backend.EUNAUTHENTICATED)
	if got, want := backend.ErrorMessage(err), "account disabled"; got != want {
		t.Fatalf("refresh message=%q, want %q", got, want)
	}
	_, err = e.Svc.Login(ctx, "alice", testPassword)
	wantCode(t, "login", err, backend.EUNAUTHENTICATED)
}

// Every request re-reads the user, so a role change applies at once.
func TestAuthenticateUsesStoredUser(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	tokens := MustLogin(t, e.Svc, "alice", "192.0.2.1")
	u, err := e.Users.FindUserByID(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	u.Role, u.Departments = backend.RoleReviewer, []string{"zjj"}
	if err := e.Users.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	a, err := e.Svc.Authenticate(ctxFrom("192.0.2.1"), tokens.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if a.Role != backend.RoleReviewer || !slices.Equal(a.Departments, []string{"zjj"}) || !a.Fresh {
		t.Errorf("actor role=%s departments=%v fresh=%v, want %s [zjj] (from the store), fresh", a.Role, a.Departments, a.Fresh, backend.RoleReviewer)
	}
}
