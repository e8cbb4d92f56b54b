package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// BrowserAudience marks the sessions of browsers (the console's cookie)
// among the token families: they have no refresh tokens, and a token
// session cannot be used as one, nor the other way round.
const BrowserAudience = "fieldcheck-console"

// BrowserTouch is how often a browser session's last use is written: at
// most one write a minute per session, not one a request. Its idle
// timeout is therefore counted from a time up to a minute before its
// real last use: it may end that much early, never late.
const BrowserTouch = time.Minute

// BrowserSession is what a browser is given at login and asks again with
// its cookie. Secret goes into the HttpOnly cookie and nowhere else;
// CSRFToken is for the page's script, which sends it back in a header with
// every request that changes something.
type BrowserSession struct {
	Secret    string
	CSRFToken string
	User      *backend.User
	// ExpiresAt is the absolute end; IdleExpiresAt the end if it is not
	// used before.
	ExpiresAt     time.Time
	IdleExpiresAt time.Time
}

// LoginBrowser checks the password as Login does (same throttling, same
// audit) and opens a browser session: a token family of BrowserAudience
// whose id is the hash of the secret the browser keeps in its cookie. It
// ends with logout (LogoutBrowser), after Config.BrowserIdle without use or
// Config.BrowserTTL after the login, and, like every session, when an
// administrator moves the user's session epoch.
func (s *Service) LoginBrowser(ctx context.Context, username, password string) (*BrowserSession, error) {
	if s.cfg.RequireDevice {
		return nil, &backend.Error{Code: backend.EINVALID, Op: "LoginBrowser", Message: msgNoDevice}
	}
	o, err := s.login(ctx, username, password, nil, true)
	if err != nil {
		return nil, err
	}
	if err := s.auditLogin(ctx, o); err != nil {
		return nil, err
	}
	return s.browserSession(o.secret, o.user, o.family), nil
}

// AuthenticateBrowser returns the caller of a browser session's cookie
// secret, as Authenticate does for a token: the user and the session are
// read by _id on every request. It moves the session's last use on (at
// most once per BrowserTouch) and returns the session too, for its CSRF
// token.
func (s *Service) AuthenticateBrowser(ctx context.Context, secret string) (*backend.Actor, *BrowserSession, error) {
	const op = "AuthenticateBrowser"
	invalid := &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "not logged in, or the session is unknown; log in again"}
	id := hashRefreshToken(secret)
	if id == "" {
		return nil, nil, invalid
	}
	now := s.now()
	fam, err := s.Tokens.FindTokenFamily(ctx, id)
	switch {
	case backend.IsCode(err, backend.ENOTFOUND):
		return nil, nil, invalid
	case err != nil:
		return nil, nil, &backend.Error{Op: op, Err: err}
	case fam.Audience != BrowserAudience || fam.LastSeenAt == nil:
		return nil, nil, invalid
	}
	u, fam, err := s.openSession(ctx, op, fam.UserID, fam.ID, now)
	if err != nil {
		return nil, nil, err
	}
	if !now.Before(fam.LastSeenAt.Add(s.cfg.BrowserIdle)) {
		return nil, nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "session ended after a time without use; log in again"}
	}
	if now.Sub(*fam.LastSeenAt) >= BrowserTouch {
		if err := s.Tokens.TouchTokenFamily(ctx, fam.ID, now); err != nil {
			return nil, nil, &backend.Error{Op: op, Err: err}
		}
		fam.LastSeenAt = &now
	}
	actor := &backend.Actor{UserID: u.ID, Role: u.Role, Departments: u.Departments, ClientAddr: ClientAddrFrom(ctx), SessionID: fam.ID, Fresh: true}
	return actor, s.browserSession(secret, u, fam), nil
}

// LogoutBrowser ends the browser session of the cookie secret. Ending one
// that has ended already, or an unknown one, succeeds: the browser forgets
// its cookie either way.
func (s *Service) LogoutBrowser(ctx context.Context, secret string) error {
	const op = "LogoutBrowser"
	id := hashRefreshToken(secret)
	if id == "" {
		return nil
	}
	fam, err := s.Tokens.FindTokenFamily(ctx, id)
	switch {
	case backend.IsCode(err, backend.ENOTFOUND):
		return nil
	case err != nil:
		return &backend.Error{Op: op, Err: err}
	case fam.Audience != BrowserAudience || fam.RevokedAt != nil:
		return nil
	}
	return s.endSession(ctx, op, fam, s.now(), "browser session "+fam.ID)
}

// CheckCSRF tells whether token is the CSRF token of the browser session
// b, in constant time.
func (b *BrowserSession) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(b.CSRFToken)) == 1
}

func (s *Service) browserSession(secret string, u *backend.User, fam *backend.TokenFamily) *BrowserSession {
	idle := fam.LastSeenAt.Add(s.cfg.BrowserIdle)
	if fam.ExpiresAt.Before(idle) {
		idle = fam.ExpiresAt
	}
	return &BrowserSession{Secret: secret, CSRFToken: csrfToken(secret), User: u, ExpiresAt: fam.ExpiresAt, IdleExpiresAt: idle}
}

// csrfToken derives the session's CSRF token from its secret, so that
// nothing more is stored: HMAC-SHA256 keyed with the secret, base64url. It
// tells nothing about the secret, and a page of another origin can learn
// it from no request (the answers that carry it are same-origin JSON).
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("fieldcheck csrf 1\n"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
