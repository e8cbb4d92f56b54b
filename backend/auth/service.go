package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Config holds the token and throttling settings. Zero fields take the
// defaults below.
type Config struct {
	Issuer string // iss of minted tokens, and the only one accepted; "fieldcheck"
	// Audience is the aud minted into access tokens ("fieldcheck-api");
	// AcceptedAudiences are the auds Authenticate accepts (just Audience by
	// default). The mobile API runs its own Service with "fieldcheck-mobile".
	Audience          string
	AcceptedAudiences []string

	AccessTTL  time.Duration // lifetime of an access token; 15 minutes
	RefreshTTL time.Duration // lifetime of each refresh token, renewed by every refresh; 30 days
	SessionTTL time.Duration // absolute lifetime of a login, however often it is refreshed; 90 days
	Leeway     time.Duration // clock skew allowed on exp, nbf and iat; 30 seconds

	// A browser session (LoginBrowser: the console's cookie) ends
	// BrowserIdle after its last use, and BrowserTTL after the login
	// however busy it is.
	BrowserIdle time.Duration // 30 minutes
	BrowserTTL  time.Duration // 12 hours

	// RequireDevice binds every session to the device it was opened from
	// (the mobile API): only LoginDevice logs in, Login is refused, and
	// tokens of a session without a device are refused. Service.Devices
	// must be set.
	RequireDevice bool
	// Roles are the roles that may log in and use this service's tokens
	// (the mobile API: inspectors); every role when empty. Others are
	// refused with EFORBIDDEN once their password was right, and a session
	// whose user has changed to another role is refused at its next
	// request.
	Roles []backend.Role

	Throttle ThrottleConfig
}

// ThrottleConfig limits failed logins. Everything is counted in the shared
// LoginThrottleStore, so that every instance sees the same counts; the
// fixed windows are aligned with time.Truncate.
type ThrottleConfig struct {
	// One account from one address (IPv6: its /64). PairFreeFailures
	// failures go unhindered; after that, each attempt must wait
	// PairBaseDelay after the one before, doubled by every further failure,
	// at most PairMaxDelay. The failures are forgotten PairMemory after the
	// last one, and at once by a successful login.
	PairFreeFailures int           // 5
	PairBaseDelay    time.Duration // 2 seconds
	PairMaxDelay     time.Duration // 15 minutes
	PairMemory       time.Duration // 24 hours

	// One address, whatever the accounts: MaxAddressFailures failures in a
	// Window refuse it until the window ends.
	Window             time.Duration // 15 minutes
	MaxAddressFailures int           // 20

	// One account, from every address: AccountLockFailures failures in an
	// AccountWindow lock it for AccountLockDuration (at least until the
	// window ends) or until an administrator lifts the lock. The lock is
	// audited and listed for administrators.
	AccountWindow       time.Duration // 1 hour
	AccountLockFailures int           // 100
	AccountLockDuration time.Duration // 1 hour
}

