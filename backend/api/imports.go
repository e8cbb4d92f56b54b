package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/importer"
)

// MaxImportBytes bounds an uploaded directory file (CSV or XLSX): 100 000
// targets take about 15 MB of CSV.
const MaxImportBytes = 64 << 20

// importReadTimeout is how long the body of an import may take to arrive
// (the server's ReadTimeout is for small requests).
const importReadTimeout = 10 * time.Minute

const importsPath = "/api/v1/imports/"

func (s *Server) registerImportRoutes() {
	if s.Importer == nil {
		return
	}
	im := s.Importer
	s.StreamBody(fiber.MethodPost, importsPath)
	name := httpkit.Param{Name: "name", Type: "string", Description: "the file's name: its extension (.csv .tsv .txt, .xlsx .xlsm) gives the format; any other, the content"}
	s.Add(httpkit.Route{Method: "POST", Path: importsPath + ":kind/check", Summary: fmt.Sprintf("Dry run of an import (admin): the body is the file (CSV or XLSX, at most %d MiB); reads and checks every row as the import would and writes nothing. kind is targets, inspectors or items. Answers the valid rows (imported) and each row error with its row number and column", MaxImportBytes>>20), Tag: "imports", Auth: true,
		Query: []httpkit.Param{name}, Response: importer.Summary{},
		Handler: s.withImportFile(func(ctx context.Context, kind importer.Kind, f *os.File, name string) (*importer.Summary, error) {
			return im.DryRun(ctx, kind, f, importer.FormatOf(name))
		})})
	s.Add(httpkit.Route{Method: "POST", Path: importsPath + ":kind", Summary: fmt.Sprintf("Import a directory file (admin), as `fieldcheck import` does: the body is the file (CSV or XLSX, at most %d MiB), checked as a whole before anything is written; valid rows are created or updated in batches, each audited with the file's SHA-256, and rejected rows are listed with their row number and column. kind is targets, inspectors or items", MaxImportBytes>>20), Tag: "imports", Auth: true,
		Query: []httpkit.Param{name}, Response: importer.Summary{},
		Handler: s.withImportFile(func(ctx context.Context, kind importer.Kind, f *os.File, name string) (*importer.Summary, error) {
			// An import stopped part-way by the store keeps (and audits)
			// what it wrote; the answer is the error.
			return im.ImportNamed(ctx, kind, f, name)
		})})
}

// withImportFile spools the uploaded body to a temporary file (so that
// the importer can read it twice: a whole-file check, then the rows) and
// calls fn with it.
func (s *Server) withImportFile(fn func(ctx context.Context, kind importer.Kind, f *os.File, name string) (*importer.Summary, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		kind, err := importer.ParseKind(c.Params("kind"))
		if err != nil {
			c.Context().SetConnectionClose()
			return err
		}
		name := filepath.Base(strings.TrimSpace(c.Query("name")))
		if len(name) > 200 || name == "." || name == "/" {
			name = ""
		}
		if cl := c.Request().Header.ContentLength(); cl > MaxImportBytes {
			c.Context().SetConnectionClose()
			return backend.Errorf(backend.EINVALID, "the file is larger than %d MiB", MaxImportBytes>>20)
		}
		f, err := os.CreateTemp("", "fieldcheck-import-*")
		if err != nil {
			return &backend.Error{Code: backend.EINTERNAL, Op: "api.import", Err: err}
		}
		defer func() { f.Close(); os.Remove(f.Name()) }()
		if conn := c.Context().Conn(); conn != nil {
			_ = conn.SetReadDeadline(time.Now().Add(importReadTimeout))
		}
		var body io.Reader = c.Context().RequestBodyStream()
		if body == nil {
			body = bytes.NewReader(c.Body())
		}
		n, err := io.Copy(f, io.LimitReader(body, MaxImportBytes+1))
		if err != nil {
			c.Context().SetConnectionClose()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return backend.Errorf(backend.ETIMEOUT, "the file did not arrive within %s", importReadTimeout)
			}
			return backend.Errorf(backend.EINVALID, "the file could not be read")
		}
		if n > MaxImportBytes {
			c.Context().SetConnectionClose()
			return backend.Errorf(backend.EINVALID, "the file is larger than %d MiB", MaxImportBytes>>20)
		}
		if n == 0 {
			return backend.Errorf(backend.EINVALID, "the file is empty")
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return &backend.Error{Code: backend.EINTERNAL, Op: "api.import", Err: err}
		}
		sum, err := fn(c.UserContext(), kind, f, name)
		if err != nil {
			return err
		}
		if sum == nil {
			sum = &importer.Summary{}
		}
		return c.JSON(sum)
	}
}
