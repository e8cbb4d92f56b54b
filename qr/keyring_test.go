package qr_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/qr"
)

func TestKeyringBootstrap(t *testing.T) {
	e := newEnv(t)
	// A second instance finds the key the first one made and makes none.
	e.NewRing(t, "second")
	keys, err := e.Ring.Keys(context.Background())
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	if len(keys) != 1 {
		t.Fatalf("keys=%d, want 1", len(keys))
	}
	k := keys[0]
	if len(k.ID) != qr.KeyIDLen || k.Algorithm != qr.AlgEd25519 || k.Status != qr.KeyCurrent || !k.ActivatedAt.Equal(start) {
		t.Fatalf("key=%+v, want a current Ed25519 key with an %d-character kid activated at %v", k, qr.KeyIDLen, start)
	}
}

func TestKeyringRotateAndRetire(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u1, u2 := uscc(t, 1), uscc(t, 2)
	old := MustSignEnterprise(t, e.Ring, u1)
	oldToken := MustSignInspection(t, e.Ring, "task-1", 10*time.Minute)

	e.Clock.Advance(time.Second)
	kid, err := e.Ring.Rotate(ctx, time.Time{})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if kid == old.KeyID {
		t.Fatalf("Rotate returned the old kid %s", kid)
	}
	fresh := MustSignEnterprise(t, e.Ring, u2)
	if fresh.KeyID != kid {
		t.Fatalf("new code kid=%s, want the rotated key %s", fresh.KeyID, kid)
	}
	// Old codes keep verifying until their key is retired.
	for _, c := range []*qr.EnterpriseCode{old, fresh} {
		if _, err := e.Ring.VerifyEnterpriseCode(ctx, c.String()); err != nil {
			t.Fatalf("verify %s before retirement: %v", c.KeyID, err)
		}
	}
	if _, err := e.Ring.VerifyInspectionToken(ctx, oldToken.URL()); err != nil {
		t.Fatalf("verify old inspection code: %v", err)
	}

	t.Run("ErrRetireCurrent", func(t *testing.T) {
		err := e.Ring.Retire(ctx, kid)
		if got := backend.ErrorCode(err); got != backend.EINVALID {
			t.Fatalf("Retire(current): code=%q (err=%v), want %q", got, err, backend.EINVALID)
		}
	})
	t.Run("ErrRetireUnknown", func(t *testing.T) {
		err := e.Ring.Retire(ctx, "AAAAAAAA")
		if got := backend.ErrorCode(err); got != backend.ENOTFOUND {
			t.Fatalf("Retire(unknown): code=%q (err=%v), want %q", got, err, backend.ENOTFOUND)
		}
	})

	e.Clock.Advance(time.Minute)
	if err := e.Ring.Retire(ctx, old.KeyID); err != nil {
		t.Fatalf("Retire: %v", err)
	}
	_, err = e.Ring.VerifyEnterpriseCode(ctx, old.String())
	wantReason(t, "code of the retired key", err, qr.ReasonRetiredKey)
	_, err = e.Ring.VerifyInspectionToken(ctx, oldToken.URL())
	wantReason(t, "inspection code of the retired key", err, qr.ReasonRetiredKey)
	if _, err := e.Ring.VerifyEnterpriseCode(ctx, fresh.String()); err != nil {
		t.Fatalf("verify the current key's code after retiring the old one: %v", err)
	}

	// Another instance, loading afterwards, agrees.
	other := e.NewRing(t, "other")
	_, err = other.VerifyEnterpriseCode(ctx, old.String())
	wantReason(t, "retired key on another instance", err, qr.ReasonRetiredKey)

	keys, err := e.Ring.Keys(ctx)
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	got := map[string]qr.KeyStatus{}
	for _, k := range keys {
		got[k.ID] = k.Status
	}
	want := map[string]qr.KeyStatus{kid: qr.KeyCurrent, old.KeyID: qr.KeyRetired}
	if len(got) != len(want) || got[kid] != want[kid] || got[old.KeyID] != want[old.KeyID] {
		t.Fatalf("statuses=%v, want %v", got, want)
	}
	if keys[0].ID != kid {
		t.Fatalf("Keys()[0]=%s, want the newest key %s first", keys[0].ID, kid)
	}
}

// A key rotated in ahead of time is published at once and signs from its
// activation: offline apps learn it before any code carries it.
func TestKeyringRotateAhead(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := MustSignEnterprise(t, e.Ring, uscc(t, 1)).KeyID
	next, err := e.Ring.Rotate(ctx, start.Add(72*time.Hour))
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	set, err := e.Ring.PublicKeySet(ctx)
	if err != nil {
		t.Fatalf("PublicKeySet: %v", err)
	}
	status := map[string]qr.KeyStatus{}
	for _, k := range set.Keys {
		status[k.ID] = k.Status
	}
	if status[next] != qr.KeyNext || status[first] != qr.KeyCurrent {
		t.Fatalf("statuses=%v, want %s next and %s current", status, next, first)
	}
	if got := MustSignEnterprise(t, e.Ring, uscc(t, 2)).KeyID; got != first {
		t.Fatalf("kid before activation=%s, want %s", got, first)
	}
	e.Clock.Advance(72 * time.Hour)
	if got := MustSignEnterprise(t, e.Ring, uscc(t, 3)).KeyID; got != next {
		t.Fatalf("kid after activation=%s, want %s", got, next)
	}
	e.Clock.Advance(time.Second)
	third, err := e.Ring.Rotate(ctx, time.Time{})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if got := MustSignEnterprise(t, e.Ring, uscc(t, 4)).KeyID; got != third {
		t.Fatalf("kid after the second rotation=%s, want %s", got, third)
	}
}