// Defaults for Config.
const (
	DefaultIssuer              = "fieldcheck"
	DefaultAudience            = "fieldcheck-api"
	DefaultAccessTTL           = 15 * time.Minute
	DefaultRefreshTTL          = 30 * 24 * time.Hour
	DefaultSessionTTL          = 90 * 24 * time.Hour
	DefaultLeeway              = 30 * time.Second
	DefaultBrowserIdle         = 30 * time.Minute
	DefaultBrowserTTL          = 12 * time.Hour
	DefaultPairFreeFailures    = 5
	DefaultPairBaseDelay       = 2 * time.Second
	DefaultPairMaxDelay        = 15 * time.Minute
	DefaultPairMemory          = 24 * time.Hour
	DefaultThrottleWindow      = 15 * time.Minute
	DefaultMaxAddressFailures  = 20
	DefaultAccountWindow       = time.Hour
	DefaultAccountLockFailures = 100
	DefaultAccountLockDuration = time.Hour
)

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	defDur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	def(&c.Issuer, DefaultIssuer)
	def(&c.Audience, DefaultAudience)
	if len(c.AcceptedAudiences) == 0 {
		c.AcceptedAudiences = []string{c.Audience}
	}
	c.AcceptedAudiences = slices.Clone(c.AcceptedAudiences) // the parser keeps it
	c.Roles = slices.Clone(c.Roles)
	defDur(&c.AccessTTL, DefaultAccessTTL)
	defDur(&c.RefreshTTL, DefaultRefreshTTL)
	defDur(&c.SessionTTL, DefaultSessionTTL)
	defDur(&c.Leeway, DefaultLeeway)
	defDur(&c.BrowserIdle, DefaultBrowserIdle)
	defDur(&c.BrowserTTL, DefaultBrowserTTL)
	th := &c.Throttle
	defInt(&th.PairFreeFailures, DefaultPairFreeFailures)
	defDur(&th.PairBaseDelay, DefaultPairBaseDelay)
	defDur(&th.PairMaxDelay, DefaultPairMaxDelay)
	defDur(&th.PairMemory, DefaultPairMemory)
	defDur(&th.Window, DefaultThrottleWindow)
	defInt(&th.MaxAddressFailures, DefaultMaxAddressFailures)
	defDur(&th.AccountWindow, DefaultAccountWindow)
	defInt(&th.AccountLockFailures, DefaultAccountLockFailures)
	defDur(&th.AccountLockDuration, DefaultAccountLockDuration)
	switch {
	case c.AccessTTL < time.Second || c.RefreshTTL < time.Second || c.SessionTTL < time.Second:
		return c, fmt.Errorf("auth: token lifetimes must be at least a second")
	case c.BrowserIdle < 2*BrowserTouch || c.BrowserTTL < c.BrowserIdle:
		return c, fmt.Errorf("auth: a browser session's idle timeout must be at least %s, and its lifetime no shorter", 2*BrowserTouch)
	case c.Leeway < 0:
		return c, fmt.Errorf("auth: leeway must not be negative")
	case th.Window < time.Second || th.AccountWindow < time.Second || th.PairMemory < time.Second || th.AccountLockDuration < time.Second:
		return c, fmt.Errorf("auth: throttle windows and durations must be at least a second")
	case th.PairBaseDelay < 0 || th.PairMaxDelay < th.PairBaseDelay:
		return c, fmt.Errorf("auth: login delays must not be negative, and the longest must not be shorter than the first")
	case th.PairFreeFailures < 1 || th.MaxAddressFailures < 1 || th.AccountLockFailures < 1:
		return c, fmt.Errorf("auth: throttle limits must be positive")
	}
	return c, nil
}

// Tokens is what a login or a refresh returns to the client.
type Tokens struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"` // seconds until the access token expires
}

// Service logs users in, issues and rotates tokens, and authenticates
// requests. It keeps no state that another instance needs: sessions,
// throttle counters and keys are in the stores.
type Service struct {
	Keys     *Keyring
	Users    backend.UserStore
	Tokens   backend.TokenStore
	Throttle backend.LoginThrottleStore
	Audit    *backend.AuditLog
	// Devices records the devices of LoginDevice; required by it.
	Devices backend.DeviceStore
	// ApproveDevices makes a device's first login wait for an
	// administrator: the device is recorded pending and the login refused
	// with EDEVICEPENDING until it is approved (app.Config.DeviceApproval,
	// the same on every instance). Devices known already are not affected.
	ApproveDevices bool
	// Hashes admits the password checks of logins (backend.NewPasswordGate,
	// one per process, shared by every service and backend.Users); nil
	// admits every one.
	Hashes *backend.Gate

	Now  func() time.Time
	Rand io.Reader // refresh tokens, session ids, jti; reads are serialised
	Log  *slog.Logger

	cfg    Config
	parser *jwt.Parser
	randMu sync.Mutex
}

// NewService returns a service with the real clock and entropy. The stores
// are the shared ones; keys may be shared by several services (for example
// the back-office and the mobile API, which differ in audience).
func NewService(cfg Config, keys *Keyring, users backend.UserStore, tokens backend.TokenStore, throttle backend.LoginThrottleStore, audit *backend.AuditLog) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Service{
		Keys:     keys,
		Users:    users,
		Tokens:   tokens,
		Throttle: throttle,
		Audit:    audit,
		Now:      time.Now,
		Rand:     rand.Reader,
		Log:      slog.Default(),
		cfg:      cfg,
	}
	s.parser = s.newParser()
	return s, nil
}

// Config returns the configuration in force, defaults filled in.
func (s *Service) Config() Config {
	c := s.cfg
	c.AcceptedAudiences = slices.Clone(c.AcceptedAudiences)
	c.Roles = slices.Clone(c.Roles)
	return c
}

type clientAddrKey struct{}

