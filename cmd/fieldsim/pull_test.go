package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// TestPhoneRetriesPullAfterGivingUp: a phone whose client gave up a pull
// within its retry bounds (the server answered 503 to every try for a
// while, as a store too slow for a first download did) pulls again after a
// pause, as the app does on its timer, and gets its tasks; it does not
// give up.
func TestPhoneRetriesPullAfterGivingUp(t *testing.T) {
	_, base := startServer(t, 200)
	ctx := context.Background()
	o := &office{base: base, user: "scjg.manager", password: "demo-scjg.manager", hc: http.DefaultClient}
	if err := o.login(ctx); err != nil {
		t.Fatal(err)
	}
	open, err := o.openTasks(ctx)
	if err != nil || len(open) == 0 {
		t.Fatalf("%d open tasks, %v", len(open), err)
	}
	user := open[0].TeamUsers[0]

	// Pulls are refused 503 for 3 s from the first; everything else
	// passes.
	target, _ := url.Parse(base)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var first time.Time
	refusing := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if first.IsZero() {
			first = time.Now()
		}
		return time.Since(first) < 3*time.Second
	}
	var refused atomic.Int64
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == fcsync.SyncPath && refusing() {
			refused.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"code":"unavailable","message":"the store is slow"}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	q, err := fcsync.OpenQueue(filepath.Join(t.TempDir(), "phone"))
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{cfg: config{}, log: os.Stderr, gate: newGate(), metrics: newMetrics()}
	in := &inspector{sim: s, user: user, ops: map[string]*simOp{}, rng: newRand(1, user),
		client: &fcsync.Client{BaseURL: front.URL, Username: user, Password: "demo-" + user,
			Device: backend.DeviceInfo{ID: "fieldsim-test-" + deviceSafe(user), Name: "fieldsim phone", Platform: backend.PlatformAndroid},
			Queue:  q, Retry: fcsync.Retry{Attempts: 2, Base: 10 * time.Millisecond, Max: 50 * time.Millisecond, Budget: 300 * time.Millisecond}},
	}
	if _, err := in.client.Pull(ctx); err == nil {
		t.Fatal("the client's own pull did not give up while the server refused")
	}
	began := time.Now()
	if err := in.pull(ctx); err != nil {
		t.Fatalf("pull: %v", err)
	}
	if in.pullFailures == 0 || refused.Load() < 3 {
		t.Fatalf("%d pulls tried again, %d refused: the window was not met", in.pullFailures, refused.Load())
	}
	if n := len(q.State().Tasks); n == 0 {
		t.Fatal("no task on the phone after the pull went through")
	}
	if !in.pulled || in.firstPull <= 0 {
		t.Fatalf("the first download is not counted: pulled %v in %s", in.pulled, in.firstPull)
	}
	t.Logf("the pull went through after %s, %d tries refused, %d pulls tried again", time.Since(began).Round(time.Millisecond), refused.Load(), in.pullFailures)
}
