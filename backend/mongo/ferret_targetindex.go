package mongo

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// targetIndex holds, in memory, the fields of every target that lists filter
// on, in id order. It is used only when this process is the one writer of an
// embedded FerretDB (DB.SingleProcess): there every filtered query would
// read the whole collection through FerretDB at ~120 µs a document (6 s for
// a sparse filter at 50,000 targets, measured), while the index answers in
// microseconds and the page's documents are then read by _id.
//
// Every write of the target directory goes through TargetStore in this
// process, which updates the index after the store accepted the write; the
// index is built from the store on first use. It is a cache of the store,
// never a source of truth: a restart rebuilds it.
type targetIndex struct {
	mu     sync.RWMutex
	loaded bool
	ids    []string // sorted
	byID   map[string]*targetEntry
	// orders holds, for each of backend.TargetSorts, every id in the
	// order of (its key, id): a sorted page walks it as an id page walks
	// ids.
	orders map[string][]string
	// names holds every name, in ids' order, each followed by a NUL, and
	// starts where each begins: a search of part of a name is one
	// strings.Index over it, and only the entries whose name holds the
	// text are looked up. Walking every entry was 45 ms of CPU for a
	// search with one hit among 100,000 (profiled: the map lookups and a
	// strings.Contains each). Made again on the search after a write that
	// added a target or changed a name (namesOK).
	names   string
	starts  []int
	namesOK bool
}

type targetEntry struct {
	kind           backend.TargetKind
	region         string
	industry       string
	tags           []string
	credit         backend.CreditClass
	status         backend.TargetStatus
	whitelisted    bool
	keySupervision bool
	name           string
}

func entryOf(t *backend.Target) *targetEntry {
	return &targetEntry{kind: t.Kind, region: t.RegionCode, industry: t.Industry, tags: slices.Clone(t.Tags),
		credit: t.CreditClass, status: t.Status, whitelisted: t.Whitelisted, keySupervision: t.KeySupervision, name: t.Name}
}

// sortKey is the entry's key in a sort's order (backend.Target.SortKey).
func (e *targetEntry) sortKey(sort string) string {
	return (&backend.Target{Name: e.name, CreditClass: e.credit}).SortKey(sort)
}

// compareIn orders ids a and b in a sort's order: key, then id.
func (x *targetIndex) compareIn(sort string, a, b string) int {
	return cmp.Or(strings.Compare(x.byID[a].sortKey(sort), x.byID[b].sortKey(sort)), strings.Compare(a, b))
}

// buildOrders sorts every id for each sort key. The caller holds the
// write lock.
func (x *targetIndex) buildOrders() {
	x.orders = map[string][]string{}
	for _, sort := range backend.TargetSorts {
		ids := slices.Clone(x.ids)
		slices.SortFunc(ids, func(a, b string) int { return x.compareIn(sort, a, b) })
		x.orders[sort] = ids
	}
}

// position is where an id with key would be in a sort's order.
func (x *targetIndex) position(sort, key, id string) (int, bool) {
	return slices.BinarySearchFunc(x.orders[sort], id, func(e, _ string) int {
		return cmp.Or(strings.Compare(x.byID[e].sortKey(sort), key), strings.Compare(e, id))
	})
}

// matches applies f the way targetFilter's query does.
func (e *targetEntry) matches(f *backend.TargetFilter) bool {
	switch {
	case len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.kind),
		f.RegionPrefix != "" && !strings.HasPrefix(e.region, f.RegionPrefix),
		len(f.Industries) > 0 && !slices.Contains(f.Industries, e.industry),
		f.Tag != "" && !slices.Contains(e.tags, f.Tag),
		len(f.CreditClasses) > 0 && !slices.Contains(f.CreditClasses, e.credit),
		len(f.Statuses) > 0 && !slices.Contains(f.Statuses, e.status),
		f.Whitelisted != nil && e.whitelisted != *f.Whitelisted,
		f.KeySupervision != nil && e.keySupervision != *f.KeySupervision,
		f.NameContains != "" && !strings.Contains(e.name, f.NameContains):
		return false
	}
	return true
}

// targetFields are the fields the index holds, as ScanJSON reads them.
type targetFields struct {
	ID             string               `json:"_id"`
	Kind           backend.TargetKind   `json:"kind"`
	RegionCode     string               `json:"regionCode"`
	Industry       string               `json:"industry"`
	Tags           []string             `json:"tags"`
	CreditClass    backend.CreditClass  `json:"creditClass"`
	Status         backend.TargetStatus `json:"status"`
	Whitelisted    bool                 `json:"whitelisted"`
	KeySupervision bool                 `json:"keySupervision"`
	Name           string               `json:"name"`
}

