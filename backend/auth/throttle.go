package auth

import (
	"context"
	"fmt"
	"net/netip"
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

// reservation is the counters one login attempt was charged to.
type reservation struct {
	keys []string
}

// reserveAttempt charges the attempt to its address and account counters
// before the password is checked, and refuses it when a counter is over its
// limit. Counting first makes the limit hold under concurrency: a thousand
// parallel guesses at one account get five password checks, not a thousand.
// A successful login is refunded, so only failures (and refused attempts)
// count.
//
// Windows are fixed, aligned with time.Truncate(Window) as the store aligns
// them: a locked account is free again at the next window boundary, however
// many attempts are refused meanwhile.
func (s *Service) reserveAttempt(ctx context.Context, username string, validUsername bool, addr string, now time.Time) (*reservation, error) {
	const op = "Login"
	window := s.cfg.Throttle.Window
	res := &reservation{}
	charge := func(key string, limit int, what, objectType, objectID string) error {
		n, err := s.addThrottle(ctx, key, now, 1)
		if err != nil {
			return &backend.Error{Op: op, Err: err}
		}
		res.keys = append(res.keys, key)
		if n <= limit {
			return nil
		}
		until := now.UTC().Truncate(window).Add(window)
		if n == limit+1 {
			// One record per lock and window: refused attempts beyond that
			// would let anyone flood the audit log.
			s.audit(ctx, &backend.Actor{UserID: "anonymous", ClientAddr: addr}, backend.AuditRecord{
				Action: "auth.login_throttled", ObjectType: objectType, ObjectID: objectID, Outcome: backend.OutcomeDenied,
				Detail: fmt.Sprintf("%d failed logins for this %s; locked until %s", limit, what, until.Format(time.RFC3339)),
			})
		}
		return &backend.Error{
			Code:    backend.ETOOMANY,
			Op:      op,
			Message: fmt.Sprintf("too many failed logins for this %s; try again %s", what, retryText(now, until)),
			Err:     &ThrottleError{Until: until},
		}
	}
	if addr != "" {
		bucket := addrBucket(addr)
		if err := charge("login:addr:"+bucket, s.cfg.Throttle.MaxAddressFailures, "address", "address", bucket); err != nil {
			return nil, err
		}
	}
	// Malformed names cannot be accounts; every well-formed one is counted,
	// existing or not, so that locking does not tell which accounts exist.
	if validUsername {
		if err := charge("login:user:"+username, s.cfg.Throttle.MaxAccountFailures, "account", "user", username); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// refund takes a successful attempt off its counters, in the window it was
// charged to.
func (s *Service) refund(ctx context.Context, res *reservation, chargedAt time.Time) {
	for _, key := range res.keys {
		if _, err := s.addThrottle(ctx, key, chargedAt, -1); err != nil {
			s.Log.WarnContext(ctx, "auth: refund of a login attempt failed", "err", err)
		}
	}
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

// addrBucket is the throttle identity of a client address: the IP without
// port, and for IPv6 the /64, since one subscriber usually holds a whole /64.
func addrBucket(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			if len(addr) > 64 {
				addr = addr[:64]
			}
			return addr
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
