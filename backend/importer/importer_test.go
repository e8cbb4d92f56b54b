package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

// env is an importer on a fresh database with two departments.
type env struct {
	ctx        context.Context
	db         *mongo.DB
	im         *importer.Importer
	targets    *mongo.TargetStore
	inspectors *mongo.InspectorStore
	items      *mongo.ItemStore
	auditStore *mongo.AuditStore
	audit      *backend.AuditLog
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	db := mongotest.Open(tb)
	e := &env{
		ctx:        backend.WithActor(context.Background(), backend.SystemActor("import")),
		db:         db,
		targets:    &mongo.TargetStore{DB: db},
		inspectors: &mongo.InspectorStore{DB: db},
		items:      &mongo.ItemStore{DB: db},
		auditStore: &mongo.AuditStore{DB: db},
	}
	e.audit = &backend.AuditLog{Store: e.auditStore, Now: time.Now}
	depts := &mongo.DepartmentStore{DB: db}
	for _, d := range []*backend.Department{{ID: "scjg", Name: "市场监督管理局"}, {ID: "wjw", Name: "卫生健康委员会"}} {
		if err := depts.CreateDepartment(e.ctx, d); err != nil {
			tb.Fatalf("create department: %v", err)
		}
	}
	e.im = &importer.Importer{Targets: e.targets, Inspectors: e.inspectors, Items: e.items, Departments: depts, Audit: e.audit}
	return e
}

func fixture(name string) string { return filepath.Join("..", "..", "testdata", "import", name) }

// MustImportFile imports a file and fails the test on a whole-file error.
func (e *env) MustImportFile(tb testing.TB, kind importer.Kind, path string) *importer.Summary {
	tb.Helper()
	s, err := e.im.ImportFile(e.ctx, kind, path)
	if err != nil {
		tb.Fatalf("import %s: %v", path, err)
	}
	return s
}

// MustImportString imports CSV text.
func (e *env) MustImportString(tb testing.TB, kind importer.Kind, csv string) *importer.Summary {
	tb.Helper()
	s, err := e.im.Import(e.ctx, kind, strings.NewReader(csv), importer.FormatCSV)
	if err != nil {
		tb.Fatalf("import: %v", err)
	}
	return s
}

// storedTargets returns every stored target by id.
func (e *env) storedTargets(tb testing.TB) map[string]*backend.Target {
	tb.Helper()
	out := map[string]*backend.Target{}
	err := e.targets.ScanTargets(e.ctx, backend.TargetFilter{}, func(t *backend.Target) error {
		out[t.ID] = t
		return nil
	})
	if err != nil {
		tb.Fatalf("scan targets: %v", err)
	}
	return out
}

func (e *env) versions(tb testing.TB) map[string]int64 {
	tb.Helper()
	out := map[string]int64{}
	for id, t := range e.storedTargets(tb) {
		out[id] = t.Version
	}
	return out
}

// auditCount returns the number of entries in the (intact) audit log.
func (e *env) auditCount(tb testing.TB) int64 {
	tb.Helper()
	n, problem, err := e.audit.Verify(e.ctx)
	if err != nil || problem != nil {
		tb.Fatalf("verify audit log: %v %v", err, problem)
	}
	return n
}

// errorKeys lists "row/column" of every row error, for exact comparison.
func errorKeys(errs []importer.RowError) []string {
	out := []string{}
	for _, e := range errs {
		out = append(out, strconv.Itoa(e.Row)+"/"+e.Column)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func checkCounts(tb testing.TB, s *importer.Summary, imported, updated, unchanged, rejected int) {
	tb.Helper()
	if s.Imported != imported || s.Updated != updated || s.Unchanged != unchanged || s.Rejected != rejected {
		tb.Fatalf("summary %q, want imported %d, updated %d, rejected %d, unchanged %d; errors: %v", s, imported, updated, rejected, unchanged, s.Errors)
	}
}

func checkErrors(tb testing.TB, got []importer.RowError, want []string) {
	tb.Helper()
	if keys := errorKeys(got); !reflect.DeepEqual(keys, want) {
		tb.Fatalf("row errors at %q, want %q; errors:\n%s", keys, want, joinErrors(got))
	}
}

func joinErrors(errs []importer.RowError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("  " + e.Error() + "\n")
	}
	return b.String()
}

// findError returns the reason of the error at row/column.
func findError(errs []importer.RowError, row int, column string) string {
	for _, e := range errs {
		if e.Row == row && e.Column == column {
			return e.Reason
		}
	}
	return ""
}

// sameJSON compares two values by their JSON, treating [] and null alike.
func sameJSON(tb testing.TB, what string, got, want any) {
	tb.Helper()
	g, w := normJSON(tb, got), normJSON(tb, want)
	if g != w {
		tb.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func normJSON(tb testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var m any
	_ = json.Unmarshal(b, &m)
	var strip func(any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if a, ok := e.([]any); ok && len(a) == 0 {
					x[k] = nil
				} else {
					x[k] = strip(e)
				}
			}
			for _, k := range []string{"version", "createdAt", "updatedAt"} {
				delete(x, k)
			}
		case []any:
			for i := range x {
				x[i] = strip(x[i])
			}
		}
		return v
	}
	b, _ = json.Marshal(strip(m))
	return string(b)
}

func wantCode(tb testing.TB, err error, code string) *backend.Error {
	tb.Helper()
	var be *backend.Error
	if !errors.As(err, &be) || backend.ErrorCode(err) != code {
		tb.Fatalf("err = %v, want a *backend.Error with code %s", err, code)
	}
	return be
}

func writeFile(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func readPath(path string) ([]byte, error) { return os.ReadFile(path) }