var targetFieldNames = []string{"_id", "kind", "regionCode", "industry", "tags", "creditClass", "status", "whitelisted", "keySupervision", "name"}

// load reads the collection once. The caller holds the write lock.
func (x *targetIndex) load(ctx context.Context, db *DB) error {
	x.byID = map[string]*targetEntry{}
	x.ids = x.ids[:0]
	x.namesOK = false
	fast, err := fastScan(ctx, db, colTargets, targetFieldNames, func(f *targetFields) error {
		x.byID[f.ID] = entryOf(&backend.Target{ID: f.ID, Kind: f.Kind, RegionCode: f.RegionCode, Industry: f.Industry, Tags: f.Tags,
			CreditClass: f.CreditClass, Status: f.Status, Whitelisted: f.Whitelisted, KeySupervision: f.KeySupervision, Name: f.Name})
		x.ids = append(x.ids, f.ID)
		return nil
	})
	if fast || err != nil {
		if err == nil {
			sort.Strings(x.ids)
			x.buildOrders()
			x.loaded = true
		}
		return err
	}
	proj := bson.D{}
	for _, k := range targetFieldNames[1:] {
		proj = append(proj, bson.E{Key: k, Value: 1})
	}
	cur, err := db.c(colTargets).Find(ctx, bson.D{}, options.Find().SetProjection(proj).SetBatchSize(2000))
	if err != nil {
		return translate("targetIndex.load", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var t backend.Target
		if err := cur.Decode(&t); err != nil {
			return translate("targetIndex.load", err)
		}
		x.byID[t.ID] = entryOf(&t)
		x.ids = append(x.ids, t.ID)
	}
	if err := cur.Err(); err != nil {
		return translate("targetIndex.load", err)
	}
	sort.Strings(x.ids)
	x.buildOrders()
	x.loaded = true
	return nil
}

// fastScan decodes into T (whose json tags name the fields) the fields
// of every document of collection through DB.ScanJSON, and reports
// whether the store offers it.
func fastScan[T any](ctx context.Context, db *DB, collection string, fields []string, fn func(*T) error) (bool, error) {
	if db.ScanJSON == nil {
		return false, nil
	}
	err := db.ScanJSON(ctx, collection, fields, func(b []byte) error {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		return fn(&v)
	})
	return true, translate("fastScan "+collection, err)
}

// ensure loads the index unless it is loaded.
func (x *targetIndex) ensure(ctx context.Context, db *DB) error {
	return loadOnce(&x.mu, &x.loaded, func() error { return x.load(ctx, db) })
}

// loadOnce runs load, which sets *loaded when it succeeds, under mu's
// write lock unless *loaded is set already: the first use of an in-memory
// index builds it, the others wait for it or find it built.
func loadOnce(mu *sync.RWMutex, loaded *bool, load func() error) error {
	mu.RLock()
	ok := *loaded
	mu.RUnlock()
	if ok {
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	if *loaded {
		return nil
	}
	return load()
}

// put records a stored target. The caller holds the write lock.
func (x *targetIndex) put(t *backend.Target) {
	if !x.loaded {
		return // the first use reads it from the store
	}
	old, ok := x.byID[t.ID]
	if !ok {
		i, _ := slices.BinarySearch(x.ids, t.ID)
		x.ids = slices.Insert(x.ids, i, t.ID)
		x.namesOK = false
	} else if old.name != t.Name {
		x.namesOK = false
	}
	for _, sort := range backend.TargetSorts {
		if ok {
			if i, found := x.position(sort, old.sortKey(sort), t.ID); found {
				x.orders[sort] = slices.Delete(x.orders[sort], i, i+1)
			}
		}
	}
	x.byID[t.ID] = entryOf(t)
	for _, sort := range backend.TargetSorts {
		i, _ := x.position(sort, t.SortKey(sort), t.ID)
		x.orders[sort] = slices.Insert(x.orders[sort], i, t.ID)
	}
}

// ensureNames makes names and starts unless they are current.
func (x *targetIndex) ensureNames() {
	x.mu.RLock()
	ok := x.namesOK
	x.mu.RUnlock()
	if ok {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.namesOK || !x.loaded {
		return
	}
	var b strings.Builder
	starts := make([]int, len(x.ids))
	for i, id := range x.ids {
		starts[i] = b.Len()
		b.WriteString(x.byID[id].name)
		b.WriteByte(0)
	}
	x.names, x.starts, x.namesOK = b.String(), starts, true
}

// withName calls fn, in id order from position start, with the position
// of each entry whose name contains q (which has no NUL: a match lies
// within one name), until fn returns false. The caller holds the read
// lock and has seen namesOK.
func (x *targetIndex) withName(q string, start int, fn func(i int) bool) {
	for i := start; i < len(x.starts); i++ {
		j := strings.Index(x.names[x.starts[i]:], q)
		if j < 0 {
			return
		}
		i = sort.SearchInts(x.starts, x.starts[i]+j+1) - 1
		if !fn(i) {
			return
		}
	}
}

// page returns the ids of one page of matches in id order (or f.Sort's),
// and the cursor of the next page.
func (x *targetIndex) page(f *backend.TargetFilter, p backend.PageRequest) ([]string, string, error) {
	byName := f.Sort == "" && f.NameContains != "" && !strings.ContainsRune(f.NameContains, 0)
	if byName {
		x.ensureNames()
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	ids, cursor := x.ids, func(id string) string { return id }
	start, _ := slices.BinarySearch(x.ids, p.After)
	if p.After != "" && start < len(x.ids) && x.ids[start] == p.After {
		start++
	}
	if f.Sort != "" {
		ids, cursor = x.orders[f.Sort], func(id string) string { return backend.SortCursor(f.Sort, x.byID[id].sortKey(f.Sort), id) }
		start = 0
		if p.After != "" {
			key, id, err := backend.ParseSortCursor(f.Sort, p.After)
			if err != nil {
				return nil, "", err
			}
			var found bool
			if start, found = x.position(f.Sort, key, id); found {
				start++
			}
		}
	}
	var out []string
	if byName && x.namesOK { // else a write came in between: every entry
		next := ""
		x.withName(f.NameContains, start, func(i int) bool {
			if !x.byID[x.ids[i]].matches(f) {
				return true
			}
			if len(out) == p.Limit {
				next = out[len(out)-1]
				return false
			}
			out = append(out, x.ids[i])
			return true
		})
		return out, next, nil
	}
	for _, id := range ids[start:] {
		if x.byID[id].matches(f) {
			if len(out) == p.Limit {
				return out, cursor(out[len(out)-1]), nil
			}
			out = append(out, id)
		}
	}
	return out, "", nil
}

// findTargets answers FindTargets from the index.
func (e *ferretEngine) findTargets(ctx context.Context, s *TargetStore, f backend.TargetFilter, p backend.PageRequest) (*backend.Page[*backend.Target], error) {
	if !e.indexed() {
		return s.queryTargets(ctx, f, p)
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	x := &e.targets
	if err := x.ensure(ctx, e.db); err != nil {
		return nil, err
	}
	ids, next, err := x.page(&f, p)
	if err != nil {
		return nil, err
	}
	page := &backend.Page[*backend.Target]{Items: make([]*backend.Target, 0, len(ids)), NextCursor: next}
	for _, id := range ids {
		t, err := s.FindTargetByID(ctx, id)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, t)
	}
	return page, nil
}

// WarmTargetIndex builds the index now rather than on the first list, so
// that the first user does not wait for it. It does nothing on MongoDB.
func (db *DB) WarmTargetIndex(ctx context.Context) error { return db.engine.warmTargets(ctx) }

func (e *ferretEngine) warmTargets(ctx context.Context) error {
	if !e.indexed() {
		return nil
	}
	return e.targets.ensure(ctx, e.db)
}

// writeTargets runs a write of the directory and records what it stored in
// the in-memory index, holding the index's lock so that no list sees the
// store and the index disagree.
func (e *ferretEngine) writeTargets(bulk bool, write func() error, stored ...*backend.Target) error {
	if !e.indexed() {
		return write()
	}
	x := &e.targets
	x.mu.Lock()
	defer x.mu.Unlock()
	err := write()
	if err != nil && bulk && x.loaded {
		// A bulk insert may have stored part of its batch: read the truth again.
		x.loaded = false
	}
	if err == nil {
		for _, t := range stored {
			x.put(t)
		}
	}
	return err
}
