package importer

import (
	"context"
	"io"
)

// DryRun reads and checks a file as an import would and writes nothing:
// the summary counts the valid rows as Imported and lists the row errors
// found without the stores (Check). Only administrators may, as for an
// import, so that the directory's rules are not probed by others.
func (im *Importer) DryRun(ctx context.Context, kind Kind, r io.Reader, format Format) (*Summary, error) {
	if err := authorize(ctx); err != nil {
		return nil, err
	}
	valid, errs, err := Check(kind, r, format)
	if err != nil {
		return nil, err
	}
	s := &Summary{Imported: valid}
	rows := map[int]bool{}
	for _, e := range errs {
		rows[e.Row] = true
	}
	s.Rejected = len(rows)
	for _, e := range errs {
		if len(s.Errors) < MaxErrors {
			s.Errors = append(s.Errors, e)
		} else {
			s.MoreErrors++
		}
	}
	return s, nil
}

// ImportNamed imports a file read from r under its name: the format
// follows the name's extension (or, for any other, the content), and the
// audit entries carry the name. An r that can seek is checked as a whole
// before anything is written (see Import).
func (im *Importer) ImportNamed(ctx context.Context, kind Kind, r io.Reader, name string) (*Summary, error) {
	return im.run(ctx, kind, &input{r: r, format: FormatOf(name), source: "stream", name: name, rows: -1})
}
