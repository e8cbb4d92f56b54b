package mongo

import (
	"context"
	"slices"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// visitCountIndex holds, in memory, each visit count's year, kind and
// figures, for the embedded store with one writer (DB.SingleProcess): the
// oversight office's "most entered" list sorts the year's counts, which
// FerretDB would read whole for every request (one per enterprise entered
// and per officer, ~65 µs each). Like the other in-memory indexes it is
// built on first use, told of increments before their write (so it may
// count more than is stored, never less) and a cache of the store: the
// listed counts are read by _id and ordered by what is stored.
type visitCountIndex struct {
	mu     sync.RWMutex
	loaded bool
	counts map[string]*visitCountEntry
}

type visitCountEntry struct {
	Year     int    `json:"year"`
	Kind     string `json:"kind"`
	Visits   int    `json:"visits"`
	CheckIns int    `json:"checkIns"`
}

func (x *visitCountIndex) ensure(ctx context.Context, db *DB) error {
	return loadOnce(&x.mu, &x.loaded, func() error { return x.load(ctx, db) })
}

// load reads the collection once. The caller holds the write lock.
func (x *visitCountIndex) load(ctx context.Context, db *DB) error {
	x.counts = map[string]*visitCountEntry{}
	type fields struct {
		ID string `json:"_id"`
		visitCountEntry
	}
	fast, err := fastScan(ctx, db, colVisitCounts, []string{"_id", "year", "kind", "visits", "checkIns"}, func(f *fields) error {
		e := f.visitCountEntry
		x.counts[f.ID] = &e
		return nil
	})
	if fast || err != nil {
		x.loaded = err == nil
		return err
	}
	cur, err := db.c(colVisitCounts).Find(ctx, bson.D{}, options.Find().SetBatchSize(2000))
	if err != nil {
		return translate("visitCountIndex.load", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var c backend.VisitCount
		if err := cur.Decode(&c); err != nil {
			return translate("visitCountIndex.load", err)
		}
		x.counts[c.ID] = &visitCountEntry{Year: c.Year, Kind: c.Kind, Visits: c.Visits, CheckIns: c.CheckIns}
	}
	if err := cur.Err(); err != nil {
		return translate("visitCountIndex.load", err)
	}
	x.loaded = true
	return nil
}

func (e *ferretEngine) writingVisitCounts(incs []backend.VisitCountIncrement) {
	x := &e.visitCounts
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.loaded {
		return
	}
	for _, in := range incs {
		id := backend.VisitCountID(in.Year, in.Kind, in.Ref)
		c := x.counts[id]
		if c == nil {
			c = &visitCountEntry{Year: in.Year, Kind: in.Kind}
			x.counts[id] = c
		}
		c.Visits += in.Visits
		c.CheckIns += in.CheckIns
	}
}

// countOrder orders counts by their figure, then by id.
func countOrder(by func(*backend.VisitCount) int) func(a, b *backend.VisitCount) int {
	return func(a, b *backend.VisitCount) int {
		if by(a) != by(b) {
			return by(b) - by(a)
		}
		return strings.Compare(a.ID, b.ID)
	}
}

func (e *ferretEngine) topVisitCounts(ctx context.Context, s *VisitCountStore, year int, kind string, limit int) ([]*backend.VisitCount, error) {
	if !e.indexed() {
		return s.queryTop(ctx, year, kind, limit)
	}
	x := &e.visitCounts
	if err := x.ensure(ctx, e.db); err != nil {
		return nil, err
	}
	figure := func(c *visitCountEntry) int { return c.Visits }
	by := func(c *backend.VisitCount) int { return c.Visits }
	if kind == backend.CountInspector {
		figure = func(c *visitCountEntry) int { return c.CheckIns }
		by = func(c *backend.VisitCount) int { return c.CheckIns }
	}
	type ranked struct {
		id string
		n  int
	}
	x.mu.RLock()
	var all []ranked
	for id, c := range x.counts {
		if c.Year == year && c.Kind == kind {
			all = append(all, ranked{id, figure(c)})
		}
	}
	x.mu.RUnlock()
	slices.SortFunc(all, func(a, b ranked) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.id, b.id)
	})
	if len(all) > limit {
		all = all[:limit]
	}
	out := make([]*backend.VisitCount, 0, len(all))
	for _, r := range all {
		c, err := findByID[backend.VisitCount](ctx, s.DB.c(colVisitCounts), "TopVisitCounts", "visit count", r.id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			continue // counted before a write that failed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortFunc(out, countOrder(by))
	return out, nil
}
