package mongo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/audittest"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestAuditBigBatchAfterAnotherInstance: a log whose head is stale
// (another instance appended since) appends a batch of 1,000 entries, as an
// import batch's outbox does. FerretDB goes on inserting after a failed
// piece of 100 of an ordered insert; unless the entries are sent in pieces
// that stop, entries chained after a stale head were stored past the one
// refused, and the append ended "too busy" with the chain broken.
func TestAuditBigBatchAfterAnotherInstance(t *testing.T) {
	db := mongotest.Open(t)
	a := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}}
	b := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}}
	ctx := context.Background()
	const rounds, size = 3, 1000
	for round := range rounds {
		es := make([]backend.AuditEntry, size)
		for i := range es {
			es[i] = backend.NewAuditEntry(ctx, time.Now(), backend.AuditRecord{Action: "target.update", ObjectType: "target",
				ObjectID: fmt.Sprint(i), Key: backend.AuditKey("target", fmt.Sprint(i), int64(round+2))})
		}
		if err := a.AppendEntries(ctx, es); err != nil {
			t.Fatalf("round %d: batch of %d after another instance's entry: %v", round, size, err)
		}
		if _, err := b.Append(ctx, backend.AuditRecord{Action: "other.instance", ObjectType: "x", ObjectID: "y"}); err != nil {
			t.Fatal(err)
		}
	}
	got := audittest.Count(t, a, audittest.ByAction) // verifies the chain
	if got["target.update"] != rounds*size || got["other.instance"] != rounds {
		t.Fatalf("entries by action %v, want %d target.update and %d other.instance", got, rounds*size, rounds)
	}
}
