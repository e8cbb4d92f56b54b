package importer

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fieldcheck/fieldcheck/backend"
)

// colSpec is one column a kind of file may have.
type colSpec struct {
	key      string   // the English name, used in messages
	names    []string // every accepted header name, the key among them
	required bool
}

// normName folds a header name for matching: case, spaces, '_', '-' and a
// trailing required-marker '*' do not count.
func normName(s string) string {
	s = strings.TrimRightFunc(clean(s), func(r rune) bool { return r == '*' || r == '＊' || unicode.IsSpace(r) })
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSpace(r) || r == '_' || r == '-' || r == '\uFEFF' {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// header maps the columns of one file to a spec.
type header struct {
	spec  []colSpec
	pos   []int    // per spec entry: the cell index, -1 when the file lacks it
	names []string // per cell index: the header text as written
}

func parseHeader(cells []string, spec []colSpec) (*header, error) {
	if len(cells) > maxColumns {
		return nil, invalid("the header has %d columns; at most %d are allowed", len(cells), maxColumns)
	}
	lookup := map[string]int{}
	for i, c := range spec {
		for _, n := range c.names {
			lookup[normName(n)] = i
		}
	}
	h := &header{spec: spec, pos: make([]int, len(spec)), names: make([]string, len(cells))}
	for i := range h.pos {
		h.pos[i] = -1
	}
	var unknown, twice []string
	known := 0
	for i, cell := range cells {
		name := clean(strings.TrimPrefix(cell, "\uFEFF"))
		h.names[i] = name
		if name == "" {
			continue
		}
		if !utf8.ValidString(name) || len(name) > 200 {
			unknown = append(unknown, fmt.Sprintf("column %s", colLetter(i)))
			continue
		}
		f, ok := lookup[normName(name)]
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q (column %s)", name, colLetter(i)))
			continue
		}
		known++
		if p := h.pos[f]; p >= 0 {
			twice = append(twice, fmt.Sprintf("%q and %q (columns %s and %s) both mean %s", h.names[p], name, colLetter(p), colLetter(i), spec[f].key))
			continue
		}
		h.pos[f] = i
	}
	var problems []string
	if known == 0 {
		return nil, invalid("the first row must be the header, but none of its cells is a column name this import knows (expected columns such as %s)", exampleNames(spec))
	}
	if len(unknown) > 0 {
		problems = append(problems, "unknown column "+strings.Join(unknown, ", "))
	}
	problems = append(problems, twice...)
	var missing []string
	for i, c := range spec {
		if c.required && h.pos[i] < 0 {
			missing = append(missing, fmt.Sprintf("%s (%s)", c.names[0], c.key))
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing required column "+strings.Join(missing, ", "))
	}
	if len(problems) > 0 {
		return nil, invalid("header: %s; accepted columns: %s", strings.Join(problems, "; "), acceptedNames(spec))
	}
	return h, nil
}

func exampleNames(spec []colSpec) string {
	var ex []string
	for _, c := range spec {
		if c.required {
			ex = append(ex, c.names[0]+"/"+c.key)
		}
	}
	return strings.Join(ex, ", ")
}

func acceptedNames(spec []colSpec) string {
	var all []string
	for _, c := range spec {
		all = append(all, strings.Join(c.names, "/"))
	}
	return strings.Join(all, ", ")
}

// has reports whether the file has column f.
func (h *header) has(f int) bool { return h.pos[f] >= 0 }

// column is the name of column f in messages: as the file writes it.
func (h *header) column(f int) string {
	if f < 0 || f >= len(h.pos) {
		return ""
	}
	if p := h.pos[f]; p >= 0 {
		return h.names[p]
	}
	return ""
}

// colLetter returns the spreadsheet letters of the column with index i.
func colLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// record is one data row being parsed.
type record struct {
	row   int
	cells []string
	h     *header
	key   string // the row's natural key once parsed
	errs  []RowError
}

// get returns the trimmed cell of column f, "" when absent.
func (r *record) get(f int) string {
	p := r.h.pos[f]
	if p < 0 || p >= len(r.cells) {
		return ""
	}
	return clean(r.cells[p])
}

func (r *record) has(f int) bool { return r.h.has(f) }

// fail records a problem with column f (-1 for the whole row).
func (r *record) fail(f int, format string, args ...any) {
	r.errs = append(r.errs, RowError{Row: r.row, Column: r.h.column(f), Reason: fmt.Sprintf(format, args...)})
}

// failErr records err, a validation error, against column f.
func (r *record) failErr(f int, err error) {
	r.errs = append(r.errs, RowError{Row: r.row, Column: r.h.column(f), Reason: backend.ErrorMessage(err)})
}

// attribute returns the column a validation message is about, judged by
// how the message starts, or -1.
func attribute(err error, prefixes []fieldPrefix) int {
	msg := backend.ErrorMessage(err)
	for _, p := range prefixes {
		if strings.HasPrefix(msg, p.prefix) {
			return p.field
		}
	}
	return -1
}

type fieldPrefix struct {
	prefix string
	field  int
}

// eachRow reads the header and calls fn for every non-empty data row whose
// cells pass the checks every kind shares; rows that fail them are rejected
// in sum. A file without data rows is an error.
func eachRow(src source, spec []colSpec, sum *Summary, fn func(*record) error) error {
	var h *header
	for h == nil {
		_, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			return invalid("the file is empty")
		}
		var rerr RowError
		if errors.As(err, &rerr) {
			return invalid("the header row is malformed: %s", rerr.Reason)
		}
		if err != nil {
			return err
		}
		if blank(cells) {
			continue
		}
		if h, err = parseHeader(cells, spec); err != nil {
			return err
		}
	}
	rows := 0
	for {
		row, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rerr RowError
		if errors.As(err, &rerr) {
			rows++
			sum.reject([]RowError{rerr})
			continue
		}
		if err != nil {
			return err
		}
		if blank(cells) {
			continue
		}
		rows++
		rec := &record{row: row, cells: cells, h: h}
		if checkCells(rec, src.ShortRowsOK()); len(rec.errs) > 0 {
			sum.reject(rec.errs)
			continue
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if rows == 0 {
		return invalid("the file has a header but no data rows")
	}
	return nil
}

// checkCells applies the checks that do not depend on the kind of file.
func checkCells(r *record, shortOK bool) {
	n, want := len(r.cells), len(r.h.names)
	extra := false
	for i := want; i < n; i++ {
		if clean(r.cells[i]) != "" {
			extra = true
		}
	}
	switch {
	case n > maxColumns:
		r.fail(-1, "the row has %d cells; at most %d are allowed", n, maxColumns)
		return
	case extra:
		r.fail(-1, "the row has %d cells but the header only %d: a separator too many, or a value without a header?", n, want)
	case n < want && !shortOK:
		r.fail(-1, "the row has %d cells but the header has %d: a separator missing?", n, want)
	}
	for i, c := range r.cells {
		name := fmt.Sprintf("column %s", colLetter(i))
		if i < want && r.h.names[i] != "" {
			name = r.h.names[i]
		}
		switch {
		case len(c) > maxCellBytes:
			r.errs = append(r.errs, RowError{Row: r.row, Column: name, Reason: fmt.Sprintf("the cell has %d bytes; at most %d are allowed", len(c), maxCellBytes)})
		case !utf8.ValidString(c) || strings.ContainsRune(c, utf8.RuneError):
			r.errs = append(r.errs, RowError{Row: r.row, Column: name, Reason: "the cell holds bytes that are neither UTF-8 nor GB18030 text; save the file as CSV UTF-8"})
		case i < want && r.h.names[i] == "" && clean(c) != "":
			r.errs = append(r.errs, RowError{Row: r.row, Column: name, Reason: "the cell has a value but its column has no header"})
		}
	}
}

func blank(cells []string) bool {
	for _, c := range cells {
		if clean(c) != "" {
			return false
		}
	}
	return true
}
