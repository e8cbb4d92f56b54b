// Package mongotest gives tests a real store: an embedded FerretDB started
// once per test binary in a temporary directory, or the MongoDB named by
// TEST_MONGODB_URI when that is set. Every call to Open gets a database of
// its own, dropped when the test ends, so tests never see each other's data.
package mongotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/embedded"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

var (
	once     sync.Once
	uri      string
	server   *embedded.Server
	dataDir  string
	startErr error
)

// URI returns the address of the test store, starting the embedded one on
// first use.
func URI(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		if u := os.Getenv("TEST_MONGODB_URI"); u != "" {
			uri = u
			return
		}
		dataDir, startErr = os.MkdirTemp("", "fieldcheck-test-*")
		if startErr != nil {
			return
		}
		server, startErr = embedded.Start(dataDir, nil)
		if startErr == nil {
			uri = server.URI()
		}
	})
	if startErr != nil {
		tb.Fatalf("start test store: %v", startErr)
	}
	return uri
}

// Main runs the tests of a package and then stops the embedded store and
// removes its directory. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if server != nil {
		_ = server.Close()
	}
	if dataDir != "" {
		_ = os.RemoveAll(dataDir)
	}
	os.Exit(code)
}

// DatabaseName returns a fresh, unique database name.
func DatabaseName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "test_" + hex.EncodeToString(b)
}

// Open connects to a fresh database with indexes created, dropped again when
// the test ends.
func Open(tb testing.TB) *mongo.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := mongo.Open(ctx, URI(tb), DatabaseName())
	if err != nil {
		tb.Fatalf("open test store: %v", err)
	}
	if err := db.EnsureIndexes(ctx); err != nil {
		tb.Fatalf("create indexes: %v", err)
	}
	if server != nil {
		if _, err := server.AddIDIndexes(ctx); err != nil {
			tb.Fatalf("add _id indexes: %v", err)
		}
		// As in production: the embedded store has one writer, this process.
		db.SingleProcess = true
		db.ScanJSON = scanJSON(db.Database.Name())
		db.FindJSON = findJSON(db.Database.Name())
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := db.Database.Drop(ctx); err != nil {
			tb.Logf("drop test database: %v", err)
		}
		_ = db.Close()
	})
	return db
}

// String describes where the test store is, for test logs.
func String() string {
	if os.Getenv("TEST_MONGODB_URI") != "" {
		return "MongoDB at TEST_MONGODB_URI"
	}
	return fmt.Sprintf("embedded FerretDB in %s", dataDir)
}

// Adopt gives a database opened by other code (app.Open with URI) what the
// embedded store gets in production: _id indexes on its tables and the
// single-process mode with its in-memory indexes. Without it, every lookup
// by _id in such a test scans its table. It does nothing on a MongoDB.
func Adopt(tb testing.TB, db *mongo.DB) {
	tb.Helper()
	if server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	IndexIDs(tb)
	db.SingleProcess = true
	db.ScanJSON = scanJSON(db.Database.Name())
	db.FindJSON = findJSON(db.Database.Name())
	if err := db.WarmTargetIndex(ctx); err != nil {
		tb.Fatalf("warm the target index: %v", err)
	}
	if err := db.WarmTaskIndex(ctx); err != nil {
		tb.Fatalf("warm the task index: %v", err)
	}
}

// IndexIDs gives every table of the embedded test store the _id index the
// embedded store gets in production, without the single-process mode:
// for databases that several app.Main share (apptest.OpenInstances). It
// does nothing on a MongoDB.
func IndexIDs(tb testing.TB) {
	tb.Helper()
	if server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := server.AddIDIndexes(ctx); err != nil {
		tb.Fatalf("add _id indexes: %v", err)
	}
}

// scanJSON is the embedded test store's fast read of a database, as the
// app gives it in production.
func scanJSON(name string) func(context.Context, string, []string, func([]byte) error) error {
	return func(ctx context.Context, coll string, fields []string, fn func([]byte) error) error {
		return server.ScanJSON(ctx, name, coll, fields, fn)
	}
}

func findJSON(name string) func(context.Context, string, string) ([]byte, error) {
	return func(ctx context.Context, coll, id string) ([]byte, error) {
		return server.FindJSON(ctx, name, coll, id)
	}
}
