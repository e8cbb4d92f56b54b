// Package apptest is the test toolkit of fieldcheck: it starts a whole
// fieldcheck on a fresh database of the test store (a real MongoDB wire
// server, see mongotest), optionally with the demo county seeded, and
// talks to it as the tests' clients do.
//
//   - Main is the TestMain of a package that uses the test store.
//   - Open, OpenInstances and SeedDemo build the app (one or several
//     instances on one database).
//   - Send and NewRequest run one request in process; every answer is
//     checked against the OpenAPI documents. Scenario and Run are the
//     table-driven form (PocketBase's tests.ApiScenario): name, request,
//     user, expected status, error code and body contents, before and
//     after hooks.
//   - PhoneLogin, MustPhoneLogin and TestPhone log a phone in on the
//     mobile API with its device.
//   - Listen, ServeOn and Serve serve the app on a loopback port, for
//     clients that need a real connection.
//   - RechainAudit and SetAuditHead rewrite the audit log as someone with
//     database access can, for the tests that must catch it.
//
// Clocks are backend/clocktest's.
package apptest

import (
	"context"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// Open builds fieldcheck on a fresh database, dropped when the test ends.
// baseURL is the prefix of printed codes ("" for the default).
func Open(tb testing.TB, baseURL string) *app.Main {
	tb.Helper()
	m, err := app.Open(context.Background(), app.Config{MongoURI: mongotest.URI(tb), Database: mongotest.DatabaseName(), BaseURL: baseURL})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = m.DB.Database.Drop(context.Background())
		m.Close()
	})
	mongotest.Adopt(tb, m.DB)
	return m
}

// OpenInstances builds n fieldchecks on one fresh database, as n server
// instances behind a load balancer share one MongoDB: none of them keeps
// in-memory indexes of its own (the single-process mode of the embedded
// store would let one answer from what only it saw). On the embedded test
// store they are in one process, so they share its FerretDB locks and its
// writer lease. The database is dropped when the test ends.
func OpenInstances(tb testing.TB, n int, baseURL string) []*app.Main {
	tb.Helper()
	name := mongotest.DatabaseName()
	ms := make([]*app.Main, n)
	for i := range ms {
		m, err := app.Open(context.Background(), app.Config{MongoURI: mongotest.URI(tb), Database: name, BaseURL: baseURL})
		if err != nil {
			tb.Fatal(err)
		}
		ms[i] = m
	}
	tb.Cleanup(func() {
		_ = ms[0].DB.Database.Drop(context.Background())
		for _, m := range ms {
			m.Close()
		}
	})
	mongotest.IndexIDs(tb)
	return ms
}

// SeedDemo seeds the demo county with about targets targets, generated as
// of now.
func SeedDemo(tb testing.TB, m *app.Main, targets int, now time.Time) {
	tb.Helper()
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	if _, err := demo.Seed(sys, m.DemoStores(), demo.GenerateAt(demo.DefaultSeed, targets, now)); err != nil {
		tb.Fatal(err)
	}
}

// OpenLastYear is a fieldcheck with the demo county (300 targets, as of
// now) and the demo's last year: its plan closed, its results published,
// withheld and left overdue (demo.SeedLastYear).
func OpenLastYear(tb testing.TB, now time.Time) (*app.Main, *demo.LastYearSummary) {
	tb.Helper()
	m := Open(tb, "")
	SeedDemo(tb, m, 300, now)
	sum, err := demo.SeedLastYear(context.Background(), m.Planning, now)
	if err != nil {
		tb.Fatal(err)
	}
	return m, sum
}

// Reopen builds another fieldcheck on m's database, as a server restarted
// on the same data does; it is closed when the test ends.
func Reopen(tb testing.TB, m *app.Main) *app.Main {
	tb.Helper()
	again, err := app.Open(context.Background(), app.Config{MongoURI: m.Config.MongoURI, Database: m.Config.Database, BaseURL: m.Config.BaseURL})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { again.Close() })
	return again
}

// OfficerLogins gives every officer of the departments depts a login of
// role inspector with the demo password (demo.DemoPassword), as their
// phones need: the demo seeds logins for some officers only.
func OfficerLogins(t testing.TB, m *app.Main, depts []string) {
	t.Helper()
	ctx := context.Background()
	sys := backend.WithActor(ctx, backend.SystemActor("test"))
	res, err := m.Stores.Inspectors.FindInspectors(ctx, backend.InspectorFilter{DepartmentIDs: depts}, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range res.Items {
		if in.UserID != "" {
			continue
		}
		u := &backend.User{ID: in.ID, DisplayName: in.Name, Role: backend.RoleInspector, Departments: []string{in.DepartmentID}}
		if err := m.Users.CreateUser(sys, u, demo.DemoPassword(u.ID)); err != nil {
			t.Fatal(err)
		}
		in.UserID = u.ID
		if err := m.Directory.UpdateInspector(sys, in); err != nil {
			t.Fatal(err)
		}
	}
}
