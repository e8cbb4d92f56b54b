package mongo

import (
	"context"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// resultIndex holds, in memory, every register entry in (result date, id)
// order: the lists filter and page there and return copies (reading 50
// documents by _id through FerretDB took 40–80 ms a page at 20,000 entries,
// measured in docs/benchmarks.md; an entry is about a kilobyte).
// Like targetIndex it is used only where this process is the embedded
// store's one writer: FerretDB would answer every filtered query by
// reading the whole collection. Every write of the register goes through
// ResultStore in this process, which tells the index once the store
// accepted it; the index is built from the store on first use, never a
// source of truth.
type resultIndex struct {
	mu     sync.RWMutex
	loaded bool
	order  []resultKey // sorted by (resultDate, id)
	byID   map[string]*backend.ResultEntry
}

type resultKey struct {
	date backend.Date
	id   string
}

func compareKeys(a, b resultKey) int {
	if a.date != b.date {
		if a.date < b.date {
			return -1
		}
		return 1
	}
	if a.id < b.id {
		return -1
	}
	if a.id > b.id {
		return 1
	}
	return 0
}

// cloneEntry is a deep copy of e, without the records of a write.
func cloneEntry(e *backend.ResultEntry) *backend.ResultEntry {
	c := *e
	c.Departments, c.Items, c.TeamUsers = slices.Clone(e.Departments), slices.Clone(e.Items), slices.Clone(e.TeamUsers)
	c.Versions, c.AuditPending, c.Audit = slices.Clone(e.Versions), slices.Clone(e.AuditPending), nil
	if e.Withholding != nil {
		w := *e.Withholding
		if w.ConfirmedAt != nil {
			at := *w.ConfirmedAt
			w.ConfirmedAt = &at
		}
		c.Withholding = &w
	}
	if e.FollowUp != nil {
		f := *e.FollowUp
		if f.ClosedAt != nil {
			at := *f.ClosedAt
			f.ClosedAt = &at
		}
		c.FollowUp = &f
	}
	return &c
}

// ensure loads the index once; the caller holds no lock.
func (x *resultIndex) ensure(ctx context.Context, db *DB) error {
	x.mu.RLock()
	ok := x.loaded
	x.mu.RUnlock()
	if ok {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.loaded {
		return nil
	}
	x.byID, x.order = map[string]*backend.ResultEntry{}, nil
	cur, err := db.c(colResults).Find(ctx, bson.D{}, options.Find().SetBatchSize(2000))
	if err != nil {
		return translate("resultIndex.load", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var e backend.ResultEntry
		if err := cur.Decode(&e); err != nil {
			return translate("resultIndex.load", err)
		}
		x.byID[e.ID] = &e
		x.order = append(x.order, resultKey{e.ResultDate, e.ID})
	}
	if err := cur.Err(); err != nil {
		return translate("resultIndex.load", err)
	}
	slices.SortFunc(x.order, compareKeys)
	x.loaded = true
	return nil
}

// wrote applies a committed write of e.
func (x *resultIndex) wrote(e *backend.ResultEntry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.loaded {
		return // the load reads it
	}
	if old, ok := x.byID[e.ID]; ok {
		k := resultKey{old.ResultDate, old.ID}
		if i, found := slices.BinarySearchFunc(x.order, k, compareKeys); found {
			x.order = slices.Delete(x.order, i, i+1)
		}
	}
	k := resultKey{e.ResultDate, e.ID}
	i, _ := slices.BinarySearchFunc(x.order, k, compareKeys)
	x.order = slices.Insert(x.order, i, k)
	x.byID[e.ID] = cloneEntry(e)
}

// page returns copies of the entries of the page f and p select, and
// whether there is a next page.
func (x *resultIndex) page(f *backend.ResultFilter, p backend.PageRequest) ([]*backend.ResultEntry, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var ids []*backend.ResultEntry
	take := func(k resultKey) bool {
		if e := x.byID[k.id]; f.Matches(e) {
			if len(ids) == p.Limit {
				return false
			}
			ids = append(ids, cloneEntry(e))
		}
		return true
	}
	var after resultKey
	if p.After != "" {
		d, id, _ := backend.ParseResultCursor(p.After)
		after = resultKey{d, id}
	}
	if !f.Newest {
		i := 0
		if p.After != "" {
			i, _ = slices.BinarySearchFunc(x.order, after, compareKeys)
			if i < len(x.order) && x.order[i] == after {
				i++
			}
		}
		for ; i < len(x.order); i++ {
			if !take(x.order[i]) {
				return ids, true
			}
		}
		return ids, false
	}
	i := len(x.order) - 1
	if p.After != "" {
		j, _ := slices.BinarySearchFunc(x.order, after, compareKeys)
		i = j - 1
	}
	for ; i >= 0; i-- {
		if !take(x.order[i]) {
			return ids, true
		}
	}
	return ids, false
}

func (x *resultIndex) counts(departments []string, today backend.Date) backend.ResultCounts {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out backend.ResultCounts
	f := backend.ResultFilter{Departments: departments}
	for _, e := range x.byID {
		if f.Matches(e) {
			out.Add(e, today)
		}
	}
	return out
}

func (e *ferretEngine) findResults(ctx context.Context, s *ResultStore, f backend.ResultFilter, p backend.PageRequest) (*backend.Page[*backend.ResultEntry], error) {
	if !e.indexed() {
		return s.queryResults(ctx, f, p)
	}
	if err := e.results.ensure(ctx, e.db); err != nil {
		return nil, err
	}
	items, more := e.results.page(&f, p)
	page := &backend.Page[*backend.ResultEntry]{Items: items}
	if page.Items == nil {
		page.Items = []*backend.ResultEntry{}
	}
	if more && len(page.Items) > 0 {
		page.NextCursor = backend.ResultCursor(page.Items[len(page.Items)-1])
	}
	return page, nil
}

func (e *ferretEngine) countResults(ctx context.Context, s *ResultStore, departments []string, today backend.Date) (backend.ResultCounts, error) {
	if !e.indexed() {
		return s.queryCounts(ctx, departments, today)
	}
	if err := e.results.ensure(ctx, e.db); err != nil {
		return backend.ResultCounts{}, err
	}
	return e.results.counts(departments, today), nil
}

func (e *ferretEngine) wroteResult(r *backend.ResultEntry) {
	if e.indexed() {
		e.results.wrote(r)
	}
}

func (mongoEngine) findResults(ctx context.Context, s *ResultStore, f backend.ResultFilter, p backend.PageRequest) (*backend.Page[*backend.ResultEntry], error) {
	return s.queryResults(ctx, f, p)
}

func (mongoEngine) countResults(ctx context.Context, s *ResultStore, departments []string, today backend.Date) (backend.ResultCounts, error) {
	return s.queryCounts(ctx, departments, today)
}

func (mongoEngine) wroteResult(*backend.ResultEntry) {}
