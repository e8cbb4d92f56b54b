package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/ringcache"
)

// AlgEdDSA is the only JWS algorithm fieldcheck signs or accepts.
const AlgEdDSA = "EdDSA"

// SigningKey and SigningKeyStore are declared in backend with the other
// stores; these aliases keep this package's own names short.
type (
	SigningKey      = backend.SigningKey
	SigningKeyStore = backend.SigningKeyStore
)

// KeyInfo describes a key without its secret, for operators.
type KeyInfo struct {
	ID          string     `json:"kid"`
	Algorithm   string     `json:"algorithm"`
	CreatedAt   time.Time  `json:"createdAt"`
	ActivatedAt time.Time  `json:"activatedAt"`
	RetiredAt   *time.Time `json:"retiredAt,omitempty"`
	Active      bool       `json:"active"` // the key this instance signs with
}

// Keyring holds the Ed25519 keys that sign and verify access tokens. The
// keys live in the store, so that every instance signs and verifies with the
// same ring; each instance caches the ring and reloads it when it is older
// than MaxAge, and when a token names a kid it does not know (at most once
// per MinReload, so that tokens with made-up kids cannot hammer the store).
type Keyring struct {
	Store SigningKeyStore
	Now   func() time.Time
	Rand  io.Reader // key seeds and kids

	// MinReload is the shortest time between two reloads caused by an
	// unknown kid. MaxAge is how long a cached ring is trusted: it bounds how
	// long another instance keeps signing with a superseded key and keeps
	// accepting a retired one.
	MinReload time.Duration
	MaxAge    time.Duration

	loadMu        sync.Mutex // held while reading the store
	set           atomic.Pointer[keySet]
	lastUnknownAt time.Time // guarded by loadMu
	randMu        sync.Mutex
}

// keySet is one immutable snapshot of the ring.
type keySet struct {
	byID     map[string]*ringKey // usable (unretired) keys
	active   *ringKey
	all      []*SigningKey // for Keys; seeds stay here only
	loadedAt time.Time     // time of the last load attempt
}

type ringKey struct {
	id          string
	private     ed25519.PrivateKey
	public      ed25519.PublicKey
	activatedAt time.Time
}

// Defaults for a Keyring.
const (
	DefaultMinReload = 5 * time.Second
	DefaultMaxAge    = time.Minute
)

// NewKeyring returns a keyring on store with the real clock and entropy.
func NewKeyring(store SigningKeyStore) *Keyring {
	return &Keyring{
		Store:     store,
		Now:       time.Now,
		Rand:      rand.Reader,
		MinReload: DefaultMinReload,
		MaxAge:    DefaultMaxAge,
	}
}

// Load reads the ring from the store, creating the first key when the store
// holds no usable key. Call it at start so that a store problem shows at
// once; otherwise the first signature or verification loads the ring.
func (k *Keyring) Load(ctx context.Context) error {
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	_, err := k.load(ctx, true)
	return err
}

// Rotate adds a new key, which from now on signs every new token on this
// instance (and on the others once they reload, within MaxAge). Older keys
// keep verifying until they are retired. It returns the new kid.
func (k *Keyring) Rotate(ctx context.Context) (string, error) {
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	set, err := k.load(ctx, false)
	if err != nil {
		return "", err
	}
	now := k.now()
	if set.active != nil && !now.After(set.active.activatedAt) {
		// Keep activation times strictly increasing, so the new key wins
		// even when the clock has not moved (or moved back) since the last one.
		now = set.active.activatedAt.Add(time.Millisecond)
	}
	key, err := k.create(ctx, now)
	if err != nil {
		return "", err
	}
	if _, err := k.load(ctx, false); err != nil {
		return "", err
	}
	return key.ID, nil
}

// Retire stops the key kid from verifying: tokens it signed are refused at
// once on this instance and within MaxAge on the others. The active key
// cannot be retired; rotate first, and retire the old key only after every
// token it signed has expired (AccessTTL plus MaxAge after the rotation), or
// those sessions must refresh.
func (k *Keyring) Retire(ctx context.Context, kid string) error {
	const op = "Keyring.Retire"
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	set, err := k.load(ctx, false)
	if err != nil {
		return err
	}
	if set.active != nil && set.active.id == kid {
		return &backend.Error{Code: backend.EINVALID, Op: op, Message: fmt.Sprintf("key %s is the active signing key; rotate before retiring it", kid)}
	}
	if err := k.Store.RetireSigningKey(ctx, kid, k.now()); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	_, err = k.load(ctx, false)
	return err
}

// Keys lists the ring as stored (reloading it), newest first by activation.
func (k *Keyring) Keys(ctx context.Context) ([]KeyInfo, error) {
	k.loadMu.Lock()
	set, err := k.load(ctx, false)
	k.loadMu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, 0, len(set.all))
	for _, s := range set.all {
		out = append(out, KeyInfo{
			ID:          s.ID,
			Algorithm:   s.Algorithm,
			CreatedAt:   s.CreatedAt,
			ActivatedAt: s.ActivatedAt,
			RetiredAt:   s.RetiredAt,
			Active:      set.active != nil && set.active.id == s.ID,
		})
	}
	return out, nil
}

