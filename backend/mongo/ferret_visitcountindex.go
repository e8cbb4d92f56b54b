package mongo

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// visitCountIndex holds, in memory, every visit count, for the embedded
// store with one writer (DB.SingleProcess): the oversight office's "most
// entered" list sorts the year's counts, which FerretDB would read whole
// for every request (one per enterprise entered and per officer, ~65 µs
// each). It is built on first use and follows each increment once it is
// written, so it holds what is stored: writes hold writing for reading
// while they write and count, and the load holds it for writing, so that
// no increment is both read by the load and counted again after it.
type visitCountIndex struct {
	writing sync.RWMutex
	mu      sync.RWMutex
	loaded  bool
	counts  map[string]*backend.VisitCount
}

func (x *visitCountIndex) ensure(ctx context.Context, db *DB) error {
	x.mu.RLock()
	ok := x.loaded
	x.mu.RUnlock()
	if ok {
		return nil
	}
	x.writing.Lock()
	defer x.writing.Unlock()
	return loadOnce(&x.mu, &x.loaded, func() error { return x.load(ctx, db) })
}

// load reads the collection once. The caller holds the write locks.
func (x *visitCountIndex) load(ctx context.Context, db *DB) error {
	x.counts = map[string]*backend.VisitCount{}
	type fields struct {
		ID        string `json:"_id"`
		Year      int    `json:"year"`
		Kind      string `json:"kind"`
		Ref       string `json:"ref"`
		Name      string `json:"name"`
		Visits    int    `json:"visits"`
		CheckIns  int    `json:"checkIns"`
		Unplanned int    `json:"unplanned"`
		UpdatedAt int64  `json:"updatedAt"` // milliseconds, as ScanJSON reads a date
	}
	fast, err := fastScan(ctx, db, colVisitCounts, []string{"_id", "year", "kind", "ref", "name", "visits", "checkIns", "unplanned", "updatedAt"}, func(f *fields) error {
		x.counts[f.ID] = &backend.VisitCount{ID: f.ID, Year: f.Year, Kind: f.Kind, Ref: f.Ref, Name: f.Name, Visits: f.Visits, CheckIns: f.CheckIns, Unplanned: f.Unplanned, UpdatedAt: time.UnixMilli(f.UpdatedAt).UTC()}
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
		x.counts[c.ID] = &c
	}
	if err := cur.Err(); err != nil {
		return translate("visitCountIndex.load", err)
	}
	x.loaded = true
	return nil
}

// writeVisitCounts runs write (the store's increments) and then counts
// them in the index, so that the index holds what is stored.
func (e *ferretEngine) writeVisitCounts(incs []backend.VisitCountIncrement, at time.Time, write func() error) error {
	x := &e.visitCounts
	x.writing.RLock()
	defer x.writing.RUnlock()
	if err := write(); err != nil {
		// Some increments may be stored: read everything again next time.
		x.mu.Lock()
		x.loaded = false
		x.mu.Unlock()
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.loaded {
		return nil
	}
	for _, in := range incs {
		id := backend.VisitCountID(in.Year, in.Kind, in.Ref)
		c := x.counts[id]
		if c == nil {
			c = &backend.VisitCount{ID: id, Year: in.Year, Kind: in.Kind, Ref: in.Ref}
			x.counts[id] = c
		}
		c.Name, c.UpdatedAt = in.Name, at
		c.Visits += in.Visits
		c.CheckIns += in.CheckIns
		c.Unplanned += in.Unplanned
	}
	return nil
}

// countOrder orders counts by their figure, then by id.
func countOrder(kind string) func(a, b *backend.VisitCount) int {
	by := func(c *backend.VisitCount) int { return c.Visits }
	if kind == backend.CountInspector {
		by = func(c *backend.VisitCount) int { return c.CheckIns }
	}
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
	// Sorted under the read lock (the counts change under the write lock);
	// only the first limit are copied out.
	x.mu.RLock()
	defer x.mu.RUnlock()
	var all []*backend.VisitCount
	for _, c := range x.counts {
		if c.Year == year && c.Kind == kind {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, countOrder(kind))
	out := make([]*backend.VisitCount, 0, min(limit, len(all)))
	for _, c := range all[:min(limit, len(all))] {
		cp := *c
		out = append(out, &cp)
	}
	return out, nil
}
