package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
)

// deptResolver turns a department reference (an id or an exact name) into
// an id, or explains why it cannot: resolve returns (id, "") or ("", reason).
type deptResolver func(ref string) (id, reason string)

// departments resolves references against the store, caching what it learns.
// The first store failure is kept in err and stops the import.
type departments struct {
	ctx    context.Context
	store  backend.DepartmentStore
	ids    map[string]bool
	byName map[string][]string // loaded on first use
	err    error
}

func newDepartments(ctx context.Context, store backend.DepartmentStore) *departments {
	return &departments{ctx: ctx, store: store, ids: map[string]bool{}}
}

func (d *departments) resolve(ref string) (string, string) {
	if d.err != nil {
		return "", "the department store failed"
	}
	if backend.ValidID(ref) {
		ok, seen := d.ids[ref]
		if !seen {
			_, err := d.store.FindDepartmentByID(d.ctx, ref)
			switch {
			case err == nil:
				ok = true
			case backend.IsCode(err, backend.ENOTFOUND):
			default:
				d.err = err
				return "", "the department store failed"
			}
			d.ids[ref] = ok
		}
		if ok {
			return ref, ""
		}
	}
	if d.byName == nil {
		list, err := d.store.FindDepartments(d.ctx)
		if err != nil {
			d.err = err
			return "", "the department store failed"
		}
		d.byName = map[string][]string{}
		for _, dep := range list {
			name := clean(dep.Name)
			d.byName[name] = append(d.byName[name], dep.ID)
			d.ids[dep.ID] = true
		}
	}
	switch ids := d.byName[ref]; len(ids) {
	case 1:
		return ids[0], ""
	case 0:
		return "", fmt.Sprintf("unknown department %q (give a department's id or its exact name)", ref)
	default:
		return "", fmt.Sprintf("department name %q is ambiguous (ids %s): give the id", ref, strings.Join(ids, ", "))
	}
}
