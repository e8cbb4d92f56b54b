package fcsync

import (
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Admission of pushes (NewPushGate). A push writes each task it touches
// with a handful of synchronous commits and appends to the one audit
// chain: pushes beyond a few at once only queue behind each other inside
// the store, and with 100 phones a push used to wait up to half a minute.
// Bounded, the surplus is told when to come back (429 or 503 with
// Retry-After) and the phone's queue keeps its mutations meanwhile. Two at
// once with four waiting kept the embedded store as busy as more did, with
// a push p99 of about a second instead of 2.3 s with four at once and
// eight waiting (fieldsim, 100 phones: docs/benchmarks.md).
const (
	MaxPushesAtOnce  = 2               // pushes applied at once by one server instance
	MaxPushesWaiting = 4               // waiting for a slot
	MaxPushWait      = 1 * time.Second // the longest wait for a slot
	pushTypical      = 300 * time.Millisecond
)

// NewPushGate returns the gate of a server instance's pushes:
// MaxPushesAtOnce at once, MaxPushesWaiting waiting, each at most
// MaxPushWait (backend.Gate).
func NewPushGate() *backend.Gate {
	return backend.NewGate(backend.GateConfig{Name: "pushes", Slots: MaxPushesAtOnce, Queue: MaxPushesWaiting, MaxWait: MaxPushWait, Typical: pushTypical})
}
