package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
)

func TestRefresh(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	ctx := ctxFrom("192.0.2.1")
	first := MustLogin(t, e.Svc, "alice", "192.0.2.1")

	e.Clock.Advance(10 * time.Minute)
	second, err := e.Svc.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatalf("refresh returned the same tokens, want new ones")
	}
	if second.ExpiresIn != 900 {
		t.Fatalf("expiresIn=%d, want 900", second.ExpiresIn)
	}
	actor, err := e.Svc.Authenticate(ctx, second.AccessToken)
	if err != nil {
		t.Fatalf("Authenticate(new access token): %v", err)
	}
	if actor.UserID != "alice" {
		t.Fatalf("actor=%s, want alice", actor.UserID)
	}

	// The spent token presented again, past the grace for a lost answer:
	// refused, and the session is over.
	e.Clock.Advance(auth.RefreshGrace + time.Second)
	_, err = e.Svc.Refresh(ctx, first.RefreshToken)
	wantCode(t, "reuse of a spent refresh token", err, backend.EUNAUTHENTICATED)
	_, err = e.Svc.Refresh(ctx, second.RefreshToken)
	wantCode(t, "refresh with the newer token of the revoked family", err, backend.EUNAUTHENTICATED)
	_, err = e.Svc.Authenticate(ctx, second.AccessToken)
	wantCode(t, "an access token of the revoked family", err, backend.EUNAUTHENTICATED)

	// The family record says why.
	sessions := auditEntries(t, e, "auth.refresh_reuse")
	if len(sessions) != 1 {
		t.Fatalf("%d auth.refresh_reuse entries, want 1", len(sessions))
	}
	if sessions[0].ObjectID != "alice" || sessions[0].Outcome != backend.OutcomeDenied || sessions[0].ClientAddr != "192.0.2.1" {
		t.Fatalf("audit entry=%+v, want alice, denied, 192.0.2.1", sessions[0])
	}
	// Replaying the spent token again changes nothing and is not audited twice.
	_, err = e.Svc.Refresh(ctx, first.RefreshToken)
	wantCode(t, "second reuse", err, backend.EUNAUTHENTICATED)
	if n := len(auditEntries(t, e, "auth.refresh_reuse")); n != 1 {
		t.Fatalf("%d auth.refresh_reuse entries after a replay, want 1", n)
	}

	// Another login is a new session, unaffected.
	third := MustLogin(t, e.Svc, "alice", "192.0.2.1")
	if _, err := e.Svc.Refresh(ctx, third.RefreshToken); err != nil {
		t.Fatalf("refresh in a new session: %v", err)
	}
}

func TestRefreshRejects(t *testing.T) {
	e := newEnv(t, auth.Config{RefreshTTL: 24 * time.Hour, SessionTTL: 36 * time.Hour})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	tokens := MustLogin(t, e.Svc, "alice", "192.0.2.1")
	ctx := ctxFrom("192.0.2.1")

	tests := []struct {
		name    string
		token   string
		wantMsg string
	}{
		{"ErrEmpty", "", "invalid refresh token"},
		{"ErrMalformed", "not-a-refresh-token", "invalid refresh token"},
		{"ErrUnknown", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "invalid refresh token"},
		{"ErrAccessTokenInstead", tokens.AccessToken, "invalid refresh token"},
		{"ErrOperator", `{"$ne":null}`, "invalid refresh token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Svc.Refresh(ctx, tt.token)
			wantCode(t, "Refresh", err, backend.EUNAUTHENTICATED)
			if got := backend.ErrorMessage(err); got != tt.wantMsg {
				t.Fatalf("message=%q, want %q", got, tt.wantMsg)
			}
		})
	}

	t.Run("ErrExpired", func(t *testing.T) {
		e.Clock.Set(start.Add(24 * time.Hour))
		_, err := e.Svc.Refresh(ctx, tokens.RefreshToken)
		wantCode(t, "Refresh", err, backend.EUNAUTHENTICATED)
		if got, want := backend.ErrorMessage(err), "session expired; log in again"; got != want {
			t.Fatalf("message=%q, want %q", got, want)
		}
	})

	t.Run("ErrSessionOverSessionTTL", func(t *testing.T) {
		e.Clock.Set(start)
		tokens := MustLogin(t, e.Svc, "alice", "192.0.2.1")
		// Refreshing every 20 hours keeps each refresh token fresh, but the
		// session ends 36 hours after the login all the same.
		e.Clock.Set(start.Add(20 * time.Hour))
		tokens, err := e.Svc.Refresh(ctx, tokens.RefreshToken)
		if err != nil {
			t.Fatalf("Refresh at 20h: %v", err)
		}
		e.Clock.Set(start.Add(36 * time.Hour))
		_, err = e.Svc.Refresh(ctx, tokens.RefreshToken)
		wantCode(t, "Refresh at 36h", err, backend.EUNAUTHENTICATED)
	})
}

