package mongo

import (
	"context"
	"sync"

	"github.com/fieldcheck/fieldcheck/backend"
)

// MaxCachedTasks bounds the tasks the embedded store keeps decoded.
const MaxCachedTasks = 20_000

// taskCache keeps, on the embedded store with its one writer
// (DB.SingleProcess), the tasks it read or wrote last, decoded: FerretDB
// spends 1-2 ms decoding a task document (its copy of the document's type
// schema is most of the bytes), a page of 50 tasks 50-100 ms. An entry is
// used only while the in-memory index says that its version is the last
// one committed and no write of the task is under way; every read hands
// out a copy. Like the indexes it is a cache of the store that a restart
// starts empty.
type taskCache struct {
	mu   sync.Mutex
	byID map[string]*backend.Task
	max  int // MaxCachedTasks unless set (tests)
}

// get returns a copy of the task cached at version, if any.
func (c *taskCache) get(id string, version int64) *backend.Task {
	c.mu.Lock()
	t := c.byID[id]
	c.mu.Unlock()
	if t == nil || t.Version != version {
		return nil
	}
	return t.Clone()
}

// peek returns the task cached at version itself, not a copy, for the
// caller to read and never change: an entry is replaced, never changed,
// so reading it outside the lock is safe.
func (c *taskCache) peek(id string, version int64) *backend.Task {
	c.mu.Lock()
	t := c.byID[id]
	c.mu.Unlock()
	if t == nil || t.Version != version {
		return nil
	}
	return t
}

// put keeps a copy of t.
func (c *taskCache) put(t *backend.Task) {
	t = t.Clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[string]*backend.Task{}
	}
	limit := c.max
	if limit <= 0 {
		limit = MaxCachedTasks
	}
	if _, ok := c.byID[t.ID]; !ok && len(c.byID) >= limit {
		// Full: make room by dropping a tenth, whichever the map
		// iteration gives first.
		n := max(limit/10, 1)
		for id := range c.byID {
			delete(c.byID, id)
			if n--; n == 0 {
				break
			}
		}
	}
	c.byID[t.ID] = t
}

// forget drops the task id.
func (c *taskCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byID, id)
}

// cachedTask returns the cached copy of task id when the index says it is
// current.
func (e *ferretEngine) cachedTask(id string) *backend.Task {
	if !e.indexed() {
		return nil
	}
	v, ok := e.tasks.settled(id)
	if !ok {
		return nil
	}
	return e.cache.get(id, v)
}

// candidate reads task id for a list filtering on f: nil when it is
// gone or does not match. A task cached at its current version is tested
// as it is cached and copied only when it matches (a filter such as a
// team member's tests every task of the departments: copying each cost
// more than the test).
func (e *ferretEngine) candidate(ctx context.Context, s *TaskStore, f *backend.TaskFilter, id string) (*backend.Task, error) {
	if v, ok := e.tasks.settled(id); ok {
		if t := e.cache.peek(id, v); t != nil && !matches(f, t) {
			return nil, nil
		}
	}
	t, err := s.FindTaskByID(ctx, id)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil, nil
	}
	if err != nil || !matches(f, t) {
		return nil, err
	}
	return t, nil
}

// cacheTask keeps t if the index says its version is the one committed
// and nothing else is being written to it.
func (e *ferretEngine) cacheTask(t *backend.Task) {
	if !e.indexed() {
		return
	}
	if v, ok := e.tasks.settled(t.ID); ok && v == t.Version {
		e.cache.put(t)
	}
}

// forgetTask drops the cached copy of task id.
func (e *ferretEngine) forgetTask(id string) { e.cache.forget(id) }