// WithClientAddr returns a context that carries the client's network
// address. The HTTP layer sets it once per request; Login throttles by it,
// Authenticate copies it into the Actor, and audit entries record it.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddrFrom returns the address set by WithClientAddr, or "".
func ClientAddrFrom(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey{}).(string)
	return s
}

const msgWrongCredentials = "wrong username or password"

// msgNoDevice refuses a session that is not bound to a device where one is
// required: a login without one, or a session opened before devices were.
const msgNoDevice = "this API requires a device: log in again with {\"id\", \"name\", \"platform\"} of the phone"

// Login checks a username and password and starts a session. Failures are
// counted per account and per client address; over the limit, attempts are
// refused with ETOOMANY before the password is even looked at. A service
// with Config.RequireDevice refuses it: use LoginDevice.
func (s *Service) Login(ctx context.Context, username, password string) (*Tokens, error) {
	if s.cfg.RequireDevice {
		return nil, &backend.Error{Code: backend.EINVALID, Op: "Login", Message: msgNoDevice}
	}
	o, err := s.login(ctx, username, password, nil, false)
	if err != nil {
		return nil, err
	}
	return s.issueOpened(ctx, o)
}

// LoginDevice is Login from a device, which binds the session to it: the
// device is recorded (first login) or its LastSeen moved, the session and
// its access tokens carry its id ("did"), and revoking the device ends the
// session. A revoked device cannot log in (EFORBIDDEN; it counts as a
// failed login).
func (s *Service) LoginDevice(ctx context.Context, username, password string, d backend.DeviceInfo) (*Tokens, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if s.Devices == nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: "LoginDevice", Message: "no device store configured"}
	}
	o, err := s.login(ctx, username, password, &d, false)
	if err != nil {
		return nil, err
	}
	return s.issueOpened(ctx, o)
}

// opened is a session that login has just stored: what is handed to the
// client (tokens, or a browser's cookie) is made from it, after which the
// login is audited (opened.audit).
type opened struct {
	user   *backend.User
	family *backend.TokenFamily
	detail string // of the audit entry
	// secret is the browser session's cookie value (only for a browser
	// session; the family's id is its hash).
	secret string
	now    time.Time
}

// issueOpened gives a token session its first tokens, then audits the login.
func (s *Service) issueOpened(ctx context.Context, o *opened) (*Tokens, error) {
	tokens, err := s.issue(ctx, o.user, o.family, o.now)
	if err != nil {
		return nil, &backend.Error{Op: "Login", Err: err}
	}
	if err := s.auditLogin(ctx, o); err != nil {
		return nil, err
	}
	return tokens, nil
}

// auditLogin records a login. No trace, no session: the caller hands out
// nothing when it fails.
func (s *Service) auditLogin(ctx context.Context, o *opened) error {
	u, fam := o.user, o.family
	actor := &backend.Actor{UserID: u.ID, Role: u.Role, Departments: u.Departments, ClientAddr: ClientAddrFrom(ctx), DeviceID: fam.DeviceID, SessionID: fam.ID, Fresh: true}
	if _, err := s.Audit.Append(backend.WithActor(ctx, actor), backend.AuditRecord{Action: "auth.login", ObjectType: "user", ObjectID: u.ID, Detail: o.detail}); err != nil {
		return &backend.Error{Op: "Login", Err: err}
	}
	return nil
}

