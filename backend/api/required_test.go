package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestRequiredFieldsAreRequired goes through every route that takes a JSON
// body, in both OpenAPI documents: for each field the route's request
// schema requires, at the top and in nested objects, a body without it is
// refused with 400 {"code":"invalid"} naming the field, before the handler
// could default it to its zero value. A body with every required field
// passes that check (whatever the handler then says of placeholder values).
func TestRequiredFieldsAreRequired(t *testing.T) {
	e, tasks := newReviewEnv(t)
	phone := e.fieldPhone(tasks[0].TeamUsers[0])
	tokens := map[bool]string{false: e.login("test.admin"), true: phone.token}
	checked := 0
	for _, docPath := range []string{"/api/v1/openapi.json", "/mobile/v1/openapi.json"} {
		var doc struct {
			Paths      map[string]map[string]operation `json:"paths"`
			Components struct {
				Schemas map[string]schema `json:"schemas"`
			} `json:"components"`
		}
		e.do("GET", docPath, "", "", nil).JSON(t, &doc)
		g := &bodyGen{defs: doc.Components.Schemas}
		for _, path := range slices.Sorted(maps.Keys(doc.Paths)) {
			for _, method := range slices.Sorted(maps.Keys(doc.Paths[path])) {
				op := doc.Paths[path][method]
				if op.RequestBody == nil {
					continue
				}
				s := op.RequestBody.Content["application/json"].Schema
				url := strings.NewReplacer("{", "", "}", "").Replace(path) // path parameters: any value; the check comes first
				token := ""
				if len(op.Security) > 0 {
					token = tokens[strings.HasPrefix(path, "/mobile/")]
				}
				full := g.value(s, 0)
				t.Run(strings.ToUpper(method)+" "+path+"/OK/AllRequired", func(t *testing.T) {
					r := e.doT(t, strings.ToUpper(method), url, token, "application/json", strings.NewReader(mustJSON(t, full)))
					if strings.Contains(string(r.Body), " is required") {
						t.Fatalf("a body with every required field: %d %s", r.Status, r.Body)
					}
				})
				for _, field := range g.required(s, "") {
					checked++
					t.Run(strings.ToUpper(method)+" "+path+"/ErrMissing/"+field, func(t *testing.T) {
						body := mustJSON(t, without(full, strings.Split(field, ".")))
						r := e.doT(t, strings.ToUpper(method), url, token, "application/json", strings.NewReader(body))
						var eb struct{ Code, Message string }
						r.JSON(t, &eb)
						want := fmt.Sprintf("field %q is required", field)
						if r.Status != 400 || eb.Code != "invalid" || eb.Message != want {
							t.Fatalf("without %s: %d %s, want 400 invalid %q", field, r.Status, r.Body, want)
						}
					})
				}
			}
		}
	}
	if checked < 40 {
		t.Fatalf("checked %d required fields: the documents lost their request schemas?", checked)
	}
}

type operation struct {
	RequestBody *struct {
		Content map[string]struct {
			Schema schema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Security []any `json:"security"`
}

type schema struct {
	Ref        string            `json:"$ref"`
	Type       any               `json:"type"`
	Enum       []any             `json:"enum"`
	AnyOf      []schema          `json:"anyOf"`
	Items      *schema           `json:"items"`
	Properties map[string]schema `json:"properties"`
	Required   []string          `json:"required"`
	Format     string            `json:"format"`
}

// bodyGen makes placeholder bodies from request schemas.
type bodyGen struct{ defs map[string]schema }

func (g *bodyGen) resolve(s schema) schema {
	for s.Ref != "" {
		s = g.defs[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	if len(s.AnyOf) > 0 {
		return g.resolve(s.AnyOf[0])
	}
	return s
}

// value is a value of schema s with every required field (and no other).
func (g *bodyGen) value(s schema, depth int) any {
	s = g.resolve(s)
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	typ, _ := s.Type.(string)
	if l, ok := s.Type.([]any); ok {
		typ, _ = l[0].(string)
	}
	switch {
	case s.Properties != nil:
		o := map[string]any{}
		for _, name := range s.Required {
			o[name] = g.value(s.Properties[name], depth+1)
		}
		return o
	case typ == "array":
		return []any{}
	case typ == "integer", typ == "number":
		return 1
	case typ == "boolean":
		return false
	case typ == "string" && s.Format == "date-time":
		return "2026-12-01T00:00:00Z"
	case typ == "string":
		return "x"
	}
	return map[string]any{}
}

// required lists the required fields of s, dotted, nested objects
// included (not those inside lists, which the placeholder leaves empty).
func (g *bodyGen) required(s schema, at string) []string {
	s = g.resolve(s)
	var out []string
	for _, name := range s.Required {
		field := name
		if at != "" {
			field = at + "." + name
		}
		out = append(out, field)
		out = append(out, g.required(s.Properties[name], field)...)
	}
	return out
}

func without(v any, path []string) any {
	o := maps.Clone(v.(map[string]any))
	if len(path) == 1 {
		delete(o, path[0])
	} else {
		o[path[0]] = without(o[path[0]], path[1:])
	}
	return o
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
