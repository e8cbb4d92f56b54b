package backend_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// fill holds every slot of g and parks waiting callers until n wait; it
// returns the release of the held slots and a function that releases
// them, lets the waiters in and returns what they got.
func fill(t *testing.T, g *backend.Gate, n int) (held []func(), drain func() []error) {
	t.Helper()
	for range g.Config().Slots {
		release, err := g.Enter(context.Background())
		if err != nil {
			t.Fatalf("Enter with a free slot: %v", err)
		}
		held = append(held, release)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			release, err := g.Enter(context.Background())
			if err == nil {
				release()
			}
			errs[i] = err
		})
	}
	for g.Waiting() < n {
		runtime.Gosched() // no sleep: the waiters only have to reach the queue
	}
	return held, func() []error {
		for _, release := range held {
			release()
		}
		wg.Wait()
		return errs
	}
}

func TestGate(t *testing.T) {
	ctx := context.Background()
	t.Run("OKWithinSlotsAndQueue", func(t *testing.T) {
		g := backend.NewGate(backend.GateConfig{Name: "hashes", Slots: 2, Queue: 3, MaxWait: time.Hour, Typical: time.Second})
		_, drain := fill(t, g, 3)
		for i, err := range drain() {
			if err != nil {
				t.Fatalf("waiter %d: %v, want admitted once a slot was free", i, err)
			}
		}
		if g.Waiting() != 0 {
			t.Fatalf("%d still waiting", g.Waiting())
		}
	})
	t.Run("ErrQueueFull", func(t *testing.T) {
		g := backend.NewGate(backend.GateConfig{Name: "hashes", Slots: 2, Queue: 3, MaxWait: time.Hour, Typical: 1500 * time.Millisecond})
		_, drain := fill(t, g, 3)
		defer drain()
		_, err := g.Enter(ctx)
		if got := backend.ErrorCode(err); got != backend.ETOOMANY {
			t.Fatalf("Enter with the queue full: %v, want %s", err, backend.ETOOMANY)
		}
		// Three waiting, two slots, 1.5 s each: 2.25 s, rounded up.
		if d, ok := backend.RetryAfter(err); !ok || d != 3*time.Second {
			t.Fatalf("retry after %v (%v), want 3s", d, ok)
		}
		if msg := backend.ErrorMessage(err); msg != "too many hashes are waiting on this server; try again in 3 s" {
			t.Fatalf("message %q", msg)
		}
	})
	t.Run("ErrWaitedTooLong", func(t *testing.T) {
		g := backend.NewGate(backend.GateConfig{Name: "pushes", Slots: 1, Queue: 5, MaxWait: 0, Typical: 300 * time.Millisecond})
		_, drain := fill(t, g, 0)
		defer drain()
		_, err := g.Enter(ctx)
		if got := backend.ErrorCode(err); got != backend.EUNAVAILABLE {
			t.Fatalf("Enter past MaxWait: %v, want %s", err, backend.EUNAVAILABLE)
		}
		if d, ok := backend.RetryAfter(err); !ok || d != time.Second {
			t.Fatalf("retry after %v (%v), want the minimum, 1s", d, ok)
		}
		if g.Waiting() != 0 {
			t.Fatalf("a waiter that gave up is still counted: %d", g.Waiting())
		}
	})
	t.Run("ErrCancelled", func(t *testing.T) {
		g := backend.NewGate(backend.GateConfig{Name: "pushes", Slots: 1, Queue: 5, MaxWait: time.Hour, Typical: time.Second})
		_, drain := fill(t, g, 0)
		defer drain()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := g.Enter(cctx); backend.ErrorCode(err) != backend.EUNAVAILABLE {
			t.Fatalf("Enter with the request gone: %v, want %s", err, backend.EUNAVAILABLE)
		}
	})
	t.Run("OKRetryFollowsMeasuredHolds", func(t *testing.T) {
		var mu sync.Mutex
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		g := backend.NewGate(backend.GateConfig{Name: "hashes", Slots: 1, Queue: 2, MaxWait: time.Hour, Typical: 200 * time.Millisecond, Now: clock})
		release, err := g.Enter(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		now = now.Add(16200 * time.Millisecond)
		mu.Unlock()
		release()
		release() // a second call gives nothing back twice
		// The average moved by an eighth of the difference: 0.2 + 16/8 = 2.2 s.
		if d := g.RetryIn(); d != 3*time.Second {
			t.Fatalf("retry in %v, want 3s", d)
		}
		if _, err := g.Enter(ctx); err != nil {
			t.Fatalf("the slot was not given back: %v", err)
		}
	})
	t.Run("OKNilAdmitsAll", func(t *testing.T) {
		var g *backend.Gate
		release, err := g.Enter(ctx)
		if err != nil {
			t.Fatal(err)
		}
		release()
	})
}

func TestPasswordGate(t *testing.T) {
	c := backend.NewPasswordGate().Config()
	want := max(1, runtime.GOMAXPROCS(0)/2)
	if c.Slots != want || backend.PasswordSlots() != want || c.Queue != want*backend.PasswordQueuePerSlot || c.MaxWait != backend.PasswordMaxWait {
		t.Fatalf("password gate %+v, want %d slots (half of GOMAXPROCS), %d per slot waiting, %s", c, want, backend.PasswordQueuePerSlot, backend.PasswordMaxWait)
	}
}
