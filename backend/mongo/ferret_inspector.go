package mongo

import (
	"slices"
	"sync"

	"github.com/fieldcheck/fieldcheck/backend"
)

// officerCache keeps, on the embedded store with its one writer
// (DB.SingleProcess), the inspectors read by id: a page of the review
// queue names every officer of its teams, and the directory changes only
// through this store, which keeps the cache right. Every read hands out a
// copy.
type officerCache struct {
	mu   sync.Mutex
	byID map[string]*backend.Inspector
}

func (c *officerCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byID, id)
}

func cloneInspector(in *backend.Inspector) *backend.Inspector {
	c := *in
	c.Specialties, c.Conflicts, c.Leave = slices.Clone(in.Specialties), slices.Clone(in.Conflicts), slices.Clone(in.Leave)
	c.Audit, c.AuditPending = slices.Clone(in.Audit), slices.Clone(in.AuditPending)
	return &c
}

func (c *officerCache) get(id string) *backend.Inspector {
	c.mu.Lock()
	defer c.mu.Unlock()
	if in := c.byID[id]; in != nil {
		return cloneInspector(in)
	}
	return nil
}

// put keeps in as stored, unless a later version is kept already (a
// read that raced with a write brings the older one).
func (c *officerCache) put(in *backend.Inspector) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[string]*backend.Inspector{}
	}
	if old := c.byID[in.ID]; old == nil || old.Version <= in.Version {
		c.byID[in.ID] = cloneInspector(in)
	}
}

func (e *ferretEngine) cachedInspector(id string) *backend.Inspector {
	if !e.indexed() {
		return nil
	}
	return e.officers.get(id)
}

func (e *ferretEngine) cacheInspector(in *backend.Inspector) {
	if e.indexed() {
		e.officers.put(in)
	}
}

func (e *ferretEngine) forgetInspector(id string) { e.officers.forget(id) }
