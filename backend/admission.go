package backend

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// Gate is admission control for work that costs this process's CPU or
// store time (password hashes, sync pushes): at most Slots run at once, in
// order of arrival; at most Queue wait for a slot, each at most MaxWait.
// What is over is refused at once with a time to come back, so that a
// phone is told to retry instead of waiting half a minute:
//
//   - the queue is full: ETOOMANY (HTTP 429);
//   - the wait ran out: EUNAVAILABLE (HTTP 503).
//
// Both carry a *RetryError whose delay is the time the requests already
// waiting take to be served (at the average time a slot was held so far),
// at least a second.
//
// A gate protects one process's cores: each instance has its own and
// admits its own share, which is what CPU admission should do (the store
// keeps what the instances must agree on). The FIFO wait is
// golang.org/x/sync/semaphore's. A nil *Gate admits everything.
type Gate struct {
	cfg     GateConfig
	sem     *semaphore.Weighted
	waiting atomic.Int64
	refused atomic.Int64

	mu  sync.Mutex
	avg time.Duration // moving average of the time a slot is held
}

// GateConfig sizes a Gate.
type GateConfig struct {
	Name    string        // what it admits, for messages: "password checks"
	Slots   int           // held at once, at least 1
	Queue   int           // waiting at once, at least 0
	MaxWait time.Duration // the longest wait for a slot
	// Typical is how long a slot is expected to be held before any was
	// measured; it starts the average Retry-After is computed from.
	Typical time.Duration
	// Now measures how long slots are held; time.Now when nil.
	Now func() time.Time
}

// NewGate returns a gate; it panics on sizes that admit nothing.
func NewGate(c GateConfig) *Gate {
	if c.Slots < 1 || c.Queue < 0 || c.MaxWait < 0 || c.Typical <= 0 {
		panic(fmt.Sprintf("backend.NewGate: bad sizes %+v", c))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Gate{cfg: c, sem: semaphore.NewWeighted(int64(c.Slots)), avg: c.Typical}
}

// Config returns the gate's sizes.
func (g *Gate) Config() GateConfig { return g.cfg }

// Refused reports how many requests the gate refused since it was made
// (the metrics' admission-control refusals).
func (g *Gate) Refused() int64 {
	if g == nil {
		return 0
	}
	return g.refused.Load()
}

// Waiting reports how many wait for a slot now.
func (g *Gate) Waiting() int { return int(g.waiting.Load()) }

// Enter waits for a slot (in order of arrival, at most MaxWait) and returns
// the function that gives it back; calls after the first do nothing.
// Refusals are ETOOMANY (queue full) and EUNAVAILABLE (waited MaxWait, or
// ctx ended).
func (g *Gate) Enter(ctx context.Context) (release func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	if !g.sem.TryAcquire(1) {
		if g.waiting.Add(1) > int64(g.cfg.Queue) {
			g.waiting.Add(-1)
			return nil, g.refuse(ETOOMANY, "too many %s are waiting on this server")
		}
		wctx, cancel := context.WithTimeout(ctx, g.cfg.MaxWait)
		err := g.sem.Acquire(wctx, 1)
		cancel()
		g.waiting.Add(-1)
		if err != nil {
			return nil, g.refuse(EUNAVAILABLE, "this server is busy with %s")
		}
	}
	began := g.cfg.Now()
	var once sync.Once
	return func() {
		once.Do(func() {
			g.observe(g.cfg.Now().Sub(began))
			g.sem.Release(1)
		})
	}, nil
}

// observe moves the average hold time towards d (weight 1/8).
func (g *Gate) observe(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.avg += (d - g.avg) / 8
}

// RetryIn is how long a refused request should wait: the time the requests
// waiting now take to be served, rounded up to whole seconds, at least one.
func (g *Gate) RetryIn() time.Duration {
	g.mu.Lock()
	avg := g.avg
	g.mu.Unlock()
	d := time.Duration(max(1, g.waiting.Load())) * avg / time.Duration(g.cfg.Slots)
	return max(time.Second, (d + time.Second - 1).Truncate(time.Second))
}

func (g *Gate) refuse(code, format string) error {
	g.refused.Add(1)
	d := g.RetryIn()
	return &Error{Code: code, Op: "Gate.Enter",
		Message: fmt.Sprintf(format+"; try again in %d s", g.cfg.Name, int(d/time.Second)),
		Err:     &RetryError{After: d}}
}

// RetryError is the cause of a refusal that knows when to try again: the
// HTTP layer sends it as Retry-After.
type RetryError struct {
	After time.Duration
}

func (e *RetryError) Error() string { return "try again in " + e.After.String() }

// RetryDelay returns the delay.
func (e *RetryError) RetryDelay() time.Duration { return e.After }

// RetryAfter returns how long err says to wait before trying again: the
// delay of the first cause in its chain with a RetryDelay method, and
// whether there is one.
func RetryAfter(err error) (time.Duration, bool) {
	var r interface{ RetryDelay() time.Duration }
	if errors.As(err, &r) {
		return r.RetryDelay(), true
	}
	return 0, false
}
