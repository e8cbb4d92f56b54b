package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// ThrottleError is the cause inside the ETOOMANY error of a throttled login.
// The HTTP layer can find it with errors.As to send a Retry-After header.
type ThrottleError struct {
	Until time.Time // start of the next window
}

func (e *ThrottleError) Error() string {
	return "login throttled until " + e.Until.UTC().Format(time.RFC3339)
}

// reservation is what one login attempt holds on the counters until it
// ends: an in-flight slot of its address and a charge to its account.
type reservation struct {
	keys []string // taken back when the attempt ends, whatever the outcome
	addr string   // the address's failure counter, charged on failure
	user string   // the account's counter, kept on failure
}

// MaxAddressInFlight bounds the login attempts of one address under way at
// once: an office behind one NAT logs its phones in together, but a burst
// of guesses must not outrun the failure count.
const MaxAddressInFlight = 100

// reserveAttempt is the throttle's check before a password is looked at.
//
//   - An account is charged first and refused over its limit: a thousand
//     parallel guesses at one account get five password checks, not a
//     thousand. A login that succeeds takes its charge back, so only
//     failures count.
//   - An address is refused once its failures reach the limit. Only
//     failures are counted, after the password check, so that a whole
//     office logging in at once from one address is never mistaken for an
//     attack; instead the attempts under way at once are bounded by
//     MaxAddressInFlight.
//
// Refused attempts do not count against an address. Windows are fixed, aligned with
// time.Truncate(Window) as the store aligns them: a lock ends at the next
// window boundary.
func (s *Service) reserveAttempt(ctx context.Context, username string, validUsername bool, addr string, now time.Time) (*reservation, error) {
	const op = "Login"
	window := s.cfg.Throttle.Window
	until := now.UTC().Truncate(window).Add(window)
	res := &reservation{}
	refuse := func(limit int, what, objectType, objectID string, first bool) error {
		s.release(ctx, res, now)
		if first {
			// One record per lock and window: refused attempts beyond that
			// would let anyone flood the audit log.
			s.auditLock(ctx, what, objectType, objectID, limit, until)
		}
		return &backend.Error{
			Code:    backend.ETOOMANY,
			Op:      op,
			Message: fmt.Sprintf("too many failed logins for this %s; try again %s", what, retryText(now, until)),
			Err:     &ThrottleError{Until: until},
		}
	}
	add := func(key string, n int) (int, error) {
		count, err := s.addThrottle(ctx, key, now, n)
		if err != nil {
			s.release(ctx, res, now)
			return 0, &backend.Error{Op: op, Err: err}
		}
		return count, nil
	}
	if addr != "" {
		bucket := addrBucket(addr)
		failed, err := add("login:addr:"+bucket, 0)
		if err != nil {
			return nil, err
		}
		if failed >= s.cfg.Throttle.MaxAddressFailures {
			return nil, refuse(s.cfg.Throttle.MaxAddressFailures, "address", "address", bucket, false)
		}
		inFlight, err := add("login:addr-inflight:"+bucket, 1)
		if err != nil {
			return nil, err
		}
		res.keys = append(res.keys, "login:addr-inflight:"+bucket)
		if inFlight > MaxAddressInFlight {
			s.release(ctx, res, now)
			return nil, &backend.Error{Code: backend.ETOOMANY, Op: op,
				Message: "too many logins under way at once from this address; try again in a few seconds",
				Err:     &ThrottleError{Until: now.Add(5 * time.Second)}}
		}
		res.addr = "login:addr:" + bucket
	}
	// Malformed names cannot be accounts; every well-formed one is counted,
	// existing or not, so that locking does not tell which accounts exist.
	if validUsername {
		key := "login:user:" + username
		n, err := add(key, 1)
		if err != nil {
			return nil, err
		}
		res.user = key
		if n > s.cfg.Throttle.MaxAccountFailures {
			// Counted, so that the lock is recorded once (the window's end
			// frees the account however many were refused).
			return nil, refuse(s.cfg.Throttle.MaxAccountFailures, "account", "user", username, n == s.cfg.Throttle.MaxAccountFailures+1)
		}
	}
	return res, nil
}

// auditLock records that an account or address is locked until until.
func (s *Service) auditLock(ctx context.Context, what, objectType, objectID string, failures int, until time.Time) {
	s.audit(ctx, &backend.Actor{UserID: "anonymous", ClientAddr: ClientAddrFrom(ctx)}, backend.AuditRecord{
		Action: "auth.login_throttled", ObjectType: objectType, ObjectID: objectID, Outcome: backend.OutcomeDenied,
		Detail: fmt.Sprintf("%d failed logins for this %s; locked until %s", failures, what, until.Format(time.RFC3339)),
	})
}

// succeeded ends an attempt whose password was right: nothing of it stays
// counted.
func (s *Service) succeeded(ctx context.Context, res *reservation, chargedAt time.Time) {
	if res.user != "" {
		res.keys = append(res.keys, res.user)
	}
	s.release(ctx, res, chargedAt)
}

// failed ends an attempt whose credentials were wrong (or whose account or
// device is refused): it counts against the account and the address.
func (s *Service) failed(ctx context.Context, res *reservation, chargedAt time.Time) {
	s.release(ctx, res, chargedAt)
	if res.addr != "" {
		n, err := s.addThrottle(ctx, res.addr, chargedAt, 1)
		if err != nil {
			s.Log.WarnContext(ctx, "auth: counting a failed login failed", "err", err)
		} else if n == s.cfg.Throttle.MaxAddressFailures {
			window := s.cfg.Throttle.Window
			s.auditLock(ctx, "address", "address", strings.TrimPrefix(res.addr, "login:addr:"), n, chargedAt.UTC().Truncate(window).Add(window))
		}
	}
}

// release takes back the counters held until the attempt ends, in the
// window they were charged to.
func (s *Service) release(ctx context.Context, res *reservation, chargedAt time.Time) {
	for _, key := range res.keys {
		if _, err := s.addThrottle(ctx, key, chargedAt, -1); err != nil {
			s.Log.WarnContext(ctx, "auth: releasing a login attempt failed", "err", err)
		}
	}
	res.keys = nil
}

// addThrottle adds n to the counter of key. Two instances creating the
// same counter at once can collide on its _id; the loser tries again.
func (s *Service) addThrottle(ctx context.Context, key string, at time.Time, n int) (int, error) {
	count, err := s.Throttle.AddThrottle(ctx, key, s.cfg.Throttle.Window, at, n)
	if backend.IsCode(err, backend.ECONFLICT) {
		count, err = s.Throttle.AddThrottle(ctx, key, s.cfg.Throttle.Window, at, n)
	}
	return count, err
}

// retryText says when to try again, in China's time zone where the users are.
func retryText(now, until time.Time) string {
	minutes := int((until.Sub(now) + time.Minute - 1) / time.Minute)
	if minutes <= 1 {
		return fmt.Sprintf("in a minute (after %s)", until.In(backend.China).Format("15:04"))
	}
	return fmt.Sprintf("in %d minutes (after %s)", minutes, until.In(backend.China).Format("15:04"))
}

// addrBucket is the throttle identity of a client address
// (backend.AddressNetwork: the IP, for IPv6 its /64).
func addrBucket(addr string) string { return backend.AddressNetwork(addr) }
