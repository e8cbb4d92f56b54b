package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// module is the import path of this repository's packages.
const module = "github.com/fieldcheck/fieldcheck"

// A layer is a set of packages (paths under module; "x/..." is x and
// everything below it). A package may import those of lower layers, and
// those of its own layer when the layer is not Apart.
type layer struct {
	Name     string
	Height   int
	Packages []string
	// Apart: the layer's packages never import each other (the HTTP
	// adapters meet only in the composition root).
	Apart bool
}

// layers is the house, from the ground up: the domain, then the services
// and the stores beside each other (neither imports the other: the
// composition root joins them), the HTTP toolkit the adapters share, the
// adapters, the composition root, the commands. Every package of the module
// must be in one of them.
var layers = []layer{
	{Name: "domain", Height: 1, Packages: []string{"backend", "backend/draw", "backend/record/...", "backend/keyring", "backend/media", "backend/clocktest", "backend/audittest", "backend/apijson", "qr"}},
	// The built front ends and browser scripts, embedded: files, no Go
	// imports of the module.
	{Name: "front ends", Height: 1, Packages: []string{"backend/console", "backend/portal/...", "mobileapi/app"}},
	{Name: "services", Height: 2, Packages: []string{"backend/auth", "backend/planning", "backend/visit", "backend/evidence", "backend/importer", "backend/demo", "sync"}},
	{Name: "stores", Height: 2, Packages: []string{"backend/mongo/...", "backend/blobfs", "backend/blobtest", "backend/embedded", "backend/backup"}},
	{Name: "http toolkit", Height: 3, Packages: []string{"backend/httpkit", "backend/evidenceapi", "backend/api/openapitest", "backend/api/tlstest", "backend/metrics"}},
	{Name: "adapters", Height: 4, Packages: []string{"backend/api", "mobileapi/..."}, Apart: true},
	{Name: "composition", Height: 5, Packages: []string{"backend/app/..."}},
	{Name: "commands", Height: 6, Packages: []string{"cmd/..."}},
}

// layerOf finds the layer of a package (a path under module): the one with
// the longest matching entry, so that backend/api/openapitest is not taken
// for backend/api.
func layerOf(pkg string) (l layer, entry string, ok bool) {
	for _, cand := range layers {
		for _, p := range cand.Packages {
			base, tree := strings.CutSuffix(p, "/...")
			if pkg == base || tree && strings.HasPrefix(pkg, base+"/") {
				if len(base) > len(entry) {
					l, entry, ok = cand, base, true
				}
			}
		}
	}
	return l, entry, ok
}

// TestLayers reads the imports of every package of the module (not of its
// tests, which may reach up to build a whole server) and refuses an
// import that runs from a lower layer to a higher one, one between two
// layers of the same height, or one between two adapters.
func TestLayers(t *testing.T) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	n := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		from := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		lf, entryFrom, ok := layerOf(from)
		if !ok {
			t.Errorf("package %s is in no layer: add it to layers in this file", from)
			continue
		}
		for _, imp := range p.Imports {
			to, ours := strings.CutPrefix(imp, module+"/")
			if !ours {
				continue
			}
			lt, entryTo, ok := layerOf(to)
			switch {
			case !ok:
				t.Errorf("%s imports %s, which is in no layer", from, to)
			case lt.Height > lf.Height:
				t.Errorf("%s (%s) imports %s (%s): an import from a lower layer up to a higher one", from, lf.Name, to, lt.Name)
			case lt.Height == lf.Height && lt.Name != lf.Name:
				t.Errorf("%s (%s) imports %s (%s): layers side by side do not import each other", from, lf.Name, to, lt.Name)
			case lt.Name == lf.Name && lf.Apart && entryFrom != entryTo:
				t.Errorf("%s imports %s: one %s package imports another", from, to, lf.Name)
			}
		}
	}
	if n == 0 {
		t.Fatal("go list listed no packages")
	}
}
