package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Kind is what a file holds.
type Kind string

const (
	Targets    Kind = "targets"    // the target directory
	Inspectors Kind = "inspectors" // the inspector directory
	Items      Kind = "items"      // the item list
)

// ParseKind accepts the names the command line uses: targets (or
// enterprises), inspectors, items.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "targets", "target", "enterprises", "enterprise":
		return Targets, nil
	case "inspectors", "inspector":
		return Inspectors, nil
	case "items", "item":
		return Items, nil
	}
	return "", backend.Errorf(backend.EINVALID, "unknown import kind %q: use enterprises, inspectors or items", s)
}

// Format is the file format.
type Format int

const (
	FormatAuto Format = iota // sniff the content: a ZIP archive is XLSX, anything else CSV
	FormatCSV
	FormatXLSX
)

func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "CSV"
	case FormatXLSX:
		return "XLSX"
	}
	return "auto"
}

// FormatOf returns the format a file name implies, FormatAuto when the
// extension says nothing.
func FormatOf(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".tsv", ".txt":
		return FormatCSV
	case ".xlsx", ".xlsm":
		return FormatXLSX
	}
	return FormatAuto
}

// RowError is one problem with one row. Row is the row number a spreadsheet
// shows (the header is row 1); Column is the header text of the column at
// fault as written in the file, or "" when the whole row is at fault.
type RowError struct {
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return fmt.Sprintf("row %d, %s: %s", e.Row, e.Column, e.Reason)
}

// MaxErrors is how many row errors a Summary keeps; further ones are only
// counted in Summary.MoreErrors.
const MaxErrors = 10000

// Summary is the outcome of an import. Rejected counts rows; Errors may hold
// several errors for one row.
type Summary struct {
	Imported   int        `json:"imported"`
	Updated    int        `json:"updated"`
	Unchanged  int        `json:"unchanged"`
	Rejected   int        `json:"rejected"`
	Errors     []RowError `json:"errors,omitempty"`
	MoreErrors int        `json:"moreErrors,omitempty"`
}

// String is the summary line the command prints.
func (s *Summary) String() string {
	return fmt.Sprintf("imported %d, updated %d, rejected %d, unchanged %d", s.Imported, s.Updated, s.Rejected, s.Unchanged)
}

func (s *Summary) reject(errs []RowError) {
	s.Rejected++
	for _, e := range errs {
		if len(s.Errors) < MaxErrors {
			s.Errors = append(s.Errors, e)
		} else {
			s.MoreErrors++
		}
	}
}

// DefaultBatchSize is the number of written rows per bulk insert and per
// audit entry when Importer.BatchSize is zero.
const DefaultBatchSize = 1000

// Importer writes imported rows to the stores. Every field but BatchSize is
// required for the kinds that use it: Targets for targets, Inspectors for
// inspectors, Items for items, Departments for inspectors and items, Audit
// for all.
type Importer struct {
	Targets     backend.TargetStore
	Inspectors  backend.InspectorStore
	Items       backend.ItemStore
	Departments backend.DepartmentStore
	Audit       *backend.AuditLog
	// Intents, when set, make a batch of created targets audited even
	// when the import dies between the write and its entry (intent.go).
	Intents   *backend.Intents
	BatchSize int
}

// ImportTargets imports the target directory from r. The context must carry
// a fresh administrator actor (backend.SystemActor for the command line).
//
// A whole-file problem is returned as a *backend.Error with code EINVALID,
// before anything is written when r can seek (see Import). A store failure
// part-way stops the import and is returned together with the summary of
// what was written before it; rows read but not yet written then count
// nowhere.
func (im *Importer) ImportTargets(ctx context.Context, r io.Reader, format Format) (*Summary, error) {
	return im.Import(ctx, Targets, r, format)
}

// ImportInspectors imports the inspector directory from r; see ImportTargets.
func (im *Importer) ImportInspectors(ctx context.Context, r io.Reader, format Format) (*Summary, error) {
	return im.Import(ctx, Inspectors, r, format)
}

// ImportItems imports the item list from r; see ImportTargets.
func (im *Importer) ImportItems(ctx context.Context, r io.Reader, format Format) (*Summary, error) {
	return im.Import(ctx, Items, r, format)
}

