// Package mobileapi is the HTTP adapter for inspectors' phones, under
// /mobile/v1. It shares the back office's Fiber application, error handler
// and limits (it registers its routes on the httpkit.Router that the
// composition root, backend/app, builds; it never imports backend/api, nor
// backend/api it), but has its
// own token audience, fieldcheck-mobile: a phone's session is no key to the
// back office, and the other way round. Its OpenAPI 3.1 document is served
// at /mobile/v1/openapi.json so that app teams can generate clients.
package mobileapi

import (
	"io/fs"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/evidence"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	"github.com/fieldcheck/fieldcheck/backend/visit"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// Audience is the aud of mobile access tokens.
const Audience = "fieldcheck-mobile"

// Roles are the roles that log in on the phones' API: the officers in the
// field. Managers, reviewers and administrators use the back office.
var Roles = []backend.Role{backend.RoleInspector}

// Routes are the phone's operations.
type Routes struct {
	Auth     *auth.Service // configured with Audience
	Planning *planning.Service
	Visit    *visit.Service
	Sync     *fcsync.Service
	Evidence *evidence.Service
	// App is the inspector app's built files (inspectorapp.FS), served
	// at AppPath when set.
	App fs.FS
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Device is the phone: the session is bound to it, and an
	// administrator can revoke it.
	Device backend.DeviceInfo `json:"device"`
}

type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

var document = httpkit.Document{
	Title:       "fieldcheck mobile API",
	Description: "For inspectors' phones: tasks, check-in by scanning the enterprise's licence code. Errors are {\"code\",\"message\"}.",
	Includes:    func(path string) bool { return strings.HasPrefix(path, "/mobile/") },
}

// Register adds the routes to the shared Router; the composition root
// passes it in the back office server's Extra.
func (m *Routes) Register(s *httpkit.Router) {
	authn := httpkit.BearerAuth(m.Auth)
	add := func(r httpkit.Route) {
		if r.Auth {
			r.Authenticate = authn
		}
		s.Add(r)
	}
	add(httpkit.Route{Method: "POST", Path: "/mobile/v1/auth/login", Summary: "Log in on a phone (inspectors only: other roles get 403), naming the device (required; a revoked device is refused with 403); failures slow down retries per account and address; a server busy checking passwords answers 429 or 503 with Retry-After at once", Tag: "auth",
		Request: loginRequest{}, Response: auth.Tokens{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *loginRequest) (any, error) {
			return m.Auth.LoginDevice(c.UserContext(), r.Username, r.Password, r.Device)
		})})
	add(httpkit.Route{Method: "POST", Path: "/mobile/v1/auth/refresh", Summary: "Exchange a refresh token (single use) for new tokens; never send two refreshes with one token. Refused once the session was ended (logout, device revoked, password reset, account disabled, sessions ended by an administrator)", Tag: "auth",
		Request: refreshRequest{}, Response: auth.Tokens{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *refreshRequest) (any, error) {
			return m.Auth.Refresh(c.UserContext(), r.RefreshToken)
		})})
	add(httpkit.Route{Method: "GET", Path: "/mobile/v1/tasks", Summary: "The tasks of the inspector's teams", Tag: "tasks", Auth: true,
		Query: append([]httpkit.Param{{Name: "status", Type: "string", Description: "comma-separated statuses"}}, httpkit.PageParams...), Response: backend.Page[*backend.Task]{},
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			var q planning.TaskQuery
			for _, st := range strings.Split(c.Query("status"), ",") {
				if st != "" {
					q.Statuses = append(q.Statuses, backend.TaskStatus(st))
				}
			}
			return m.Planning.ListTasks(c.UserContext(), q, p)
		})})
	add(httpkit.Route{Method: "GET", Path: "/mobile/v1/tasks/:id", Summary: "One task of the inspector's teams", Tag: "tasks", Auth: true,
		Response: backend.Task{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return m.Planning.GetTask(c.UserContext(), c.Params("id")) })})
	add(httpkit.Route{Method: "POST", Path: "/mobile/v1/tasks/:id/transitions", Summary: "Accept, check in or submit a task", Tag: "tasks", Auth: true,
		Request: planning.TransitionRequest{}, Response: backend.Task{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.TransitionRequest) (any, error) {
			return m.Planning.Transition(c.UserContext(), c.Params("id"), *r)
		})})
	add(httpkit.Route{Method: "POST", Path: "/mobile/v1/tasks/:id/code", Summary: "A fresh inspection code (检查码) for the task, valid for the rest of the day in Asia/Shanghai (at least 10 minutes; expiresAt says until when), so that the phone can show it offline: show its URL as a QR code. Withdrawn when the session ends or the device is revoked. The answer sets the cookie " + httpkit.DeviceCookie + " naming the device, so that a rating from the same browser is recognised as the team's", Tag: "tasks", Auth: true,
		Response: visit.IssuedCode{}, Status: fiber.StatusCreated,
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			code, err := m.Visit.IssueCode(c.UserContext(), c.Params("id"))
			if err == nil {
				httpkit.SetDeviceCookie(c)
			}
			return code, err
		})})
	add(httpkit.Route{Method: "POST", Path: "/mobile/v1/checkins", Summary: "Check in at an enterprise with its scanned licence code, or with its USCC typed in by hand when no code can be read (flagged manual-uscc); without a position when the phone has no fix (flagged no-position). Idempotent by id; accepted hours later from an offline queue; recorded for the session's device, a deviceId in the body is refused", Tag: "checkins", Auth: true,
		Request: visit.CheckInRequest{}, Response: backend.CheckIn{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *visit.CheckInRequest) (any, error) { return m.Visit.CheckIn(c.UserContext(), *r) })})
	if m.Sync != nil {
		m.registerSync(s)
		m.registerLimits(s)
	}
	if m.Evidence != nil {
		m.registerUploads(s)
	}
	if m.App != nil {
		m.registerApp(s)
	}
	add(httpkit.Route{Method: "GET", Path: "/mobile/v1/openapi.json", Summary: "This document", Tag: "meta",
		Response: httpkit.OpenAPIDocument{}, Handler: func(c *fiber.Ctx) error { return c.JSON(s.OpenAPIOf(document)) }})
}
