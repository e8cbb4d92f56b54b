package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// ThrottleError is the cause inside the ETOOMANY error of a throttled login.
// The HTTP layer can find it with errors.As to send a Retry-After header.
type ThrottleError struct {
	Until      time.Time     // when an attempt may be made again
	RetryAfter time.Duration // Until less the time of the refusal, by the service's clock
}

func (e *ThrottleError) Error() string {
	return "login throttled until " + e.Until.UTC().Format(time.RFC3339)
}

// RetryDelay is RetryAfter, for backend.RetryAfter.
func (e *ThrottleError) RetryDelay() time.Duration { return e.RetryAfter }

// reservation is what one login attempt holds on the counters until it
// ends.
type reservation struct {
	keys    []string // taken back when the attempt ends, whatever the outcome
	addr    string   // the address's failure counter, charged on failure
	account string   // the account's counter, charged up front; refunded on success
	// accountCount is the account's count with this attempt's charge.
	accountCount int
	username     string
	pair         string // the (account, address) backoff, counted up front; cleared on success
	pairFailures int    // the pair's failures with this attempt
}

// MaxAddressInFlight bounds the login attempts of one address under way at
// once: an office behind one NAT logs its phones in together, but a burst
// of guesses must not outrun the failure count.
const MaxAddressInFlight = 100

// reserveAttempt is the throttle's check before a password is looked at.
//
//   - An address is refused once its failures in the current Window reach
//     MaxAddressFailures. Only failures are counted, after the password
//     check, so that a whole office logging in at once from one address is
//     never mistaken for an attack; instead the attempts under way at once
//     are bounded by MaxAddressInFlight.
//   - An account is refused while it is locked (LoginLock). Its counter of
//     failures in the AccountWindow, across every address, is charged
//     first and refused over AccountLockFailures: a thousand parallel
//     guesses from a thousand addresses get no more password checks than
//     that. The failure that reaches the limit locks the account (failed).
//   - The pair of account and address is charged as a failure up front
//     (TakeBackoff) and refused while its delay runs: PairFreeFailures
//     failures go unhindered, then every attempt waits PairBaseDelay,
//     doubled by each further failure up to PairMaxDelay. Parallel guesses
//     at one account from one address thus get PairFreeFailures password
//     checks. A stranger's failures from another address never delay the
//     real user.
//
// A login that succeeds takes its charges back and clears its pair, so
// only failures count. Refused attempts count nowhere. Well-formed
// usernames are throttled whether or not they exist, so that throttling
// does not tell which accounts exist; malformed ones cannot be accounts.
func (s *Service) reserveAttempt(ctx context.Context, username string, validUsername bool, addr string, now time.Time) (*reservation, error) {
	const op = "Login"
	cfg := s.cfg.Throttle
	res := &reservation{username: username}
	refuse := func(what string, until time.Time) error {
		s.release(ctx, res, now)
		return &backend.Error{
			Code:    backend.ETOOMANY,
			Op:      op,
			Message: fmt.Sprintf("too many failed logins %s; try again %s", what, retryText(now, until)),
			Err:     &ThrottleError{Until: until, RetryAfter: until.Sub(now)},
		}
	}
	add := func(key string, window time.Duration, n int) (int, error) {
		count, err := s.addThrottle(ctx, key, window, now, n)
		if err != nil {
			s.release(ctx, res, now)
			return 0, &backend.Error{Op: op, Err: err}
		}
		return count, nil
	}
	if addr != "" {
		bucket := addrBucket(addr)
		failed, err := add(addrKey(bucket), cfg.Window, 0)
		if err != nil {
			return nil, err
		}
		if failed >= cfg.MaxAddressFailures {
			return nil, refuse("from this address", windowEnd(now, cfg.Window))
		}
		inFlight, err := add("login:addr-inflight:"+bucket, cfg.Window, 1)
		if err != nil {
			return nil, err
		}
		res.keys = append(res.keys, "login:addr-inflight:"+bucket)
		if inFlight > MaxAddressInFlight {
			s.release(ctx, res, now)
			return nil, &backend.Error{Code: backend.ETOOMANY, Op: op,
				Message: "too many logins under way at once from this address; try again in a few seconds",
				Err:     &ThrottleError{Until: now.Add(busyRetry), RetryAfter: busyRetry}}
		}
		res.addr = addrKey(bucket)
	}
	if !validUsername {
		return res, nil
	}
	lock, err := s.Throttle.FindLoginLock(ctx, username)
	switch {
	case err != nil && !backend.IsCode(err, backend.ENOTFOUND):
		s.release(ctx, res, now)
		return nil, &backend.Error{Op: op, Err: err}
	case lock != nil && now.Before(lock.Until):
		return nil, refuse("for this account: it is locked", lock.Until)
	}
	res.account = accountKey(username)
	n, err := add(res.account, cfg.AccountWindow, 1)
	if err != nil {
		res.account = ""
		return nil, err
	}
	res.keys = append(res.keys, res.account) // until it counts as a failure
	res.accountCount = n
	if n > cfg.AccountLockFailures {
		// The attempt that reaches the limit is still under way; it locks
		// the account if it fails.
		return nil, refuse("for this account", windowEnd(now, cfg.AccountWindow))
	}
	b, admitted, err := s.Throttle.TakeBackoff(ctx, pairKey(username, addr), now, cfg.PairMemory, s.pairDelay)
	switch {
	case backend.IsCode(err, backend.ECONFLICT):
		s.release(ctx, res, now)
		return nil, &backend.Error{Code: backend.ETOOMANY, Op: op,
			Message: "too many logins under way at once for this account; try again in a few seconds",
			Err:     &ThrottleError{Until: now.Add(busyRetry), RetryAfter: busyRetry}}
	case err != nil:
		s.release(ctx, res, now)
		return nil, &backend.Error{Op: op, Err: err}
	case !admitted:
		return nil, refuse("for this account from this address", b.NextAt)
	}
	res.pair, res.pairFailures = pairKey(username, addr), b.Failures
	return res, nil
}

