package qr

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
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

// AlgEd25519 is the only signature algorithm of both codes.
const AlgEd25519 = "Ed25519"

// Key is the stored form of one code-signing key. The seed is the whole
// secret: whoever reads it can print enterprise codes and mint inspection
// codes. These keys are not the access-token keys (backend.SigningKey):
// enterprise codes live for years on paper, access tokens for minutes, and
// the two rings rotate on different schedules.
type Key struct {
	ID          string     `bson:"_id"` // kid: base64url of 6 random bytes (KeyIDLen characters)
	Algorithm   string     `bson:"algorithm"`
	Seed        []byte     `bson:"seed"` // ed25519.SeedSize bytes
	CreatedAt   time.Time  `bson:"createdAt"`
	ActivatedAt time.Time  `bson:"activatedAt"` // signs from then on, until a later key activates
	RetiredAt   *time.Time `bson:"retiredAt,omitempty"`
}

// KeyStore persists the code-signing ring, shared by every server instance.
// The store layer implements it (MongoDB: a collection of Key documents).
type KeyStore interface {
	// FindKeys returns every key, retired ones included.
	FindKeys(ctx context.Context) ([]*Key, error)
	// CreateKey stores k; an existing kid fails with ECONFLICT.
	CreateKey(ctx context.Context, k *Key) error
	// RetireKey marks the key retired at the given time (a no-op when it is
	// already retired); an unknown kid fails with ENOTFOUND.
	RetireKey(ctx context.Context, kid string, at time.Time) error
}

// RevocationList tells whether an inspection code was revoked before its
// expiry (the task was cancelled, the phone was lost). The store layer
// implements it, keyed by InspectionToken.Serial.
type RevocationList interface {
	IsRevoked(ctx context.Context, serial string) (bool, error)
}

// KeyStatus is a key's place in its life, as operators and the public key
// set show it.
type KeyStatus string

const (
	KeyNext    KeyStatus = "next"    // published, verifies, signs from its activation on
	KeyCurrent KeyStatus = "current" // signs every new code
	KeyValid   KeyStatus = "valid"   // superseded: no longer signs, still verifies
	KeyRetired KeyStatus = "retired" // its codes are refused
)

// KeyInfo describes a key without its secret, for operators.
type KeyInfo struct {
	ID          string     `json:"kid"`
	Algorithm   string     `json:"algorithm"`
	CreatedAt   time.Time  `json:"createdAt"`
	ActivatedAt time.Time  `json:"activatedAt"`
	RetiredAt   *time.Time `json:"retiredAt,omitempty"`
	Status      KeyStatus  `json:"status"`
}

// Keyring signs and verifies both codes with the Ed25519 keys of a
// KeyStore. Like the access-token ring (backend/auth) each instance caches
// the ring, reloads it when it is older than MaxAge, and when a code names a
// kid it does not know (at most once per MinReload, so that made-up kids
// cannot hammer the store). Unlike it, retired keys stay in the ring: their
// codes are refused as retired, not as unknown.
type Keyring struct {
	Store KeyStore
	// Base is the public base URL both codes open, e.g.
	// "https://fc.example.gov.cn" (doc.go says which URLs are allowed).
	Base string
	Now  func() time.Time
	Rand io.Reader // key seeds, kids and serials
	// Leeway is the clock skew tolerated on an inspection code's times.
	Leeway time.Duration
	// Revocations, when set, is asked about every inspection code that
	// passes all other checks.
	Revocations RevocationList

	MinReload time.Duration
	MaxAge    time.Duration

	loadMu        sync.Mutex // held while reading the store
	set           atomic.Pointer[ring]
	lastUnknownAt time.Time // guarded by loadMu
	randMu        sync.Mutex
}

// Defaults for a Keyring.
const (
	DefaultMinReload = 5 * time.Second
	DefaultMaxAge    = time.Minute
)

// NewKeyring returns a keyring on store for codes that open base, with the
// real clock and entropy.
func NewKeyring(store KeyStore, base string) *Keyring {
	return &Keyring{
		Store:     store,
		Base:      base,
		Now:       time.Now,
		Rand:      rand.Reader,
		Leeway:    DefaultLeeway,
		MinReload: DefaultMinReload,
		MaxAge:    DefaultMaxAge,
	}
}

// ring is one immutable snapshot of the key ring.
type ring struct {
	byID     map[string]*ringKey // every usable key, retired ones included
	keys     []*ringKey          // the same, newest activation first
	stored   []*Key              // as stored, for Keys
	loadedAt time.Time
}

