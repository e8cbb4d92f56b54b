package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Limits on input. A cell holds at most maxCellBytes: item content may have
// 4000 characters, which is 12 KB of Chinese in UTF-8.
const (
	maxColumns     = 64
	maxCellBytes   = 16 << 10
	maxRecordBytes = 1 << 20
	maxXLSXBytes   = 256 << 20
	maxUnzipped    = 1 << 30
	sniffBytes     = 64 << 10
)

// source yields the rows of a file one at a time.
type source interface {
	// Next returns the next row and its number as a spreadsheet shows it. It
	// returns io.EOF after the last row, a RowError for a malformed row that
	// is skipped (reading goes on), and any other error for a file that
	// cannot be read further.
	Next() (row int, cells []string, err error)
	// ShortRowsOK reports whether a row may have fewer cells than the
	// header: XLSX leaves out trailing empty cells, a CSV row should not.
	ShortRowsOK() bool
	Close() error
}

func invalid(format string, args ...any) error {
	return backend.Errorf(backend.EINVALID, format, args...)
}

// openSource sniffs r and returns a reader for its rows.
func openSource(r io.Reader, format Format) (source, error) {
	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF {
		return nil, &backend.Error{Code: backend.EINVALID, Op: "importer", Message: "cannot read the file", Err: err}
	}
	if len(head) == 0 {
		return nil, invalid("the file is empty")
	}
	isZip := bytes.HasPrefix(head, []byte("PK\x03\x04"))
	switch format {
	case FormatXLSX:
		if !isZip {
			return nil, invalid("the file is not an XLSX workbook (an XLSX file is a ZIP archive; this one does not start like one)")
		}
		return openXLSX(br)
	case FormatCSV:
		if isZip {
			return nil, invalid("the file is a ZIP archive (an XLSX workbook?), not CSV: name it .xlsx")
		}
		return openCSV(br, head)
	case FormatAuto:
		if isZip {
			return openXLSX(br)
		}
		return openCSV(br, head)
	}
	return nil, invalid("unknown format %d", format)
}

// --- CSV ---

type csvSource struct {
	cr      *csv.Reader
	guard   *guardReader
	row     int // number of the last row returned
	endLine int // line on which the last record ended
}

// binaryMagic names formats people mistake for spreadsheets or CSV.
var binaryMagic = []struct {
	prefix string
	what   string
}{
	{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "a legacy Excel .xls workbook (or another OLE document): save it as .xlsx or as CSV UTF-8"},
	{"\xFF\xFE", "UTF-16 text: save it as CSV UTF-8"},
	{"\xFE\xFF", "UTF-16 text: save it as CSV UTF-8"},
	{"%PDF", "a PDF document, not CSV or XLSX"},
	{"\x1F\x8B", "a gzip archive: unpack it first"},
	{"Rar!", "a RAR archive: unpack it first"},
	{"7z\xBC\xAF", "a 7-Zip archive: unpack it first"},
	{"PK\x05\x06", "an empty ZIP archive, not a workbook"},
}

func openCSV(br *bufio.Reader, head []byte) (source, error) {
	for _, m := range binaryMagic {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return nil, invalid("the file is %s", m.what)
		}
	}
	var in io.Reader = br
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
		head = head[3:]
	}
	if looksBinary(head) {
		return nil, invalid("the file is binary, not CSV text (save the spreadsheet as CSV UTF-8 or XLSX)")
	}
	if len(head) == 0 {
		return nil, invalid("the file is empty")
	}
	// Excel on Chinese Windows saves "CSV" in the ANSI code page, GBK, which
	// GB18030 contains. Whichever reading has fewer errors wins, UTF-8 on a
	// tie; cells that are still bad become errors of their rows.
	truncated := len(head) == sniffBytes
	if bad := badUTF8(head, truncated); bad > 0 {
		dec, _, _ := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), head)
		gbBad := badRunes(dec, truncated)
		if min(bad, gbBad) > len(head)/100+2 {
			return nil, invalid("the file is neither UTF-8 nor GB18030 text (save the spreadsheet as CSV UTF-8 or XLSX)")
		}
		if gbBad < bad {
			in = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
			head = dec
		}
	}
	g := &guardReader{r: in}
	cr := csv.NewReader(g)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if line, _, _ := bytes.Cut(head, []byte("\n")); bytes.IndexByte(line, '\t') >= 0 && bytes.IndexByte(line, ',') < 0 {
		cr.Comma = '\t'
	}
	return &csvSource{cr: cr, guard: g}, nil
}

// looksBinary reports NUL bytes or more than 1% control characters: text
// files have neither, while a stray control character in one cell of a CSV
// is better reported as an error of that row.
func looksBinary(b []byte) bool {
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v':
			ctl++
		}
	}
	return ctl > len(b)/100+2
}

// badUTF8 counts the invalid UTF-8 sequences in b, not counting one cut off
// at the end of a truncated sample.
func badUTF8(b []byte, truncated bool) int {
	if truncated {
		for cut := 1; cut < utf8.UTFMax && cut <= len(b); cut++ {
			if utf8.RuneStart(b[len(b)-cut]) {
				if !utf8.FullRune(b[len(b)-cut:]) {
					b = b[:len(b)-cut]
				}
				break
			}
		}
	}
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			n++
		}
		b = b[size:]
	}
	return n
}

