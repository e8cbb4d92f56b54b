package mongo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestResultStoreQueriesAgree: the register's lists and counts answered
// by the query (what MongoDB runs, and FerretDB with several writers) and
// by the embedded store's in-memory index agree for every filter, page by
// page in both orders, entry by entry, also after updates.
func TestResultStoreQueriesAgree(t *testing.T) {
	ctx := context.Background()
	db := mongotest.Open(t)
	indexed := &mongo.ResultStore{DB: db}
	// The same database through the code paths written for MongoDB.
	other, err := mongo.Open(ctx, mongotest.URI(t), db.Database.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	mongo.UseMongoDBPath(other)
	queried := &mongo.ResultStore{DB: other}
	states := []backend.ResultState{backend.ResultPending, backend.ResultPending, backend.ResultPublished, backend.ResultWithheld, backend.ResultWithholdProposed}
	codes := []backend.ResultCode{backend.ResultNoProblem, backend.ResultCorrected, backend.ResultUnreachable}
	for i := range 40 {
		r := &backend.ResultEntry{ID: fmt.Sprintf("task-%02d", (i*17)%40), TargetID: "t", LeadDepartment: "scjg",
			Departments: [][]string{{"scjg"}, {"scjg", "yjgl"}, {"wsjk"}}[i%3], State: states[i%5], Code: codes[i%3],
			PlanID: []string{"p1", "p2"}[i%2], ResultDate: backend.Date(fmt.Sprintf("2026-03-%02d", 1+i%9))}
		r.SetDeadline()
		if i%7 == 0 {
			r.Deadline, r.DeadlineError = "", "工作日历未收录"
		}
		r.Audit = []backend.AuditRecord{{Action: "result.register", ObjectType: "result", ObjectID: r.ID}}
		if err := indexed.CreateResultEntry(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// An update through the indexed store moves an entry between views.
	e, err := indexed.FindResultEntry(ctx, "task-05")
	if err != nil {
		t.Fatal(err)
	}
	e.State = backend.ResultPublished
	e.Audit = []backend.AuditRecord{{Action: "result.publish", ObjectType: "result", ObjectID: e.ID}}
	if err := indexed.UpdateResultEntry(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.Version != 2 {
		t.Fatalf("version %d, want 2", e.Version)
	}
	stale := *e
	stale.Version = 1
	if err := indexed.UpdateResultEntry(ctx, &stale); !backend.IsCode(err, backend.ECONFLICT) {
		t.Fatalf("stale update: %v, want conflict", err)
	}

	today := backend.Date("2026-03-31")
	filters := map[string]backend.ResultFilter{
		"All":        {},
		"AllNewest":  {Newest: true},
		"Department": {Departments: []string{"yjgl"}},
		"Pending":    {Departments: []string{"scjg"}, States: []backend.ResultState{backend.ResultPending}, DeadlineFrom: today},
		"Overdue":    {States: []backend.ResultState{backend.ResultPending}, DeadlineBefore: today},
		"Published":  {States: []backend.ResultState{backend.ResultPublished}, Newest: true},
		"Plan":       {PlanID: "p2", Code: backend.ResultCorrected},
		"Period":     {From: "2026-03-03", To: "2026-03-05", Newest: true},
		"NoDeadline": {NoDeadline: true},
	}
	for name, f := range filters {
		t.Run("OK/"+name, func(t *testing.T) {
			a, b := pages(t, indexed, f), pages(t, queried, f)
			if !slices.Equal(a, b) {
				t.Fatalf("indexed %v\nqueried %v", a, b)
			}
			if name == "NoDeadline" && len(a) != 6 { // i%7 == 0 of 40
				t.Fatalf("%d entries without a deadline, want 6", len(a))
			}
		})
	}
	for _, depts := range [][]string{nil, {"scjg"}, {"wsjk", "yjgl"}} {
		a, err := indexed.CountResultEntries(ctx, depts, today)
		if err != nil {
			t.Fatal(err)
		}
		b, err := queried.CountResultEntries(ctx, depts, today)
		if err != nil {
			t.Fatal(err)
		}
		if a != b || a.Pending+a.Overdue == 0 {
			t.Fatalf("counts of %v: indexed %+v, queried %+v", depts, a, b)
		}
	}
}

// pages reads every page of f, 4 at a time.
func pages(t *testing.T, s *mongo.ResultStore, f backend.ResultFilter) []string {
	t.Helper()
	var ids []string
	p := backend.PageRequest{Limit: 4}
	for range 20 {
		page, err := s.FindResultEntries(context.Background(), f, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			b, err := json.Marshal(e) // the whole entry: the index's copies are the store's
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, string(b))
		}
		if page.NextCursor == "" {
			return ids
		}
		p.After = page.NextCursor
	}
	t.Fatal("more than 20 pages")
	return nil
}