// signingKey returns the key new tokens are signed with.
func (k *Keyring) signingKey(ctx context.Context) (*ringKey, error) {
	set, err := k.current(ctx)
	if err != nil {
		return nil, err
	}
	if set.active != nil {
		return set.active, nil
	}
	// Every key was retired (or the ring was never loaded with bootstrap):
	// start a new one rather than fail every login.
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	set, err = k.load(ctx, true)
	if err != nil {
		return nil, err
	}
	return set.active, nil
}

// errUnknownKey is returned for a kid that is not in the ring, even after a
// reload.
var errUnknownKey = fmt.Errorf("unknown signing key")

// publicKey returns the verification key for kid.
func (k *Keyring) publicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	set, err := k.current(ctx)
	if err != nil {
		return nil, err
	}
	if key := set.byID[kid]; key != nil {
		return key.public, nil
	}
	// Perhaps another instance rotated: reload, but not more often than
	// MinReload, whatever kids the tokens we are shown make up.
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	if set = k.set.Load(); set != nil && set.byID[kid] != nil {
		return set.byID[kid].public, nil // someone else reloaded meanwhile
	}
	now := k.now()
	if !k.lastUnknownAt.IsZero() && now.Sub(k.lastUnknownAt) < k.MinReload {
		return nil, errUnknownKey
	}
	k.lastUnknownAt = now
	set, err = k.load(ctx, false)
	if err != nil {
		return nil, err
	}
	if key := set.byID[kid]; key != nil {
		return key.public, nil
	}
	return nil, errUnknownKey
}

// current returns the cached ring, loading it when there is none and
// refreshing it when it is older than MaxAge. A failed refresh keeps the
// cached ring (verification goes on while the store is briefly away) and is
// retried after MaxAge.
func (k *Keyring) current(ctx context.Context) (*keySet, error) {
	return ringcache.Current(ctx, &k.loadMu, &k.set, k.now, k.MaxAge,
		func(x *keySet) *time.Time { return &x.loadedAt }, k.load)
}

// load reads the ring from the store and caches it. With bootstrap, an empty
// ring (no unretired key) gets a first key. The caller holds loadMu.
func (k *Keyring) load(ctx context.Context, bootstrap bool) (*keySet, error) {
	const op = "Keyring.load"
	stored, err := k.Store.FindSigningKeys(ctx)
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	set := &keySet{byID: make(map[string]*ringKey, len(stored)), all: stored, loadedAt: k.now()}
	for _, s := range stored {
		if s.RetiredAt != nil {
			continue
		}
		if s.Algorithm != AlgEdDSA || len(s.Seed) != ed25519.SeedSize || s.ID == "" {
			return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: fmt.Sprintf("signing key %q is malformed", s.ID)}
		}
		priv := ed25519.NewKeyFromSeed(s.Seed)
		key := &ringKey{id: s.ID, private: priv, public: priv.Public().(ed25519.PublicKey), activatedAt: s.ActivatedAt}
		set.byID[s.ID] = key
		if set.active == nil || key.activatedAt.After(set.active.activatedAt) ||
			(key.activatedAt.Equal(set.active.activatedAt) && key.id > set.active.id) {
			set.active = key
		}
	}
	if set.active == nil && bootstrap {
		// Two instances starting together may both create a key here; both
		// keys verify, and the later one signs. That is harmless.
		if _, err := k.create(ctx, k.now()); err != nil {
			return nil, err
		}
		return k.load(ctx, false)
	}
	// Newest first for Keys.
	sortKeys(set.all)
	k.set.Store(set)
	return set, nil
}

// create generates and stores a key that activates at the given time.
func (k *Keyring) create(ctx context.Context, activatedAt time.Time) (*SigningKey, error) {
	const op = "Keyring.create"
	buf := make([]byte, 8+ed25519.SeedSize)
	k.randMu.Lock()
	_, err := io.ReadFull(k.Rand, buf)
	k.randMu.Unlock()
	if err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "no entropy for a new key", Err: err}
	}
	now := k.now()
	key := &SigningKey{
		ID:          hex.EncodeToString(buf[:8]),
		Algorithm:   AlgEdDSA,
		Seed:        buf[8:],
		CreatedAt:   now,
		ActivatedAt: activatedAt.UTC().Truncate(time.Millisecond),
	}
	if err := k.Store.CreateSigningKey(ctx, key); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	return key, nil
}

func (k *Keyring) now() time.Time { return k.Now().UTC().Truncate(time.Millisecond) }

func sortKeys(keys []*SigningKey) {
	slices.SortFunc(keys, func(a, b *SigningKey) int {
		if c := b.ActivatedAt.Compare(a.ActivatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
}
