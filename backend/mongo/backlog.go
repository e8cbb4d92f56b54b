package mongo

import "sync"

// markSet is the task keys this process knows to be marked as writes
// under way (taskKey.Pending), by task id with the nonce of the mark: the
// task part of the sweeper's backlog (SweepBacklog) without reading the
// keys. Every key write and settle of this process goes through it. It
// is the store's truth only where this process is the store's one writer
// (the embedded store: DB.SingleProcess), and only once the marks left by
// an earlier process were read (known: the first SweepFeed reads every
// key); elsewhere the backlog is counted in the store.
type markSet struct {
	mu    sync.Mutex
	known bool
	by    map[string]string
}

// mark records that the keys of ids were put marked with nonce (or may
// have been: a write whose outcome is not known is counted as marked).
func (m *markSet) mark(nonce string, ids ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.by == nil {
		m.by = map[string]string{}
	}
	for _, id := range ids {
		m.by[id] = nonce
	}
}

// settle records that the marks of nonce on the keys of ids were cleared;
// a key marked again since by another write keeps that mark.
func (m *markSet) settle(nonce string, ids ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		if m.by[id] == nonce {
			delete(m.by, id)
		}
	}
}

// gone records that the key of id does not exist.
func (m *markSet) gone(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.by, id)
}

// learn takes in the marks a read of every key found (id → nonce) and
// makes the set known. Marks this process put meanwhile stay.
func (m *markSet) learn(found map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.by == nil {
		m.by = map[string]string{}
	}
	for id, nonce := range found {
		if _, ok := m.by[id]; !ok {
			m.by[id] = nonce
		}
	}
	m.known = true
}

// count is how many keys are marked, and whether the set is known.
func (m *markSet) count() (int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.by), m.known
}