// badRunes counts replacement characters in decoded text, not counting the
// last few, which may come from a sequence cut off at the end of a
// truncated sample.
func badRunes(b []byte, truncated bool) int {
	n := bytes.Count(b, []byte(string(utf8.RuneError)))
	if truncated && n > 0 && bytes.LastIndex(b, []byte(string(utf8.RuneError))) >= len(b)-12 {
		n--
	}
	return n
}

func (s *csvSource) ShortRowsOK() bool { return false }
func (s *csvSource) Close() error      { return nil }

func (s *csvSource) Next() (int, []string, error) {
	rec, err := s.cr.Read()
	// InputOffset advances line by line, so it marks the end of a record
	// only right after Read.
	s.guard.mark = s.cr.InputOffset()
	var perr *csv.ParseError
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		return 0, nil, io.EOF
	case errors.Is(err, errRecordTooLarge):
		return 0, nil, invalid("row %d is larger than %d KiB; is a quote (\") left open?", s.row+1, maxRecordBytes>>10)
	case errors.As(err, &perr):
		row := s.rowAt(perr.StartLine)
		s.endLine = perr.Line
		reason := "malformed CSV: " + perr.Err.Error()
		if errors.Is(perr.Err, csv.ErrBareQuote) {
			reason = `malformed CSV: a quote (") inside a cell that does not start with one; write it as "" inside a quoted cell`
		} else if errors.Is(perr.Err, csv.ErrQuote) {
			reason = `malformed CSV: a quoted cell is not closed, or has text after its closing quote`
		}
		return row, nil, RowError{Row: row, Reason: reason}
	default:
		return 0, nil, &backend.Error{Code: backend.EINVALID, Op: "importer", Message: fmt.Sprintf("cannot read the file after row %d", s.row), Err: err}
	}
	start, _ := s.cr.FieldPos(0)
	row := s.rowAt(start)
	last, _ := s.cr.FieldPos(len(rec) - 1)
	s.endLine = last + strings.Count(rec[len(rec)-1], "\n")
	return row, rec, nil
}

// rowAt turns the line a record starts on into the row a spreadsheet shows:
// the reader skips blank lines, a spreadsheet shows them as empty rows, and
// a cell with line breaks is one row.
func (s *csvSource) rowAt(startLine int) int {
	s.row += 1 + max(0, startLine-s.endLine-1)
	return s.row
}

var errRecordTooLarge = errors.New("record too large")

// guardReader stops the CSV reader from buffering a record without end, as
// an unclosed quote in a large file would otherwise make it do.
type guardReader struct {
	r    io.Reader
	n    int64 // bytes handed to the CSV reader
	mark int64 // input offset of the end of the last record read
}

func (g *guardReader) Read(p []byte) (int, error) {
	if g.n-g.mark > maxRecordBytes {
		return 0, errRecordTooLarge
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
}

// --- XLSX ---

type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

func openXLSX(r io.Reader) (src source, err error) {
	defer func() {
		if p := recover(); p != nil {
			src, err = nil, invalid("the file is not a readable XLSX workbook (%v)", p)
		}
	}()
	b, err := io.ReadAll(io.LimitReader(r, maxXLSXBytes+1))
	if err != nil {
		return nil, &backend.Error{Code: backend.EINVALID, Op: "importer", Message: "cannot read the file", Err: err}
	}
	if len(b) > maxXLSXBytes {
		return nil, invalid("the workbook is larger than %d MiB: split it, or save it as CSV", maxXLSXBytes>>20)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{
		UnzipSizeLimit: maxUnzipped,
		// Date cells in the built-in short date format come out as ISO dates.
		ShortDatePattern: "yyyy-mm-dd",
	})
	if err != nil {
		return nil, &backend.Error{Code: backend.EINVALID, Op: "importer", Message: "the file is not a readable XLSX workbook", Err: err}
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return nil, invalid("the file is not an XLSX workbook: it has no worksheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		_ = f.Close()
		return nil, &backend.Error{Code: backend.EINVALID, Op: "importer", Message: fmt.Sprintf("cannot read sheet %q of the workbook", sheets[0]), Err: err}
	}
	return &xlsxSource{f: f, rows: rows}, nil
}

func (s *xlsxSource) ShortRowsOK() bool { return true }

func (s *xlsxSource) Close() error {
	err := s.rows.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *xlsxSource) Next() (row int, cells []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			row, cells, err = 0, nil, invalid("the workbook is damaged after row %d (%v)", s.row, p)
		}
	}()
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, &backend.Error{Code: backend.EINVALID, Op: "importer", Message: fmt.Sprintf("the workbook is damaged after row %d", s.row), Err: err}
		}
		return 0, nil, io.EOF
	}
	s.row++
	cells, err = s.rows.Columns()
	if err != nil {
		return 0, nil, &backend.Error{Code: backend.EINVALID, Op: "importer", Message: fmt.Sprintf("the workbook is damaged in row %d", s.row), Err: err}
	}
	return s.row, cells, nil
}
