// Package openapitest holds the server to its OpenAPI documents in tests:
// it loads each document the server serves, validates it with
// kin-openapi (OpenAPI 3.1, JSON Schema 2020-12), and checks the answers
// that tests get against the operation they belong to — the status is
// one the document declares, and the body is what its schema says.
//
// On OpenAPI 3.1 with kin-openapi v0.153.0: loading and Validate take the
// 3.1 rules from the document's version (type lists such as ["array",
// "null"], contentEncoding, no nullable), and openapi3filter validates a
// 3.1 body with JSON Schema 2020-12 (santhosh-tekuri/jsonschema) — except
// that a schema with a $ref into the components and no keyword only 2020-12
// has (const, prefixItems, if/then/else, unevaluated*, $defs …) falls back
// to kin-openapi's own validator, which also knows type lists and anyOf.
// Our schemas use no such keyword, so most bodies are checked by the
// fallback; TestOpenAPIContractCatches shows it refusing what it must.
//
// Only tests import it: kin-openapi never reaches the fieldcheck binary.
package openapitest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gofiber/fiber/v2"
)

// Documents are the paths at which fieldcheck serves its OpenAPI
// documents: the back office's and the phones'.
var Documents = []string{"/api/v1/openapi.json", "/mobile/v1/openapi.json"}

// errorSchema names the schema of every error body in the documents.
const errorSchema = "ErrorBody"

// Contract is a server's OpenAPI documents, validated, each with a router
// that finds the operation of a request.
type Contract struct {
	docs    []*openapi3.T
	routers []routers.Router
	errBody *openapi3.Schema
}

// Load fetches the documents at paths from app, validates each and builds
// its router.
func Load(app *fiber.App, paths ...string) (*Contract, error) {
	c := &Contract{}
	for _, p := range paths {
		resp, err := app.Test(httptest.NewRequest(http.MethodGet, p, nil), -1)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", p, err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d, %v", p, resp.StatusCode, err)
		}
		doc, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: router: %w", p, err)
		}
		es := doc.Components.Schemas[errorSchema]
		if es == nil || es.Value == nil {
			return nil, fmt.Errorf("%s: no %s schema in the components", p, errorSchema)
		}
		c.docs, c.routers, c.errBody = append(c.docs, doc), append(c.routers, r), es.Value
	}
	return c, nil
}

var shared struct {
	once sync.Once
	c    *Contract
	err  error
}

// CheckAnswer checks one answer of app against its OpenAPI Documents and
// reports a disagreement as an error of tb. The documents are loaded,
// validated and routed on the first call, once per test binary: every app
// a test binary builds registers the same routes.
func CheckAnswer(tb testing.TB, app *fiber.App, req *http.Request, status int, header http.Header, body []byte) {
	tb.Helper()
	shared.once.Do(func() { shared.c, shared.err = Load(app, Documents...) })
	if shared.err != nil {
		tb.Fatalf("the OpenAPI documents: %v", shared.err)
	}
	if err := shared.c.Check(req, status, header, body); err != nil {
		tb.Errorf("the answer to %s %s disagrees with the OpenAPI document: %v", req.Method, req.URL, err)
	}
}

// Parse loads an OpenAPI document and validates it, reporting every
// problem found rather than the first. References outside the document
// are refused: ours are all internal.
func Parse(data []byte) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("openapi %q: the documents are OpenAPI 3.1", doc.OpenAPI)
	}
	// Validate switches to the 3.1 rules itself (JSON Schema 2020-12) for a
	// 3.1 document; examples and defaults are checked against their schemas.
	if err := doc.Validate(context.Background(), openapi3.EnableMultiError(),
		openapi3.EnableExamplesValidation(), openapi3.EnableSchemaDefaultsValidation()); err != nil {
		return nil, fmt.Errorf("invalid: %w", err)
	}
	return doc, nil
}

// Check validates one answer: req is the request as sent (its body is not
// read), status, header and body the response. An answer to a request no
// document describes must be an error with an error body; an answer of an
// operation must have a status the operation declares (a status below 400
// declared as such, not only by the default response, which is the
// error's) and a body its schema accepts; a response the document gives
// no content must have no body.
func (c *Contract) Check(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := c.find(req)
	if err != nil {
		if status < http.StatusBadRequest {
			return fmt.Errorf("status %d for a request no document describes (%v)", status, err)
		}
		return c.checkErrorBody(header, body)
	}
	responses := route.Operation.Responses
	declared := responses.Status(status)
	if declared == nil && status < http.StatusBadRequest {
		return fmt.Errorf("status %d is not declared by %s %s (declared: %v)", status, route.Method, route.Path, statuses(responses))
	}
	if declared == nil {
		declared = responses.Default()
	}
	if declared != nil && declared.Value != nil && len(declared.Value.Content) == 0 && len(body) > 0 && req.Method != http.MethodHead {
		return fmt.Errorf("%s %s declares no body for status %d, but one came (%s)", route.Method, route.Path, status, header.Get(fiber.HeaderContentType))
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s, status %d: %w", route.Method, route.Path, status, err)
	}
	return nil
}

func (c *Contract) find(req *http.Request) (*routers.Route, map[string]string, error) {
	err := routers.ErrPathNotFound
	for _, r := range c.routers {
		route, params, ferr := r.FindRoute(req)
		if ferr == nil {
			return route, params, nil
		}
		if errors.Is(ferr, routers.ErrMethodNotAllowed) {
			err = ferr
		}
	}
	return nil, nil, err
}

// checkErrorBody checks an error that no operation describes (an unknown
// route or method) against the documents' error schema.
func (c *Contract) checkErrorBody(header http.Header, body []byte) error {
	if ct := header.Get(fiber.HeaderContentType); !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return fmt.Errorf("error answered with content type %q, want %s", ct, fiber.MIMEApplicationJSON)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body %q is not JSON: %w", body, err)
	}
	if err := c.errBody.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
		return fmt.Errorf("error body %s does not match %s: %w", body, errorSchema, err)
	}
	return nil
}

func statuses(r *openapi3.Responses) []string {
	var out []string
	for k := range r.Map() {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
