package mongo_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestTargetSort: the target list sorted by each of backend.TargetSorts,
// page by page, is every match in (key, id) order — ties (one name for
// several targets, the credit classes) broken by id — through the
// queries and, on the embedded store, through its in-memory index after
// the directory changed under it.
func TestTargetSort(t *testing.T) {
	ctx := context.Background()
	db := mongotest.Open(t)
	stores := map[string]*mongo.TargetStore{"query": {DB: db}}
	if db.IsFerretDB() {
		plain, err := mongo.Open(ctx, mongotest.URI(t), db.Database.Name())
		if err != nil {
			t.Fatal(err)
		}
		defer plain.Close()
		stores = map[string]*mongo.TargetStore{"index": {DB: db}, "query": {DB: plain}}
	}
	s := &mongo.TargetStore{DB: db}
	seedTargets(t, s, 120)
	if _, err := s.FindTargets(ctx, backend.TargetFilter{Sort: "name"}, backend.PageRequest{Limit: 1}); err != nil {
		t.Fatal(err) // the index is built: the changes below go into it
	}
	for i := 0; i < 120; i += 9 {
		tg, err := s.FindTargetByID(ctx, makeUSCC(i))
		if err != nil {
			t.Fatal(err)
		}
		tg.Name, tg.CreditClass = "三元区同名商贸有限公司", "D"
		if err := s.UpdateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	all := map[string]*backend.Target{}
	for _, id := range pageIDs(t, stores["query"], backend.TargetFilter{}, 200) {
		tg, err := s.FindTargetByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		all[id] = tg
	}
	filters := []backend.TargetFilter{{}, {CreditClasses: []backend.CreditClass{"A", "D"}}, {NameContains: "同名"}, {RegionPrefix: "350402"}}
	for _, sort := range backend.TargetSorts {
		for i, f := range filters {
			f.Sort = sort
			var want []string
			for id, tg := range all {
				if matchesForTest(tg, f) {
					want = append(want, id)
				}
			}
			slices.SortFunc(want, func(a, b string) int {
				return cmp.Or(strings.Compare(all[a].SortKey(sort), all[b].SortKey(sort)), strings.Compare(a, b))
			})
			for name, st := range stores {
				if got := orderedIDs(t, st, f, 11); !slices.Equal(got, want) {
					t.Errorf("%s, sort %s, filter %d: %d ids %v…, want %d %v…", name, sort, i, len(got), head(got), len(want), head(want))
				}
			}
		}
	}
	for name, st := range stores {
		for _, after := range []string{"name/%%%/x", "creditClass/QQ/" + makeUSCC(1), makeUSCC(1)} {
			if _, err := st.FindTargets(ctx, backend.TargetFilter{Sort: "name"}, backend.PageRequest{After: after, Limit: 5}); !backend.IsCode(err, backend.EINVALID) {
				t.Errorf("%s: cursor %q on the name order: %v, want %s", name, after, err, backend.EINVALID)
			}
		}
	}
}

func head(ids []string) []string { return ids[:min(3, len(ids))] }

// matchesForTest is the part of a target filter this test uses.
func matchesForTest(tg *backend.Target, f backend.TargetFilter) bool {
	return (len(f.CreditClasses) == 0 || slices.Contains(f.CreditClasses, tg.CreditClass)) &&
		strings.Contains(tg.Name, f.NameContains) && strings.HasPrefix(tg.RegionCode, f.RegionPrefix)
}

// orderedIDs walks every page of a target list and returns the ids in
// the order given.
func orderedIDs(t *testing.T, s *mongo.TargetStore, f backend.TargetFilter, limit int) []string {
	t.Helper()
	var ids []string
	p := backend.PageRequest{Limit: limit}
	for range 1000 {
		page, err := s.FindTargets(context.Background(), f, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range page.Items {
			ids = append(ids, tg.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		p.After = page.NextCursor
	}
	t.Fatal("the pages never end")
	return nil
}
