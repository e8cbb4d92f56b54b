package api

import (
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// The OpenAPI 3.1 document is built from the route table: every registered
// operation appears in it with schemas derived from the Go types its handler
// decodes and encodes, so the document cannot describe an API that is not
// there.

var fiberParam = regexp.MustCompile(`:([A-Za-z]+)`)

// OpenAPIPath turns a Fiber path (/a/:id) into an OpenAPI path (/a/{id}).
func OpenAPIPath(p string) string { return fiberParam.ReplaceAllString(p, "{$1}") }

type schemaBuilder struct {
	defs map[string]any
}

var timeType = reflect.TypeOf(time.Time{})

// SchemaProvider is a type that describes its own JSON schema, such as a
// raw JSON value that is one of several types; ref gives the schema of a
// value's type (and adds structs to the document's components).
type SchemaProvider interface {
	OpenAPISchema(ref func(v any) map[string]any) map[string]any
}

var providerType = reflect.TypeOf((*SchemaProvider)(nil)).Elem()

func (b *schemaBuilder) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t.Implements(providerType) {
		p := reflect.Zero(t).Interface().(SchemaProvider)
		return p.OpenAPISchema(func(v any) map[string]any { return b.schema(reflect.TypeOf(v)) })
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": b.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": b.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := schemaName(t)
		if _, ok := b.defs[name]; !ok {
			b.defs[name] = nil // reserve first: types may refer to themselves
			b.defs[name] = b.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (b *schemaBuilder) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		prop := b.schema(f.Type)
		if values := f.Tag.Get("enum"); values != "" {
			// enum:"a,b,c" lists the values a string field takes.
			prop = map[string]any{"type": "string", "enum": strings.Split(values, ",")}
		}
		if doc := f.Tag.Get("doc"); doc != "" {
			// doc:"..." describes a field whose meaning its name and type do not tell.
			prop["description"] = doc
		}
		props[name] = prop
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	sort.Strings(required)
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// schemaName names a struct type in components/schemas. Generic
// instantiations such as Page[*backend.Target] become PageTarget.
func schemaName(t reflect.Type) string {
	n := t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 {
		arg := n[i+1 : len(n)-1]
		arg = arg[strings.LastIndexAny(arg, ".*")+1:]
		n = n[:i] + arg
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

// Document describes one OpenAPI document: which routes it covers.
type Document struct {
	Title       string
	Description string
	Includes    func(path string) bool
}

// backOffice is the document of /api/v1/openapi.json: every route but the
// mobile API's.
var backOffice = Document{
	Title:       "fieldcheck back-office API",
	Description: "双随机、一公开 supervision: directories, item list, plans, draws, tasks, users, audit. Errors are {\"code\",\"message\"}.",
	Includes:    func(path string) bool { return !strings.HasPrefix(path, "/mobile/") },
}

// OpenAPI returns the OpenAPI 3.1 document of the back office.
func (s *Server) OpenAPI() map[string]any { return s.OpenAPIOf(backOffice) }

// OpenAPIOf returns the OpenAPI 3.1 document of the routes d includes.
func (s *Server) OpenAPIOf(d Document) map[string]any {
	b := &schemaBuilder{defs: map[string]any{}}
	errRef := b.schema(reflect.TypeOf(ErrorBody{}))
	paths := map[string]any{}
	for _, r := range s.routes {
		if !d.Includes(r.Path) {
			continue
		}
		p := OpenAPIPath(r.Path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		op := map[string]any{
			"summary":     r.Summary,
			"tags":        []string{r.Tag},
			"operationId": operationID(r),
		}
		var params []any
		for _, m := range fiberParam.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range r.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": map[string]any{"type": q.Type}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Request != nil {
			op["requestBody"] = map[string]any{
				"required": true,
				"content":  map[string]any{fiber.MIMEApplicationJSON: map[string]any{"schema": b.schema(reflect.TypeOf(r.Request))}},
			}
		}
		responses := map[string]any{
			"default": map[string]any{"description": "error", "content": map[string]any{fiber.MIMEApplicationJSON: map[string]any{"schema": errRef}}},
		}
		ok := map[string]any{"description": "success"}
		if r.Response != nil {
			ok["content"] = map[string]any{fiber.MIMEApplicationJSON: map[string]any{"schema": b.schema(reflect.TypeOf(r.Response))}}
		}
		responses[strconv.Itoa(r.Status)] = ok
		op["responses"] = responses
		if r.Auth {
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		item[strings.ToLower(r.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       d.Title,
			"version":     "1",
			"description": d.Description,
		},
		"paths": paths,
		"components": map[string]any{
			"schemas":         b.defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
		},
	}
}

func operationID(r Route) string {
	parts := []string{strings.ToLower(r.Method)}
	for _, seg := range strings.Split(strings.Trim(r.Path, "/"), "/") {
		if seg == "api" || seg == "v1" || seg == "" {
			continue
		}
		seg = strings.TrimPrefix(seg, ":")
		seg = strings.NewReplacer("-", "", ".", "").Replace(seg)
		parts = append(parts, strings.ToUpper(seg[:1])+seg[1:])
	}
	return strings.Join(parts, "")
}

func (s *Server) registerOpenAPIRoute() {
	s.Add(Route{Method: "GET", Path: "/api/v1/openapi.json", Summary: "This document", Tag: "meta",
		Handler: func(c *fiber.Ctx) error {
			return c.JSON(s.OpenAPI())
		}})
}

func (s *Server) registerRoutes() {
	for _, register := range s.Extra {
		register(s)
	}
	s.registerHealthRoutes()
	s.registerOpenAPIRoute()
	s.registerAuthRoutes()
	s.registerUserRoutes()
	s.registerDirectoryRoutes()
	s.registerPlanRoutes()
	s.registerTaskRequestRoutes()
	s.registerReviewRoutes()
	s.registerCodeRoutes()
	s.registerPageRoutes()
	s.registerVisitRoutes()
	s.registerAuditRoutes()
}
