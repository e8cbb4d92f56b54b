// Package apptest starts a whole fieldcheck for tests: the app on a fresh
// database of the test store (a real MongoDB wire server, see mongotest),
// optionally with the demo county seeded.
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

// SeedDemo seeds the demo county with about targets targets, generated as
// of now.
func SeedDemo(tb testing.TB, m *app.Main, targets int, now time.Time) {
	tb.Helper()
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	if _, err := demo.Seed(sys, m.DemoStores(), demo.GenerateAt(demo.DefaultSeed, targets, now)); err != nil {
		tb.Fatal(err)
	}
}
