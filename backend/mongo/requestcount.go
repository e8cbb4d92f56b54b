package mongo

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// CountRequest counts one request of key in the fixed window that holds
// now and returns the window's count so far, as AddThrottle(ctx, key,
// window, now, 1) does. On the embedded store's one writer
// (DB.SingleProcess) the count is kept in memory, shared by the DBs of
// the store in this process: no other process serves that store, so the
// count is exact, and a store write per request (FerretDB's findAndModify,
// serialised per key) was the largest part of the portal's cheap pages'
// cost (docs/benchmarks.md). A restart starts the windows afresh, so it
// is for limits of short windows that need not outlive the process (the
// portal's), not for login failures. Elsewhere (MongoDB, where several
// instances count together) it is AddThrottle.
func (s *ThrottleStore) CountRequest(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	if st := s.DB.engine.shared(); st != nil && s.DB.SingleProcess {
		if n, ok := st.requests.add(key, window, now); ok {
			return n, nil
		}
	}
	return s.AddThrottle(ctx, key, window, now, 1)
}

// MaxCountedRequestKeys bounds the windows CountRequest keeps in memory;
// past it (after the ended windows are forgotten) the store counts.
const MaxCountedRequestKeys = 100_000

// requestCounts are the in-memory windows of CountRequest.
type requestCounts struct {
	mu sync.Mutex
	m  map[string]*requestCount
}

type requestCount struct {
	n   int
	end time.Time
}

// add counts one request and returns the window's count, or false when
// MaxCountedRequestKeys windows are open.
func (r *requestCounts) add(key string, window time.Duration, now time.Time) (int, bool) {
	start := now.UTC().Truncate(window)
	id := key + "@" + strconv.FormatInt(start.Unix(), 10) + "/" + window.String()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]*requestCount{}
	}
	c := r.m[id]
	if c == nil {
		if len(r.m) >= MaxCountedRequestKeys {
			for k, old := range r.m {
				if !now.Before(old.end) {
					delete(r.m, k)
				}
			}
			if len(r.m) >= MaxCountedRequestKeys {
				return 0, false
			}
		}
		c = &requestCount{end: start.Add(window)}
		r.m[id] = c
	}
	c.n++
	return c.n, true
}
