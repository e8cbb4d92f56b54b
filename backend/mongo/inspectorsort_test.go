package mongo_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestInspectorSort: the inspector list sorted by each of
// backend.InspectorSorts, page by page, is every match in (key, id)
// order, ties (names and expiry days shared) broken by id.
func TestInspectorSort(t *testing.T) {
	ctx := context.Background()
	s := &mongo.InspectorStore{DB: mongotest.Open(t)}
	names := []string{"林芳", "陈伟", "王静", "林芳"}
	var all []*backend.Inspector
	for i := range 23 {
		in := &backend.Inspector{ID: fmt.Sprintf("ins-%02d", (i*7)%23), Name: names[i%len(names)], DepartmentID: []string{"scjg", "wsjk"}[i%2],
			CertNo: fmt.Sprintf("CERT-%02d", i), CertExpiry: backend.Date(fmt.Sprintf("2027-%02d-01", 1+i%5)), Specialties: []string{},
			Conflicts: []backend.Conflict{}, Leave: []backend.Period{}, Active: true}
		if err := s.CreateInspector(ctx, in); err != nil {
			t.Fatal(err)
		}
		all = append(all, in)
	}
	for _, sort := range backend.InspectorSorts {
		for _, f := range []backend.InspectorFilter{{Sort: sort}, {Sort: sort, DepartmentIDs: []string{"wsjk"}}} {
			var want []string
			for _, in := range all {
				if len(f.DepartmentIDs) == 0 || slices.Contains(f.DepartmentIDs, in.DepartmentID) {
					want = append(want, in.ID)
				}
			}
			byID := map[string]*backend.Inspector{}
			for _, in := range all {
				byID[in.ID] = in
			}
			slices.SortFunc(want, func(a, b string) int {
				return cmp.Or(strings.Compare(byID[a].SortKey(sort), byID[b].SortKey(sort)), strings.Compare(a, b))
			})
			var got []string
			p := backend.PageRequest{Limit: 7}
			for range 10 {
				page, err := s.FindInspectors(ctx, f, p)
				if err != nil {
					t.Fatal(err)
				}
				for _, in := range page.Items {
					got = append(got, in.ID)
				}
				if p.After = page.NextCursor; p.After == "" {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("sort %s, departments %v: %v, want %v", sort, f.DepartmentIDs, got, want)
			}
		}
	}
}
