package keyring

import (
	"context"
	"slices"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Admin is the service through which administrators see and rotate the
// signing keys of the running system (the console's 系统 page), so that a
// rotation no longer needs the CLI and a stopped server: the rings live in
// the store, and every instance picks the change up within MaxAge.
type Admin struct {
	// Rings are the rings by name: "tokens", "codes", "audit".
	Rings map[string]*Ring
	Audit *backend.AuditLog
}

// RingKeys is one ring and its keys, newest activation first.
type RingKeys struct {
	Ring string `json:"ring" enum:"tokens,codes,audit"`
	Keys []Info `json:"keys"`
}

func (a *Admin) ring(name string) (*Ring, error) {
	r, ok := a.Rings[name]
	if !ok {
		return nil, backend.Errorf(backend.ENOTFOUND, "no key ring %q: tokens, codes or audit", name)
	}
	return r, nil
}

// List returns every ring with its keys (administrators only).
func (a *Admin) List(ctx context.Context) ([]RingKeys, error) {
	if _, err := backend.RequireReader(ctx, backend.RoleAdmin); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(a.Rings))
	for n := range a.Rings {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]RingKeys, 0, len(names))
	for _, n := range names {
		keys, err := a.Rings[n].Keys(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, RingKeys{Ring: n, Keys: keys})
	}
	return out, nil
}

// Rotate adds a key to the ring that signs from now on (Ring.Rotate) and
// records who did it in the audit log. activateIn, for the codes ring only,
// publishes the key now and has it sign later, so that offline phones learn
// it first.
func (a *Admin) Rotate(ctx context.Context, ring string, activateIn time.Duration) (*RingKeys, error) {
	actor, err := backend.RequireWriter(ctx, backend.RoleAdmin)
	if err != nil {
		return nil, a.deny(ctx, "keys.rotate", ring, err)
	}
	r, err := a.ring(ring)
	if err != nil {
		return nil, err
	}
	if activateIn < 0 || activateIn > 365*24*time.Hour || (activateIn > 0 && ring != "codes") {
		return nil, backend.Errorf(backend.EINVALID, "a later activation (0 to 365 days) is for the codes ring only")
	}
	var at time.Time
	if activateIn > 0 {
		at = r.now().Add(activateIn)
	}
	// The record travels with the new key's write (the audit outbox).
	if _, err := r.RotateAudited(ctx, at, func(kid string) backend.AuditRecord {
		return backend.AuditRecord{Action: "keys.rotate", ObjectType: "key-ring", ObjectID: ring, Detail: kid + " by " + actor.UserID}
	}); err != nil {
		return nil, err
	}
	return a.one(ctx, ring, r)
}

// Retire stops a key from verifying (Ring.Retire: not the one that signs
// now), audited.
func (a *Admin) Retire(ctx context.Context, ring, kid string) (*RingKeys, error) {
	actor, err := backend.RequireWriter(ctx, backend.RoleAdmin)
	if err != nil {
		return nil, a.deny(ctx, "keys.retire", ring, err)
	}
	r, err := a.ring(ring)
	if err != nil {
		return nil, err
	}
	if err := r.RetireAudited(ctx, kid, backend.AuditRecord{Action: "keys.retire", ObjectType: "key-ring", ObjectID: ring, Detail: kid + " by " + actor.UserID}); err != nil {
		return nil, err
	}
	return a.one(ctx, ring, r)
}

func (a *Admin) one(ctx context.Context, name string, r *Ring) (*RingKeys, error) {
	keys, err := r.Keys(ctx)
	if err != nil {
		return nil, err
	}
	return &RingKeys{Ring: name, Keys: keys}, nil
}

func (a *Admin) deny(ctx context.Context, action, ring string, err error) error {
	_, _ = a.Audit.Append(ctx, backend.AuditRecord{Action: action, ObjectType: "key-ring", ObjectID: ring, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
	return err
}
