package mongo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// openAgain opens another DB on db's database, as a second app.Main of
// this process would.
func openAgain(t *testing.T, db *mongo.DB) *mongo.DB {
	t.Helper()
	other, err := mongo.Open(context.Background(), mongotest.URI(t), db.Database.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	return other
}

// putLease writes the writer lease as another process would.
func putLease(t *testing.T, db *mongo.DB, holder string, renewed time.Time) {
	t.Helper()
	_, err := db.Database.Collection("leases").ReplaceOne(context.Background(), bson.D{{Key: "_id", Value: "writer"}},
		bson.D{{Key: "_id", Value: "writer"}, {Key: "holder", Value: holder}, {Key: "host", Value: "fc-other"}, {Key: "pid", Value: 4242},
			{Key: "since", Value: renewed}, {Key: "renewedAt", Value: renewed}, {Key: "expiresAt", Value: renewed.Add(mongo.LeaseTTL)}},
		options.Replace().SetUpsert(true))
	if err != nil {
		t.Fatal(err)
	}
}

func leaseHolder(t *testing.T, db *mongo.DB) string {
	t.Helper()
	var l struct{ Holder string }
	err := db.Database.Collection("leases").FindOne(context.Background(), bson.D{{Key: "_id", Value: "writer"}}).Decode(&l)
	if err != nil {
		return ""
	}
	return l.Holder
}

// Issue 13, part 4: the striped locks of FerretDB's conditional updates
// are safe only with one process. DBs of one process share them; a second
// process is refused with a message naming the first.
func TestWriterLease(t *testing.T) {
	ctx := context.Background()
	db := mongotest.Open(t)
	if !db.IsFerretDB() {
		if err := db.HoldWriterLease(ctx, false); err != nil || db.LeaseLost() != nil {
			t.Fatalf("on MongoDB: %v, %v; want no lease at all", err, db.LeaseLost())
		}
		t.Skip("the writer lease guards FerretDB only")
	}
	t.Run("OKSameProcessSharesLocks", func(t *testing.T) {
		a := mongotest.Open(t)
		b := openAgain(t, a)
		if !mongo.SameLocks(a, b) {
			t.Fatal("two DBs of one process on one database have locks of their own")
		}
		if mongo.SameLocks(a, db) {
			t.Fatal("DBs of two databases share their locks")
		}
		if err := a.HoldWriterLease(ctx, false); err != nil {
			t.Fatal(err)
		}
		if err := b.HoldWriterLease(ctx, false); err != nil {
			t.Fatalf("second DB of the same process: %v", err)
		}
		_ = b.Close()
		if got := leaseHolder(t, a); got != mongo.LeaseHolder() {
			t.Fatalf("after one of two DBs closed the lease is held by %q, want this process", got)
		}
	})
	t.Run("ErrOtherProcess", func(t *testing.T) {
		a := mongotest.Open(t)
		putLease(t, a, "another-process", time.Now().UTC())
		err := a.HoldWriterLease(ctx, false)
		if backend.ErrorCode(err) != backend.ECONFLICT || !strings.Contains(backend.ErrorMessage(err), "pid 4242 on fc-other") ||
			!strings.Contains(backend.ErrorMessage(err), "use MongoDB to run several instances") {
			t.Fatalf("HoldWriterLease with another process's lease: %v", err)
		}
		if got := leaseHolder(t, a); got != "another-process" {
			t.Fatalf("refused, yet the lease is now %q's", got)
		}
	})
	t.Run("OKExpiredLeaseTaken", func(t *testing.T) {
		a := mongotest.Open(t)
		putLease(t, a, "a-dead-process", time.Now().UTC().Add(-mongo.LeaseTTL-time.Second))
		if err := a.HoldWriterLease(ctx, false); err != nil {
			t.Fatalf("HoldWriterLease over an expired lease: %v", err)
		}
		if got := leaseHolder(t, a); got != mongo.LeaseHolder() {
			t.Fatalf("lease held by %q, want this process", got)
		}
		if mongo.RenewLeaseNow(a) {
			t.Fatal("renewing a lease this process holds found it lost")
		}
	})
	t.Run("OKEmbeddedOwnerTakesOver", func(t *testing.T) {
		a := mongotest.Open(t)
		putLease(t, a, "the-killed-server", time.Now().UTC())
		if err := a.HoldWriterLease(ctx, true); err != nil {
			t.Fatalf("take over: %v", err)
		}
		if got := leaseHolder(t, a); got != mongo.LeaseHolder() {
			t.Fatalf("lease held by %q, want this process", got)
		}
	})
	t.Run("OKReleasedAtClose", func(t *testing.T) {
		a := mongotest.Open(t)
		b := openAgain(t, a)
		if err := b.HoldWriterLease(ctx, false); err != nil {
			t.Fatal(err)
		}
		_ = b.Close()
		if got := leaseHolder(t, a); got != "" {
			t.Fatalf("after Close the lease is %q's, want none: a second process would wait for it to lapse", got)
		}
	})
	t.Run("ErrLost", func(t *testing.T) {
		a := mongotest.Open(t)
		b := openAgain(t, a)
		if err := b.HoldWriterLease(ctx, false); err != nil {
			t.Fatal(err)
		}
		putLease(t, a, "a-process-that-took-it", time.Now().UTC())
		if !mongo.RenewLeaseNow(b) {
			t.Fatal("renewal did not notice another holder")
		}
		select {
		case <-b.LeaseLost():
		default:
			t.Fatal("LeaseLost not closed")
		}
	})
}
