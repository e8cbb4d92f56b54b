package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
)

func TestThrottleAccount(t *testing.T) {
	for _, username := range []string{"alice", "ghost"} { // existing or not, the same
		t.Run(username, func(t *testing.T) {
			e := newEnv(t, auth.Config{})
			e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
			// Each attempt from another address, so only the account limit applies.
			for i := range 5 {
				_, err := e.Svc.Login(ctxFrom(fmt.Sprintf("198.51.100.%d", i)), username, "wrong password!")
				wantCode(t, fmt.Sprintf("failure %d", i+1), err, backend.EUNAUTHENTICATED)
			}
			// The sixth is refused, right password or not, before any check.
			_, err := e.Svc.Login(ctxFrom("198.51.100.50"), username, testPassword)
			wantCode(t, "6th attempt", err, backend.ETOOMANY)
			// start is 09:07:30 Beijing time; the window ends at 09:15.
			if got, want := backend.ErrorMessage(err), "too many failed logins for this account; try again in 8 minutes (after 09:15)"; got != want {
				t.Fatalf("message=%q, want %q", got, want)
			}
			var te *auth.ThrottleError
			if !errors.As(err, &te) {
				t.Fatalf("err=%v, want a *auth.ThrottleError inside", err)
			}
			windowEnd := time.Date(2026, 3, 2, 9, 15, 0, 0, backend.China)
			if !te.Until.Equal(windowEnd) {
				t.Fatalf("until=%v, want %v", te.Until, windowEnd)
			}

			// Other accounts are not affected.
			if username == "ghost" {
				MustLogin(t, e.Svc, "alice", "198.51.100.60")
			}

			e.Clock.Set(windowEnd.Add(-time.Second))
			_, err = e.Svc.Login(ctxFrom("198.51.100.51"), username, testPassword)
			wantCode(t, "last second of the window", err, backend.ETOOMANY)

			e.Clock.Set(windowEnd)
			_, err = e.Svc.Login(ctxFrom("198.51.100.52"), username, testPassword)
			want := ""
			if username == "ghost" {
				want = backend.EUNAUTHENTICATED
			}
			wantCode(t, "first attempt of the next window", err, want)

			throttled := auditEntries(t, e, "auth.login_throttled")
			if len(throttled) != 1 {
				t.Fatalf("%d auth.login_throttled entries, want 1 (one per lock)", len(throttled))
			}
			if th := throttled[0]; th.ObjectType != "user" || th.ObjectID != username || th.Outcome != backend.OutcomeDenied || th.ClientAddr != "198.51.100.50" {
				t.Fatalf("throttle entry=%+v, want user %s denied from 198.51.100.50", th, username)
			}
		})
	}
}

// Successful logins are not counted.
func TestThrottleSuccessNotCounted(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	for range 4 {
		_, err := e.Svc.Login(ctxFrom("192.0.2.1"), "alice", "wrong password!")
		wantCode(t, "failure", err, backend.EUNAUTHENTICATED)
	}
	for range 10 {
		MustLogin(t, e.Svc, "alice", "192.0.2.1")
	}
	_, err := e.Svc.Login(ctxFrom("192.0.2.1"), "alice", "wrong password!")
	wantCode(t, "5th failure", err, backend.EUNAUTHENTICATED)
	_, err = e.Svc.Login(ctxFrom("192.0.2.1"), "alice", testPassword)
	wantCode(t, "after the 5th failure", err, backend.ETOOMANY)
}

func TestThrottleAddress(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")

	tests := []struct {
		name     string
		attacker string // 20 failures from here, each at another account
		victim   string // then alice logs in from here
		wantCode string
	}{
		{"ErrSameAddress", "203.0.113.5", "203.0.113.5", backend.ETOOMANY},
		{"ErrSameAddressOtherPort", "203.0.113.6:50000", "203.0.113.6:50001", backend.ETOOMANY},
		{"ErrSameIPv6Slash64", "2001:db8:1:2::1", "2001:db8:1:2:ffff::9", backend.ETOOMANY},
		{"ErrIPv4Mapped", "203.0.113.7", "::ffff:203.0.113.7", backend.ETOOMANY},
		{"OKOtherAddress", "203.0.113.8", "203.0.113.9", ""},
		{"OKOtherIPv6Slash64", "2001:db8:1:3::1", "2001:db8:1:4::1", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for j := range 20 {
				_, err := e.Svc.Login(ctxFrom(tt.attacker), fmt.Sprintf("user%d-%d", i, j), "wrong password!")
				wantCode(t, fmt.Sprintf("failure %d", j+1), err, backend.EUNAUTHENTICATED)
			}
			_, err := e.Svc.Login(ctxFrom(tt.victim), "alice", testPassword)
			wantCode(t, "login after 20 failures", err, tt.wantCode)
			if tt.wantCode == backend.ETOOMANY && !strings.Contains(backend.ErrorMessage(err), "this address; try again in") {
				t.Fatalf("message=%q, want it to name the address and say when to retry", backend.ErrorMessage(err))
			}
		})
	}

	// The next window forgives the addresses.
	e.Clock.Set(time.Date(2026, 3, 2, 9, 15, 0, 0, backend.China))
	MustLogin(t, e.Svc, "alice", "203.0.113.5")
}

