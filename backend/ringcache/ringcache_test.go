package ringcache_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/ringcache"
)

type ring struct {
	gen      int
	loadedAt time.Time
}

func TestCurrent(t *testing.T) {
	var (
		mu    sync.Mutex
		set   atomic.Pointer[ring]
		clock = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		loads []bool // bootstrap flag of each load
		fail  bool
	)
	now := func() time.Time { return clock }
	load := func(_ context.Context, bootstrap bool) (*ring, error) {
		loads = append(loads, bootstrap)
		if fail {
			return nil, errors.New("store down")
		}
		r := &ring{gen: len(loads), loadedAt: clock}
		set.Store(r)
		return r, nil
	}
	get := func() *ring {
		r, err := ringcache.Current(context.Background(), &mu, &set, now, time.Minute, func(r *ring) *time.Time { return &r.loadedAt }, load)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := get(); r.gen != 1 || len(loads) != 1 || !loads[0] {
		t.Fatalf("first use: gen %d, loads %v; want one bootstrap load", r.gen, loads)
	}
	clock = clock.Add(30 * time.Second)
	if r := get(); r.gen != 1 || len(loads) != 1 {
		t.Fatalf("fresh ring reloaded: gen %d, loads %v", r.gen, loads)
	}
	clock = clock.Add(time.Minute)
	if r := get(); r.gen != 2 || len(loads) != 2 || loads[1] {
		t.Fatalf("old ring: gen %d, loads %v; want a reload without bootstrap", r.gen, loads)
	}
	// The store fails: the cached ring goes on, and is asked for again only
	// after another maxAge.
	fail = true
	clock = clock.Add(2 * time.Minute)
	if r := get(); r.gen != 2 || len(loads) != 3 {
		t.Fatalf("store down: gen %d, loads %d; want the cached ring after one try", r.gen, len(loads))
	}
	clock = clock.Add(10 * time.Second)
	if get(); len(loads) != 3 {
		t.Fatalf("store asked again %d times within maxAge of a failure", len(loads)-3)
	}
	// While another goroutine holds the lock, an old ring is served as is.
	fail = false
	clock = clock.Add(2 * time.Minute)
	mu.Lock()
	if r := get(); r.gen != 2 || len(loads) != 3 {
		t.Fatalf("reload while locked: gen %d, loads %d", r.gen, len(loads))
	}
	mu.Unlock()
	if r := get(); r.gen != 4 {
		t.Fatalf("after the lock: gen %d, want a fresh load", r.gen)
	}
}