// An instance that has not seen a rotation reloads for the unknown kid,
// but a flood of made-up kids costs at most one store read per MinReload.
func TestKeyringUnknownKeyReload(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.Ring
	b := e.NewRing(t, "b")
	e.Clock.Advance(time.Second)
	if _, err := b.Rotate(ctx, time.Time{}); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	code := MustSignEnterprise(t, b, uscc(t, 1))
	if _, err := a.VerifyEnterpriseCode(ctx, code.String()); err != nil {
		t.Fatalf("verify on the instance that missed the rotation: %v", err)
	}

	foreign := newEnvSeed(t, "foreign") // another bureau's keys: kids unknown here
	e.Clock.Advance(a.MinReload)
	before := e.Store.findCount()
	for i := range 20 {
		c := MustSignEnterprise(t, foreign.Ring, uscc(t, i))
		_, err := a.VerifyEnterpriseCode(ctx, c.String())
		wantReason(t, "foreign kid", err, qr.ReasonUnknownKey)
	}
	if got := e.Store.findCount() - before; got != 1 {
		t.Fatalf("store reads for 20 unknown kids=%d, want 1", got)
	}
}

func TestKeyringRevocation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := MustSignInspection(t, e.Ring, "task-1", 10*time.Minute)
	other := MustSignInspection(t, e.Ring, "task-1", 10*time.Minute)
	if tok.Serial == other.Serial {
		t.Fatalf("two codes share serial %s", tok.Serial)
	}
	e.Ring.Revocations = revocations{tok.Serial: true}
	_, err := e.Ring.VerifyInspectionToken(ctx, tok.URL())
	wantReason(t, "revoked code", err, qr.ReasonRevoked)
	if _, err := e.Ring.VerifyInspectionToken(ctx, other.URL()); err != nil {
		t.Fatalf("verify another code of the same task: %v", err)
	}
}

// A store failure is not a refusal of the code: it keeps its own code and
// carries no Reason, so that no page tells a user a good code is forged.
func TestKeyringStoreFailure(t *testing.T) {
	store := &memStore{fail: &backend.Error{Code: backend.EUNAVAILABLE, Message: "store down"}}
	r := qr.NewKeyring(store, base)
	_, err := r.SignEnterpriseCode(context.Background(), uscc(t, 1))
	if got := backend.ErrorCode(err); got != backend.EUNAVAILABLE {
		t.Fatalf("sign with the store down: code=%q (err=%v), want %q", got, err, backend.EUNAVAILABLE)
	}
	if got := qr.ReasonOf(err); got != "" {
		t.Fatalf("reason=%q, want none", got)
	}

	// Once loaded, the ring outlives a store outage past MaxAge.
	e := newEnv(t)
	code := MustSignEnterprise(t, e.Ring, uscc(t, 1))
	e.Store.fail = errors.New("connection refused")
	e.Clock.Advance(2 * e.Ring.MaxAge)
	if _, err := e.Ring.VerifyEnterpriseCode(context.Background(), code.String()); err != nil {
		t.Fatalf("verify while the store is down: %v", err)
	}
}

func TestSignInvalid(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tests := []struct {
		name string
		sign func() error
	}{
		{"ErrUSCC", func() error { _, err := e.Ring.SignEnterpriseCode(ctx, "91350100M000100Y44"); return err }},
		{"ErrTaskEmpty", func() error { _, err := e.Ring.SignInspectionToken(ctx, "", time.Minute); return err }},
		{"ErrTaskChars", func() error { _, err := e.Ring.SignInspectionToken(ctx, "task/1", time.Minute); return err }},
		{"ErrTaskLong", func() error {
			_, err := e.Ring.SignInspectionToken(ctx, string(make([]byte, qr.MaxTaskIDLen+1)), time.Minute)
			return err
		}},
		{"ErrValidityZero", func() error { _, err := e.Ring.SignInspectionToken(ctx, "t", 0); return err }},
		{"ErrValidityFraction", func() error { _, err := e.Ring.SignInspectionToken(ctx, "t", 90*time.Second); return err }},
		{"ErrValidityLong", func() error { _, err := e.Ring.SignInspectionToken(ctx, "t", qr.MaxValidity+time.Minute); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := backend.ErrorCode(tt.sign()); got != backend.EINVALID {
				t.Fatalf("code=%q, want %q", got, backend.EINVALID)
			}
		})
	}
	t.Run("ErrBase", func(t *testing.T) {
		r := e.NewRing(t, "bad base")
		r.Base = "fc.example.gov.cn"
		_, err := r.SignEnterpriseCode(ctx, uscc(t, 1))
		if got := backend.ErrorCode(err); got != backend.EINTERNAL {
			t.Fatalf("code=%q (err=%v), want %q: a bad base URL is a configuration error", got, err, backend.EINTERNAL)
		}
	})
}

// Signing and verifying on many goroutines while the ring rotates and
// reloads (run with -race).
func TestKeyringConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	done := make(chan struct{})
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 50 {
				c, err := e.Ring.SignEnterpriseCode(ctx, uscc(t, g*1000+i))
				if err == nil {
					_, err = e.Ring.VerifyEnterpriseCode(ctx, c.String())
				}
				if err == nil {
					var tok *qr.InspectionToken
					if tok, err = e.Ring.SignInspectionToken(ctx, task, time.Hour); err == nil {
						_, err = e.Ring.VerifyInspectionToken(ctx, tok.URL())
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	go func() {
		defer close(done)
		for range 5 {
			e.Clock.Advance(e.Ring.MaxAge)
			if _, err := e.Ring.Rotate(ctx, time.Time{}); err != nil {
				t.Errorf("Rotate: %v", err)
				return
			}
		}
	}()
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("sign and verify during rotation: %v", err)
		}
	}
	<-done
}