type ringKey struct {
	verifyKey
	private     ed25519.PrivateKey
	createdAt   time.Time
	activatedAt time.Time
}

// active returns the key that signs at now: the latest activated by now
// and not retired.
func (r *ring) active(now time.Time) *ringKey {
	for _, k := range r.keys {
		if !k.activatedAt.After(now) && !k.retired(now) {
			return k
		}
	}
	return nil
}

// status returns the status of the stored key s at now.
func (r *ring) status(s *Key, now time.Time) KeyStatus {
	switch {
	case s.RetiredAt != nil && !now.Before(*s.RetiredAt):
		return KeyRetired
	case s.ActivatedAt.After(now):
		return KeyNext
	case r.active(now) != nil && r.active(now).id == s.ID:
		return KeyCurrent
	}
	return KeyValid
}

// Load reads the ring from the store, creating the first key when no key
// signs yet. Call it at start so that a store problem shows at once;
// otherwise the first signature or verification loads the ring.
func (k *Keyring) Load(ctx context.Context) error {
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	_, err := k.load(ctx, true)
	return err
}

// Rotate adds a key that signs every new code from activateAt on (now when
// zero). Activations are strictly increasing: when activateAt is not after
// every other unretired key's activation, the new key activates 1 ms after
// the latest one. Activating a
// few days ahead lets the inspector apps download the new public key before
// any code carries it, so that offline verification never meets an unknown
// kid. Older keys keep verifying until they are retired. It returns the kid.
func (k *Keyring) Rotate(ctx context.Context, activateAt time.Time) (string, error) {
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	r, err := k.load(ctx, false)
	if err != nil {
		return "", err
	}
	at := activateAt
	if at.IsZero() {
		at = k.now()
	}
	at = at.UTC().Truncate(time.Millisecond)
	for _, rk := range r.keys {
		if !rk.retired(k.now()) && !at.After(rk.activatedAt) {
			// Keep activations strictly increasing, so the new key wins
			// even when the clock has not moved since the last rotation.
			at = rk.activatedAt.Add(time.Millisecond)
		}
	}
	key, err := k.create(ctx, at)
	if err != nil {
		return "", err
	}
	if _, err := k.load(ctx, false); err != nil {
		return "", err
	}
	return key.ID, nil
}

// Retire stops the key kid from verifying: its codes are refused at once on
// this instance and within MaxAge on the others. For an enterprise code key
// that means every licence code it signed must be printed again; retire a
// key only when it may have leaked, or once its codes have been replaced.
// The key that signs now cannot be retired: rotate first.
func (k *Keyring) Retire(ctx context.Context, kid string) error {
	const op = "Keyring.Retire"
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	r, err := k.load(ctx, false)
	if err != nil {
		return err
	}
	if a := r.active(k.now()); a != nil && a.id == kid {
		return &backend.Error{Code: backend.EINVALID, Op: op, Message: fmt.Sprintf("key %s signs new codes; rotate before retiring it", kid)}
	}
	if err := k.Store.RetireKey(ctx, kid, k.now()); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	_, err = k.load(ctx, false)
	return err
}

// Keys lists the ring as stored (reloading it), newest activation first.
func (k *Keyring) Keys(ctx context.Context) ([]KeyInfo, error) {
	k.loadMu.Lock()
	r, err := k.load(ctx, false)
	k.loadMu.Unlock()
	if err != nil {
		return nil, err
	}
	now := k.now()
	out := make([]KeyInfo, 0, len(r.stored))
	for _, s := range r.stored {
		out = append(out, KeyInfo{
			ID:          s.ID,
			Algorithm:   s.Algorithm,
			CreatedAt:   s.CreatedAt,
			ActivatedAt: s.ActivatedAt,
			RetiredAt:   s.RetiredAt,
			Status:      r.status(s, now),
		})
	}
	return out, nil
}

// SignEnterpriseCode returns the enterprise code of uscc, signed with the
// current key. Signatures are deterministic: the same key signs the same
// USCC to the same code.
func (k *Keyring) SignEnterpriseCode(ctx context.Context, uscc string) (*EnterpriseCode, error) {
	const op = "Keyring.SignEnterpriseCode"
	if err := backend.ValidateUSCC(uscc); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	if err := k.checkBase(op); err != nil {
		return nil, err
	}
	key, err := k.signingKey(ctx)
	if err != nil {
		return nil, err
	}
	return &EnterpriseCode{
		Base:      k.Base,
		USCC:      uscc,
		KeyID:     key.id,
		Signature: ed25519.Sign(key.private, enterpriseMessage(uscc, key.id)),
	}, nil
}

