package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// The console's session cookie. Over TLS it is Secure and takes the
// __Host- prefix, which browsers accept only on a Secure cookie of Path=/
// without Domain: no other host of the domain, nor a plain-HTTP page of
// this one, can set or shadow it. On plain HTTP (a console on
// http://localhost or 127.0.0.1, the demo and the tests) a Secure cookie
// would not be sent back at all and the prefix would make the browser
// drop it, so the cookie is neither, under the plain name; a request
// reads only the name of its own scheme, so a cookie planted over plain
// HTTP is never believed over TLS.
const (
	SessionCookie       = "fieldcheck_session"
	SecureSessionCookie = "__Host-fieldcheck_session"
	// CSRFHeader carries the session's CSRF token (auth.BrowserSession)
	// on every request of a cookie session that is not GET, HEAD or
	// OPTIONS; without it, or with another, the request is refused (403).
	CSRFHeader = "X-CSRF-Token"
)

// sessionInfo is what the console learns of its session: at login and from
// GET /api/v1/auth/session. The cookie itself is never in a body.
type sessionInfo struct {
	User          sessionUser `json:"user"`
	CSRFToken     string      `json:"csrfToken"`     // send it back in the X-CSRF-Token header
	ExpiresAt     time.Time   `json:"expiresAt"`     // the absolute end of the session
	IdleExpiresAt time.Time   `json:"idleExpiresAt"` // its end unless it is used before
}

type sessionUser struct {
	ID          string       `json:"id"`
	DisplayName string       `json:"displayName"`
	Role        backend.Role `json:"role"`
	Departments []string     `json:"departments"`
}

func newSessionInfo(b *auth.BrowserSession) *sessionInfo {
	u := b.User
	deps := u.Departments
	if deps == nil {
		deps = []string{}
	}
	return &sessionInfo{User: sessionUser{ID: u.ID, DisplayName: u.DisplayName, Role: u.Role, Departments: deps},
		CSRFToken: b.CSRFToken, ExpiresAt: b.ExpiresAt, IdleExpiresAt: b.IdleExpiresAt}
}

type browserSessionKey struct{}

func (s *Server) registerCookieSessionRoutes() {
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/auth/session", Summary: "Log a browser in (the console's login form): with the same throttling as /auth/login, sets an HttpOnly, SameSite=Strict session cookie (Secure with the __Host- prefix over TLS) and returns the session's CSRF token, to be sent in the X-CSRF-Token header of every request that changes something. The session ends after 30 minutes without use, 12 hours after the login, at logout, and when an administrator ends the user's sessions", Tag: "auth",
		Request: loginRequest{}, Response: sessionInfo{}, Handler: httpkit.WithBody(func(c *fiber.Ctx, r *loginRequest) (any, error) {
			b, err := s.Auth.LoginBrowser(c.UserContext(), r.Username, r.Password)
			if err != nil {
				return nil, err
			}
			s.setSessionCookie(c, b.Secret, b.ExpiresAt)
			return newSessionInfo(b), nil
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/auth/session", Summary: "The browser session of the cookie: its user, CSRF token and ends (401 when there is none or it has ended)", Tag: "auth",
		Response: sessionInfo{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			b, err := s.cookieSession(c)
			if err != nil {
				return nil, err
			}
			return newSessionInfo(b), nil
		})})
	s.Add(httpkit.Route{Method: "DELETE", Path: "/api/v1/auth/session", Summary: "Log the browser out: ends the cookie's session (X-CSRF-Token required) and clears the cookie; without an open session it only clears the cookie", Tag: "auth",
		Status: fiber.StatusNoContent, Handler: func(c *fiber.Ctx) error {
			b, err := s.cookieSession(c)
			if err == nil {
				if !b.CheckCSRF(c.Get(CSRFHeader)) {
					return errCSRF
				}
				if err := s.Auth.LogoutBrowser(c.UserContext(), b.Secret); err != nil {
					return err
				}
			} else if !backend.IsCode(err, backend.EUNAUTHENTICATED) {
				return err
			}
			s.clearSessionCookie(c)
			return c.SendStatus(fiber.StatusNoContent)
		}})
}

var errCSRF = backend.Errorf(backend.EFORBIDDEN, "this request changes something and comes with the session cookie, but without the session's CSRF token in the %s header (or with another one); reload the page", CSRFHeader)

// sessionOrBearer authenticates a request of a Route with Auth: with its
// bearer token when it has an Authorization header (API clients, which
// need no CSRF token: browsers never add that header by themselves),
// otherwise with the console's session cookie, in which case a request
// that is not GET, HEAD or OPTIONS must carry the session's CSRF token.
func (s *Server) sessionOrBearer() fiber.Handler {
	bearer := httpkit.BearerAuth(s.Auth)
	return func(c *fiber.Ctx) error {
		if len(c.Request().Header.Peek(fiber.HeaderAuthorization)) > 0 || c.Cookies(s.sessionCookieName(c)) == "" {
			return bearer(c)
		}
		b, err := s.cookieSession(c)
		if err != nil {
			return err
		}
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		default:
			if !b.CheckCSRF(c.Get(CSRFHeader)) {
				return errCSRF
			}
		}
		return c.Next()
	}
}

// cookieSession authenticates the request's session cookie and puts the
// actor in the request's context.
func (s *Server) cookieSession(c *fiber.Ctx) (*auth.BrowserSession, error) {
	secret := c.Cookies(s.sessionCookieName(c))
	if secret == "" {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "not logged in")
	}
	actor, b, err := s.Auth.AuthenticateBrowser(c.UserContext(), secret)
	if err != nil {
		return nil, err
	}
	c.SetUserContext(backend.WithActor(c.UserContext(), actor))
	c.Locals(browserSessionKey{}, b)
	return b, nil
}

// overTLS reports whether the browser spoke HTTPS: to us, or to a trusted
// reverse proxy that says so in X-Forwarded-Proto (anyone else's header is
// not believed).
func (s *Server) overTLS(c *fiber.Ctx) bool {
	if c.Context().IsTLS() {
		return true
	}
	return s.FromTrustedProxy(c) && strings.EqualFold(strings.TrimSpace(c.Get(fiber.HeaderXForwardedProto)), "https")
}

func (s *Server) sessionCookieName(c *fiber.Ctx) string {
	if s.overTLS(c) {
		return SecureSessionCookie
	}
	return SessionCookie
}

func (s *Server) setSessionCookie(c *fiber.Ctx, value string, expires time.Time) {
	ck := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(ck)
	ck.SetKey(s.sessionCookieName(c))
	ck.SetValue(value)
	ck.SetPath("/")
	ck.SetHTTPOnly(true)
	ck.SetSameSite(fasthttp.CookieSameSiteStrictMode)
	ck.SetSecure(s.overTLS(c))
	if !expires.IsZero() {
		ck.SetExpire(expires)
	}
	c.Response().Header.SetCookie(ck)
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	s.setSessionCookie(c, "", time.Unix(0, 0))
}
