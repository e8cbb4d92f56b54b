package importer_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
)

const zhHeader = "统一社会信用代码,名称,类型,行政区划,地址,经度,纬度,行业,标签,信用风险分类,白名单,登记状态,重点监管,法定代表人\n"

func zipWith(tb testing.TB, name, content string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = w.Write([]byte(content))
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestBadFiles covers problems with a file as a whole: each is an EINVALID
// *backend.Error that says what is wrong, and nothing is written.
func TestBadFiles(t *testing.T) {
	e := newEnv(t)
	headerOnly := writeXLSX(t, "header.xlsx", [][]cell{strs("uscc", "name", "region", "credit")})
	headerOnlyXLSX, err := os.ReadFile(headerOnly)
	if err != nil {
		t.Fatal(err)
	}
	wide := strings.Repeat("x,", 70) + "x\n1\n"
	// Good rows first: the whole file is checked before anything is written.
	unclosed := zhHeader + "91350103MA31C4D5E9,福州台江商贸有限公司,企业,350103,,,,,,A,否,存续,否,\n" +
		`91350102MA2Y0A1B3X,"never closed,350102` + "\n" + strings.Repeat("more text that stays inside the quote\n", 40000)
	cases := []struct {
		name string
		file string
		data []byte
		want string
	}{
		{"Empty", "a.csv", nil, "the file is empty"},
		{"OnlyBOM", "a.csv", []byte("\xEF\xBB\xBF"), "the file is empty"},
		{"BlankLines", "a.csv", []byte("\n\r\n ,, \n"), "the file is empty"},
		{"HeaderOnly", "a.csv", []byte(zhHeader), "no data rows"},
		{"HeaderAndEmptyRows", "a.csv", []byte(zhHeader + ",,,,\n\n,\n"), "no data rows"},
		{"HeaderOnlyXLSX", "a.xlsx", headerOnlyXLSX, "no data rows"},
		{"Binary", "a.csv", []byte("\x00\x01\x02\x03binary\x00\xff\xfe"), "binary"},
		{"PNG", "a.csv", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "binary"},
		{"LegacyXLS", "a.xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), "legacy Excel .xls"},
		{"UTF16", "a.csv", []byte("\xFF\xFEu\x00s\x00c\x00c\x00"), "UTF-16"},
		{"NotText", "a.csv", []byte("\x81\x30\x81\x30 ok \xff\xff\xff\xff\xfe"), "neither UTF-8 nor GB18030"},
		{"HeaderMatchesNothing", "a.csv", []byte("foo,bar\n1,2\n"), "none of its cells is a column name"},
		{"TitleRowAboveHeader", "a.csv", []byte("福州市检查对象名录\n" + zhHeader + "x\n"), "none of its cells is a column name"},
		{"UnknownColumn", "a.csv", []byte(strings.TrimSuffix(zhHeader, "\n") + ",备注\n1\n"), `unknown column "备注" (column O)`},
		{"MisspeltColumn", "a.csv", []byte("统一社会信用代马,名称,行政区划,信用风险分类\n1,2,3,4\n"), `unknown column "统一社会信用代马" (column A)`},
		{"MissingRequiredColumn", "a.csv", []byte("名称,行政区划,信用风险分类\nx,350102,A\n"), "missing required column 统一社会信用代码 (uscc)"},
		{"ColumnTwice", "a.csv", []byte("uscc,名称,name,region,credit\n1,2,3,4,5\n"), `"名称" and "name" (columns B and C) both mean name`},
		{"TooManyColumns", "a.csv", []byte(wide), "at most 64"},
		{"UnclosedQuote", "a.csv", []byte(unclosed), "is larger than 1024 KiB"},
		{"TextNamedXLSX", "a.xlsx", []byte(zhHeader + "1\n"), "not an XLSX workbook"},
		{"ZipNotWorkbook", "a.xlsx", zipWith(t, "word/document.xml", "<w/>"), "not a readable XLSX workbook"},
		{"DamagedZip", "a.xlsx", []byte("PK\x03\x04 this is not really a zip archive"), "not a readable XLSX workbook"},
		{"ZipNamedCSV", "a.csv", zipWith(t, "x.txt", "x"), "ZIP archive"},
		{"EmptyZip", "a.dat", []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), "empty ZIP archive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, c.file, c.data)
			s, err := e.im.ImportFile(e.ctx, importer.Targets, path)
			be := wantCode(t, err, backend.EINVALID)
			if !strings.Contains(be.Message, c.want) {
				t.Errorf("message %q, want it to contain %q", be.Message, c.want)
			}
			if s != nil {
				t.Errorf("summary %v, want none", s)
			}
		})
	}
	if n := len(e.storedTargets(t)); n != 0 {
		t.Errorf("%d targets stored, want 0", n)
	}
	if n := e.auditCount(t); n != 0 {
		t.Errorf("%d audit entries, want 0", n)
	}
}

