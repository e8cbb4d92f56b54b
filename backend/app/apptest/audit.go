package apptest

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// RechainAudit does what someone with write access to the database and
// this source can: it edits audit entry from with edit, recomputes the
// hashes of that entry and every one after it, and moves the head to the
// new last hash. The log is then intact in itself; only a head kept
// elsewhere (--expect, a saved signed head) shows the rewrite. edit may
// change the entry's actor, the only field rewritten besides the hashes.
func RechainAudit(tb testing.TB, db *mongo.DB, from int64, edit func(*backend.AuditEntry)) {
	tb.Helper()
	ctx := context.Background()
	var all []*backend.AuditEntry
	err := (&mongo.AuditStore{DB: db}).ScanAudit(ctx, func(e *backend.AuditEntry) error { c := *e; all = append(all, &c); return nil })
	if err != nil {
		tb.Fatal(err)
	}
	if len(all) == 0 {
		tb.Fatal("RechainAudit: the audit log is empty")
	}
	coll := db.Database.Collection("audit")
	prev := ""
	for _, e := range all {
		if e.Seq == from {
			edit(e)
		}
		if e.Seq >= from {
			e.PrevHash = prev
			e.Hash = e.ComputeHash()
			set := bson.D{{Key: "actor", Value: e.Actor}, {Key: "prevHash", Value: e.PrevHash}, {Key: "hash", Value: e.Hash}}
			if _, err := coll.UpdateOne(ctx, bson.D{{Key: "seq", Value: e.Seq}}, bson.D{{Key: "$set", Value: set}}); err != nil {
				tb.Fatal(err)
			}
		}
		prev = e.Hash
	}
	SetAuditHead(tb, db, all[len(all)-1])
}

// SetAuditHead moves the audit head to entry e, as someone cutting the log
// short or rechaining it does.
func SetAuditHead(tb testing.TB, db *mongo.DB, e *backend.AuditEntry) {
	tb.Helper()
	set := bson.D{{Key: "seq", Value: e.Seq}, {Key: "hash", Value: e.Hash}}
	if _, err := db.Database.Collection("audit_head").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: "head"}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		tb.Fatal(err)
	}
}
