package backend_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// The vectors of testdata/audit/head.json are what an outsider's verifier
// is checked against: the bytes signed, the signature (Ed25519 is
// deterministic, so signing again gives it) and the refusals.
func TestAuditHeadVectors(t *testing.T) {
	data, err := os.ReadFile("../testdata/audit/head.json")
	if err != nil {
		t.Fatal(err)
	}
	type testCase struct {
		Name        string                  `json:"name"`
		Reason      string                  `json:"reason"`
		Checkpoint  backend.AuditCheckpoint `json:"checkpoint"`
		SignedBytes string                  `json:"signedBytes"`
	}
	var v struct {
		Seed      string     `json:"seed"`
		PublicKey string     `json:"publicKey"`
		Valid     []testCase `json:"valid"`
		Invalid   []testCase `json:"invalid"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	seed, err := hex.DecodeString(v.Seed)
	if err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub, err := base64.RawURLEncoding.DecodeString(v.PublicKey)
	if err != nil || !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(pub)) {
		t.Fatalf("publicKey %s is not the seed's (%v)", v.PublicKey, err)
	}
	if len(v.Valid) == 0 || len(v.Invalid) == 0 {
		t.Fatalf("%d valid and %d invalid vectors, want some of each", len(v.Valid), len(v.Invalid))
	}
	for _, tc := range v.Valid {
		t.Run("OK/"+tc.Name, func(t *testing.T) {
			c := tc.Checkpoint
			if got := string(c.SignedBytes()); got != tc.SignedBytes {
				t.Fatalf("SignedBytes()=%q, want %q", got, tc.SignedBytes)
			}
			if err := c.Verify(pub); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			again := c.SignedAuditHead
			again.Sign(c.KeyID, priv)
			if again.Signature != c.Signature {
				t.Fatalf("signed again: %s, want %s", again.Signature, c.Signature)
			}
		})
	}
	for _, tc := range v.Invalid {
		t.Run("Err/"+tc.Name, func(t *testing.T) {
			err := tc.Checkpoint.Verify(pub)
			if !backend.IsCode(err, backend.EINVALID) || !strings.Contains(err.Error(), tc.Reason) {
				t.Fatalf("Verify: %v, want EINVALID saying %q", err, tc.Reason)
			}
		})
	}
}

// fixedAuditKey is an audit ring of one key.
type fixedAuditKey struct {
	kid  string
	priv ed25519.PrivateKey
}

func newFixedAuditKey() fixedAuditKey {
	return fixedAuditKey{kid: "00000000000000aa", priv: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))}
}

func (k fixedAuditKey) AuditSigner(context.Context) (string, ed25519.PrivateKey, error) {
	return k.kid, k.priv, nil
}

func (k fixedAuditKey) AuditPublicKey(_ context.Context, kid string, _ time.Time) (ed25519.PublicKey, error) {
	if kid != k.kid {
		return nil, nil
	}
	return k.priv.Public().(ed25519.PublicKey), nil
}

// newAuditHeads returns n instances' AuditHeads on one store and clock.
func newAuditHeads(t *testing.T, n int, clock *clocktest.Clock) ([]*backend.AuditHeads, *mongo.DB) {
	t.Helper()
	db := mongotest.Open(t)
	out := make([]*backend.AuditHeads, n)
	for i := range out {
		log := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: clock.Now}
		out[i] = &backend.AuditHeads{Log: log, Checkpoints: &mongo.AuditCheckpointStore{DB: db}, Keys: newFixedAuditKey(), LogID: "http://fc.test", Now: clock.Now}
	}
	return out, db
}

func TestAuditHeadSigned(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 14, 1, 2, 3, 456789e3, time.UTC))
	hs, _ := newAuditHeads(t, 1, clock)
	h := hs[0]
	ctx := context.Background()
	empty, err := h.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if empty.Seq != 0 || empty.Hash != "" {
		t.Fatalf("head of the empty log: seq %d hash %q", empty.Seq, empty.Hash)
	}
	appendN(t, h.Log, 3)
	head, err := h.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last, err := h.Log.Store.FindAuditEntry(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := backend.SignedAuditHead{Version: backend.AuditHeadVersion, Log: "http://fc.test", Seq: 3, Hash: last.Hash,
		Time: time.Date(2026, 3, 14, 1, 2, 3, 456e6, time.UTC), KeyID: "00000000000000aa", Signature: head.Signature}
	if *head != want {
		t.Fatalf("head %+v, want %+v", head, want)
	}
	for _, k := range []struct {
		name string
		key  ed25519.PublicKey
		ok   bool
	}{
		{"OK", newFixedAuditKey().priv.Public().(ed25519.PublicKey), true},
		{"ErrOtherKey", ed25519.NewKeyFromSeed([]byte("another seed of thirty-two bytes")).Public().(ed25519.PublicKey), false},
	} {
		t.Run(k.name, func(t *testing.T) {
			if err := head.Verify(k.key); (err == nil) != k.ok {
				t.Fatalf("Verify: %v, want ok=%v", err, k.ok)
			}
		})
	}
}

func TestAuditCheckpointDaily(t *testing.T) {
	// 23:59:59 in Asia/Shanghai on 14 March.
	clock := clocktest.New(time.Date(2026, 3, 14, 15, 59, 59, 0, time.UTC))
	hs, _ := newAuditHeads(t, 2, clock)
	ctx := context.Background()
	appendN(t, hs[0].Log, 2)

	first, made, err := hs[0].Checkpoint(ctx)
	if err != nil || !made {
		t.Fatalf("first Checkpoint: made=%v err=%v, want made", made, err)
	}
	if first.Date != "2026-03-14" || first.Seq != 2 {
		t.Fatalf("checkpoint of %s at seq %d, want 2026-03-14 at 2", first.Date, first.Seq)
	}
	// It is recorded in the chain, after the head it signed.
	e, err := hs[0].Log.Store.FindAuditEntry(ctx, 3)
	if err != nil || e.Action != "audit.checkpoint" || e.ObjectID != "2026-03-14" {
		t.Fatalf("entry 3 = %+v, %v; want the checkpoint recorded", e, err)
	}
	// The other instance, and a later request the same day, get the same.
	again, made, err := hs[1].Checkpoint(ctx)
	if err != nil || made || *again != *first {
		t.Fatalf("second Checkpoint = %+v made=%v err=%v, want the first unchanged", again, made, err)
	}
	clock.Advance(time.Second) // midnight in Asia/Shanghai
	next, made, err := hs[1].Checkpoint(ctx)
	if err != nil || !made || next.Date != "2026-03-15" || next.Seq != 3 {
		t.Fatalf("next day's Checkpoint = %+v made=%v err=%v, want 2026-03-15 at seq 3", next, made, err)
	}
	if err := hs[0].EnsureCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := hs[0].ListCheckpoints(ctx, 0)
	if err != nil || len(list) != 2 || list[0].Date != "2026-03-15" || list[1].Date != "2026-03-14" {
		t.Fatalf("ListCheckpoints = %v, %v; want the two days, newest first", list, err)
	}
	for _, c := range list {
		if err := c.Verify(newFixedAuditKey().priv.Public().(ed25519.PublicKey)); err != nil {
			t.Fatalf("checkpoint %s: %v", c.Date, err)
		}
	}
	got, err := hs[1].FindCheckpoint(ctx, "2026-03-14")
	if err != nil || *got != *first {
		t.Fatalf("FindCheckpoint = %+v, %v; want the first", got, err)
	}
}

// Several instances making the day's checkpoint at once agree on one: the
// first stored, recorded once.
func TestAuditCheckpointRace(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 14, 2, 0, 0, 0, time.UTC))
	const n = 4
	hs, db := newAuditHeads(t, n, clock)
	ctx := context.Background()
	got := make([]*backend.AuditCheckpoint, n)
	mades := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, h := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], mades[i], errs[i] = h.Checkpoint(ctx)
		}()
	}
	wg.Wait()
	made := 0
	for i := range hs {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		if *got[i] != *got[0] {
			t.Fatalf("instance %d got %+v, instance 0 %+v", i, got[i], got[0])
		}
		if mades[i] {
			made++
		}
	}
	if made != 1 {
		t.Fatalf("%d instances say they made the checkpoint, want 1", made)
	}
	count, err := db.Database.Collection("audit").CountDocuments(ctx, bson.D{{Key: "action", Value: "audit.checkpoint"}})
	if err != nil || count != 1 {
		t.Fatalf("%d checkpoint entries in the log (%v), want 1", count, err)
	}
}

func TestAuditCheckpointQueries(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 14, 2, 0, 0, 0, time.UTC))
	hs, _ := newAuditHeads(t, 1, clock)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"ErrDateMalformed", func() error { _, err := hs[0].FindCheckpoint(ctx, "2026-3-14"); return err }, backend.EINVALID},
		{"ErrDateImpossible", func() error { _, err := hs[0].FindCheckpoint(ctx, "2026-02-30"); return err }, backend.EINVALID},
		{"ErrNotFound", func() error { _, err := hs[0].FindCheckpoint(ctx, "2026-03-13"); return err }, backend.ENOTFOUND},
		{"ErrLimitTooLarge", func() error { _, err := hs[0].ListCheckpoints(ctx, backend.MaxCheckpointList+1); return err }, backend.EINVALID},
		{"ErrLimitNegative", func() error { _, err := hs[0].ListCheckpoints(ctx, -1); return err }, backend.EINVALID},
		{"OK/LimitMax", func() error { _, err := hs[0].ListCheckpoints(ctx, backend.MaxCheckpointList); return err }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.code == "" && err != nil || tc.code != "" && !backend.IsCode(err, tc.code) {
				t.Fatalf("err=%v, want code %q", err, tc.code)
			}
		})
	}
}

// A head saved before stands while the log is untouched; once the log is
// rewritten and rechained it no longer matches, though the log is intact
// in itself; a head whose signature fails is refused before the log is read.
func TestAuditCheckHead(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 14, 2, 0, 0, 0, time.UTC))
	hs, db := newAuditHeads(t, 1, clock)
	h := hs[0]
	ctx := context.Background()
	appendN(t, h.Log, 4)
	saved, _, err := h.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := newFixedAuditKey()
	if p, err := h.Log.CheckHead(ctx, saved, keys, nil); p != nil || err != nil {
		t.Fatalf("CheckHead on the untouched log: %v, %v", p, err)
	}
	forged := *saved
	forged.Seq = 3
	if _, err := h.Log.CheckHead(ctx, &forged, keys, nil); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("CheckHead of an altered head: %v, want EINVALID", err)
	}
	unknown := *saved
	unknown.KeyID = "00000000000000bb"
	if _, err := h.Log.CheckHead(ctx, &unknown, keys, nil); !backend.IsCode(err, backend.EINVALID) || !strings.Contains(err.Error(), "does not know") {
		t.Fatalf("CheckHead naming an unknown key: %v, want EINVALID", err)
	}

	apptest.RechainAudit(t, db, 2, func(e *backend.AuditEntry) { e.Actor = "mallory" })
	if _, problem, err := h.Log.Check(ctx); problem != nil || err != nil {
		t.Fatalf("the rechained log is intact in itself: Check = %v, %v", problem, err)
	}
	p, err := h.Log.CheckHead(ctx, saved, keys, nil)
	if err != nil || p == nil || !strings.Contains(p.Reason, "rewritten") {
		t.Fatalf("CheckHead after the rewrite: %v, %v; want the rewrite found", p, err)
	}
}
