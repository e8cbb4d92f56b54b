package api_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
)

func TestAuditHeadAPI(t *testing.T) {
	e := newEnv(t)
	today := backend.AuditDay(e.m.Config.Now())
	e.run(t, []scenario{
		{Name: "OK/Head", Method: "GET", URL: "/public/audit/head", WantStatus: 200, WantContent: []string{`"version":"fc-audit-head-1"`, `"log":"http://localhost"`, `"signature":"`}},
		{Name: "OK/Checkpoints", Method: "GET", URL: "/public/audit/checkpoints", WantStatus: 200, WantContent: []string{`"items":[{"date":"` + today + `"`}},
		{Name: "OK/CheckpointsLimit", Method: "GET", URL: "/public/audit/checkpoints?limit=366", WantStatus: 200, WantContent: []string{today}},
		{Name: "OK/Checkpoint", Method: "GET", URL: "/public/audit/checkpoints/" + today, WantStatus: 200, WantContent: []string{`"date":"` + today + `"`, `"kid":"`},
			After: func(t *testing.T, r *apptest.Response) {
				if got, want := r.Header.Get("Cache-Control"), "public, max-age=3600"; got != want {
					t.Fatalf("Cache-Control=%q, want %q: a checkpoint never changes", got, want)
				}
			}},
		{Name: "OK/CheckpointMadeOnce", Method: "GET", URL: "/public/audit/checkpoints", WantStatus: 200,
			Before: func(t *testing.T) {
				if _, made, err := e.m.AuditHeads.Checkpoint(context.Background()); err != nil || made {
					t.Fatalf("Checkpoint: made=%v err=%v; want today's, made by the first request", made, err)
				}
			},
			After: func(t *testing.T, r *apptest.Response) {
				var list struct{ Items []backend.AuditCheckpoint }
				r.JSON(t, &list)
				if len(list.Items) != 1 || list.Items[0].Date != today {
					t.Fatalf("checkpoints %s, want today's alone", r.Body)
				}
			}},
		{Name: "OK/Keys", Method: "GET", URL: "/public/audit/keys", WantStatus: 200, WantContent: []string{`"alg":"Ed25519"`, `"status":"current"`}},
		{Name: "ErrCheckpointMissing", Method: "GET", URL: "/public/audit/checkpoints/2001-01-01", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrCheckpointDate", Method: "GET", URL: "/public/audit/checkpoints/yesterday", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrLimitTooLarge", Method: "GET", URL: "/public/audit/checkpoints?limit=367", WantStatus: 400, WantCode: "invalid", WantContent: []string{"366"}},
		{Name: "ErrLimitNotNumber", Method: "GET", URL: "/public/audit/checkpoints?limit=all", WantStatus: 400, WantCode: "invalid"},
	})
}

// What is published verifies with what is published: the head and the
// day's checkpoint with the key set's key of their kid; the head is
// cacheable for seconds only.
func TestAuditHeadPublishedVerifies(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/public/audit/head", "", "", nil)
	if r.Status != 200 {
		t.Fatalf("head: status=%d, want 200", r.Status)
	}
	if got, want := r.Header.Get("Cache-Control"), "public, max-age=10"; got != want {
		t.Fatalf("Cache-Control=%q, want %q", got, want)
	}
	var head backend.SignedAuditHead
	r.JSON(t, &head)
	var keys api.AuditKeySet
	e.do("GET", "/public/audit/keys", "", "", nil).JSON(t, &keys)
	pub := func(kid string) ed25519.PublicKey {
		for _, k := range keys.Keys {
			if k.ID == kid {
				b, err := base64.RawURLEncoding.DecodeString(k.Key)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		t.Fatalf("kid %s is not in the published key set %+v", kid, keys)
		return nil
	}
	if err := head.Verify(pub(head.KeyID)); err != nil {
		t.Fatalf("published head: %v", err)
	}
	// The first request of the day made the checkpoint, recorded after the
	// setup's entries; the head read after it includes that record.
	var cp backend.AuditCheckpoint
	e.do("GET", "/public/audit/checkpoints/"+backend.AuditDay(head.Time), "", "", nil).JSON(t, &cp)
	if err := cp.Verify(pub(cp.KeyID)); err != nil {
		t.Fatalf("published checkpoint: %v", err)
	}
	if head.Seq != cp.Seq+1 {
		t.Fatalf("head at %d, checkpoint at %d: want the head one entry (the checkpoint's record) ahead", head.Seq, cp.Seq)
	}
	if p, err := e.m.Audit.CheckHead(context.Background(), &cp, nil, pub(cp.KeyID)); p != nil || err != nil {
		t.Fatalf("CheckHead of the published checkpoint: %v, %v", p, err)
	}
}
