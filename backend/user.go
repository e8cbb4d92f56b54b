package backend

import (
	"context"
	"regexp"
	"time"
)

// User is a login account. The username is the id and never changes.
type User struct {
	ID           string   `json:"id" bson:"_id"`
	DisplayName  string   `json:"displayName" bson:"displayName"`
	Role         Role     `json:"role" bson:"role"`
	Departments  []string `json:"departments" bson:"departments"`
	PasswordHash string   `json:"-" bson:"passwordHash"`
	Disabled     bool     `json:"disabled" bson:"disabled"`
	// SessionEpoch moves whenever an administrator ends the user's
	// sessions (a password reset, a disable or enable, "end all sessions").
	// Every session records the epoch it was opened in and is refused once
	// the user's has moved on: one single-document update ends every
	// session of the user, on every API and device, at once.
	SessionEpoch int64     `json:"-" bson:"sessionEpoch"`
	Version      int64     `json:"version" bson:"version"`
	CreatedAt    time.Time `json:"createdAt" bson:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt" bson:"updatedAt"`
}

var usernamePattern = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,31}$`)

// ValidUsername reports whether s is a well-formed username: 2-32 characters,
// lower-case letters, digits, '.', '_' or '-', starting with a letter.
func ValidUsername(s string) bool { return usernamePattern.MatchString(s) }

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// ValidatePassword checks a new password against the policy. bcrypt only
// reads the first 72 bytes, so longer passwords are refused rather than
// silently truncated.
func ValidatePassword(p string) error {
	if len([]rune(p)) < MinPasswordLength {
		return Errorf(EINVALID, "password must have at least %d characters", MinPasswordLength)
	}
	if len(p) > 72 {
		return Errorf(EINVALID, "password must be at most 72 bytes")
	}
	return nil
}

// Validate checks the user's fields (not the password, which is hashed by then).
func (u *User) Validate() error {
	if !ValidUsername(u.ID) {
		return Errorf(EINVALID, "username %q must be 2-32 lower-case letters, digits, '.', '_' or '-', starting with a letter", u.ID)
	}
	if err := checkText("display name", u.DisplayName, 1, 50); err != nil {
		return err
	}
	if !u.Role.Valid() {
		return Errorf(EINVALID, "role %q must be admin, manager, reviewer or inspector", u.Role)
	}
	if u.Role != RoleAdmin && len(u.Departments) == 0 {
		return Errorf(EINVALID, "a %s must belong to at least one department", u.Role)
	}
	if err := checkList("departments", u.Departments, 16, 64); err != nil {
		return err
	}
	for _, d := range u.Departments {
		if !ValidID(d) {
			return Errorf(EINVALID, "department %q is malformed", d)
		}
	}
	return nil
}

// UserStore persists users.
type UserStore interface {
	FindUserByID(ctx context.Context, id string) (*User, error)
	FindUsers(ctx context.Context, p PageRequest) (*Page[*User], error)
	CountUsers(ctx context.Context) (int64, error)
	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error // u.Version is the expected current version
}

// RefreshToken is the stored form of a refresh token: only the SHA-256 of
// the secret is kept. Tokens of one login form a family; each refresh uses up
// one token and issues the next. A used token presented again means it was
// stolen, and the whole family is revoked.
type RefreshToken struct {
	ID        string     `bson:"_id"` // hex SHA-256 of the token secret
	Family    string     `bson:"family"`
	UserID    string     `bson:"userId"`
	DeviceID  string     `bson:"deviceId,omitempty"`
	CreatedAt time.Time  `bson:"createdAt"`
	ExpiresAt time.Time  `bson:"expiresAt"`
	UsedAt    *time.Time `bson:"usedAt,omitempty"`
	// Successor is the id of the token this one was spent for, set in
	// the same write as UsedAt: a client whose answer was lost presents
	// this token again, and the refresh grace (auth.RefreshGrace) finds
	// the unused successor through it.
	Successor string `bson:"successor,omitempty"`
}

// TokenFamily records whether a login session (a family of refresh tokens)
// was revoked, by logout, by the reuse of a spent token or with its device.
// Sessions ended by an administrator are not marked one by one: the user's
// SessionEpoch moved past the session's UserEpoch.
type TokenFamily struct {
	ID        string     `bson:"_id"`
	UserID    string     `bson:"userId"`
	Audience  string     `bson:"audience"` // the API the session was opened on
	DeviceID  string     `bson:"deviceId,omitempty"`
	UserEpoch int64      `bson:"userEpoch"` // User.SessionEpoch when the password was checked
	CreatedAt time.Time  `bson:"createdAt"`
	ExpiresAt time.Time  `bson:"expiresAt"`
	RevokedAt *time.Time `bson:"revokedAt,omitempty"`
	Reason    string     `bson:"reason,omitempty"`
	// LastSeenAt is when a browser session (a cookie, without refresh
	// tokens) was last used, moved at most once per auth.BrowserTouch:
	// its idle timeout counts from it. Nil for token sessions.
	LastSeenAt *time.Time `bson:"lastSeenAt,omitempty"`
}

// TokenStore persists refresh tokens and their families.
type TokenStore interface {
	CreateTokenFamily(ctx context.Context, f *TokenFamily) error
	FindTokenFamily(ctx context.Context, id string) (*TokenFamily, error)
	RevokeTokenFamily(ctx context.Context, id string, at time.Time, reason string) error
	// TouchTokenFamily sets the session's LastSeenAt to at if it is still
	// open (a no-op otherwise): one update by _id.
	TouchTokenFamily(ctx context.Context, id string, at time.Time) error
	// RevokeDeviceTokenFamilies revokes every session of the user opened
	// from the device that is not revoked yet, and returns how many it
	// revoked.
	RevokeDeviceTokenFamilies(ctx context.Context, userID, deviceID string, at time.Time, reason string) (int, error)
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	FindRefreshToken(ctx context.Context, id string) (*RefreshToken, error)
	// UseRefreshToken marks the token used at the given time, spent for the
	// token successor. It succeeds for exactly one caller; every other
	// caller gets ECONFLICT.
	UseRefreshToken(ctx context.Context, id string, at time.Time, successor string) error
}

// ThrottleStore counts events per key in fixed windows, shared by every
// server instance.
type ThrottleStore interface {
	// AddThrottle adds n to the counter of key in the window that contains
	// now and returns the new count: 0 only reads, a negative n gives back
	// what an earlier call counted.
	AddThrottle(ctx context.Context, key string, window time.Duration, now time.Time, n int) (int, error)
}

// SigningKey is the stored form of one access-token signing key. The seed is
// the whole secret: whoever can read it can mint access tokens.
type SigningKey struct {
	ID          string     `bson:"_id"` // the kid in token headers
	Algorithm   string     `bson:"algorithm"`
	Seed        []byte     `bson:"seed"` // Ed25519 private key seed, ed25519.SeedSize bytes
	CreatedAt   time.Time  `bson:"createdAt"`
	ActivatedAt time.Time  `bson:"activatedAt"` // the key with the latest ActivatedAt signs
	RetiredAt   *time.Time `bson:"retiredAt,omitempty"`
}

// SigningKeyStore persists the key ring, shared by every server instance.
type SigningKeyStore interface {
	// FindSigningKeys returns every key, retired ones included.
	FindSigningKeys(ctx context.Context) ([]*SigningKey, error)
	// CreateSigningKey stores k; an existing kid fails with ECONFLICT.
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// RetireSigningKey marks the key retired at the given time (a no-op when
	// it is already retired); an unknown kid fails with ENOTFOUND.
	RetireSigningKey(ctx context.Context, kid string, at time.Time) error
}
