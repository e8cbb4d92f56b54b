package backend

import (
	"context"
	"slices"
)

// Role is what a user may do. Roles are scoped to departments: a manager
// manages the inspectors and items of their own departments only.
type Role string

const (
	RoleAdmin     Role = "admin"     // administers users, departments and every directory
	RoleManager   Role = "manager"   // department manager: plans, draws, maintains the department's directories
	RoleReviewer  Role = "reviewer"  // reviews evidence and results of the department
	RoleInspector Role = "inspector" // enforcement officer working in the field
	// RoleOversight is the oversight office (监督): it reads the enterprises'
	// ratings and complaints, the check-ins made outside the list and every
	// department's figures, and changes nothing.
	RoleOversight Role = "oversight"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleManager, RoleReviewer, RoleInspector, RoleOversight:
		return true
	}
	return false
}

// Actor is the authenticated caller of a service method. HTTP adapters build
// it from a verified access token and put it in the context; services read it
// with ActorFrom and decide from it alone what the caller may see and change.
type Actor struct {
	UserID      string
	Role        Role
	Departments []string
	ClientAddr  string
	// DeviceID is the phone the session was opened from (mobile API), or
	// empty.
	DeviceID string
	// SessionID is the session (token family) the request came with, or
	// empty for callers without one (command-line tools).
	SessionID string
	// Fresh is true when the user's record and the session were read from
	// the store for this request (so a disabled user or an ended session
	// has already been refused); every request authenticated by a token is.
	// Writes require it.
	Fresh bool
}

// InDepartment reports whether the actor belongs to department id.
func (a *Actor) InDepartment(id string) bool {
	return a != nil && slices.Contains(a.Departments, id)
}

// Is reports whether the actor has one of the given roles.
func (a *Actor) Is(roles ...Role) bool {
	return a != nil && slices.Contains(roles, a.Role)
}

type actorKey struct{}

// WithActor returns a context that carries a.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or nil for an anonymous caller.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// SystemActor is used by command-line tools run by an operator on the server
// itself (import, user management, seeding). It is recorded in the audit log
// as such.
func SystemActor(name string) *Actor {
	return &Actor{UserID: "system:" + name, Role: RoleAdmin, ClientAddr: "local", Fresh: true}
}

// requireActor returns the actor or an unauthenticated error.
func requireActor(ctx context.Context) (*Actor, error) {
	a := ActorFrom(ctx)
	if a == nil {
		return nil, Errorf(EUNAUTHENTICATED, "login required")
	}
	return a, nil
}

// RequireReader returns the caller when their role is one of roles: for
// services outside this package that only read.
func RequireReader(ctx context.Context, roles ...Role) (*Actor, error) {
	return requireReader(ctx, roles...)
}

// RequireWriter is requireWriter for services outside this package.
func RequireWriter(ctx context.Context, roles ...Role) (*Actor, error) {
	return requireWriter(ctx, roles...)
}

// requireWriter is requireActor for state changes: the user record must have
// been re-read for this request, so a disabled user is refused at once.
func requireWriter(ctx context.Context, roles ...Role) (*Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.Fresh {
		return nil, Errorf(EUNAUTHENTICATED, "session must be re-validated before a change")
	}
	if len(roles) > 0 && !a.Is(roles...) {
		return nil, Errorf(EFORBIDDEN, "role %s may not do this", a.Role)
	}
	return a, nil
}
