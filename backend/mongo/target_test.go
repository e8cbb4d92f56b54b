package mongo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// makeUSCC returns a valid enterprise USCC numbered n.
func makeUSCC(n int) string {
	first := fmt.Sprintf("91350404MA%07d", n)
	c, ok := backend.USCCCheckChar(first)
	if !ok {
		panic(first)
	}
	return first + string(c)
}

func makeTarget(n int) *backend.Target {
	classes := []backend.CreditClass{"A", "A", "A", "B", "C"}
	return &backend.Target{
		ID: makeUSCC(n), Kind: backend.KindEnterprise, Name: fmt.Sprintf("三元区第%d商贸有限公司", n),
		RegionCode: fmt.Sprintf("35040%d", 1+n%4), Address: "福建省三明市三元区", Location: &backend.GeoPoint{Lat: 26.2, Lng: 117.6},
		Industry: "F5211", Tags: []string{"食品经营"}, CreditClass: classes[n%len(classes)], Status: backend.StatusActive,
	}
}

func seedTargets(tb testing.TB, s *mongo.TargetStore, n int) {
	tb.Helper()
	ctx := context.Background()
	const batch = 1000
	for i := 0; i < n; i += batch {
		var ts []*backend.Target
		for j := i; j < i+batch && j < n; j++ {
			ts = append(ts, makeTarget(j))
		}
		if err := s.CreateTargets(ctx, ts); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestTargetStore(t *testing.T) {
	db := mongotest.Open(t)
	s := &mongo.TargetStore{DB: db}
	ctx := context.Background()
	seedTargets(t, s, 20)

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.FindTargetByID(ctx, makeUSCC(999))
		if backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Fatalf("code=%q, want not_found", backend.ErrorCode(err))
		}
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		err := s.CreateTarget(ctx, makeTarget(3))
		if backend.ErrorCode(err) != backend.ECONFLICT {
			t.Fatalf("code=%q, want conflict", backend.ErrorCode(err))
		}
	})
	t.Run("ErrVersionConflict", func(t *testing.T) {
		a, _ := s.FindTargetByID(ctx, makeUSCC(5))
		b, _ := s.FindTargetByID(ctx, makeUSCC(5))
		a.Name = "first writer"
		if err := s.UpdateTarget(ctx, a); err != nil {
			t.Fatal(err)
		}
		b.Name = "second writer"
		if err := s.UpdateTarget(ctx, b); backend.ErrorCode(err) != backend.ECONFLICT {
			t.Fatalf("second writer: %v, want conflict", err)
		}
		if b.Version != 1 {
			t.Fatalf("failed update changed the caller's version to %d", b.Version)
		}
		got, _ := s.FindTargetByID(ctx, makeUSCC(5))
		if got.Name != "first writer" || got.Version != 2 {
			t.Fatalf("stored %q version %d, want first writer version 2", got.Name, got.Version)
		}
	})
	t.Run("ErrUpdateMissing", func(t *testing.T) {
		tg := makeTarget(777)
		tg.Version = 1
		if err := s.UpdateTarget(ctx, tg); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Fatalf("code=%q, want not_found", backend.ErrorCode(err))
		}
	})
	filterTests := []struct {
		name string
		f    backend.TargetFilter
		want int
	}{
		{"All", backend.TargetFilter{}, 20},
		{"CreditA", backend.TargetFilter{CreditClasses: []backend.CreditClass{"A"}}, 12},
		{"CreditBC", backend.TargetFilter{CreditClasses: []backend.CreditClass{"B", "C"}}, 8},
		{"RegionPrefix", backend.TargetFilter{RegionPrefix: "350401"}, 5},
		{"Tag", backend.TargetFilter{Tag: "食品经营"}, 20},
		{"NoSuchTag", backend.TargetFilter{Tag: "危险化学品"}, 0},
		{"NameLiteral", backend.TargetFilter{NameContains: "第1"}, 11},
		// Regex metacharacters are matched literally, not interpreted.
		{"NameRegexIsLiteral", backend.TargetFilter{NameContains: ".*"}, 0},
	}
	for _, tt := range filterTests {
		t.Run("Filter/"+tt.name, func(t *testing.T) {
			n := 0
			err := s.ScanTargets(ctx, tt.f, func(*backend.Target) error { n++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.want {
				t.Fatalf("matched %d, want %d", n, tt.want)
			}
		})
	}
}

// TestConcurrentVersionedUpdate races writers holding the same version:
// exactly one may win, on MongoDB (filter) and on FerretDB (lock and check).
func TestConcurrentVersionedUpdate(t *testing.T) {
	db := mongotest.Open(t)
	s := &mongo.TargetStore{DB: db}
	ctx := context.Background()
	seedTargets(t, s, 1)
	const writers = 10
	results := make(chan error, writers)
	for w := 0; w < writers; w++ {
		go func(w int) {
			tg := makeTarget(0)
			tg.Version = 1
			tg.Name = fmt.Sprint("writer ", w)
			results <- s.UpdateTarget(ctx, tg)
		}(w)
	}
	wins := 0
	for w := 0; w < writers; w++ {
		err := <-results
		switch backend.ErrorCode(err) {
		case "":
			wins++
		case backend.ECONFLICT:
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want exactly 1", wins)
	}
	got, _ := s.FindTargetByID(ctx, makeUSCC(0))
	if got.Version != 2 {
		t.Fatalf("version=%d, want 2", got.Version)
	}
}

// TestTargetIndexMatchesQueries compares the embedded store's in-memory
// index with the query the store would otherwise run, filter by filter and
// page by page, after creates, a bulk insert and updates.
func TestTargetIndexMatchesQueries(t *testing.T) {
	indexed := mongotest.Open(t)
	if !indexed.IsFerretDB() {
		t.Skip("the index is used only on the embedded FerretDB")
	}
	ctx := context.Background()
	// A second handle on the same database that always queries the store.
	plain, err := mongo.Open(ctx, mongotest.URI(t), indexed.Database.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	si, sp := &mongo.TargetStore{DB: indexed}, &mongo.TargetStore{DB: plain}
	seedTargets(t, si, 150)
	// Build the index and its names, then change the directory through
	// the indexed store: renames and a new target make the names again.
	if _, err := si.FindTargets(ctx, backend.TargetFilter{NameContains: "商贸"}, backend.PageRequest{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 150; i += 7 {
		tg, _ := si.FindTargetByID(ctx, makeUSCC(i))
		tg.CreditClass, tg.Whitelisted, tg.Tags = "D", i%2 == 0, []string{"危险化学品"}
		if i%3 == 0 {
			tg.Name = fmt.Sprintf("三明市第%d餐饮店", i)
		}
		if err := si.UpdateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	extra := makeTarget(500)
	extra.Status = backend.StatusRevoked
	if err := si.CreateTarget(ctx, extra); err != nil {
		t.Fatal(err)
	}
	yes := true
	filters := []backend.TargetFilter{
		{},
		{CreditClasses: []backend.CreditClass{"D"}},
		{CreditClasses: []backend.CreditClass{"A", "C"}, RegionPrefix: "350402"},
		{Tag: "危险化学品", Whitelisted: &yes},
		{Statuses: []backend.TargetStatus{backend.StatusRevoked}},
		{NameContains: "第1"},
		{NameContains: "商贸"},
		{NameContains: "餐饮店"},
		{NameContains: "三明市第21餐饮店"},
		{NameContains: "三元区第21商贸有限公司"}, // the name before its rename: none
		{NameContains: "公司三"},          // across two names: none
		{NameContains: "第5", CreditClasses: []backend.CreditClass{"A"}},
		{NameContains: "有限公司", Statuses: []backend.TargetStatus{backend.StatusRevoked}},
		{Kinds: []backend.TargetKind{backend.KindIndividual}},
		{Industries: []string{"F5211"}, KeySupervision: &yes},
	}
	for i, f := range filters {
		for _, limit := range []int{1, 13, 200} {
			got, want := pageIDs(t, si, f, limit), pageIDs(t, sp, f, limit)
			if !slices.Equal(got, want) {
				t.Fatalf("filter %d %+v, pages of %d: index gives %d ids, the store %d", i, f, limit, len(got), len(want))
			}
		}
	}
}

// pageIDs walks every page of a target list and returns the ids, sorted.
func pageIDs(t *testing.T, s *mongo.TargetStore, f backend.TargetFilter, limit int) []string {
	t.Helper()
	var ids []string
	p := backend.PageRequest{Limit: limit}
	for {
		page, err := s.FindTargets(context.Background(), f, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range page.Items {
			ids = append(ids, tg.ID)
		}
		if page.NextCursor == "" {
			break
		}
		p.After = page.NextCursor
	}
	slices.Sort(ids)
	return ids
}
