package api

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

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

// WithPathBody is WithBody for replacing an object named by the path: the
// object's id comes from the path, and a body naming another is refused.
func WithPathBody[Req any](id func(*Req) *string, fn func(c *fiber.Ctx, r *Req) (any, error)) fiber.Handler {
	return httpkit.WithBody(func(c *fiber.Ctx, r *Req) (any, error) {
		if err := pathID(c, id(r)); err != nil {
			return nil, err
		}
		return fn(c, r)
	})
}

// queryInt reads an optional integer query parameter (0 when absent).
func queryInt(c *fiber.Ctx, name string) (int, error) {
	q := c.Query(name)
	if q == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil {
		return 0, backend.Errorf(backend.EINVALID, "%s must be a number", name)
	}
	return n, nil
}
