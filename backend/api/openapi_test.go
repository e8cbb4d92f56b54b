package api_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/api"
)

// TestOpenAPICoversRoutes compares the document served at
// /api/v1/openapi.json with the routes Fiber actually has registered.
func TestOpenAPICoversRoutes(t *testing.T) {
	e := newEnv(t)
	documented := map[string]bool{}
	// The back office's document and the phones' document together cover
	// every route, and neither covers the other's.
	for _, d := range []struct{ url, prefix string }{{"/api/v1/openapi.json", ""}, {"/mobile/v1/openapi.json", "/mobile/"}} {
		r := e.do("GET", d.url, "", "", nil)
		if r.Status != 200 {
			t.Fatalf("%s: status=%d", d.url, r.Status)
		}
		var doc struct {
			OpenAPI string                                `json:"openapi"`
			Paths   map[string]map[string]json.RawMessage `json:"paths"`
		}
		r.json(t, &doc)
		if doc.OpenAPI != "3.1.0" {
			t.Fatalf("%s: openapi=%q, want 3.1.0", d.url, doc.OpenAPI)
		}
		for p, ops := range doc.Paths {
			if strings.HasPrefix(p, "/mobile/") != (d.prefix != "") {
				t.Fatalf("%s documents %s", d.url, p)
			}
			for m := range ops {
				documented[strings.ToUpper(m)+" "+p] = true
			}
		}
	}
	registered := map[string]bool{}
	routes := e.m.HTTP.App().GetRoutes(true)
	gets := map[string]bool{}
	for _, rt := range routes {
		gets[rt.Path] = gets[rt.Path] || rt.Method == "GET"
	}
	for _, rt := range routes {
		if rt.Method == "HEAD" && gets[rt.Path] || rt.Path == "/" || strings.HasSuffix(rt.Path, "*") {
			continue // Fiber adds HEAD for each GET; "/" and "*" are middleware
		}
		registered[rt.Method+" "+api.OpenAPIPath(rt.Path)] = true
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("routes not documented: %v\ndocumented but not registered: %v", missing, extra)
	}
	if len(registered) < 30 {
		t.Fatalf("only %d routes registered; the route list looks wrong", len(registered))
	}
}

// TestOpenAPIEnums: fields with a fixed set of values list them, so that
// generated clients get enumerations.
func TestOpenAPIEnums(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/mobile/v1/openapi.json", "", "", nil)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	r.json(t, &doc)
	for _, c := range []struct{ schema, field, value string }{
		{"Mutation", "entity", "evidence"},
		{"MutationResult", "status", "duplicate"},
		{"TaskPayload", "to", "accepted"},
		{"ResultInput", "code", "no-problem"},
		{"EvidenceInput", "type", "photo"},
	} {
		enum := doc.Components.Schemas[c.schema].Properties[c.field].Enum
		if !slices.Contains(enum, c.value) {
			t.Errorf("%s.%s enum %v lacks %q", c.schema, c.field, enum, c.value)
		}
	}
}

// TestOpenAPIDrawRequests: the requests that publish and draw a plan
// describe the entropy source and the value (doc tags), and the source's
// codes are listed.
func TestOpenAPIDrawRequests(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/openapi.json", "", "", nil)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Description string   `json:"description"`
					Enum        []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	r.json(t, &doc)
	for _, c := range []struct{ schema, field, want string }{
		{"DrawRequest", "value", "canonical form"},
		{"DrawRequest", "redraw", "drawn once"},
		{"PublishRequest", "entropySource", "future public random event"},
		{"PlanUpdateRequest", "entropySource", "future public random event"},
		{"EntropySource", "issue", "期号"},
	} {
		if got := doc.Components.Schemas[c.schema].Properties[c.field].Description; !strings.Contains(got, c.want) {
			t.Errorf("%s.%s description %q lacks %q", c.schema, c.field, got, c.want)
		}
	}
	if enum := doc.Components.Schemas["EntropySource"].Properties["source"].Enum; !slices.Contains(enum, "drand-quicknet") {
		t.Errorf("EntropySource.source enum %v", enum)
	}
	if _, ok := doc.Components.Schemas["DrawRequest"].Properties["publicEntropy"]; ok {
		t.Error("DrawRequest still takes publicEntropy")
	}
}