// Ten clients race with the same refresh token: exactly one gets new tokens.
// The others are reuse, so the session ends for everyone.
func TestRefreshConcurrent(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	tokens := MustLogin(t, e.Svc, "alice", "192.0.2.1")

	const n = 10
	var (
		wg      sync.WaitGroup
		ready   = make(chan struct{})
		results = make([]*auth.Tokens, n)
		errs    = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-ready
			results[i], errs[i] = e.Svc.Refresh(ctxFrom("192.0.2.1"), tokens.RefreshToken)
		})
	}
	close(ready)
	wg.Wait()

	// One spends the token. A racer that reads it spent while its
	// successor is stored and unused is taken for a client retrying a lost
	// answer (RefreshGrace) and gets tokens too; there is room for one such
	// retry, so the other eight are reuse and end the session.
	var won []*auth.Tokens
	for i, err := range errs {
		if err == nil {
			won = append(won, results[i])
			continue
		}
		wantCode(t, "losing refresh", err, backend.EUNAUTHENTICATED)
	}
	if len(won) < 1 || len(won) > 2 {
		t.Fatalf("%d refreshes succeeded, want 1 or 2 (errors: %v)", len(won), errs)
	}
	for _, w := range won {
		_, err := e.Svc.Refresh(ctxFrom("192.0.2.1"), w.RefreshToken)
		wantCode(t, "refresh with a winner's token after the race", err, backend.EUNAUTHENTICATED)
	}
}