// SignInspectionToken returns a fresh inspection code for the task, valid
// from now for validity (whole minutes, 1 minute to MaxValidity). Deciding
// who may have a code for which task is the caller's business.
func (k *Keyring) SignInspectionToken(ctx context.Context, taskID string, validity time.Duration) (*InspectionToken, error) {
	const op = "Keyring.SignInspectionToken"
	if !validTaskID(taskID) {
		return nil, backend.Errorf(backend.EINVALID, "task id %s cannot be put in an inspection code", quote(taskID))
	}
	if validity < time.Minute || validity > MaxValidity || validity%time.Minute != 0 {
		return nil, backend.Errorf(backend.EINVALID, "an inspection code is valid for whole minutes, from 1 minute to %s", MaxValidity)
	}
	if err := k.checkBase(op); err != nil {
		return nil, err
	}
	now := k.now().Truncate(time.Second)
	if now.Unix() < 0 || now.Unix() > 1<<32-1 {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "the clock is outside the range of an inspection code"}
	}
	key, err := k.signingKey(ctx)
	if err != nil {
		return nil, err
	}
	serial := make([]byte, serialBytes)
	if err := k.read(serial); err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "no entropy for a serial", Err: err}
	}
	return newInspectionToken(k.Base, key.id, key.private, serial, taskID, now, validity), nil
}

// VerifyEnterpriseCode parses a scanned enterprise code and verifies its
// signature. Every refusal is EINVALID with a Reason; a store failure keeps
// its own code.
func (k *Keyring) VerifyEnterpriseCode(ctx context.Context, raw string) (*EnterpriseCode, error) {
	const op = "Keyring.VerifyEnterpriseCode"
	c, err := ParseEnterpriseCode(raw)
	if err != nil {
		return nil, err
	}
	if err := verifyEnterprise(ctx, op, &ringSource{k: k}, c, k.now()); err != nil {
		return nil, err
	}
	return c, nil
}

// VerifyInspectionToken parses an inspection code (bare token or URL) and
// verifies its signature, its times (with Leeway) and, with Revocations,
// that it was not revoked.
func (k *Keyring) VerifyInspectionToken(ctx context.Context, raw string) (*InspectionToken, error) {
	const op = "Keyring.VerifyInspectionToken"
	t, err := ParseInspectionToken(raw)
	if err != nil {
		return nil, err
	}
	if err := verifyInspection(ctx, op, &ringSource{k: k}, t, k.now(), k.Leeway); err != nil {
		return nil, err
	}
	if k.Revocations != nil {
		revoked, err := k.Revocations.IsRevoked(ctx, t.Serial)
		if err != nil {
			return nil, &backend.Error{Op: op, Err: err}
		}
		if revoked {
			return nil, refuse(op, ReasonRevoked, nil, "this inspection code was revoked by the bureau")
		}
	}
	return t, nil
}

func (k *Keyring) checkBase(op string) error {
	if err := checkBase(k.Base); err != nil {
		return &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "the keyring's base URL is not valid", Err: err}
	}
	return nil
}

// ringSource looks keys up for a verifier, reloading the ring for a kid it
// does not know.
type ringSource struct {
	k *Keyring
	r *ring
}

func (s *ringSource) key(ctx context.Context, kid string) (*verifyKey, error) {
	rk, r, err := s.k.lookup(ctx, kid)
	if err != nil {
		return nil, err
	}
	s.r = r
	if rk == nil {
		return nil, nil
	}
	return &rk.verifyKey, nil
}

func (s *ringSource) all() []*verifyKey {
	out := make([]*verifyKey, len(s.r.keys))
	for i, rk := range s.r.keys {
		out[i] = &rk.verifyKey
	}
	return out
}

// signingKey returns the key new codes are signed with.
func (k *Keyring) signingKey(ctx context.Context) (*ringKey, error) {
	r, err := k.current(ctx)
	if err != nil {
		return nil, err
	}
	if a := r.active(k.now()); a != nil {
		return a, nil
	}
	// Every key was retired (or the ring was never loaded with bootstrap):
	// start a new one rather than fail every code.
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	if r, err = k.load(ctx, true); err != nil {
		return nil, err
	}
	return r.active(k.now()), nil
}

