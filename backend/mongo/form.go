package mongo

import (
	"context"
	"strings"
	"sync"

	"github.com/fieldcheck/fieldcheck/backend"
)

// maxForms bounds the forms a process keeps: one per combination of
// template versions that tasks name, a few hundred in a year of plans.
const maxForms = 10_000

// formCache keeps the forms of tasks by the templates they name. A
// template never changes once stored (ItemStore.CreateTemplate), so a form
// read once is right for ever, on every instance: keeping it changes no
// answer. Tasks share one *Checklist per combination; nobody modifies it.
type formCache struct {
	mu     sync.RWMutex
	byRefs map[string]*backend.Checklist
}

func refsKey(refs []backend.ChecklistRef) string {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.TemplateID()
	}
	return strings.Join(ids, ",")
}

// formOf returns the form merged from the templates refs name.
func (db *DB) formOf(ctx context.Context, refs []backend.ChecklistRef) (*backend.Checklist, error) {
	key := refsKey(refs)
	x := &db.forms
	x.mu.RLock()
	f, ok := x.byRefs[key]
	x.mu.RUnlock()
	if ok {
		return f, nil
	}
	tpls := make([]*backend.ChecklistTemplate, len(refs))
	for i, r := range refs {
		t, err := (&ItemStore{DB: db}).FindTemplate(ctx, r.Item, r.Version)
		if err != nil {
			return nil, err
		}
		tpls[i] = t
	}
	f, err := backend.FormOf(refs, tpls)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byRefs == nil || len(x.byRefs) >= maxForms {
		x.byRefs = map[string]*backend.Checklist{}
	}
	x.byRefs[key] = f
	return f, nil
}

// withForms fills in the forms of tasks read or about to be stored.
func (db *DB) withForms(ctx context.Context, ts ...*backend.Task) error {
	for _, t := range ts {
		f, err := db.formOf(ctx, t.Checklist)
		if err != nil {
			return err
		}
		t.Form = f
	}
	return nil
}
