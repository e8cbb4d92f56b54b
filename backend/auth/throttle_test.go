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

// An account is locked only by many failures from anywhere: the lock is
// stored (listed for administrators), audited once, refuses even the right
// password, tells when it ends, and ends then.
func TestThrottleAccountLock(t *testing.T) {
	for _, username := range []string{"alice", "ghost"} { // existing or not, the same
		t.Run(username, func(t *testing.T) {
			e := newEnv(t, auth.Config{Throttle: auth.ThrottleConfig{AccountLockFailures: 10}})
			e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
			// Each attempt from another address: no pair is ever delayed.
			for i := range 10 {
				_, err := e.Svc.Login(ctxFrom(fmt.Sprintf("198.51.100.%d", i)), username, "wrong password!")
				wantCode(t, fmt.Sprintf("failure %d", i+1), err, backend.EUNAUTHENTICATED)
			}
			// The next is refused, right password or not, before any check.
			_, err := e.Svc.Login(ctxFrom("198.51.100.50"), username, testPassword)
			wantCode(t, "attempt after the lock", err, backend.ETOOMANY)
			// start is 09:07:30 Beijing time; the lock lasts an hour.
			if got, want := backend.ErrorMessage(err), "too many failed logins for this account: it is locked; try again in 60 minutes (after 10:07)"; got != want {
				t.Fatalf("message=%q, want %q", got, want)
			}
			var te *auth.ThrottleError
			lockEnd := start.Add(time.Hour)
			if !errors.As(err, &te) || !te.Until.Equal(lockEnd) || te.RetryAfter != time.Hour {
				t.Fatalf("err=%v, want a *auth.ThrottleError until %v, an hour from now", err, lockEnd)
			}
			page, err := e.Svc.LoginLocks(adminCtx(), backend.PageRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.Items[0].Username != username || page.Items[0].Failures != 10 || !page.Items[0].Until.Equal(lockEnd) || !page.Items[0].LockedAt.Equal(start) {
				t.Fatalf("locks=%+v, want %s locked at %v until %v after 10 failures", page.Items, username, start, lockEnd)
			}

			// Other accounts are not affected.
			if username == "ghost" {
				MustLogin(t, e.Svc, "alice", "198.51.100.60")
			}

			e.Clock.Set(lockEnd.Add(-time.Second))
			_, err = e.Svc.Login(ctxFrom("198.51.100.51"), username, testPassword)
			wantCode(t, "last second of the lock", err, backend.ETOOMANY)

			e.Clock.Set(lockEnd)
			_, err = e.Svc.Login(ctxFrom("198.51.100.52"), username, testPassword)
			want := ""
			if username == "ghost" {
				want = backend.EUNAUTHENTICATED
			}
			wantCode(t, "first attempt after the lock", err, want)
			if page, err := e.Svc.LoginLocks(adminCtx(), backend.PageRequest{}); err != nil || len(page.Items) != 0 {
				t.Fatalf("locks after the end=%+v, %v; want none", page, err)
			}

			locked := auditEntries(t, e, "auth.account_locked")
			if len(locked) != 1 {
				t.Fatalf("%d auth.account_locked entries, want 1 (one per lock)", len(locked))
			}
			if l := locked[0]; l.ObjectType != "user" || l.ObjectID != username || l.Outcome != backend.OutcomeDenied || l.ClientAddr != "198.51.100.9" ||
				!strings.Contains(l.Detail, "10 failed logins in 1h0m0s from any address") {
				t.Fatalf("lock entry=%+v, want user %s denied from 198.51.100.9, the 10th failure", l, username)
			}
		})
	}
}

// The lock lasts at least until the failures' window ends, so that the
// end of the lock frees the account.
func TestThrottleAccountLockOutlastsWindow(t *testing.T) {
	e := newEnv(t, auth.Config{Throttle: auth.ThrottleConfig{AccountLockFailures: 3, AccountWindow: 2 * time.Hour, AccountLockDuration: time.Minute}})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	for i := range 3 {
		_, _ = e.Svc.Login(ctxFrom(fmt.Sprintf("198.51.100.%d", i)), "alice", "wrong password!")
	}
	windowEnd := time.Date(2026, 3, 2, 10, 0, 0, 0, backend.China) // 2-hour windows from 00:00 UTC
	page, err := e.Svc.LoginLocks(adminCtx(), backend.PageRequest{})
	if err != nil || len(page.Items) != 1 || !page.Items[0].Until.Equal(windowEnd) {
		t.Fatalf("locks=%+v, %v; want one until the window ends at %v", page, err, windowEnd)
	}
	e.Clock.Set(windowEnd)
	MustLogin(t, e.Svc, "alice", "198.51.100.1")
}

// An administrator lifts a lock: the account logs in at once. Lifting is
// audited, for administrators only, and a name that is not locked is not
// found.
func TestLiftLoginLock(t *testing.T) {
	e := newEnv(t, auth.Config{Throttle: auth.ThrottleConfig{AccountLockFailures: 3}})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	for i := range 3 {
		_, _ = e.Svc.Login(ctxFrom(fmt.Sprintf("198.51.100.%d", i)), "alice", "wrong password!")
	}
	_, err := e.Svc.Login(ctxFrom("192.0.2.1"), "alice", testPassword)
	wantCode(t, "locked", err, backend.ETOOMANY)

	manager := backend.WithActor(ctxFrom("192.0.2.6"), &backend.Actor{UserID: "boss", Role: backend.RoleManager, Departments: []string{"scjg"}, Fresh: true})
	wantCode(t, "lift by a manager", e.Svc.LiftLoginLock(manager, "alice"), backend.EFORBIDDEN)
	_, err = e.Svc.LoginLocks(manager, backend.PageRequest{})
	wantCode(t, "list by a manager", err, backend.EFORBIDDEN)
	stale := backend.WithActor(ctxFrom("192.0.2.6"), &backend.Actor{UserID: "root", Role: backend.RoleAdmin})
	wantCode(t, "lift with an unchecked session", e.Svc.LiftLoginLock(stale, "alice"), backend.EUNAUTHENTICATED)

	if err := e.Svc.LiftLoginLock(adminCtx(), " Alice"); err != nil { // named as a login may name it
		t.Fatalf("LiftLoginLock: %v", err)
	}
	MustLogin(t, e.Svc, "alice", "192.0.2.1")
	wantCode(t, "lift again", e.Svc.LiftLoginLock(adminCtx(), "alice"), backend.ENOTFOUND)
	wantCode(t, "lift an unknown name", e.Svc.LiftLoginLock(adminCtx(), "nobody"), backend.ENOTFOUND)

	lifted := auditEntries(t, e, "auth.account_unlocked")
	if len(lifted) != 3 || lifted[2].Actor != "root" || lifted[2].Outcome != backend.OutcomeOK || lifted[2].ObjectID != "alice" ||
		!strings.Contains(lifted[2].Detail, "lock of 3 failed logins") || lifted[0].Outcome != backend.OutcomeDenied || lifted[0].Actor != "boss" {
		t.Fatalf("auth.account_unlocked entries=%+v, want two refusals then root's", lifted)
	}
}

// Failures of one account from one address delay that pair's next attempts
// more and more (here: 2, 4, 8 s, then at most 10 s), with the exact wait
// in the error; other addresses are not slowed; a success, or a day
// without failures, forgets the pair.
func TestThrottlePairBackoff(t *testing.T) {
	e := newEnv(t, auth.Config{Throttle: auth.ThrottleConfig{PairMaxDelay: 10 * time.Second}})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	ctx := ctxFrom("203.0.113.20")
	for i := range 5 {
		_, err := e.Svc.Login(ctx, "alice", "wrong password!")
		wantCode(t, fmt.Sprintf("free failure %d", i+1), err, backend.EUNAUTHENTICATED)
	}
	for _, wait := range []time.Duration{2, 4, 8, 10, 10} {
		wait *= time.Second
		_, err := e.Svc.Login(ctx, "alice", testPassword)
		wantCode(t, "attempt within the delay", err, backend.ETOOMANY)
		var te *auth.ThrottleError
		if !errors.As(err, &te) || te.RetryAfter != wait || !te.Until.Equal(e.Clock.Now().Add(wait)) {
			t.Fatalf("err=%v, want to wait exactly %v", err, wait)
		}
		if wait == 2*time.Second && backend.ErrorMessage(err) != "too many failed logins for this account from this address; try again in 2 seconds" {
			t.Fatalf("message=%q", backend.ErrorMessage(err))
		}
		// The real user elsewhere is not slowed down.
		MustLogin(t, e.Svc, "alice", "198.51.100.30")
		e.Clock.Advance(wait - time.Millisecond)
		_, err = e.Svc.Login(ctx, "alice", testPassword)
		wantCode(t, "a millisecond early", err, backend.ETOOMANY)
		e.Clock.Advance(time.Millisecond)
		_, err = e.Svc.Login(ctx, "alice", "wrong password!")
		wantCode(t, "the attempt after the delay", err, backend.EUNAUTHENTICATED)
	}
	throttled := auditEntries(t, e, "auth.login_throttled")
	if len(throttled) != 1 || throttled[0].ObjectID != "alice" || !strings.Contains(throttled[0].Detail, "5 failed logins for this account from 203.0.113.20") {
		t.Fatalf("auth.login_throttled entries=%+v, want one when the delays began", throttled)
	}

	// A day without failures forgets the pair: five free failures again.
	e.Clock.Advance(24 * time.Hour)
	for i := range 5 {
		_, err := e.Svc.Login(ctx, "alice", "wrong password!")
		wantCode(t, fmt.Sprintf("free failure %d after a day", i+1), err, backend.EUNAUTHENTICATED)
	}
	e.Clock.Advance(2 * time.Second)
	MustLogin(t, e.Svc, "alice", "203.0.113.20")
	// The success forgot them too.
	for i := range 5 {
		_, err := e.Svc.Login(ctx, "alice", "wrong password!")
		wantCode(t, fmt.Sprintf("free failure %d after a success", i+1), err, backend.EUNAUTHENTICATED)
	}
}

// A stranger failing again and again from one address never locks the
// real user out of their own (issue 12, hole 10).
func TestThrottleStrangerCannotLockOut(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "admin", backend.RoleAdmin)
	for i := range 50 {
		_, err := e.Svc.Login(ctxFrom("203.0.113.66"), "admin", fmt.Sprintf("guess-number-%02d", i))
		if c := backend.ErrorCode(err); c != backend.EUNAUTHENTICATED && c != backend.ETOOMANY {
			t.Fatalf("guess %d: %v", i+1, err)
		}
		e.Clock.Advance(time.Second)
	}
	MustLogin(t, e.Svc, "admin", "198.51.100.7")
}