// login checks the password, within the throttle's limits, and stores a new
// session: a token session, from the device d if given, or a browser
// session (browser).
func (s *Service) login(ctx context.Context, username, password string, d *backend.DeviceInfo, browser bool) (*opened, error) {
	const op = "Login"
	// Admission comes first, before anything is charged: a login refused
	// here (429 or 503, with Retry-After) counts as no attempt. The slot is
	// held through the throttle's checks (a few store reads) and the
	// password check, and given back before the session is written.
	hashed, err := s.Hashes.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer hashed() // gives the slot back once, whichever is first
	now := s.now()
	addr := ClientAddrFrom(ctx)
	username = normalizeUsername(username)
	valid := backend.ValidUsername(username)

	res, err := s.reserveAttempt(ctx, username, valid, addr, now)
	if err != nil {
		return nil, err
	}
	defer s.release(ctx, res, now) // on any path: the attempt is no longer under way

	var u *backend.User
	if valid {
		u, err = s.Users.FindUserByID(ctx, username)
		if err != nil && !backend.IsCode(err, backend.ENOTFOUND) {
			return nil, &backend.Error{Op: op, Err: err}
		}
	}
	anonymous := &backend.Actor{UserID: "anonymous", ClientAddr: addr}
	if u == nil {
		backend.CheckPasswordUnknownUser(password)
		hashed()
		// The attempted name is not recorded: people type passwords into the
		// username field.
		s.audit(ctx, anonymous, backend.AuditRecord{Action: "auth.login_failed", ObjectType: "user", Outcome: backend.OutcomeDenied, Detail: "unknown user"})
		s.failed(ctx, res, now)
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: msgWrongCredentials}
	}
	ok := backend.CheckPassword(u.PasswordHash, password)
	hashed()
	if !ok {
		s.audit(ctx, anonymous, backend.AuditRecord{Action: "auth.login_failed", ObjectType: "user", ObjectID: u.ID, Outcome: backend.OutcomeDenied, Detail: "wrong password"})
		s.failed(ctx, res, now)
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: msgWrongCredentials}
	}
	if u.Disabled {
		// Said only to someone who knows the password. It still counts as a
		// failure.
		s.audit(ctx, anonymous, backend.AuditRecord{Action: "auth.login_failed", ObjectType: "user", ObjectID: u.ID, Outcome: backend.OutcomeDenied, Detail: "account disabled"})
		s.failed(ctx, res, now)
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "account disabled"}
	}
	if err := s.checkRole(op, u); err != nil {
		// Also said only to someone who knows the password; not a guess,
		// so it is not counted as a failure.
		s.succeeded(ctx, res, now)
		s.audit(ctx, anonymous, backend.AuditRecord{Action: "auth.login_failed", ObjectType: "user", ObjectID: u.ID, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return nil, err
	}
	var dev *backend.Device
	newDevice := false
	if d != nil {
		dev = &backend.Device{
			ID: backend.DeviceKey(u.ID, d.ID), UserID: u.ID, DeviceID: d.ID, Name: d.Name, Platform: d.Platform,
			FirstSeen: now, LastSeen: now,
		}
		stored, err := s.Devices.FindDeviceByID(ctx, dev.ID)
		switch {
		case backend.IsCode(err, backend.ENOTFOUND):
			newDevice = true
		case err != nil:
			return nil, &backend.Error{Op: op, Err: err}
		case stored.Revoked():
			// Like a disabled account: said only to someone who knows the
			// password, and it still counts as a failure.
			err := s.deviceRevoked(ctx, anonymous, stored)
			s.failed(ctx, res, now)
			return nil, err
		case stored.Rejected():
			err := s.deviceRefused(ctx, anonymous, stored)
			s.failed(ctx, res, now)
			return nil, err
		}
		if (newDevice && s.ApproveDevices) || (stored != nil && stored.Pending()) {
			// The password was right: no failure. The device is recorded
			// (or its LastSeen moved) without a session, for the
			// administrators to decide on.
			s.succeeded(ctx, res, now)
			dev.Approval = backend.DevicePending
			stored, err := s.Devices.UpsertDevice(ctx, dev)
			if err != nil {
				return nil, &backend.Error{Op: op, Err: err}
			}
			return nil, s.deviceRefused(ctx, anonymous, stored)
		}
	}
	s.succeeded(ctx, res, now)

	var id, secret string
	if browser {
		// The cookie holds the secret; the store only its hash, the
		// session's id (as it does for refresh tokens).
		if secret, id, err = s.newRefreshToken(); err != nil {
			return nil, err
		}
	} else {
		sid, err := s.random(16)
		if err != nil {
			return nil, err
		}
		id = hex.EncodeToString(sid)
	}
	fam := &backend.TokenFamily{
		ID:       id,
		UserID:   u.ID,
		Audience: s.cfg.Audience,
		// The epoch of the record whose password was checked: an
		// administrator's reset committed after that read has moved the
		// user's epoch on, and this session is refused at its first use.
		UserEpoch: u.SessionEpoch,
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL),
	}
	if dev != nil {
		fam.DeviceID = dev.DeviceID
	}
	if browser {
		fam.Audience = BrowserAudience
		fam.ExpiresAt = now.Add(s.cfg.BrowserTTL)
		fam.LastSeenAt = &now
	}
	if err := s.Tokens.CreateTokenFamily(ctx, fam); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	var detail string
	if dev != nil {
		// Recorded after the session exists: a revocation that came in
		// since the check above is seen here, and one that comes later
		// finds the session to end (Devices.RevokeDevice).
		stored, err := s.Devices.UpsertDevice(ctx, dev)
		if err != nil {
			return nil, &backend.Error{Op: op, Err: err}
		}
		if stored.Revoked() || stored.Pending() || stored.Rejected() {
			// Revoked since the check above, or recorded pending by a
			// first login racing this one: the session ends unused.
			if err := s.Tokens.RevokeTokenFamily(ctx, fam.ID, now, "device revoked"); err != nil && !backend.IsCode(err, backend.ENOTFOUND) {
				return nil, &backend.Error{Op: op, Err: err}
			}
			if stored.Revoked() {
				return nil, s.deviceRevoked(ctx, anonymous, stored)
			}
			return nil, s.deviceRefused(ctx, anonymous, stored)
		}
		detail = "device " + dev.DeviceID + " (" + string(dev.Platform) + ")"
		if newDevice {
			detail += ", first login from it"
		}
	}
	if browser {
		detail = "browser session"
	}
	return &opened{user: u, family: fam, detail: detail, secret: secret, now: now}, nil
}