// Import imports a file of the given kind from r. When r can seek (a file),
// it is read once before anything is written, to find problems with the
// file as a whole and to record its SHA-256 in the audit log; otherwise the
// audit entries name the source "stream", and a whole-file problem found
// part-way (a quote left open, say) stops the import after the rows before
// it were written.
func (im *Importer) Import(ctx context.Context, kind Kind, r io.Reader, format Format) (*Summary, error) {
	return im.run(ctx, kind, &input{r: r, format: format, source: "stream", rows: -1})
}

// ImportFile opens path and imports it. The format follows the extension
// (.csv .tsv .txt, .xlsx .xlsm) or, for any other name, the content.
func (im *Importer) ImportFile(ctx context.Context, kind Kind, path string) (*Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &backend.Error{Code: backend.EINVALID, Op: "importer.ImportFile", Message: fmt.Sprintf("cannot open %s", path), Err: err}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, backend.Errorf(backend.EINVALID, "%s is a directory, not a file", path)
	}
	return im.run(ctx, kind, &input{r: f, format: FormatOf(path), source: "stream", name: filepath.Base(path), rows: -1})
}

func (im *Importer) check(kind Kind) error {
	missing := func(what string) error {
		return &backend.Error{Code: backend.EINTERNAL, Op: "importer", Message: fmt.Sprintf("importing %s needs a %s", kind, what)}
	}
	if im.Audit == nil || im.Audit.Store == nil {
		return missing("audit log")
	}
	switch kind {
	case Targets:
		if im.Targets == nil {
			return missing("target store")
		}
	case Inspectors:
		if im.Inspectors == nil || im.Departments == nil {
			return missing("inspector store and a department store")
		}
	case Items:
		if im.Items == nil || im.Departments == nil {
			return missing("item store and a department store")
		}
	default:
		return backend.Errorf(backend.EINVALID, "unknown import kind %q", kind)
	}
	return nil
}

// authorize admits fresh administrators only: an import rewrites directories
// of every department at once, which no department-scoped role may do.
func authorize(ctx context.Context) error {
	a := backend.ActorFrom(ctx)
	if a == nil {
		return backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	if !a.Fresh {
		return backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change")
	}
	if !a.Is(backend.RoleAdmin) {
		return backend.Errorf(backend.EFORBIDDEN, "role %s may not import directories", a.Role)
	}
	return nil
}

// Check reads and validates a file as an import would, without a store: it
// reports every row error that needs no stored data (it cannot know which
// departments exist) and returns the number of valid rows. It is what a dry
// run shows, and what the fuzzer exercises.
func Check(kind Kind, r io.Reader, format Format) (valid int, rowErrors []RowError, err error) {
	src, err := openSource(r, format)
	if err != nil {
		return 0, nil, err
	}
	defer src.Close()
	s := &Summary{}
	var parse func(*record)
	switch kind {
	case Targets:
		parse = func(rec *record) { parseTarget(rec) }
	case Inspectors:
		parse = func(rec *record) { parseInspector(rec, anyDepartment) }
	case Items:
		parse = func(rec *record) { parseItem(rec, anyDepartment) }
	default:
		return 0, nil, backend.Errorf(backend.EINVALID, "unknown import kind %q", kind)
	}
	seen := map[string]int{}
	err = eachRow(src, specOf(kind), s, func(rec *record) error {
		parse(rec)
		dupCheck(rec, seen)
		if len(rec.errs) > 0 {
			s.reject(rec.errs)
			return nil
		}
		valid++
		return nil
	})
	return valid, s.Errors, err
}

// dupCheck rejects a row whose natural key an earlier row of the file
// already has, valid or not. Every spec lists its natural key first.
func dupCheck(rec *record, seen map[string]int) {
	if rec.key == "" {
		return
	}
	if first, dup := seen[rec.key]; dup {
		rec.fail(0, "%s also appears in row %d; only the first is imported", rec.key, first)
		return
	}
	seen[rec.key] = rec.row
}

// anyDepartment stands in for the department store in Check: every
// reference is accepted, and different references stay different.
func anyDepartment(ref string) (string, string) {
	if backend.ValidID(ref) {
		return ref, ""
	}
	sum := sha256.Sum256([]byte(ref))
	return "dept-" + hex.EncodeToString(sum[:8]), ""
}