// busyRetry is the Retry-After of an attempt refused because too many are
// under way at once: they end within a password check.
const busyRetry = 5 * time.Second

// pairDelay is how long the pair of account and address waits after its
// failures-th failure: nothing for the first PairFreeFailures-1, then
// PairBaseDelay, doubled by each further failure, at most PairMaxDelay.
func (s *Service) pairDelay(failures int) time.Duration {
	cfg := s.cfg.Throttle
	if failures < cfg.PairFreeFailures {
		return 0
	}
	d := cfg.PairBaseDelay
	for i := cfg.PairFreeFailures; i < failures && d < cfg.PairMaxDelay; i++ {
		d *= 2
	}
	return min(d, cfg.PairMaxDelay)
}

func addrKey(bucket string) string      { return "login:addr:" + bucket }
func accountKey(username string) string { return "login:account:" + username }

// pairKey names the backoff of a username from an address (its bucket).
func pairKey(username, addr string) string {
	return "login:pair:" + username + "|" + addrBucket(addr)
}

// windowEnd is the end of the fixed window that contains now, aligned with
// time.Truncate as the store aligns its counters.
func windowEnd(now time.Time, window time.Duration) time.Time {
	return now.UTC().Truncate(window).Add(window)
}

// auditThrottle records that logins are refused or delayed for a while.
func (s *Service) auditThrottle(ctx context.Context, action, objectType, objectID, detail string) {
	s.audit(ctx, &backend.Actor{UserID: "anonymous", ClientAddr: ClientAddrFrom(ctx)}, backend.AuditRecord{
		Action: action, ObjectType: objectType, ObjectID: objectID, Outcome: backend.OutcomeDenied, Detail: detail,
	})
}