// msgDevicePending and msgDeviceRejected refuse the logins of a device
// an administrator has not approved (403, EDEVICEPENDING) or refused
// (EDEVICEREJECTED). Neither says "revoked": the phone keeps what it holds
// (another user's unsent work, say) and shows the reason.
const (
	msgDevicePending  = "this device waits for an administrator's approval; try again once it is approved"
	msgDeviceRejected = "an administrator did not approve this device; log in from another device or ask an administrator"
)

// deviceRefused records and returns the refusal of a login from a device
// that is pending or rejected.
func (s *Service) deviceRefused(ctx context.Context, actor *backend.Actor, d *backend.Device) error {
	if d.Rejected() {
		s.audit(ctx, actor, backend.AuditRecord{Action: "auth.login_failed", ObjectType: "user", ObjectID: d.UserID, Outcome: backend.OutcomeDenied,
			Detail: "device " + d.DeviceID + " was rejected"})
		return &backend.Error{Code: backend.EDEVICEREJECTED, Op: "Login", Message: msgDeviceRejected}
	}
	s.audit(ctx, actor, backend.AuditRecord{Action: "auth.login_failed", ObjectType: "user", ObjectID: d.UserID, Outcome: backend.OutcomeDenied,
		Detail: "device " + d.DeviceID + " (" + string(d.Platform) + ") waits for approval"})
	return &backend.Error{Code: backend.EDEVICEPENDING, Op: "Login", Message: msgDevicePending}
}

// deviceRevoked records and returns the refusal of a login from a revoked
// device.
func (s *Service) deviceRevoked(ctx context.Context, actor *backend.Actor, d *backend.Device) error {
	s.audit(ctx, actor, backend.AuditRecord{Action: "auth.login_failed", ObjectType: "user", ObjectID: d.UserID, Outcome: backend.OutcomeDenied,
		Detail: "device " + d.DeviceID + " was revoked"})
	return &backend.Error{Code: backend.EFORBIDDEN, Op: "Login", Message: msgDeviceRevoked}
}

// RefreshGrace is how long after a refresh token was spent it may be
// presented once more by a client that never got the answer: a phone whose
// network dropped after the request left, an app killed or a page reloaded
// while its refresh was in flight. Without it that inspector's session
// ended at the next try (the test of two teammates' phones lost its
// session this way when a page navigation aborted a refresh on a loaded
// machine), and logging in again needs a network a basement may not have.
// Within the grace, and only while the token it was spent for is still
// unused, that successor is spent in its stead and a new one issued, so
// one token of the session stays alive; otherwise a spent token is reuse.
// As the reuse intervals of OAuth servers do, this lets someone holding a
// copy of a token spent less than RefreshGrace ago take over the session
// from the client that spent it; that client's next refresh is then reuse
// and ends the session for both.
const RefreshGrace = 30 * time.Second

