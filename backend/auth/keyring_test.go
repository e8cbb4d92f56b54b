package auth_test

import (
	"context"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// kidOf reads the kid header of a token without verifying it.
func kidOf(tb testing.TB, token string) string {
	tb.Helper()
	t, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		tb.Fatalf("ParseUnverified: %v", err)
	}
	kid, _ := t.Header["kid"].(string)
	return kid
}

// mustAccept and mustRefuse check a token on the read path.
func mustAccept(tb testing.TB, svc *auth.Service, what, token string) {
	tb.Helper()
	if _, err := svc.Authenticate(ctxFrom("192.0.2.1"), token); err != nil {
		tb.Fatalf("%s: err=%v, want accepted", what, err)
	}
}

func mustRefuse(tb testing.TB, svc *auth.Service, what, token string) {
	tb.Helper()
	_, err := svc.Authenticate(ctxFrom("192.0.2.1"), token)
	wantCode(tb, what, err, backend.EUNAUTHENTICATED)
}

func TestKeyringBootstrap(t *testing.T) {
	db := mongotest.Open(t)
	store := &mongo.SigningKeyStore{DB: db}
	ctx := context.Background()
	newRing := func() *auth.Keyring {
		k := auth.NewKeyring(store)
		k.Now = func() time.Time { return start }
		k.Rand = rand.NewChaCha8([32]byte{'r', 'i', 'n', 'g'})
		return k
	}
	first := newRing()
	if err := first.Load(ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	// A second instance finds the key the first one made and makes none.
	if err := newRing().Load(ctx); err != nil {
		t.Fatalf("Load (second instance): %v", err)
	}
	keys, err := first.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("ring has %d keys, want 1: %+v", len(keys), keys)
	}
	// The kid comes from the injected entropy.
	want := make([]byte, 8)
	if _, err := io.ReadFull(rand.NewChaCha8([32]byte{'r', 'i', 'n', 'g'}), want); err != nil {
		t.Fatal(err)
	}
	k := keys[0]
	if k.ID != hex.EncodeToString(want) || k.Algorithm != "EdDSA" || k.Status != keyring.StatusCurrent || k.RetiredAt != nil || !k.ActivatedAt.Equal(start) {
		t.Fatalf("key=%+v, want active EdDSA key %x activated at %v", k, want, start)
	}
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	ctx := context.Background()
	oldToken := MustLogin(t, e.Svc, "alice", "192.0.2.1").AccessToken
	if got := kidOf(t, oldToken); got != testKID {
		t.Fatalf("kid=%q before rotation, want %q", got, testKID)
	}

	newKID, err := e.Svc.Keys.Rotate(ctx, time.Time{})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	newToken := MustLogin(t, e.Svc, "alice", "192.0.2.1").AccessToken
	if got := kidOf(t, newToken); got != newKID {
		t.Fatalf("kid=%q after rotation, want %q", got, newKID)
	}
	mustAccept(t, e.Svc, "old key after rotation", oldToken)
	mustAccept(t, e.Svc, "new key after rotation", newToken)

	err = e.Svc.Keys.Retire(ctx, newKID)
	wantCode(t, "Retire(active key)", err, backend.EINVALID)
	err = e.Svc.Keys.Retire(ctx, "no-such-key")
	wantCode(t, "Retire(unknown key)", err, backend.ENOTFOUND)

	if err := e.Svc.Keys.Retire(ctx, testKID); err != nil {
		t.Fatalf("Retire(old key): %v", err)
	}
	mustRefuse(t, e.Svc, "old key after retirement", oldToken)
	mustAccept(t, e.Svc, "new key after retirement", newToken)
	if err := e.Svc.Keys.Retire(ctx, testKID); err != nil {
		t.Fatalf("Retire(old key) again: %v, want nil", err)
	}

	keys, err := e.Svc.Keys.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != newKID || keys[0].Status != keyring.StatusCurrent || keys[0].RetiredAt != nil ||
		keys[1].ID != testKID || keys[1].Status != keyring.StatusRetired || keys[1].RetiredAt == nil {
		t.Fatalf("keys=%+v, want active %s then retired %s", keys, newKID, testKID)
	}
}

// Keys are shared through the store: a key rotated in by one instance is
// picked up by another as soon as a token names it; a retirement within
// MaxAge.
func TestKeyringSharedAcrossInstances(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	ctx := context.Background()
	other := e.NewService(t, auth.Config{}, 2)

	kid2, err := other.Keys.Rotate(ctx, time.Time{})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	token2 := MustLogin(t, other, "alice", "192.0.2.1").AccessToken
	if got := kidOf(t, token2); got != kid2 {
		t.Fatalf("kid=%q, want %q", got, kid2)
	}
	mustAccept(t, e.Svc, "token of a key rotated in on another instance", token2)

	// A second unknown kid within MinReload is not looked up again...
	kid3, err := other.Keys.Rotate(ctx, time.Time{})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	// The clock has not moved since kid2's rotation: kid3 activates 1 ms
	// after it (activations are strictly increasing).
	e.Clock.Advance(time.Millisecond)
	token3 := MustLogin(t, other, "alice", "192.0.2.1").AccessToken
	mustRefuse(t, e.Svc, "second new kid within MinReload", token3)
	// ...but is once MinReload has passed, and then this instance signs
	// with it too.
	e.Clock.Advance(keyring.DefaultMinReload)
	mustAccept(t, e.Svc, "second new kid after MinReload", token3)
	if got := kidOf(t, MustLogin(t, e.Svc, "alice", "192.0.2.1").AccessToken); got != kid3 {
		t.Fatalf("first instance signs with kid=%q, want %q", got, kid3)
	}

	// A retirement on the other instance reaches this one within MaxAge.
	if err := other.Keys.Retire(ctx, kid2); err != nil {
		t.Fatalf("Retire: %v", err)
	}
	mustRefuse(t, other, "retired key on the retiring instance", token2)
	mustAccept(t, e.Svc, "retired key on another instance before MaxAge", token2)
	e.Clock.Advance(keyring.DefaultMaxAge)
	// token2 has 15 minutes; it is still within its lifetime here.
	mustRefuse(t, e.Svc, "retired key on another instance after MaxAge", token2)
	mustAccept(t, e.Svc, "active key", token3)
}
