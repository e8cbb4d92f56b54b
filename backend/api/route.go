package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
)

// route is one operation: it is registered with Fiber and described in the
// OpenAPI document from the same entry, so the two cannot drift apart.
type route struct {
	Method   string
	Path     string // Fiber syntax, e.g. /api/v1/targets/:id
	Summary  string
	Tag      string
	Auth     bool    // requires a bearer token
	Query    []param // query parameters
	Request  any     // zero value of the body type, or nil
	Response any     // zero value of the 2xx body type, or nil for 204
	Status   int     // success status; 200 when zero
	Handler  fiber.Handler
}

type param struct {
	Name, Type, Description string
}

func (s *Server) add(r route) {
	if r.Status == 0 {
		r.Status = fiber.StatusOK
	}
	status := r.Status
	handlers := []fiber.Handler{func(c *fiber.Ctx) error {
		c.Locals(statusKey{}, status)
		return c.Next()
	}}
	if r.Auth {
		handlers = append(handlers, s.authenticate)
	}
	handlers = append(handlers, r.Handler)
	s.app.Add(r.Method, r.Path, handlers...)
	s.routes = append(s.routes, r)
}

// authenticate verifies the bearer token and puts the actor in the request
// context. Reads trust the token until it expires; writes re-read the user,
// so a disabled account is refused at once.
func (s *Server) authenticate(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return backend.Errorf(backend.EUNAUTHENTICATED, "missing bearer token")
	}
	write := c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead
	actor, err := s.Auth.Authenticate(c.UserContext(), token, write)
	if err != nil {
		return err
	}
	c.SetUserContext(backend.WithActor(c.UserContext(), actor))
	return c.Next()
}

// decode reads a JSON body into v. Unknown fields, trailing data and a
// wrong content type are refused: no client-supplied key ever reaches the
// store, because only the fields of v exist.
func decode(c *fiber.Ctx, v any) error {
	ct := string(c.Request().Header.ContentType())
	if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(strings.ToLower(mt)) != fiber.MIMEApplicationJSON {
		return backend.Errorf(backend.EINVALID, "content type must be application/json")
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

// pageRequest reads the after and limit query parameters.
func pageRequest(c *fiber.Ctx) (backend.PageRequest, error) {
	p := backend.PageRequest{After: c.Query("after")}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return p, backend.Errorf(backend.EINVALID, "limit must be a number")
		}
		p.Limit = n
	}
	return p, p.Normalize()
}

// queryList splits a comma-separated query parameter.
func queryList(c *fiber.Ctx, name string) []string {
	v := c.Query(name)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// queryBool reads an optional true/false parameter.
func queryBool(c *fiber.Ctx, name string) (*bool, error) {
	v := c.Query(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, backend.Errorf(backend.EINVALID, "%s must be true or false", name)
	}
	return &b, nil
}

var pageParams = []param{
	{"after", "string", "cursor: nextCursor of the previous page"},
	{"limit", "integer", "page size, 1-200 (default 50)"},
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

// withBody is the handler of a route that decodes a JSON body into Req,
// calls fn, and answers with what fn returns.
func withBody[Req any](fn func(c *fiber.Ctx, r *Req) (any, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var r Req
		if err := decode(c, &r); err != nil {
			return err
		}
		v, err := fn(c, &r)
		if err != nil {
			return err
		}
		return respond(c, v)
	}
}

// withPathBody is withBody for replacing an object named by the path: the
// object's id comes from the path, and a body naming another is refused.
func withPathBody[Req any](id func(*Req) *string, fn func(c *fiber.Ctx, r *Req) (any, error)) fiber.Handler {
	return withBody(func(c *fiber.Ctx, r *Req) (any, error) {
		if err := pathID(c, id(r)); err != nil {
			return nil, err
		}
		return fn(c, r)
	})
}

// result is the handler of a route without a body: fn's result is the answer.
func result(fn func(c *fiber.Ctx) (any, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := fn(c)
		if err != nil {
			return err
		}
		return respond(c, v)
	}
}
