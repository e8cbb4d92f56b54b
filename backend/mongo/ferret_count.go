package mongo

import (
	"context"
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
)

// The dashboard's counts on the embedded store: FerretDB answers a count
// with a filter by decoding every document of the collection, the whole
// inspector directory for each dashboard; SQLite extracts the few fields
// the filter tests (DB.ScanJSON, read-only, what is committed), and they
// are tested here. Nothing is kept between requests. ok is false when the
// filter tests a field not read here, or without ScanJSON: the caller
// counts with a query.

type inspectorCountFields struct {
	DepartmentID string       `json:"departmentId"`
	Active       bool         `json:"active"`
	CertExpiry   backend.Date `json:"certExpiry"`
}

func (e *ferretEngine) countInspectors(ctx context.Context, db *DB, f backend.InspectorFilter) (int, bool, error) {
	if f.Specialty != "" || f.CertNo != "" || f.Q != "" {
		return 0, false, nil
	}
	n := 0
	ok, err := fastScan(ctx, db, colInspectors, []string{"departmentId", "active", "certExpiry"}, func(in *inspectorCountFields) error {
		switch {
		case len(f.DepartmentIDs) > 0 && !slices.Contains(f.DepartmentIDs, in.DepartmentID),
			f.Active != nil && in.Active != *f.Active,
			f.CertExpiryFrom != "" && in.CertExpiry < f.CertExpiryFrom,
			f.CertExpiryTo != "" && in.CertExpiry > f.CertExpiryTo:
			return nil
		}
		n++
		return nil
	})
	return n, ok, err
}

type planCountFields struct {
	Year        int               `json:"year"`
	Departments []string          `json:"departments"`
	State       backend.PlanState `json:"state"`
}

func (e *ferretEngine) countPlans(ctx context.Context, db *DB, f backend.PlanFilterQuery) (int, bool, error) {
	states := planStates(f)
	n := 0
	ok, err := fastScan(ctx, db, colPlans, []string{"year", "departments", "state"}, func(p *planCountFields) error {
		switch {
		case f.Year != 0 && p.Year != f.Year,
			len(f.Departments) > 0 && !slices.ContainsFunc(p.Departments, func(d string) bool { return slices.Contains(f.Departments, d) }),
			len(states) > 0 && !slices.Contains(states, p.State):
			return nil
		}
		n++
		return nil
	})
	return n, ok, err
}

func (mongoEngine) countInspectors(context.Context, *DB, backend.InspectorFilter) (int, bool, error) {
	return 0, false, nil
}

func (mongoEngine) countPlans(context.Context, *DB, backend.PlanFilterQuery) (int, bool, error) {
	return 0, false, nil
}
