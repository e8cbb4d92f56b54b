package httpkit

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
)

// A request body is held to its route's schema in the OpenAPI document
// before the handler decodes it. Decoding into the Go type (Decode)
// already refuses a wrong type, an unknown field and trailing data; what
// it cannot tell is a field that is missing from one sent as its zero
// value, or a null from a zero: a publish without "version" would be a
// publish of version 0, which skips the stale-version check. So the
// schema itself is read here, for those two things only — every required
// field is there, and no field is null where the schema does not allow
// null — from the same builder that writes the document, so that what the
// document requires is what the server refuses. (An unknown field is
// named first, as Decode does: it is the likelier mistake.)
//
// Not kin-openapi (which checks the answers in tests): it would bring a
// JSON Schema validator into the binary for two rules. The cost is one
// more parse of the body into Go values (docs/benchmarks.md, "required
// fields").

const schemaRef = "#/components/schemas/"

// bodyRule is the schema of a route's request body and the components it
// refers to.
type bodyRule struct {
	root map[string]any
	defs map[string]any
}

// bodyRule returns the rule of r's request body.
func (rt *Router) bodyRule(r Route) *bodyRule {
	if rt.requests == nil {
		rt.requests = newSchemaBuilder()
	}
	root := rt.requests.requestSchema(reflect.TypeOf(r.Request), r.Method)
	return &bodyRule{root: root, defs: rt.requests.defs}
}

// handler checks a JSON body against the rule; a body that is not JSON
// goes on to the handler, whose decoding says what is wrong with it.
func (br *bodyRule) handler(c *fiber.Ctx) error {
	if CheckJSON(c) != nil {
		return c.Next()
	}
	var v any
	if err := json.Unmarshal(c.Body(), &v); err != nil {
		return c.Next()
	}
	if err := br.check(v, br.root, ""); err != nil {
		return err
	}
	return c.Next()
}

func (br *bodyRule) check(v any, s map[string]any, at string) error {
	if ref, ok := s["$ref"].(string); ok {
		s, _ = br.defs[strings.TrimPrefix(ref, schemaRef)].(map[string]any)
	}
	if alts, ok := s["anyOf"].([]any); ok {
		// A nullable object is {"anyOf":[{"$ref":…},{"type":"null"}]}; a
		// value of several types (a sync payload) is the handler's to check.
		var other map[string]any
		for _, a := range alts {
			if as, _ := a.(map[string]any); as["type"] != "null" {
				if other != nil {
					return nil
				}
				other = as
			}
		}
		if v == nil || other == nil {
			return nil
		}
		return br.check(v, other, at)
	}
	if v == nil {
		if t, ok := s["type"]; ok && !allowsNull(t) {
			return backend.Errorf(backend.EINVALID, "field %q must not be null", at)
		}
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		keys := slices.Sorted(maps.Keys(x))
		if closed, ok := s["additionalProperties"].(bool); ok && !closed {
			// First, as Decode would: a field of another name is more
			// likely the cause than the one missing.
			for _, k := range keys {
				if _, ok := props[k]; !ok {
					return backend.Errorf(backend.EINVALID, "unknown field %q", join(at, k))
				}
			}
		}
		required, _ := s["required"].([]string)
		for _, name := range required {
			if _, ok := x[name]; !ok {
				return backend.Errorf(backend.EINVALID, "field %q is required", join(at, name))
			}
		}
		extra, _ := s["additionalProperties"].(map[string]any)
		for _, k := range keys {
			ps, ok := props[k].(map[string]any)
			if !ok {
				ps = extra
			}
			if ps == nil {
				continue
			}
			if err := br.check(x[k], ps, join(at, k)); err != nil {
				return err
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range x {
				if err := br.check(e, items, at+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func allowsNull(t any) bool {
	switch t := t.(type) {
	case string:
		return t == "null"
	case []string:
		return slices.Contains(t, "null")
	}
	return false
}

func join(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}