// TestBadCells covers problems confined to rows: each row is reported and
// the rows around it are imported.
func TestBadCells(t *testing.T) {
	good := "91350102MA2Y0A1B3X,福州闽江食品有限公司,企业,350102,,,,,,B,否,存续,否,\n"
	cases := []struct {
		name string
		rows string // rows 2… after the Chinese header; the last row is good
		want []string
	}{
		{"HugeCell", "91350103MA31C4D5E9," + strings.Repeat("名", 6000) + ",企业,350103,,,,,,A,否,存续,否,\n", []string{"2/名称"}},
		{"LongName", "91350103MA31C4D5E9," + strings.Repeat("名", 201) + ",企业,350103,,,,,,A,否,存续,否,\n", []string{"2/名称"}},
		{"ShortRow", "91350103MA31C4D5E9,福州台江商贸有限公司,企业,350103\n", []string{"2/"}},
		{"LongRow", "91350103MA31C4D5E9,福州台江商贸有限公司,企业,350103,,,,,,A,否,存续,否,,x\n", []string{"2/"}},
		{"TrailingEmptyCellsAreFine", "91350103MA31C4D5E9,福州台江商贸有限公司,企业,350103,,,,,,A,否,存续,否,,,,\n", nil},
		{"SeventyCells", "91350103MA31C4D5E9" + strings.Repeat(",", 69) + "\n", []string{"2/"}},
		{"InvalidUTF8", "91350103MA31C4D5E9,福州\xff商贸,企业,350103,,,,,,A,否,存续,否,\n", []string{"2/名称"}},
		{"ControlCharacter", "91350103MA31C4D5E9,福州\x01商贸,企业,350103,,,,,,A,否,存续,否,\n", []string{"2/名称"}},
		{"MultiLineCellIsOneRow", "91350103MA31C4D5E9,福州台江商贸有限公司,企业,350103,\"八一七中路\n200号\",,,,,A,否,存续,否,\n92350104MA2Y7F8G9H,,个体工商户,350104,,,,,,C,否,存续,否,\n", []string{"3/名称"}},
		{"BlankLinesCountAsRows", "\n\n92350104MA2Y7F8G9H,,个体工商户,350104,,,,,,C,否,存续,否,\n", []string{"4/名称"}},
		{"NaN", "91350103MA31C4D5E9,福州台江商贸有限公司,企业,350103,,NaN,26,,,A,否,存续,否,\n", []string{"2/经度"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.MustImportString(t, importer.Targets, zhHeader+c.rows+good)
			wantRejected := 0
			if len(c.want) > 0 {
				wantRejected = 1
			}
			if s.Rejected != wantRejected || s.Imported != len(e.storedTargets(t)) {
				t.Errorf("summary %q", s)
			}
			if c.want == nil {
				c.want = []string{}
			}
			checkErrors(t, s.Errors, c.want)
			if e.storedTargets(t)["91350102MA2Y0A1B3X"] == nil {
				t.Errorf("the good row after the bad one was not imported")
			}
		})
	}

	t.Run("UnclosedQuoteOnLastRow", func(t *testing.T) {
		e := newEnv(t)
		s := e.MustImportString(t, importer.Targets, zhHeader+good+`91350103MA31C4D5E9,"福州台江,350103`+"\n")
		checkCounts(t, s, 1, 0, 0, 1)
		checkErrors(t, s.Errors, []string{"3/"})
	})

	t.Run("ValueWithoutHeader", func(t *testing.T) {
		e := newEnv(t)
		s := e.MustImportString(t, importer.Targets, "uscc,name,,region,credit\n"+
			"91350103MA31C4D5E9,n,,350103,A\n"+
			"92350104MA2Y7F8G9H,n,stray,350104,C\n")
		checkCounts(t, s, 1, 0, 0, 1)
		checkErrors(t, s.Errors, []string{"3/column C"})
	})

	t.Run("TabSeparated", func(t *testing.T) {
		e := newEnv(t)
		s := e.MustImportString(t, importer.Targets, "uscc\tname\tregion\tcredit\n91350103MA31C4D5E9\t福州, 台江\t350103\tA\n")
		checkCounts(t, s, 1, 0, 0, 0)
		if got := e.storedTargets(t)["91350103MA31C4D5E9"].Name; got != "福州, 台江" {
			t.Errorf("name %q", got)
		}
	})
}

