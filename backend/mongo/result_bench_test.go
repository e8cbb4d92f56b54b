package mongo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// BenchmarkResultRegister: the register's page and counts of one
// department, and the public list's first page, at 20,000 entries (issue
// 16's scale: 20,000 published results), on the store in use: the
// embedded store's in-memory index (Indexed) and the query MongoDB runs,
// here answered by FerretDB reading the collection (Queried). Figures in
// docs/benchmarks.md.
func BenchmarkResultRegister(b *testing.B) {
	const n = 20000
	ctx := context.Background()
	db := mongotest.Open(b)
	depts := []string{"scjg", "yjgl", "wsjk", "sthj", "zjj", "nync"}
	states := []backend.ResultState{backend.ResultPublished, backend.ResultPublished, backend.ResultPublished, backend.ResultPending, backend.ResultWithheld}
	es := make([]*backend.ResultEntry, 0, n)
	for i := range n {
		e := &backend.ResultEntry{ID: fmt.Sprintf("2026-x-%06d", i), TargetID: fmt.Sprintf("t%06d", i), TargetName: "某某商贸有限公司",
			LeadDepartment: depts[i%6], Departments: []string{depts[i%6]}, Items: []string{"SCJG-03"}, TeamUsers: []string{"a", "b"},
			Code: backend.ResultNoProblem, Label: "未发现问题", State: states[i%5], PlanID: fmt.Sprintf("p%d", i%20),
			ResultDate: backend.Date(fmt.Sprintf("2026-%02d-%02d", 1+i%11, 1+i%28)), Version: 1, Versions: []backend.ResultVersion{}}
		e.SetDeadline()
		es = append(es, e)
	}
	for i := 0; i < n; i += 2000 {
		if err := mongo.InsertResultEntries(ctx, db, es[i:i+2000]); err != nil {
			b.Fatal(err)
		}
	}
	other, err := mongo.Open(ctx, mongotest.URI(b), db.Database.Name())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = other.Close() })
	mongo.UseMongoDBPath(other)
	today := backend.Date("2026-12-07")
	for name, s := range map[string]*mongo.ResultStore{"Indexed": {DB: db}, "Queried": {DB: other}} {
		b.Run("Page/"+name, func(b *testing.B) {
			f := backend.ResultFilter{Departments: []string{"scjg"}, States: []backend.ResultState{backend.ResultPending}, DeadlineBefore: today}
			for i := 0; i < b.N; i++ {
				if p, err := s.FindResultEntries(ctx, f, backend.PageRequest{Limit: 50}); err != nil || len(p.Items) != 50 {
					b.Fatalf("%v, %d items", err, len(p.Items))
				}
			}
		})
		b.Run("Counts/"+name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := s.CountResultEntries(ctx, []string{"scjg"}, today); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("PublicFirstPage/"+name, func(b *testing.B) {
			f := backend.ResultFilter{States: []backend.ResultState{backend.ResultPublished}, Newest: true}
			for i := 0; i < b.N; i++ {
				if p, err := s.FindResultEntries(ctx, f, backend.PageRequest{Limit: 50}); err != nil || len(p.Items) != 50 {
					b.Fatalf("%v, %d items", err, len(p.Items))
				}
			}
		})
	}
}