// succeeded ends an attempt whose password was right: nothing of it stays
// counted, and the pair's failures are forgotten.
func (s *Service) succeeded(ctx context.Context, res *reservation, chargedAt time.Time) {
	s.release(ctx, res, chargedAt)
	if res.pair != "" {
		if err := s.Throttle.ClearBackoff(ctx, res.pair); err != nil {
			s.Log.WarnContext(ctx, "auth: clearing a login backoff failed", "err", err)
		}
	}
}

// failed ends an attempt whose credentials were wrong (or whose account or
// device is refused): it counts against the address, the account and the
// pair. The failure that reaches a limit is recorded: the address refused
// for the rest of its window, the pair delayed from now on, the account
// locked (also in the list administrators read).
func (s *Service) failed(ctx context.Context, res *reservation, chargedAt time.Time) {
	cfg := s.cfg.Throttle
	res.keys = slices.DeleteFunc(res.keys, func(k string) bool { return k == res.account }) // the charge stays: it is a failure
	s.release(ctx, res, chargedAt)
	if res.addr != "" {
		n, err := s.addThrottle(ctx, res.addr, cfg.Window, chargedAt, 1)
		if err != nil {
			s.Log.WarnContext(ctx, "auth: counting a failed login failed", "err", err)
		} else if n == cfg.MaxAddressFailures {
			until := windowEnd(chargedAt, cfg.Window)
			s.auditThrottle(ctx, "auth.login_throttled", "address", strings.TrimPrefix(res.addr, "login:addr:"),
				fmt.Sprintf("%d failed logins from this address; refused until %s", n, until.Format(time.RFC3339)))
		}
	}
	if res.pair != "" && res.pairFailures == cfg.PairFreeFailures {
		s.auditThrottle(ctx, "auth.login_throttled", "user", res.username,
			fmt.Sprintf("%d failed logins for this account from %s; each further attempt from there waits longer", res.pairFailures, addrBucket(ClientAddrFrom(ctx))))
	}
	if res.account != "" && res.accountCount == cfg.AccountLockFailures {
		s.lockAccount(ctx, res.username, res.accountCount, chargedAt)
	}
}

// lockAccount locks a username for AccountLockDuration, and at least until
// its counter's window ends (so that the lock's end frees it).
func (s *Service) lockAccount(ctx context.Context, username string, failures int, now time.Time) {
	cfg := s.cfg.Throttle
	until := now.Add(cfg.AccountLockDuration)
	if end := windowEnd(now, cfg.AccountWindow); end.After(until) {
		until = end
	}
	l := &backend.LoginLock{Username: username, LockedAt: now, Until: until, Failures: failures}
	if err := s.Throttle.PutLoginLock(ctx, l); err != nil {
		// The counter refuses the account until its window ends all the
		// same; only the lock's length and its listing are lost.
		s.Log.ErrorContext(ctx, "auth: storing an account lock failed", "err", err)
	}
	s.auditThrottle(ctx, "auth.account_locked", "user", username,
		fmt.Sprintf("%d failed logins in %s from any address; logins refused until %s unless an administrator lifts the lock", failures, cfg.AccountWindow, until.Format(time.RFC3339)))
}

// release takes back the counters held until the attempt ends, in the
// window they were charged to.
func (s *Service) release(ctx context.Context, res *reservation, chargedAt time.Time) {
	for _, key := range res.keys {
		window := s.cfg.Throttle.Window
		if key == res.account {
			window = s.cfg.Throttle.AccountWindow
		}
		if _, err := s.addThrottle(ctx, key, window, chargedAt, -1); err != nil {
			s.Log.WarnContext(ctx, "auth: releasing a login attempt failed", "err", err)
		}
	}
	res.keys = nil
}

// addThrottle adds n to the counter of key. Two instances creating the
// same counter at once can collide on its _id; the loser tries again.
func (s *Service) addThrottle(ctx context.Context, key string, window time.Duration, at time.Time, n int) (int, error) {
	count, err := s.Throttle.AddThrottle(ctx, key, window, at, n)
	if backend.IsCode(err, backend.ECONFLICT) {
		count, err = s.Throttle.AddThrottle(ctx, key, window, at, n)
	}
	return count, err
}