func TestImportAuthorization(t *testing.T) {
	e := newEnv(t)
	manager := &backend.Actor{UserID: "m", Role: backend.RoleManager, Departments: []string{"scjg"}, Fresh: true}
	stale := backend.SystemActor("import")
	stale.Fresh = false
	cases := []struct {
		name string
		ctx  context.Context
		code string
	}{
		{"ErrUnauthenticated", context.Background(), backend.EUNAUTHENTICATED},
		{"ErrNotFresh", backend.WithActor(context.Background(), stale), backend.EUNAUTHENTICATED},
		{"ErrForbidden", backend.WithActor(context.Background(), manager), backend.EFORBIDDEN},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.im.ImportFile(c.ctx, importer.Targets, fixture("enterprises_zh.csv"))
			wantCode(t, err, c.code)
		})
	}
	if n := len(e.storedTargets(t)); n != 0 {
		t.Errorf("%d targets stored, want 0", n)
	}
	var denied int
	_ = e.auditStore.ScanAudit(e.ctx, func(a *backend.AuditEntry) error {
		if a.Outcome == backend.OutcomeDenied && a.Action == "import.targets" {
			denied++
		}
		return nil
	})
	if denied != len(cases) {
		t.Errorf("%d denied attempts audited, want %d", denied, len(cases))
	}
}

func TestImportFileErrors(t *testing.T) {
	e := newEnv(t)
	_, err := e.im.ImportFile(e.ctx, importer.Targets, "/no/such/file.csv")
	wantCode(t, err, backend.EINVALID)
	_, err = e.im.ImportFile(e.ctx, importer.Targets, t.TempDir())
	wantCode(t, err, backend.EINVALID)
	var empty importer.Importer
	_, err = empty.ImportFile(e.ctx, importer.Targets, fixture("enterprises_zh.csv"))
	wantCode(t, err, backend.EINTERNAL)
}

func TestCheck(t *testing.T) {
	f, err := os.Open(fixture("enterprises_bad.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	valid, rowErrs, err := importer.Check(importer.Targets, f, importer.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	s := e.MustImportFile(t, importer.Targets, fixture("enterprises_bad.csv"))
	if valid != s.Imported {
		t.Errorf("Check found %d valid rows, the import imported %d", valid, s.Imported)
	}
	checkErrors(t, rowErrs, errorKeys(s.Errors))
}

func TestParseKind(t *testing.T) {
	for in, want := range map[string]importer.Kind{"enterprises": importer.Targets, "Targets": importer.Targets, "inspectors": importer.Inspectors, "items": importer.Items} {
		if got, err := importer.ParseKind(in); got != want || err != nil {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := importer.ParseKind("experts")
	wantCode(t, err, backend.EINVALID)
}
