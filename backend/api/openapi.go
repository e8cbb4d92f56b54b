package api

import (
	"maps"
	"path"
	"reflect"
	"regexp"
	"slices"
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
	defs  map[string]any
	names map[reflect.Type]string // the name of each struct type in defs
	types map[string]reflect.Type
}

func newSchemaBuilder() *schemaBuilder {
	return &schemaBuilder{defs: map[string]any{}, names: map[reflect.Type]string{}, types: map[string]reflect.Type{}}
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
		name, ok := b.names[t]
		if !ok {
			name = b.name(t)
			b.names[t], b.types[name] = name, t // first: types may refer to themselves
			b.defs[name] = b.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (b *schemaBuilder) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	b.fields(t, props, &required)
	sort.Strings(required)
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// fields adds the JSON fields of struct type t to props as encoding/json
// writes them: the fields of an embedded struct without a JSON name are
// the outer struct's own (unless it has a field of the same name).
func (b *schemaBuilder) fields(t reflect.Type, props map[string]any, required *[]string) {
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if ft := derefType(f.Type); f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			embedded = append(embedded, ft)
			continue
		}
		if !f.IsExported() {
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
		omitempty := strings.Contains(opts, "omitempty")
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			if !omitempty {
				// encoding/json writes a nil pointer, slice or map as null.
				prop = nullable(prop)
			}
		}
		if doc := f.Tag.Get("doc"); doc != "" {
			// doc:"..." describes a field whose meaning its name and type do not tell.
			prop["description"] = doc
		}
		props[name] = prop
		if !omitempty && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
	for _, et := range embedded {
		inner := map[string]any{}
		var innerRequired []string
		b.fields(et, inner, &innerRequired)
		for name, prop := range inner {
			if _, ok := props[name]; !ok {
				props[name] = prop
				if slices.Contains(innerRequired, name) {
					*required = append(*required, name)
				}
			}
		}
	}
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// nullable lets schema s also be null (JSON Schema 2020-12: a type list,
// or anyOf around a reference).
func nullable(s map[string]any) map[string]any {
	if ref, ok := s["$ref"]; ok {
		return map[string]any{"anyOf": []any{map[string]any{"$ref": ref}, map[string]any{"type": "null"}}}
	}
	typ, ok := s["type"].(string)
	if !ok {
		return s // any value, null included
	}
	n := maps.Clone(s)
	n["type"] = []string{typ, "null"}
	if enum, ok := s["enum"].([]string); ok {
		values := make([]any, 0, len(enum)+1)
		for _, v := range enum {
			values = append(values, v)
		}
		n["enum"] = append(values, nil)
	}
	return n
}

// name names a struct type in components/schemas. Generic instantiations
// such as Page[*backend.Target] become PageTarget; a type whose name
// another package's type has taken is prefixed with its package's
// (draw.Inspector beside backend.Inspector: DrawInspector).
func (b *schemaBuilder) name(t reflect.Type) string {
	n := t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 {
		arg := n[i+1 : len(n)-1]
		arg = arg[strings.LastIndexAny(arg, ".*")+1:]
		n = n[:i] + arg
	}
	n = upperFirst(n)
	taken := func(n string) bool { _, ok := b.types[n]; return ok }
	if taken(n) {
		n = upperFirst(path.Base(t.PkgPath())) + n
	}
	for i, base := 2, n; taken(n); i++ {
		n = base + strconv.Itoa(i)
	}
	return n
}

func upperFirst(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// OpenAPIDocument is the type of a route that serves an OpenAPI document:
// a JSON object, described as such (the document describing itself in full
// would be the OpenAPI specification's own schema).
type OpenAPIDocument map[string]any

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
	b := newSchemaBuilder()
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
		errContent := map[string]any{fiber.MIMEApplicationJSON: map[string]any{"schema": errRef}}
		if r.Page {
			errContent[fiber.MIMETextHTML] = map[string]any{}
		}
		responses := map[string]any{
			"default": map[string]any{"description": "error", "content": errContent},
		}
		ok := map[string]any{"description": "success"}
		if content := b.content(r); len(content) > 0 {
			ok["content"] = content
		}
		responses[strconv.Itoa(r.Status)] = ok
		for _, a := range r.Also {
			also := map[string]any{"description": a.Description}
			if !a.NoBody && ok["content"] != nil {
				also["content"] = ok["content"]
			}
			responses[strconv.Itoa(a.Status)] = also
		}
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

// content describes the success body of r: JSON of its Response type, or
// the media types it Produces (any bytes: no schema).
func (b *schemaBuilder) content(r Route) map[string]any {
	content := map[string]any{}
	if r.Response != nil {
		content[fiber.MIMEApplicationJSON] = map[string]any{"schema": b.schema(reflect.TypeOf(r.Response))}
	}
	for _, mt := range r.Produces {
		content[mt] = map[string]any{}
	}
	if r.Page {
		content[fiber.MIMETextHTML] = map[string]any{}
	}
	return content
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
		Response: OpenAPIDocument{}, Handler: func(c *fiber.Ctx) error {
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
	s.registerRoundRoutes()
	s.registerTaskRequestRoutes()
	s.registerReviewRoutes()
	s.registerCodeRoutes()
	s.registerPageRoutes()
	s.registerVisitRoutes()
	s.registerAuditRoutes()
}
