package httpkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Route is one operation: it is registered with Fiber and described in the
// OpenAPI document from the same entry, so the two cannot drift apart.
type Route struct {
	Method  string
	Path    string // Fiber syntax, e.g. /api/v1/targets/:id
	Summary string
	Tag     string
	Auth    bool // requires a bearer token (or, on the back office, the console's session cookie)
	// Authenticate checks the caller when Auth is set; the Router's
	// Authenticate when nil (the back office's: a bearer token or the
	// console's session cookie with its CSRF token). The mobile API brings
	// its own.
	Authenticate fiber.Handler
	Query        []Param // query parameters
	Request      any     // zero value of the body type, or nil
	Response     any     // zero value of the 2xx body type, or nil for 204
	Status       int     // success status; 200 when zero
	// Produces lists the media types of a success body that is not JSON (a
	// page, an image, a file), when Response is nil.
	Produces []string
	// Page marks an HTML page for people: a refusal it can explain comes as
	// a page too (text/html), besides the {"code","message"} of the others.
	Page bool
	// Also lists the success answers besides Status (206 for a byte range,
	// 304 for a file the client has).
	Also []Answer
	// Admit, when set, takes a slot of admission control after
	// authentication and before the body is checked or decoded, and holds
	// it until the handler returns: a busy server refuses at once, without
	// spending CPU on a body it will not use.
	Admit   func(c *fiber.Ctx) (release func(), err error)
	Handler fiber.Handler
}

// Answer is a success status of a route besides its main one.
type Answer struct {
	Status      int
	Description string
	NoBody      bool // no body (304), else the body of the main status
}

// Param is a query parameter of a route, for the OpenAPI document.
type Param struct {
	Name, Type, Description string
}

// Add registers a route: its handler behind authentication when r.Auth, and
// its description in the OpenAPI documents.
func (rt *Router) Add(r Route) {
	if r.Status == 0 {
		r.Status = fiber.StatusOK
	}
	status, pattern := r.Status, r.Path
	handlers := []fiber.Handler{func(c *fiber.Ctx) error {
		c.Locals(statusKey{}, status)
		c.Locals(routeKey{}, pattern)
		return c.Next()
	}}
	if r.Auth {
		if r.Authenticate == nil {
			r.Authenticate = rt.Authenticate
		}
		handlers = append(handlers, r.Authenticate)
	}
	if r.Admit != nil {
		admit := r.Admit
		handlers = append(handlers, func(c *fiber.Ctx) error {
			release, err := admit(c)
			if err != nil {
				return err
			}
			defer release()
			return c.Next()
		})
	}
	if r.Request != nil {
		handlers = append(handlers, rt.bodyRule(r).handler) // after authentication: a stranger learns nothing of the schema
	}
	handlers = append(handlers, r.Handler)
	rt.app.Add(r.Method, r.Path, handlers...)
	rt.routes = append(rt.routes, r)
}

// TokenVerifier checks an access token; *auth.Service is one.
type TokenVerifier interface {
	Authenticate(ctx context.Context, token string) (*backend.Actor, error)
}

// BearerAuth verifies the bearer token with v and puts the actor in the
// request context. Every request re-reads the user and the session, so a
// disabled user or an ended session is refused at once, reads included.
func BearerAuth(v TokenVerifier) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
		if !ok || token == "" {
			return backend.Errorf(backend.EUNAUTHENTICATED, "missing bearer token")
		}
		actor, err := v.Authenticate(c.UserContext(), token)
		if err != nil {
			return err
		}
		c.SetUserContext(backend.WithActor(c.UserContext(), actor))
		return c.Next()
	}
}

// Decode reads a JSON body into v. Unknown fields, trailing data and a
// wrong content type are refused: no client-supplied key ever reaches the
// store, because only the fields of v exist.
func Decode(c *fiber.Ctx, v any) error {
	if err := CheckJSON(c); err != nil {
		return err
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return backend.Errorf(backend.EINVALID, "request body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return backend.Errorf(backend.EINVALID, "request body has data after the JSON value")
	}
	return nil
}

// CheckJSON refuses a request whose content type is not JSON.
func CheckJSON(c *fiber.Ctx) error {
	ct := string(c.Request().Header.ContentType())
	if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(strings.ToLower(mt)) != fiber.MIMEApplicationJSON {
		return backend.Errorf(backend.EINVALID, "content type must be application/json")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syn  *json.SyntaxError
		typ  *json.UnmarshalTypeError
		msg  = err.Error()
		name string
	)
	switch {
	case errors.As(err, &syn):
		return backend.Errorf(backend.EINVALID, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return backend.Errorf(backend.EINVALID, "field %q must be %s", typ.Field, typ.Type.String())
	case strings.HasPrefix(msg, "json: unknown field "):
		name = strings.TrimPrefix(msg, "json: unknown field ")
		return backend.Errorf(backend.EINVALID, "unknown field %s", name)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return backend.Errorf(backend.EINVALID, "malformed JSON: unexpected end")
	}
	return backend.Errorf(backend.EINVALID, "malformed JSON: %s", strings.TrimPrefix(msg, "json: "))
}

// PageRequest reads the after and limit query parameters.
func PageRequest(c *fiber.Ctx) (backend.PageRequest, error) {
	p := backend.PageRequest{After: c.Query("after")}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > backend.MaxPageLimit {
			return p, backend.Errorf(backend.EINVALID, "limit must be a number from 1 to %d", backend.MaxPageLimit)
		}
		p.Limit = n
	}
	return p, p.Normalize()
}

// PageParams are the query parameters PageRequest reads.
var PageParams = []Param{
	{Name: "after", Type: "string", Description: "cursor: nextCursor of the previous page"},
	{Name: "limit", Type: "integer", Description: "page size, 1-200 (default 50)"},
}

type statusKey struct{}

// respond answers with v and the route's success status.
func respond(c *fiber.Ctx, v any) error {
	status, _ := c.Locals(statusKey{}).(int)
	if status == 0 {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(v)
}

// WithBody is the handler of a route that decodes a JSON body into Req,
// calls fn, and answers with what fn returns.
func WithBody[Req any](fn func(c *fiber.Ctx, r *Req) (any, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var r Req
		if err := Decode(c, &r); err != nil {
			return err
		}
		v, err := fn(c, &r)
		if err != nil {
			return err
		}
		return respond(c, v)
	}
}

// Result is the handler of a route without a body: fn's result is the answer.
func Result(fn func(c *fiber.Ctx) (any, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := fn(c)
		if err != nil {
			return err
		}
		return respond(c, v)
	}
}

// Handle registers handler for method and path outside the route table:
// files such as the console's and the inspector app's, which are not API
// operations and so are not in the OpenAPI document (its coverage test
// skips "/" and wildcards). The Router's middleware, limits and error
// handler apply as to routes.
func (rt *Router) Handle(method, path string, handler fiber.Handler) {
	rt.app.Add(method, path, func(c *fiber.Ctx) error {
		c.Locals(routeKey{}, path)
		return c.Next()
	}, handler)
}

// Use runs handlers before the routes under prefix (a path segment: "/public"
// covers /public and /public/..., not /publications) that are registered
// after it, as Fiber middleware: each calls c.Next().
func (rt *Router) Use(prefix string, handlers ...fiber.Handler) {
	args := []any{prefix}
	for _, h := range handlers {
		args = append(args, h)
	}
	rt.app.Use(args...)
}
