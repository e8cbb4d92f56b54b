package keyring_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"maps"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

var start = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// countingStore is a real store that counts its reads and can be made to
// fail, as a store that is briefly away does.
type countingStore struct {
	keyring.Store
	mu    sync.Mutex
	finds int
	fail  bool
	// hold, when set, makes the next read announce itself on entered and
	// wait for hold to close.
	hold, entered chan struct{}
}

func (s *countingStore) FindSigningKeys(ctx context.Context) ([]*keyring.Key, error) {
	s.mu.Lock()
	s.finds++
	fail, hold, entered := s.fail, s.hold, s.entered
	s.hold = nil
	s.mu.Unlock()
	if hold != nil {
		close(entered)
		<-hold
	}
	if fail {
		return nil, &backend.Error{Code: backend.EUNAVAILABLE, Message: "store down"}
	}
	return s.Store.FindSigningKeys(ctx)
}

func (s *countingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finds
}

func (s *countingStore) setFail(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = v
}

var format = keyring.Format{
	Algorithm: "EdDSA",
	IDBytes:   4,
	NewID:     func(b []byte) (string, bool) { return hex.EncodeToString(b), true },
	ValidID:   func(kid string) bool { return len(kid) == 8 },
}

type env struct {
	Store *countingStore
	Clock *clocktest.Clock
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	db := mongotest.Open(tb)
	return &env{Store: &countingStore{Store: &mongo.SigningKeyStore{DB: db}}, Clock: clocktest.New(start)}
}

// ring returns another instance's ring on the same store and clock.
func (e *env) ring(tb testing.TB, seed byte) *keyring.Ring {
	tb.Helper()
	r := keyring.New(e.Store, format)
	r.Now = e.Clock.Now
	r.Rand = rand.NewChaCha8([32]byte{seed})
	if err := r.Load(context.Background()); err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return r
}

// The snapshot is read again once it is older than MaxAge, not before; a
// store that is away leaves the cached snapshot in use, asked again only
// after another MaxAge; a reload under way is not waited for.
func TestCurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.ring(t, 1)
	reads := func() int { return e.Store.count() }
	loaded, err := r.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(loaded.Keys()); n != 1 {
		t.Fatalf("bootstrapped ring has %d keys, want 1", n)
	}
	before := reads()
	e.Clock.Advance(keyring.DefaultMaxAge - time.Millisecond)
	if s, _ := r.Current(ctx); s != loaded || reads() != before {
		t.Fatalf("a snapshot younger than MaxAge was read again (%d reads)", reads()-before)
	}
	e.Clock.Advance(time.Millisecond)
	fresh, _ := r.Current(ctx)
	if fresh == loaded || reads() != before+1 {
		t.Fatalf("a snapshot of MaxAge was not read again (%d reads)", reads()-before)
	}

	e.Store.setFail(true)
	e.Clock.Advance(2 * keyring.DefaultMaxAge)
	stale, err := r.Current(ctx)
	if err != nil || stale.Key(fresh.Keys()[0].ID) == nil || reads() != before+2 {
		t.Fatalf("store down: err=%v, reads=%d; want the cached keys after one try", err, reads()-before)
	}
	e.Clock.Advance(keyring.DefaultMaxAge / 2)
	if _, err := r.Current(ctx); err != nil || reads() != before+2 {
		t.Fatalf("store asked again within MaxAge of a failure (err=%v, reads=%d)", err, reads()-before)
	}
	e.Store.setFail(false)

	// A reload under way (here Keys, which reads the store under the
	// ring's lock) is not waited for: the old snapshot is served.
	e.Clock.Advance(keyring.DefaultMaxAge)
	hold, entered := make(chan struct{}), make(chan struct{})
	e.Store.mu.Lock()
	e.Store.hold, e.Store.entered = hold, entered
	e.Store.mu.Unlock()
	done := make(chan error)
	go func() { _, err := r.Keys(ctx); done <- err }()
	<-entered
	if s, err := r.Current(ctx); err != nil || s != stale || reads() != before+3 {
		t.Fatalf("during another reload: err=%v, reads=%d; want the cached snapshot, no read", err, reads()-before)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := r.Current(ctx); err != nil || reads() != before+3 {
		t.Fatalf("after the other reload: err=%v, reads=%d; want its snapshot, no read", err, reads()-before)
	}
}

