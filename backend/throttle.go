package backend

import (
	"context"
	"time"
)

// Backoff is the failure history of one throttle key (the login of one
// account from one address): how many failures it has, and the earliest
// time of its next attempt.
type Backoff struct {
	ID        string    `bson:"_id"`
	Failures  int       `bson:"failures"`
	NextAt    time.Time `bson:"nextAt"`    // no attempt before
	ExpiresAt time.Time `bson:"expiresAt"` // forgotten from then on (and purged)
	Version   int64     `bson:"version"`
}

// LoginLock bars every login to a username after too many failed logins
// from anywhere, until it ends or an administrator lifts it. The username
// need not be an account: locking must not tell which ones exist.
type LoginLock struct {
	Username string    `json:"username" bson:"_id"`
	LockedAt time.Time `json:"lockedAt" bson:"lockedAt"`
	Until    time.Time `json:"until" bson:"expiresAt"`
	Failures int       `json:"failures" bson:"failures"` // failed logins that brought the lock
}

// LoginThrottleStore is what login throttling keeps, shared by every
// server instance: counters in fixed windows, backoffs per key and
// account locks.
type LoginThrottleStore interface {
	ThrottleStore
	// TakeBackoff admits one attempt at key at now, or refuses it. It is
	// admitted when now is not before the key's NextAt (or the key is
	// unknown or expired) and is then counted as a failure, atomically
	// across instances: Failures+1, NextAt = now + delay(Failures), kept
	// until now + memory (NextAt if later). It returns the key's state
	// after the call and whether the attempt was admitted; ECONFLICT when
	// concurrent attempts kept winning the update.
	TakeBackoff(ctx context.Context, key string, now time.Time, memory time.Duration, delay func(failures int) time.Duration) (*Backoff, bool, error)
	// ClearBackoff forgets key; an unknown key is no error.
	ClearBackoff(ctx context.Context, key string) error
	// PutLoginLock stores l, replacing any lock of the same username.
	PutLoginLock(ctx context.Context, l *LoginLock) error
	// FindLoginLock returns the lock of a username (ENOTFOUND when none;
	// it may have ended: compare Until).
	FindLoginLock(ctx context.Context, username string) (*LoginLock, error)
	// FindLoginLocks returns one page of the locks that have not ended at
	// now.
	FindLoginLocks(ctx context.Context, now time.Time, p PageRequest) (*Page[*LoginLock], error)
	// DeleteLoginLock removes the lock of a username; ENOTFOUND when none.
	DeleteLoginLock(ctx context.Context, username string) error
}
