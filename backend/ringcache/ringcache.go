// Package ringcache holds the caching rule both signing-key rings follow
// (access tokens in backend/auth, printed codes in qr): every instance
// keeps the ring it last read from the shared store, reloads it when it is
// older than a maximum age, and keeps verifying with the old copy while the
// store is briefly away.
package ringcache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Current returns the cached ring in set, loading it when there is none and
// reloading it when it is older than maxAge. Loads happen under mu (which
// the ring's other store operations hold too); a reload that finds mu taken
// serves the cached ring rather than wait. A failed reload keeps the cached
// ring, marked as loaded now, so that the store is asked again only after
// maxAge. loadedAt points into a ring at the time it was loaded; load reads
// the store (with bootstrap on the very first load), caches and returns.
func Current[R any](ctx context.Context, mu *sync.Mutex, set *atomic.Pointer[R], now func() time.Time, maxAge time.Duration,
	loadedAt func(*R) *time.Time, load func(ctx context.Context, bootstrap bool) (*R, error)) (*R, error) {
	r := set.Load()
	if r == nil {
		mu.Lock()
		defer mu.Unlock()
		if r = set.Load(); r != nil {
			return r, nil
		}
		return load(ctx, true)
	}
	if now().Sub(*loadedAt(r)) < maxAge || !mu.TryLock() {
		return r, nil // fresh, or someone is reloading it right now
	}
	defer mu.Unlock()
	if r = set.Load(); now().Sub(*loadedAt(r)) < maxAge {
		return r, nil
	}
	fresh, err := load(ctx, false)
	if err != nil {
		stale := *r
		*loadedAt(&stale) = now()
		set.Store(&stale)
		return &stale, nil
	}
	return fresh, nil
}
