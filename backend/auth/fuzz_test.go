package auth_test

import (
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
)

// FuzzParseToken feeds arbitrary strings to Authenticate: it must never
// panic, and anything but the one genuine token is EUNAUTHENTICATED.
// Seeds are in testdata/fuzz/FuzzParseToken, plus a genuine token.
func FuzzParseToken(f *testing.F) {
	e := newEnv(f, auth.Config{})
	e.MustCreateUser(f, "alice", backend.RoleManager, "scjg")
	good := MustLogin(f, e.Svc, "alice", "192.0.2.1").AccessToken
	f.Add(good)
	ctx := ctxFrom("192.0.2.1")
	f.Fuzz(func(t *testing.T, token string) {
		actor, err := e.Svc.Authenticate(ctx, token)
		if token == good {
			if err != nil {
				t.Fatalf("genuine token refused: %v", err)
			}
			return
		}
		if got := backend.ErrorCode(err); got != backend.EUNAUTHENTICATED {
			t.Fatalf("Authenticate(%q): code=%q (err=%v, actor=%+v), want %q", token, got, err, actor, backend.EUNAUTHENTICATED)
		}
	})
}
