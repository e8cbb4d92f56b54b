package importer_test

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
)

// FuzzParseCSV feeds arbitrary bytes to the row parser of every kind: it
// must not panic, a whole-file problem must be an EINVALID *backend.Error,
// and every row problem a RowError with a row number and a reason. The seed
// corpus is in testdata/fuzz/FuzzParseCSV, plus the import fixtures.
func FuzzParseCSV(f *testing.F) {
	for _, name := range []string{"enterprises_zh.csv", "enterprises_en.csv", "enterprises_bad.csv", "enterprises_gb18030.csv",
		"inspectors.csv", "inspectors_bad.csv", "items.csv", "items_bad.csv"} {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []importer.Kind{importer.Targets, importer.Inspectors, importer.Items} {
			valid, rowErrs, err := importer.Check(kind, bytes.NewReader(data), importer.FormatCSV)
			if err != nil {
				var be *backend.Error
				if !errors.As(err, &be) || be.Code != backend.EINVALID || be.Message == "" {
					t.Fatalf("%s: error %v (%T), want an EINVALID *backend.Error with a message", kind, err, err)
				}
				continue
			}
			if valid < 0 {
				t.Fatalf("%s: %d valid rows", kind, valid)
			}
			for _, re := range rowErrs {
				if re.Row < 2 || re.Reason == "" || !utf8.ValidString(re.Reason) {
					t.Fatalf("%s: bad row error %#v", kind, re)
				}
			}
		}
	})
}