// Refresh spends a refresh token and returns a new access token and the
// next refresh token of the same session. A token that was already spent
// means it was copied: the whole session is revoked, except within
// RefreshGrace for a client retrying a refresh whose answer it lost.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	const op = "Refresh"
	now := s.now()
	rt, err := s.findRefreshToken(ctx, op, refreshToken)
	if err != nil {
		return nil, err
	}
	var retry *backend.AuditRecord
	if rt.UsedAt != nil {
		retried, err := s.retriedRefresh(ctx, rt, now)
		if err != nil {
			return nil, &backend.Error{Op: op, Err: err}
		}
		if retried == nil {
			return nil, s.reuse(ctx, op, rt, now)
		}
		retry = &backend.AuditRecord{
			Action: "auth.refresh_retry", ObjectType: "user", ObjectID: rt.UserID,
			Detail: "a refresh token spent " + now.Sub(*rt.UsedAt).Round(time.Millisecond).String() + " earlier presented again (its answer was lost); the unused token it was spent for was spent instead",
		}
		rt = retried
	}
	if !now.Before(rt.ExpiresAt) {
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "session expired; log in again"}
	}
	u, fam, err := s.openSession(ctx, op, rt.UserID, rt.Family, now)
	if err != nil {
		return nil, err
	}
	// A session belongs to the API it was opened on: a phone's refresh
	// token does not buy back-office access, nor the other way round.
	if fam.Audience != s.cfg.Audience {
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "invalid refresh token"}
	}
	if s.cfg.RequireDevice && fam.DeviceID == "" {
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: msgNoDevice}
	}
	secret, next, err := s.newRefreshToken()
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	if err := s.Tokens.UseRefreshToken(ctx, rt.ID, now, next); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			return nil, s.reuse(ctx, op, rt, now) // spent by someone else a moment ago
		}
		return nil, &backend.Error{Op: op, Err: err}
	}
	tokens, err := s.issueToken(ctx, u, fam, now, secret, next)
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	if retry != nil {
		s.audit(ctx, &backend.Actor{UserID: u.ID, Role: u.Role, ClientAddr: ClientAddrFrom(ctx), DeviceID: fam.DeviceID, SessionID: fam.ID}, *retry)
	}
	return tokens, nil
}

// retriedRefresh returns the token to spend for a spent token rt presented
// again within RefreshGrace of its use: the one it was spent for, while
// that is unused. Nil means the presentation is reuse.
func (s *Service) retriedRefresh(ctx context.Context, rt *backend.RefreshToken, now time.Time) (*backend.RefreshToken, error) {
	if rt.Successor == "" || now.Sub(*rt.UsedAt) > RefreshGrace {
		return nil, nil
	}
	next, err := s.Tokens.FindRefreshToken(ctx, rt.Successor)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil, nil // the answer's token was never stored: nothing was handed out
	}
	if err != nil {
		return nil, err
	}
	if next.UsedAt != nil || next.Family != rt.Family {
		return nil, nil
	}
	return next, nil
}

// Logout ends the session the refresh token belongs to: its refresh and
// access tokens are refused from then on. Ending a session that has
// already ended succeeds.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	const op = "Logout"
	now := s.now()
	rt, err := s.findRefreshToken(ctx, op, refreshToken)
	if err != nil {
		return err
	}
	fam, err := s.Tokens.FindTokenFamily(ctx, rt.Family)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "invalid refresh token"}
	}
	if err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	if fam.RevokedAt != nil {
		return nil
	}
	return s.endSession(ctx, op, fam, now, "session "+fam.ID)
}

// endSession revokes the session fam at logout and audits it (detail).
func (s *Service) endSession(ctx context.Context, op string, fam *backend.TokenFamily, now time.Time, detail string) error {
	if err := s.Tokens.RevokeTokenFamily(ctx, fam.ID, now, "logout"); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	actor := backend.ActorFrom(ctx)
	if actor == nil || actor.UserID != fam.UserID {
		actor = &backend.Actor{UserID: fam.UserID, ClientAddr: ClientAddrFrom(ctx)}
	}
	if _, err := s.Audit.Append(backend.WithActor(ctx, actor), backend.AuditRecord{Action: "auth.logout", ObjectType: "user", ObjectID: fam.UserID, Detail: detail}); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	return nil
}

// Authenticate verifies an access token and returns the caller. The client
// address comes from the context (WithClientAddr).
//
// Every request, reads included, re-reads the user and the session by _id:
// a disabled user, a user whose sessions an administrator ended, a session
// logged out, reused or opened from a revoked device, and a role this
// service does not serve are refused at once, on every instance. The Actor
// carries the stored role and departments with Fresh set, the session and,
// for a session opened from a device (LoginDevice), the device's id.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (*backend.Actor, error) {
	const op = "Authenticate"
	claims, err := s.parseAccessToken(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	if s.cfg.RequireDevice && claims.DeviceID == "" {
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: msgNoDevice}
	}
	u, fam, err := s.openSession(ctx, op, claims.Subject, claims.SessionID, s.now())
	if err != nil {
		return nil, err
	}
	if fam.DeviceID != claims.DeviceID {
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "invalid access token"}
	}
	return &backend.Actor{UserID: u.ID, Role: u.Role, Departments: u.Departments, ClientAddr: ClientAddrFrom(ctx),
		DeviceID: fam.DeviceID, SessionID: fam.ID, Fresh: true}, nil
}