// A client that lost the answer to its refresh presents the spent token
// again: within RefreshGrace, while the token it was spent for is unused,
// it gets new tokens and the session goes on; otherwise it is reuse.
func TestRefreshRetryOfALostAnswer(t *testing.T) {
	tests := []struct {
		name string
		// before the retry: wait, and whether the lost answer's token was
		// used meanwhile (by whoever holds it)
		wait         time.Duration
		lostUsed     bool
		retries      int // presentations of the spent token
		wantRetryOK  bool
		wantSessions int // auth.refresh_retry entries
	}{
		{"RetriedAtOnce", 0, false, 1, true, 1},
		{"RetriedAtTheEndOfTheGrace", auth.RefreshGrace, false, 1, true, 1},
		{"ErrRetriedAfterTheGrace", auth.RefreshGrace + time.Millisecond, false, 1, false, 0},
		{"ErrLostAnswerUsedMeanwhile", time.Second, true, 1, false, 0},
		{"ErrRetriedTwice", time.Second, false, 2, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, auth.Config{})
			e.MustCreateUser(t, "alice", backend.RoleInspector, "scjg")
			ctx := ctxFrom("192.0.2.1")
			first := MustLogin(t, e.Svc, "alice", "192.0.2.1")
			lost, err := e.Svc.Refresh(ctx, first.RefreshToken) // the answer that never arrived
			if err != nil {
				t.Fatal(err)
			}
			e.Clock.Advance(tt.wait)
			if tt.lostUsed {
				if _, err := e.Svc.Refresh(ctx, lost.RefreshToken); err != nil {
					t.Fatal(err)
				}
			}
			var got *auth.Tokens
			for i := range tt.retries {
				got, err = e.Svc.Refresh(ctx, first.RefreshToken)
				if i < tt.retries-1 && err != nil {
					t.Fatalf("retry %d: %v", i+1, err)
				}
			}
			if n := len(auditEntries(t, e, "auth.refresh_retry")); n != tt.wantSessions {
				t.Fatalf("%d auth.refresh_retry entries, want %d", n, tt.wantSessions)
			}
			if !tt.wantRetryOK {
				wantCode(t, "retry", err, backend.EUNAUTHENTICATED)
				if n := len(auditEntries(t, e, "auth.refresh_reuse")); n != 1 {
					t.Fatalf("%d auth.refresh_reuse entries, want 1", n)
				}
				_, err := e.Svc.Authenticate(ctx, lost.AccessToken)
				wantCode(t, "the session's access token after reuse", err, backend.EUNAUTHENTICATED)
				return
			}
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if _, err := e.Svc.Authenticate(ctx, got.AccessToken); err != nil {
				t.Fatalf("the retry's access token: %v", err)
			}
			// The session goes on with the retry's token, later too.
			e.Clock.Advance(10 * time.Minute)
			if _, err := e.Svc.Refresh(ctx, got.RefreshToken); err != nil {
				t.Fatalf("refresh with the retry's token: %v", err)
			}
			// The lost answer's token, spent by the retry, is reuse once the
			// grace is over: whoever holds it now ends the session.
			_, err = e.Svc.Refresh(ctx, lost.RefreshToken)
			wantCode(t, "the lost answer's token later", err, backend.EUNAUTHENTICATED)
		})
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	ctx := ctxFrom("192.0.2.7")
	tokens := MustLogin(t, e.Svc, "alice", "192.0.2.7")
	other := MustLogin(t, e.Svc, "alice", "192.0.2.8") // another device

	if err := e.Svc.Logout(ctx, tokens.RefreshToken); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err := e.Svc.Refresh(ctx, tokens.RefreshToken)
	wantCode(t, "refresh after logout", err, backend.EUNAUTHENTICATED)
	_, err = e.Svc.Authenticate(ctx, tokens.AccessToken)
	wantCode(t, "write after logout", err, backend.EUNAUTHENTICATED)
	if got, want := backend.ErrorMessage(err), "session was ended; log in again"; got != want {
		t.Fatalf("message=%q, want %q", got, want)
	}
	if err := e.Svc.Logout(ctx, tokens.RefreshToken); err != nil {
		t.Fatalf("second Logout: %v, want nil", err)
	}
	err = e.Svc.Logout(ctx, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	wantCode(t, "Logout(unknown token)", err, backend.EUNAUTHENTICATED)

	// The other session goes on.
	if _, err := e.Svc.Authenticate(ctx, other.AccessToken); err != nil {
		t.Fatalf("write in the other session: %v", err)
	}
	if _, err := e.Svc.Refresh(ctx, other.RefreshToken); err != nil {
		t.Fatalf("refresh in the other session: %v", err)
	}

	logouts := auditEntries(t, e, "auth.logout")
	if len(logouts) != 1 {
		t.Fatalf("%d auth.logout entries, want 1", len(logouts))
	}
	if l := logouts[0]; l.Actor != "alice" || l.ObjectID != "alice" || l.ClientAddr != "192.0.2.7" || l.Outcome != backend.OutcomeOK {
		t.Fatalf("logout entry=%+v, want alice from 192.0.2.7, ok", l)
	}
}

// auditEntries returns the audit entries with the given action, oldest first.
func auditEntries(tb testing.TB, e *env, action string) []*backend.AuditEntry {
	tb.Helper()
	var out []*backend.AuditEntry
	err := e.Audit.ScanAudit(context.Background(), func(a *backend.AuditEntry) error {
		if a.Action == action {
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("ScanAudit: %v", err)
	}
	return out
}

// TestRefreshBoundToAudience: a session opened on the mobile API cannot be
// refreshed on the back-office API, and its access tokens are refused there.
func TestRefreshBoundToAudience(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "li", backend.RoleInspector, "scjg")
	mobile := e.NewService(t, auth.Config{Audience: "fieldcheck-mobile"}, 2)
	toks, err := mobile.Login(context.Background(), "li", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Refresh(context.Background(), toks.RefreshToken); backend.ErrorCode(err) != backend.EUNAUTHENTICATED {
		t.Fatalf("back-office refresh of a mobile session: %v, want unauthenticated", err)
	}
	if _, err := e.Svc.Authenticate(context.Background(), toks.AccessToken); backend.ErrorCode(err) != backend.EUNAUTHENTICATED {
		t.Fatalf("back office accepted a mobile access token: %v", err)
	}
	if _, err := mobile.Refresh(context.Background(), toks.RefreshToken); err != nil {
		t.Fatalf("mobile refresh of its own session: %v", err)
	}
}
