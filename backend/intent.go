package backend

import (
	"context"
	"sort"
	"sync"
	"time"
)

// An operation of several writes (a draw, a publication) cannot be one
// single-document update. It first stores an intent, a document naming the
// operation (its _id: kind and the operation's own id), and chains an
// "intent.<kind>" audit entry; then it makes its writes, each idempotent,
// and removes the intent when the last is made. An intent still stored
// after IntentGrace belongs to an operation whose process stopped: the
// roll-forward (Intents.RollForward, at start-up and periodically) hands it
// to the handler of its kind, which completes the operation from what is
// stored (or, when its first write never happened, drops it), and removes
// it. Handlers run as the system actor "roll-forward"; the records they
// append are keyed as the operation's own, so that a record the stopped
// process did append is not chained twice.

// IntentGrace is how old an intent must be before the roll-forward takes
// it: longer than any operation takes, so that one under way in another
// instance is left to finish. (At the start of the embedded store, whose
// one writer is the starting process, every intent is taken.)
const IntentGrace = 2 * time.Minute

// Intent is an operation of several writes under way.
type Intent struct {
	ID         string    `json:"id" bson:"_id"` // <kind>/<operation id>
	Kind       string    `json:"kind" bson:"kind"`
	ObjectType string    `json:"objectType" bson:"objectType"`
	ObjectID   string    `json:"objectId" bson:"objectId"`
	Actor      string    `json:"actor" bson:"actor"`
	At         time.Time `json:"at" bson:"at"`
	Detail     string    `json:"detail,omitempty" bson:"detail,omitempty"`
	// Objects are the ids the operation writes, when its roll-forward
	// needs them (an import batch: the targets it creates).
	Objects []string `json:"objects,omitempty" bson:"objects,omitempty"`
}

// IntentStore keeps the intents of operations under way.
type IntentStore interface {
	// PutIntent stores in; one stored with the same ID fails with ECONFLICT.
	PutIntent(ctx context.Context, in *Intent) error
	// DeleteIntent removes an intent; a missing one is no error.
	DeleteIntent(ctx context.Context, id string) error
	// FindIntents returns every stored intent (few: only operations under
	// way or stopped).
	FindIntents(ctx context.Context) ([]*Intent, error)
}

// IntentHandler completes (or drops) the operation of an intent left
// behind. It must be idempotent: it may run again after it failed half-way.
type IntentHandler func(ctx context.Context, in *Intent) error

// Intents begins, ends and rolls forward operations of several writes. A
// nil *Intents begins nothing (services built without one in tests).
type Intents struct {
	Store IntentStore
	Audit *AuditLog
	Now   func() time.Time

	mu       sync.Mutex
	handlers map[string]IntentHandler
}

// Handle registers the handler of kind.
func (x *Intents) Handle(kind string, h IntentHandler) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.handlers == nil {
		x.handlers = map[string]IntentHandler{}
	}
	x.handlers[kind] = h
}

// Begin stores the intent of an operation of kind on one object and
// chains its audit entry. An intent of that operation already stored (the
// operation is under way, or stopped and not rolled forward yet) fails
// with ECONFLICT.
func (x *Intents) Begin(ctx context.Context, kind, opID, objectType, objectID, detail string) (*Intent, error) {
	return x.BeginWith(ctx, kind, opID, objectType, objectID, detail, nil)
}

// BeginWith is Begin for an operation whose roll-forward needs the ids of
// the objects it writes.
func (x *Intents) BeginWith(ctx context.Context, kind, opID, objectType, objectID, detail string, objects []string) (*Intent, error) {
	if x == nil {
		return nil, nil
	}
	now := time.Now
	if x.Now != nil {
		now = x.Now
	}
	in := &Intent{ID: kind + "/" + opID, Kind: kind, ObjectType: objectType, ObjectID: objectID, At: now().UTC().Truncate(time.Millisecond), Detail: detail, Objects: objects}
	if a := ActorFrom(ctx); a != nil {
		in.Actor = a.UserID
	}
	if err := x.Store.PutIntent(ctx, in); err != nil {
		return nil, err
	}
	if _, err := x.Audit.Append(ctx, AuditRecord{Action: "intent." + kind, ObjectType: objectType, ObjectID: objectID,
		Change: in, Detail: detail, Key: IntentKey(in)}); err != nil {
		// Nothing was done yet: give the operation up.
		_ = x.Store.DeleteIntent(context.WithoutCancel(ctx), in.ID)
		return nil, err
	}
	return in, nil
}

// IntentKey is the audit key of an intent's own entry.
func IntentKey(in *Intent) string { return "intent/" + in.ID }

// Done removes the intent of a completed operation. Failing to is
// harmless: the roll-forward finds the operation complete.
func (x *Intents) Done(ctx context.Context, in *Intent) {
	if x == nil || in == nil {
		return
	}
	_ = x.Store.DeleteIntent(context.WithoutCancel(ctx), in.ID)
}

// RollForward hands every intent at least grace old to its handler and
// removes the intents whose handler succeeded. It returns how many it
// completed and the first handler error (the others still run).
func (x *Intents) RollForward(ctx context.Context, grace time.Duration) (int, error) {
	if x == nil {
		return 0, nil
	}
	list, err := x.Store.FindIntents(ctx)
	if err != nil {
		return 0, err
	}
	now := time.Now
	if x.Now != nil {
		now = x.Now
	}
	cutoff := now().Add(-grace)
	sort.Slice(list, func(i, j int) bool { return list[i].At.Before(list[j].At) })
	ctx = WithActor(ctx, SystemActor("roll-forward"))
	n := 0
	var first error
	for _, in := range list {
		if in.At.After(cutoff) {
			continue
		}
		x.mu.Lock()
		h := x.handlers[in.Kind]
		x.mu.Unlock()
		if h == nil {
			continue // a kind this build does not know: leave it
		}
		if err := h(ctx, in); err != nil {
			if first == nil {
				first = wrap("Intents.RollForward", err)
			}
			continue
		}
		if err := x.Store.DeleteIntent(ctx, in.ID); err != nil {
			return n, err
		}
		n++
	}
	return n, first
}

// Follow-ups. Some changes are one document write followed by writes that
// are its consequences (a user's sessions ended: the user's inspection
// codes withdrawn; a device revoked: its sessions and codes). The change's
// record travels with its write (outbox.go); the follow-ups run under an
// intent begun before the change, and their record, keyed by the intent
// (FollowUpKey), is appended when they are done. After a crash the intent's
// handler runs the follow-ups again (each is idempotent) when the change
// was stored, and appends that record; it drops the intent otherwise.

// FollowUpKey is the audit key of the record of an intent's follow-ups.
func FollowUpKey(in *Intent) string { return IntentKey(in) + "/done" }

// followUpsDone appends rec, the record of the follow-ups of the
// operation of in (nil: no intent store), keyed by it, then removes the
// intent. A failure leaves the intent to the roll-forward.
func followUpsDone(ctx context.Context, x *Intents, log *AuditLog, in *Intent, rec AuditRecord) error {
	if in != nil {
		rec.Key = FollowUpKey(in)
	}
	if _, err := log.Append(ctx, rec); err != nil {
		return err
	}
	x.Done(ctx, in)
	return nil
}