// CheckSession tells whether the session of an authenticated actor is
// still open, as Authenticate would decide now. A service that hands out
// something the session must not outlive (an inspection code) records it
// first and then checks: a session ended in between is seen by one of the
// two.
func (s *Service) CheckSession(ctx context.Context, a *backend.Actor) error {
	const op = "CheckSession"
	if a == nil || a.SessionID == "" {
		return &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "login required"}
	}
	_, fam, err := s.openSession(ctx, op, a.UserID, a.SessionID, s.now())
	if err != nil {
		return err
	}
	if fam.DeviceID != a.DeviceID {
		return &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "invalid session"}
	}
	return nil
}

// openSession returns the user and the session sid if the user exists, is
// enabled and of a role this service serves, and the session is theirs,
// open, and not ended by an administrator since it was opened.
func (s *Service) openSession(ctx context.Context, op, userID, sid string, now time.Time) (*backend.User, *backend.TokenFamily, error) {
	u, err := s.findActiveUser(ctx, op, userID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkRole(op, u); err != nil {
		return nil, nil, err
	}
	fam, err := s.findFamily(ctx, op, sid, now)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case fam.UserID != u.ID:
		return nil, nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "invalid session"}
	case fam.UserEpoch != u.SessionEpoch:
		return nil, nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "session was ended by an administrator; log in again"}
	}
	return u, fam, nil
}

// checkRole refuses a user whose role this service does not serve
// (Config.Roles).
func (s *Service) checkRole(op string, u *backend.User) error {
	if len(s.cfg.Roles) == 0 || slices.Contains(s.cfg.Roles, u.Role) {
		return nil
	}
	names := make([]string, len(s.cfg.Roles))
	for i, r := range s.cfg.Roles {
		names[i] = string(r)
	}
	return &backend.Error{Code: backend.EFORBIDDEN, Op: op,
		Message: fmt.Sprintf("only %s accounts may use this API; this account is a %s", strings.Join(names, " and "), u.Role)}
}

// issue stores the next refresh token of fam and signs an access token.
func (s *Service) issue(ctx context.Context, u *backend.User, fam *backend.TokenFamily, now time.Time) (*Tokens, error) {
	secret, hash, err := s.newRefreshToken()
	if err != nil {
		return nil, err
	}
	return s.issueToken(ctx, u, fam, now, secret, hash)
}

// issueToken stores the refresh token of the given secret and hash and
// returns it with a new access token.
func (s *Service) issueToken(ctx context.Context, u *backend.User, fam *backend.TokenFamily, now time.Time, secret, hash string) (*Tokens, error) {
	expires := now.Add(s.cfg.RefreshTTL)
	if !fam.ExpiresAt.IsZero() && fam.ExpiresAt.Before(expires) {
		expires = fam.ExpiresAt
	}
	rt := &backend.RefreshToken{ID: hash, Family: fam.ID, UserID: u.ID, DeviceID: fam.DeviceID, CreatedAt: now, ExpiresAt: expires}
	if err := s.Tokens.CreateRefreshToken(ctx, rt); err != nil {
		return nil, err
	}
	access, err := s.mintAccessToken(ctx, u, fam, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, RefreshToken: secret, ExpiresIn: int(s.cfg.AccessTTL / time.Second)}, nil
}

// reuse handles a spent refresh token presented again: the session is
// revoked (once; replays of the same token are not audited again).
func (s *Service) reuse(ctx context.Context, op string, rt *backend.RefreshToken, now time.Time) error {
	refused := &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "refresh token was already used; the session has been ended, log in again"}
	fam, err := s.Tokens.FindTokenFamily(ctx, rt.Family)
	if err != nil && !backend.IsCode(err, backend.ENOTFOUND) {
		return &backend.Error{Op: op, Err: err}
	}
	if fam != nil && fam.RevokedAt != nil {
		return refused
	}
	if err := s.Tokens.RevokeTokenFamily(ctx, rt.Family, now, "reuse"); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	s.audit(ctx, &backend.Actor{UserID: "anonymous", ClientAddr: ClientAddrFrom(ctx)}, backend.AuditRecord{
		Action: "auth.refresh_reuse", ObjectType: "user", ObjectID: rt.UserID, Outcome: backend.OutcomeDenied,
		Detail: "spent refresh token presented again; session " + rt.Family + " revoked",
	})
	return refused
}