// LoginLocks returns one page of the account locks in force
// (administrators only), for the console to show.
func (s *Service) LoginLocks(ctx context.Context, p backend.PageRequest) (*backend.Page[*backend.LoginLock], error) {
	if _, err := s.requireAdmin(ctx, "", ""); err != nil {
		return nil, err
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return s.Throttle.FindLoginLocks(ctx, s.now(), p)
}

// LiftLoginLock ends the lock of a username at once (administrators
// only) and clears its failure count, so that the user can log in again.
// Audited as auth.account_unlocked; ENOTFOUND when it is not locked.
func (s *Service) LiftLoginLock(ctx context.Context, username string) error {
	const action = "auth.account_unlocked"
	username = normalizeUsername(username) // as logins name it
	a, err := s.requireAdmin(ctx, action, username)
	if err != nil {
		return err
	}
	now := s.now()
	lock, err := s.Throttle.FindLoginLock(ctx, username)
	if err == nil && !now.Before(lock.Until) {
		err = backend.Errorf(backend.ENOTFOUND, "%s is not locked", username)
	}
	if err != nil {
		if backend.IsCode(err, backend.ENOTFOUND) {
			return backend.Errorf(backend.ENOTFOUND, "%s is not locked", username)
		}
		return err
	}
	if err := s.Throttle.DeleteLoginLock(ctx, username); err != nil {
		return err
	}
	// The counter could still be at the limit in its window: take it back
	// to zero (what an attempt adds meanwhile is lost, harmlessly).
	window := s.cfg.Throttle.AccountWindow
	if n, err := s.addThrottle(ctx, accountKey(username), window, now, 0); err != nil {
		return err
	} else if n > 0 {
		if _, err := s.addThrottle(ctx, accountKey(username), window, now, -n); err != nil {
			return err
		}
	}
	_, err = s.Audit.Append(ctx, backend.AuditRecord{Action: action, ObjectType: "user", ObjectID: username,
		Detail: fmt.Sprintf("lock of %d failed logins (until %s) lifted by %s", lock.Failures, lock.Until.Format(time.RFC3339), a.UserID)})
	return err
}

// requireAdmin returns the caller if it is an administrator whose session
// was checked; a refusal of action on the user is audited when action is
// set.
func (s *Service) requireAdmin(ctx context.Context, action, username string) (*backend.Actor, error) {
	a := backend.ActorFrom(ctx)
	var err error
	switch {
	case a == nil:
		err = backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	case !a.Fresh:
		err = backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated")
	case a.Role != backend.RoleAdmin:
		err = backend.Errorf(backend.EFORBIDDEN, "only administrators may do this")
	default:
		return a, nil
	}
	if action != "" {
		if a == nil {
			a = &backend.Actor{UserID: "anonymous", ClientAddr: ClientAddrFrom(ctx)}
		}
		s.audit(ctx, a, backend.AuditRecord{Action: action, ObjectType: "user", ObjectID: username, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
	}
	return nil, err
}

// retryText says when to try again, in China's time zone where the users are.
func retryText(now, until time.Time) string {
	d := until.Sub(now)
	if d < time.Minute {
		seconds := max(1, int((d+time.Second-1)/time.Second))
		if seconds == 1 {
			return "in a second"
		}
		return fmt.Sprintf("in %d seconds", seconds)
	}
	minutes := int((d + time.Minute - 1) / time.Minute)
	if minutes <= 1 {
		return fmt.Sprintf("in a minute (after %s)", until.In(backend.China).Format("15:04"))
	}
	return fmt.Sprintf("in %d minutes (after %s)", minutes, until.In(backend.China).Format("15:04"))
}

// addrBucket is the throttle identity of a client address
// (backend.AddressNetwork: the IP, for IPv6 its /64).
func addrBucket(addr string) string { return backend.AddressNetwork(addr) }