// Successes are not counted: they take their charge back and forget the
// pair's failures.
func TestThrottleSuccessNotCounted(t *testing.T) {
	e := newEnv(t, auth.Config{Throttle: auth.ThrottleConfig{AccountLockFailures: 9}})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	for round := range 2 {
		for range 4 {
			_, err := e.Svc.Login(ctxFrom("192.0.2.1"), "alice", "wrong password!")
			wantCode(t, fmt.Sprintf("round %d failure", round), err, backend.EUNAUTHENTICATED)
		}
		for range 10 {
			MustLogin(t, e.Svc, "alice", "192.0.2.1")
		}
	}
	// 8 failures and 20 successes in the window: the 9th failure locks.
	_, err := e.Svc.Login(ctxFrom("192.0.2.2"), "alice", "wrong password!")
	wantCode(t, "the 9th failure", err, backend.EUNAUTHENTICATED)
	_, err = e.Svc.Login(ctxFrom("192.0.2.2"), "alice", testPassword)
	wantCode(t, "after 9 failures", err, backend.ETOOMANY)
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

// Many concurrent guesses at one account get no more password checks than
// the limits: PairFreeFailures from one address, AccountLockFailures from
// many.
func TestThrottleConcurrent(t *testing.T) {
	tests := []struct {
		name   string
		cfg    auth.ThrottleConfig
		addr   func(i int) string
		checks int
	}{
		{"OneAddress", auth.ThrottleConfig{PairFreeFailures: 3}, func(int) string { return "198.51.100.1" }, 3},
		{"ManyAddresses", auth.ThrottleConfig{AccountLockFailures: 3}, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, auth.Config{Throttle: tt.cfg})
			e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
			const n = 12
			errs := make(chan error, n)
			for i := range n {
				go func() {
					_, err := e.Svc.Login(ctxFrom(tt.addr(i)), "alice", "wrong password!")
					errs <- err
				}()
			}
			counts := map[string]int{}
			for range n {
				counts[backend.ErrorCode(<-errs)]++
			}
			if counts[backend.EUNAUTHENTICATED] != tt.checks || counts[backend.ETOOMANY] != n-tt.checks {
				t.Fatalf("outcomes=%v, want %d %s and %d %s", counts, tt.checks, backend.EUNAUTHENTICATED, n-tt.checks, backend.ETOOMANY)
			}
		})
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
	e.Clock.Advance(auth.RefreshGrace + time.Second)
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