func (s *Service) findRefreshToken(ctx context.Context, op, secret string) (*backend.RefreshToken, error) {
	invalid := &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "invalid refresh token"}
	id := hashRefreshToken(secret)
	if id == "" {
		return nil, invalid
	}
	rt, err := s.Tokens.FindRefreshToken(ctx, id)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil, invalid
	}
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	return rt, nil
}

// findFamily returns the session if it is still open.
func (s *Service) findFamily(ctx context.Context, op, id string, now time.Time) (*backend.TokenFamily, error) {
	fam, err := s.Tokens.FindTokenFamily(ctx, id)
	switch {
	case backend.IsCode(err, backend.ENOTFOUND):
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "session not found; log in again"}
	case err != nil:
		return nil, &backend.Error{Op: op, Err: err}
	case fam.RevokedAt != nil:
		if err := s.deviceOfEndedSession(ctx, op, fam); err != nil {
			return nil, err
		}
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "session was ended; log in again"}
	case !fam.ExpiresAt.IsZero() && !now.Before(fam.ExpiresAt):
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "session expired; log in again"}
	}
	return fam, nil
}

// msgDeviceRevoked is the refusal of a revoked device's login, refresh
// and requests (403): the phone wipes what it holds when it reads it.
const msgDeviceRevoked = "this device was revoked by an administrator; log in from another device or ask an administrator"

// deviceOfEndedSession tells an ended session of a revoked device (403,
// EFORBIDDEN) from one ended otherwise (nil: the caller answers 401): the
// phone keeps its data after a logout elsewhere or a password reset, and
// wipes it once it learns that the device itself was barred. Only ended
// sessions pay for the lookup.
func (s *Service) deviceOfEndedSession(ctx context.Context, op string, fam *backend.TokenFamily) error {
	if fam.DeviceID == "" || s.Devices == nil {
		return nil
	}
	d, err := s.Devices.FindDeviceByID(ctx, backend.DeviceKey(fam.UserID, fam.DeviceID))
	switch {
	case backend.IsCode(err, backend.ENOTFOUND):
		return nil
	case err != nil:
		return &backend.Error{Op: op, Err: err}
	case d.Revoked():
		return &backend.Error{Code: backend.EFORBIDDEN, Op: op, Message: msgDeviceRevoked}
	}
	return nil
}

// findActiveUser returns the user if it exists and is enabled.
func (s *Service) findActiveUser(ctx context.Context, op, id string) (*backend.User, error) {
	u, err := s.Users.FindUserByID(ctx, id)
	switch {
	case backend.IsCode(err, backend.ENOTFOUND):
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "account no longer exists"}
	case err != nil:
		return nil, &backend.Error{Op: op, Err: err}
	case u.Disabled:
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "account disabled"}
	}
	return u, nil
}

// audit appends a record of a refused attempt. The refusal stands whether or
// not the record could be written, so a failure is only logged.
func (s *Service) audit(ctx context.Context, actor *backend.Actor, r backend.AuditRecord) {
	if _, err := s.Audit.Append(backend.WithActor(ctx, actor), r); err != nil {
		s.Log.ErrorContext(ctx, "auth: audit append failed", "action", r.Action, "err", err)
	}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// random returns n bytes from Rand.
func (s *Service) random(n int) ([]byte, error) {
	b := make([]byte, n)
	s.randMu.Lock()
	_, err := io.ReadFull(s.Rand, b)
	s.randMu.Unlock()
	if err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: "auth.random", Message: "no entropy", Err: err}
	}
	return b, nil
}

// normalizeUsername forgives surrounding spaces and upper-case ASCII
// letters. Only ASCII is folded: Unicode case mapping would let other
// strings (the Kelvin sign) alias real usernames.
func normalizeUsername(s string) string {
	b := []byte(s)
	start, end := 0, len(b)
	for start < end && (b[start] == ' ' || b[start] == '\t') {
		start++
	}
	for end > start && (b[end-1] == ' ' || b[end-1] == '\t') {
		end--
	}
	b = b[start:end]
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