// lookup returns the key kid (nil when unknown, even after a reload) and
// the ring it was looked up in.
func (k *Keyring) lookup(ctx context.Context, kid string) (*ringKey, *ring, error) {
	r, err := k.current(ctx)
	if err != nil {
		return nil, nil, err
	}
	if rk := r.byID[kid]; rk != nil {
		return rk, r, nil
	}
	// Perhaps another instance rotated: reload, but not more often than
	// MinReload, whatever kids the codes we are shown make up.
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	if r = k.set.Load(); r.byID[kid] != nil {
		return r.byID[kid], r, nil // someone else reloaded meanwhile
	}
	now := k.now()
	if !k.lastUnknownAt.IsZero() && now.Sub(k.lastUnknownAt) < k.MinReload {
		return nil, r, nil
	}
	k.lastUnknownAt = now
	if r, err = k.load(ctx, false); err != nil {
		return nil, nil, err
	}
	return r.byID[kid], r, nil
}

// current returns the cached ring, loading it when there is none and
// refreshing it when it is older than MaxAge. A failed refresh keeps the
// cached ring (codes keep verifying while the store is briefly away) and is
// retried after MaxAge.
func (k *Keyring) current(ctx context.Context) (*ring, error) {
	return ringcache.Current(ctx, &k.loadMu, &k.set, k.now, k.MaxAge,
		func(x *ring) *time.Time { return &x.loadedAt }, k.load)
}

// load reads the ring from the store and caches it. With bootstrap, a ring
// in which no key signs now gets a new key. The caller holds loadMu.
func (k *Keyring) load(ctx context.Context, bootstrap bool) (*ring, error) {
	const op = "Keyring.load"
	stored, err := k.Store.FindKeys(ctx)
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	now := k.now()
	r := &ring{byID: make(map[string]*ringKey, len(stored)), stored: stored, loadedAt: now}
	for _, s := range stored {
		if s.Algorithm != AlgEd25519 || len(s.Seed) != ed25519.SeedSize || !validKeyID(s.ID) {
			if s.RetiredAt != nil {
				continue // a retired key may have had its seed erased: its codes read as unknown
			}
			return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: fmt.Sprintf("code-signing key %q is malformed", s.ID)}
		}
		priv := ed25519.NewKeyFromSeed(s.Seed)
		rk := &ringKey{
			verifyKey:   verifyKey{id: s.ID, public: priv.Public().(ed25519.PublicKey)},
			private:     priv,
			createdAt:   s.CreatedAt,
			activatedAt: s.ActivatedAt,
		}
		if s.RetiredAt != nil {
			rk.notAfter = *s.RetiredAt
		}
		r.byID[s.ID] = rk
		r.keys = append(r.keys, rk)
	}
	slices.SortFunc(r.keys, func(a, b *ringKey) int {
		if c := b.activatedAt.Compare(a.activatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	slices.SortFunc(r.stored, func(a, b *Key) int {
		if c := b.ActivatedAt.Compare(a.ActivatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	if bootstrap && r.active(now) == nil {
		// Two instances starting together may both create a key here; both
		// keys verify, and the later one signs. That is harmless.
		if _, err := k.create(ctx, now); err != nil {
			return nil, err
		}
		return k.load(ctx, false)
	}
	k.set.Store(r)
	return r, nil
}

// create generates and stores a key that activates at the given time.
func (k *Keyring) create(ctx context.Context, activatedAt time.Time) (*Key, error) {
	const op = "Keyring.create"
	buf := make([]byte, keyIDBytes+ed25519.SeedSize)
	var kid string
	for {
		if err := k.read(buf); err != nil {
			return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "no entropy for a new key", Err: err}
		}
		// Letters and digits only: an operator's command line takes a kid
		// that starts with '-' for a flag.
		if kid = b64.EncodeToString(buf[:keyIDBytes]); !strings.ContainsAny(kid, "-_") {
			break
		}
	}
	key := &Key{
		ID:          kid,
		Algorithm:   AlgEd25519,
		Seed:        buf[keyIDBytes:],
		CreatedAt:   k.now(),
		ActivatedAt: activatedAt.UTC().Truncate(time.Millisecond),
	}
	if err := k.Store.CreateKey(ctx, key); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	return key, nil
}

func (k *Keyring) read(p []byte) error {
	k.randMu.Lock()
	defer k.randMu.Unlock()
	_, err := io.ReadFull(k.Rand, p)
	return err
}

func (k *Keyring) now() time.Time { return k.Now().UTC().Truncate(time.Millisecond) }