// With limits of a few attempts, many concurrent guesses at one account still
// get no more password checks than the limit.
func TestThrottleConcurrent(t *testing.T) {
	e := newEnv(t, auth.Config{Throttle: auth.ThrottleConfig{MaxAccountFailures: 3}})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	const n = 12
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := e.Svc.Login(ctxFrom(fmt.Sprintf("198.51.100.%d", i)), "alice", "wrong password!")
			errs <- err
		}()
	}
	counts := map[string]int{}
	for range n {
		counts[backend.ErrorCode(<-errs)]++
	}
	if counts[backend.EUNAUTHENTICATED] != 3 || counts[backend.ETOOMANY] != n-3 {
		t.Fatalf("outcomes=%v, want 3 %s and %d %s", counts, backend.EUNAUTHENTICATED, n-3, backend.ETOOMANY)
	}
}

// Every auth event leaves an entry; none holds a password or a token.
func TestAuditEntries(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	ctx := ctxFrom("192.0.2.44")

	tokens := MustLogin(t, e.Svc, "alice", "192.0.2.44")
	secrets := []string{testPassword, tokens.AccessToken, tokens.RefreshToken}
	for i := range 7 { // 5 failures, then refused twice
		p := fmt.Sprintf("guess-number-%d", i)
		secrets = append(secrets, p)
		_, _ = e.Svc.Login(ctx, "alice", p)
	}
	_, err := e.Svc.Login(ctx, "my-secret-typed-as-a-name", "x")
	wantCode(t, "unknown user", err, backend.EUNAUTHENTICATED)
	secrets = append(secrets, "my-secret-typed-as-a-name")
	refreshed, err := e.Svc.Refresh(ctx, tokens.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, refreshed.AccessToken, refreshed.RefreshToken)
	_, err = e.Svc.Refresh(ctx, tokens.RefreshToken)
	wantCode(t, "reuse", err, backend.EUNAUTHENTICATED)
	e.Clock.Advance(15 * time.Minute)
	again := MustLogin(t, e.Svc, "alice", "192.0.2.44")
	secrets = append(secrets, again.AccessToken, again.RefreshToken)
	if err := e.Svc.Logout(ctx, again.RefreshToken); err != nil {
		t.Fatal(err)
	}

	entries, err := e.Audit.FindAuditEntries(context.Background(), "user", "alice", 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(entries) - 1; i >= 0; i-- {
		a := entries[i]
		got = append(got, a.Action+"/"+a.Outcome+"/"+a.Actor+"/"+a.ClientAddr)
	}
	const failed = "auth.login_failed/denied/anonymous/192.0.2.44"
	want := []string{
		"auth.login/ok/alice/192.0.2.44",
		failed, failed, failed, failed, failed,
		"auth.login_throttled/denied/anonymous/192.0.2.44",
		"auth.refresh_reuse/denied/anonymous/192.0.2.44",
		"auth.login/ok/alice/192.0.2.44",
		"auth.logout/ok/alice/192.0.2.44",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("alice's audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	unknown := auditEntries(t, e, "auth.login_failed")
	if last := unknown[len(unknown)-1]; last.ObjectID != "" || last.Detail != "unknown user" {
		t.Fatalf("unknown-user entry=%+v, want no object id and detail %q", last, "unknown user")
	}

	err = e.Audit.ScanAudit(context.Background(), func(a *backend.AuditEntry) error {
		fields := strings.Join([]string{a.Actor, a.Action, a.ObjectType, a.ObjectID, a.ClientAddr, a.Outcome, a.Digest, a.Detail}, "|")
		for _, s := range secrets {
			if strings.Contains(fields, s) {
				t.Errorf("audit entry %d contains the secret %q: %s", a.Seq, s, fields)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, problem, err := e.AuditLog.Verify(context.Background())
	if err != nil || problem != nil {
		t.Fatalf("Verify: n=%d problem=%v err=%v, want an intact chain", n, problem, err)
	}
}

// TestThrottleOfficeBehindOneAddress: a whole office logging its phones in
// at once from one address is not an attack: every correct login gets in,
// and the address is still free afterwards. Failures from it still lock it.
func TestThrottleOfficeBehindOneAddress(t *testing.T) {
	e := newEnv(t, auth.Config{})
	const phones = 40
	for i := range phones {
		e.MustCreateUser(t, fmt.Sprintf("officer%d", i), backend.RoleInspector, "scjg")
	}
	errs := make(chan error, phones)
	for i := range phones {
		go func() {
			_, err := e.Svc.Login(ctxFrom("198.51.100.77"), fmt.Sprintf("officer%d", i), testPassword)
			errs <- err
		}()
	}
	for range phones {
		if err := <-errs; err != nil {
			t.Fatalf("a correct login from the office was refused: %v", err)
		}
	}
	MustLogin(t, e.Svc, "officer0", "198.51.100.77")
	for j := range 20 {
		_, err := e.Svc.Login(ctxFrom("198.51.100.77"), fmt.Sprintf("nobody%d", j), "wrong password!")
		wantCode(t, fmt.Sprintf("failure %d", j+1), err, backend.EUNAUTHENTICATED)
	}
	_, err := e.Svc.Login(ctxFrom("198.51.100.77"), "officer1", testPassword)
	wantCode(t, "after 20 failures", err, backend.ETOOMANY)
}