// A retirement on one instance reaches another within MaxAge; a rotation
// as soon as a token names the new kid, and at most once per MinReload
// for kids nobody knows.
func TestSpreadAcrossInstances(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := e.ring(t, 1), e.ring(t, 2)
	first, err := a.Signer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Second)
	kid, err := b.Rotate(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if k, _, err := a.Lookup(ctx, kid); err != nil || k == nil {
		t.Fatalf("kid rotated in on another instance: %v, %v; want found after one reload", k, err)
	}
	before := e.Store.count()
	for i := range 20 {
		if k, _, _ := a.Lookup(ctx, "0000000"+string(rune('0'+i%10))); k != nil {
			t.Fatalf("made-up kid found")
		}
	}
	if got := e.Store.count() - before; got > 1 {
		t.Fatalf("20 unknown kids within MinReload read the store %d times, want at most 1", got)
	}

	if err := b.Retire(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	retired := func(r *keyring.Ring) bool {
		k, _, err := r.Lookup(ctx, first.ID)
		if err != nil || k == nil {
			t.Fatalf("Lookup(%s): %v, %v", first.ID, k, err)
		}
		return k.Retired(e.Clock.Now())
	}
	if !retired(b) {
		t.Fatalf("retired key still verifies on the retiring instance")
	}
	if retired(a) {
		t.Fatalf("the retirement reached the other instance before it read the store again")
	}
	e.Clock.Advance(keyring.DefaultMaxAge)
	if !retired(a) {
		t.Fatalf("retired key still verifies on another instance after MaxAge (%s)", keyring.DefaultMaxAge)
	}
	if s, err := a.Signer(ctx); err != nil || s.ID != kid {
		t.Fatalf("the other instance signs with %v (err=%v), want %s", s, err, kid)
	}
}

// Rotation, activation ahead, retirement and the refusals around them.
func TestRotateAndRetire(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.ring(t, 1)
	first, _ := r.Signer(ctx)
	// Same instant: the next key activates 1 ms later, and signs from then.
	second, err := r.Rotate(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := r.Signer(ctx); s.ID != first.ID {
		t.Fatalf("signs with %s at the rotation's instant, want %s until 1 ms later", s.ID, first.ID)
	}
	e.Clock.Advance(time.Millisecond)
	if s, _ := r.Signer(ctx); s.ID != second {
		t.Fatalf("signs with %s, want %s", s.ID, second)
	}
	ahead, err := r.Rotate(ctx, e.Clock.Now().Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	status := func() map[string]keyring.Status {
		infos, err := r.Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]keyring.Status{}
		for _, i := range infos {
			m[i.ID] = i.Status
		}
		return m
	}
	want := map[string]keyring.Status{first.ID: keyring.StatusValid, second: keyring.StatusCurrent, ahead: keyring.StatusNext}
	if got := status(); !maps.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	tests := []struct {
		name, kid string
		code      string
	}{
		{"ErrRetireCurrent", second, backend.EINVALID},
		{"ErrRetireUnknown", "ffffffff", backend.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := backend.ErrorCode(r.Retire(ctx, tt.kid)); got != tt.code {
				t.Fatalf("Retire(%s): code %q, want %q", tt.kid, got, tt.code)
			}
		})
	}
	if err := r.Retire(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.Retire(ctx, first.ID); err != nil {
		t.Fatalf("retiring a retired key: %v, want nil", err)
	}
	want[first.ID] = keyring.StatusRetired
	if got := status(); !maps.Equal(got, want) {
		t.Fatalf("after retiring: statuses %v, want %v", got, want)
	}
	e.Clock.Advance(72 * time.Hour)
	want[second], want[ahead] = keyring.StatusValid, keyring.StatusCurrent
	if got := status(); !maps.Equal(got, want) {
		t.Fatalf("after the activation: statuses %v, want %v", got, want)
	}
}

// A stored key that could not sign is refused at load, unless it was
// retired (its seed may have been erased).
func TestMalformedKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	retired := start.Add(-time.Hour)
	if err := e.Store.CreateSigningKey(ctx, &keyring.Key{ID: "0badbad0", Algorithm: "EdDSA", Seed: []byte("short"), ActivatedAt: start.Add(-2 * time.Hour), RetiredAt: &retired}); err != nil {
		t.Fatal(err)
	}
	r := e.ring(t, 1) // loads: the retired malformed key is passed over
	if k, _, _ := r.Lookup(ctx, "0badbad0"); k != nil {
		t.Fatalf("malformed retired key is in the ring")
	}
	if err := e.Store.CreateSigningKey(ctx, &keyring.Key{ID: "0badbad1", Algorithm: "EdDSA", Seed: make([]byte, ed25519.SeedSize-1), ActivatedAt: start}); err != nil {
		t.Fatal(err)
	}
	if err := r.Load(ctx); backend.ErrorCode(err) != backend.EINTERNAL {
		t.Fatalf("Load with a malformed usable key: %v, want %s", err, backend.EINTERNAL)
	}
}

// Signing and looking up on many goroutines while the ring rotates and
// reloads (run with -race).
func TestConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.ring(t, 1)
	var wg sync.WaitGroup
	errs := make(chan error, 9)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				k, err := r.Signer(ctx)
				if err == nil {
					var found *keyring.Entry
					if found, _, err = r.Lookup(ctx, k.ID); err == nil && found == nil {
						err = errors.New("the signing key is unknown")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			e.Clock.Advance(keyring.DefaultMaxAge)
			if _, err := r.Rotate(ctx, time.Time{}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
