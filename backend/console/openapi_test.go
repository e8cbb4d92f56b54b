package console_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

func TestMain(m *testing.M) {
	backend.PasswordCost = 4
	mongotest.Main(m)
}

// openAPIFile is the back office's OpenAPI document as the server serves
// it, from which `npm run types` generates src/api/schema.d.ts.
const openAPIFile = "src/api/openapi.json"

// TestOpenAPIDocumentCurrent: the committed document is the one the server
// serves, so that the console's generated types are those of the API.
// FIELDCHECK_UPDATE_OPENAPI=1 writes it; then run `npm run types`.
func TestOpenAPIDocumentCurrent(t *testing.T) {
	m := apptest.Open(t, "")
	resp, err := m.HTTP.App().Test(httptest.NewRequest("GET", "/api/v1/openapi.json", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("decode the served document: %v", err)
	}
	served, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	served = append(served, '\n')
	if os.Getenv("FIELDCHECK_UPDATE_OPENAPI") == "1" {
		if err := os.WriteFile(openAPIFile, served, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	committed, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, served) {
		t.Fatalf("%s is not the document the server serves: run FIELDCHECK_UPDATE_OPENAPI=1 go test ./backend/console, then npm run types in backend/console, and commit both", openAPIFile)
	}
}
