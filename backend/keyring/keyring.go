// Package keyring is fieldcheck's one Ed25519 key ring, used for the keys
// that sign access tokens (backend/auth), for those that sign printed
// licence codes and inspection codes (qr) and for those that sign the audit
// log's published heads (backend/app, docs/audit.md). The rings live in
// separate collections and rotate on different schedules (minutes against
// years); what they share is here: keys stored for every instance
// (backend.SigningKeyStore), a cached snapshot per instance, rotation with
// strictly increasing activations, retirement, the rules for reloading, and
// the published form of the public keys (PublicKey).
//
// # Caching and how fast a change spreads
//
// Each instance keeps the snapshot it last read and reads the store again
// when the snapshot is older than Ring.MaxAge (DefaultMaxAge, 5 seconds),
// on the next use. A rotation or a retirement made on one instance (or by
// `fieldcheck keys`) is therefore seen by every other instance within
// MaxAge: a retired key's tokens and codes are refused everywhere within
// 5 seconds. A kid the snapshot does not know makes the instance read
// again at once, but at most once per Ring.MinReload (1 second), so that
// made-up kids cannot hammer the store. A reload that fails keeps the
// snapshot (verification goes on while the store is briefly away) and is
// tried again after MaxAge. A ring is a handful of documents read whole,
// so a reload costs one small read even on the embedded store.
//
// # Keys and their life
//
// A key signs from its ActivatedAt on, until a key with a later activation
// takes over (a key may be published before it signs: the printed codes'
// ring announces keys ahead so that offline apps learn them first). A
// retired key verifies nothing from its RetiredAt on; it stays in the
// snapshot so that verifiers can tell "retired" from "unknown". The key
// that signs now cannot be retired: rotate first. When no key signs (all
// retired, or an empty store at the first start), the ring makes one.
package keyring

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Key and Store are declared in backend with the other stores.
type (
	Key   = backend.SigningKey
	Store = backend.SigningKeyStore
)

// Status is a key's place in its life, as operators and the public key set
// of the printed codes show it.
type Status string

const (
	StatusNext    Status = "next"    // published, verifies, signs from its activation on
	StatusCurrent Status = "current" // signs everything new
	StatusValid   Status = "valid"   // superseded: no longer signs, still verifies
	StatusRetired Status = "retired" // what it signed is refused
)

// Info describes a key without its secret, for operators.
type Info struct {
	ID          string     `json:"kid"`
	Algorithm   string     `json:"algorithm"`
	CreatedAt   time.Time  `json:"createdAt"`
	ActivatedAt time.Time  `json:"activatedAt"`
	RetiredAt   *time.Time `json:"retiredAt,omitempty"`
	Status      Status     `json:"status"`
}

// Format is what differs between the rings' keys: the algorithm name they
// are stored under, and their kids.
type Format struct {
	Algorithm string
	// IDBytes random bytes make a kid: NewID encodes them, or reports
	// false to have other bytes drawn.
	IDBytes int
	NewID   func(random []byte) (string, bool)
	// ValidID checks a stored kid; a usable key with a bad one is an error.
	ValidID func(kid string) bool
}

// Defaults for a Ring.
const (
	DefaultMaxAge    = 5 * time.Second
	DefaultMinReload = time.Second
)

// Ring holds one ring's keys. Set the exported fields before first use.
type Ring struct {
	Store  Store
	Format Format
	Now    func() time.Time
	Rand   io.Reader // kids, seeds, and whatever else the owner draws with Read

	// MaxAge is how long a snapshot is trusted: it bounds how long another
	// instance goes on signing with a superseded key and accepting a
	// retired one. MinReload is the shortest time between two reloads
	// caused by unknown kids.
	MaxAge    time.Duration
	MinReload time.Duration

	loadMu        sync.Mutex // held while reading the store
	set           atomic.Pointer[Set]
	lastUnknownAt time.Time // guarded by loadMu
	randMu        sync.Mutex
}

// New returns a ring on store with the real clock and entropy and the
// default cache timings.
func New(store Store, f Format) *Ring {
	return &Ring{Store: store, Format: f, Now: time.Now, Rand: rand.Reader, MaxAge: DefaultMaxAge, MinReload: DefaultMinReload}
}

// Set is one immutable snapshot of the ring.
type Set struct {
	byID     map[string]*Entry
	keys     []*Entry // newest activation first
	stored   []*Key   // as stored, newest activation first
	loadedAt time.Time
}

// Entry is a usable key of a snapshot (retired ones included).
type Entry struct {
	ID          string
	Private     ed25519.PrivateKey
	Public      ed25519.PublicKey
	CreatedAt   time.Time
	ActivatedAt time.Time
	RetiredAt   time.Time // zero: not retired
}

// Retired reports whether the key verifies nothing at now.
func (e *Entry) Retired(now time.Time) bool {
	return !e.RetiredAt.IsZero() && !now.Before(e.RetiredAt)
}

// Key returns the key kid, or nil.
func (s *Set) Key(kid string) *Entry { return s.byID[kid] }

// Keys returns every usable key, retired ones included, newest activation
// first. The slice is the snapshot's own: do not change it.
func (s *Set) Keys() []*Entry { return s.keys }

// Active returns the key that signs at now: the latest activated by now and
// not retired; nil when none.
func (s *Set) Active(now time.Time) *Entry {
	for _, e := range s.keys {
		if !e.ActivatedAt.After(now) && !e.Retired(now) {
			return e
		}
	}
	return nil
}

// Status returns the status of the key kid, activated at activatedAt and
// retired at retiredAt (nil: not), at now.
func (s *Set) Status(kid string, activatedAt time.Time, retiredAt *time.Time, now time.Time) Status {
	switch {
	case retiredAt != nil && !now.Before(*retiredAt):
		return StatusRetired
	case activatedAt.After(now):
		return StatusNext
	}
	if a := s.Active(now); a != nil && a.ID == kid {
		return StatusCurrent
	}
	return StatusValid
}

// PublicKey is one key of a published key set: what verifies a signature
// without the secret. qr's key set and the audit ring's are lists of them.
type PublicKey struct {
	ID        string `json:"kid"`
	Algorithm string `json:"alg"`
	Key       string `json:"key"` // base64url, no padding, of the 32-byte public key
	Status    Status `json:"status"`
	// ActivatedAt is when the key starts (or started) signing.
	ActivatedAt time.Time `json:"activatedAt"`
	// NotAfter is when the key was (or will be) retired: what it signed is
	// refused from then on, whatever the status says.
	NotAfter *time.Time `json:"notAfter,omitempty"`
}

// PublicKeys lists the snapshot's keys, newest activation first, as
// published at now under the algorithm name alg.
func (s *Set) PublicKeys(alg string, now time.Time) []PublicKey {
	out := make([]PublicKey, 0, len(s.keys))
	for _, e := range s.keys {
		pk := PublicKey{ID: e.ID, Algorithm: alg, Key: base64.RawURLEncoding.EncodeToString(e.Public), ActivatedAt: e.ActivatedAt}
		if !e.RetiredAt.IsZero() {
			t := e.RetiredAt
			pk.NotAfter = &t
		}
		pk.Status = s.Status(e.ID, e.ActivatedAt, pk.NotAfter, now)
		out = append(out, pk)
	}
	return out
}

// Load reads the ring from the store, creating the first key when none
// signs. Call it at start so that a store problem shows at once; otherwise
// the first use loads the ring.
func (r *Ring) Load(ctx context.Context) error {
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	_, err := r.load(ctx, true)
	return err
}

// Rotate adds a key that signs everything new from activateAt on (now when
// zero), here at once and on the other instances within MaxAge. Activations
// are strictly increasing: when activateAt is not after every unretired
// key's activation, the new key activates 1 ms after the latest one (so a
// rotation when the clock has not moved since the last activates 1 ms
// later). Older keys keep verifying until they are retired. It returns the
// new kid.
func (r *Ring) Rotate(ctx context.Context, activateAt time.Time) (string, error) {
	return r.RotateAudited(ctx, activateAt, nil)
}

// RotateAudited is Rotate with the record of the rotation, made by record
// from the new key's id, travelling with the new key's write (the audit
// outbox, backend/outbox.go).
func (r *Ring) RotateAudited(ctx context.Context, activateAt time.Time, record func(kid string) backend.AuditRecord) (string, error) {
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	s, err := r.load(ctx, false)
	if err != nil {
		return "", err
	}
	now := r.now()
	at := activateAt
	if at.IsZero() {
		at = now
	}
	at = at.UTC().Truncate(time.Millisecond)
	for _, e := range s.keys {
		if !e.Retired(now) && !at.After(e.ActivatedAt) {
			at = e.ActivatedAt.Add(time.Millisecond)
		}
	}
	key, err := r.create(ctx, at, record)
	if err != nil {
		return "", err
	}
	if _, err := r.load(ctx, false); err != nil {
		return "", err
	}
	return key.ID, nil
}

// Retire stops the key kid from verifying: what it signed is refused at
// once on this instance and within MaxAge on the others. The key that signs
// now cannot be retired (EINVALID): rotate first. An unknown kid is
// ENOTFOUND; retiring a retired key is no error.
func (r *Ring) Retire(ctx context.Context, kid string) error {
	return r.RetireAudited(ctx, kid)
}

// RetireAudited is Retire with the records of the retirement travelling
// with its write (the audit outbox, backend/outbox.go).
func (r *Ring) RetireAudited(ctx context.Context, kid string, recs ...backend.AuditRecord) error {
	const op = "keyring.Retire"
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	s, err := r.load(ctx, false)
	if err != nil {
		return err
	}
	if a := s.Active(r.now()); a != nil && a.ID == kid {
		return &backend.Error{Code: backend.EINVALID, Op: op, Message: fmt.Sprintf("key %s signs now; rotate before retiring it", kid)}
	}
	if err := r.Store.RetireSigningKey(ctx, kid, r.now(), recs...); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	_, err = r.load(ctx, false)
	return err
}

// Keys lists the ring as stored (reading it again), newest activation
// first.
func (r *Ring) Keys(ctx context.Context) ([]Info, error) {
	r.loadMu.Lock()
	s, err := r.load(ctx, false)
	r.loadMu.Unlock()
	if err != nil {
		return nil, err
	}
	now := r.now()
	out := make([]Info, 0, len(s.stored))
	for _, k := range s.stored {
		out = append(out, Info{
			ID: k.ID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, ActivatedAt: k.ActivatedAt, RetiredAt: k.RetiredAt,
			Status: s.Status(k.ID, k.ActivatedAt, k.RetiredAt, now),
		})
	}
	return out, nil
}

// Signer returns the key that signs now. When none does (every key was
// retired), it makes one rather than fail every signature.
func (r *Ring) Signer(ctx context.Context) (*Entry, error) {
	s, err := r.Current(ctx)
	if err != nil {
		return nil, err
	}
	if a := s.Active(r.now()); a != nil {
		return a, nil
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if s, err = r.load(ctx, true); err != nil {
		return nil, err
	}
	return s.Active(r.now()), nil
}

// Lookup returns the key kid (nil when it is unknown, even after a reload)
// and the snapshot it was looked up in. An unknown kid may have been
// rotated in by another instance: the store is read again, but not more
// often than MinReload, whatever kids the tokens and codes shown make up.
func (r *Ring) Lookup(ctx context.Context, kid string) (*Entry, *Set, error) {
	s, err := r.Current(ctx)
	if err != nil {
		return nil, nil, err
	}
	if e := s.byID[kid]; e != nil {
		return e, s, nil
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if s = r.set.Load(); s.byID[kid] != nil {
		return s.byID[kid], s, nil // someone else reloaded meanwhile
	}
	now := r.now()
	if !r.lastUnknownAt.IsZero() && now.Sub(r.lastUnknownAt) < r.MinReload {
		return nil, s, nil
	}
	r.lastUnknownAt = now
	if s, err = r.load(ctx, false); err != nil {
		return nil, nil, err
	}
	return s.byID[kid], s, nil
}

// Current returns the cached snapshot, loading it when there is none and
// reading the store again when it is older than MaxAge. A reload that finds
// another under way serves the cached snapshot rather than wait; one that
// fails keeps it, marked as read now, so that the store is asked again only
// after MaxAge.
func (r *Ring) Current(ctx context.Context) (*Set, error) {
	s := r.set.Load()
	if s == nil {
		r.loadMu.Lock()
		defer r.loadMu.Unlock()
		if s = r.set.Load(); s != nil {
			return s, nil
		}
		return r.load(ctx, true)
	}
	if r.now().Sub(s.loadedAt) < r.MaxAge || !r.loadMu.TryLock() {
		return s, nil // fresh, or being reloaded right now
	}
	defer r.loadMu.Unlock()
	if s = r.set.Load(); r.now().Sub(s.loadedAt) < r.MaxAge {
		return s, nil
	}
	fresh, err := r.load(ctx, false)
	if err != nil {
		stale := *s
		stale.loadedAt = r.now()
		r.set.Store(&stale)
		return &stale, nil
	}
	return fresh, nil
}

// Read fills p from Rand; reads are serialised.
func (r *Ring) Read(p []byte) error {
	r.randMu.Lock()
	defer r.randMu.Unlock()
	_, err := io.ReadFull(r.Rand, p)
	return err
}

// load reads the ring from the store and caches it. With bootstrap, a ring
// in which no key signs now gets a new key. The caller holds loadMu.
func (r *Ring) load(ctx context.Context, bootstrap bool) (*Set, error) {
	const op = "keyring.load"
	stored, err := r.Store.FindSigningKeys(ctx)
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	now := r.now()
	s := &Set{byID: make(map[string]*Entry, len(stored)), stored: stored, loadedAt: now}
	for _, k := range stored {
		if k.Algorithm != r.Format.Algorithm || len(k.Seed) != ed25519.SeedSize || !r.Format.ValidID(k.ID) {
			if k.RetiredAt != nil {
				continue // a retired key may have had its seed erased: what it signed reads as unknown
			}
			return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: fmt.Sprintf("signing key %q is malformed", k.ID)}
		}
		priv := ed25519.NewKeyFromSeed(k.Seed)
		e := &Entry{ID: k.ID, Private: priv, Public: priv.Public().(ed25519.PublicKey), CreatedAt: k.CreatedAt, ActivatedAt: k.ActivatedAt}
		if k.RetiredAt != nil {
			e.RetiredAt = *k.RetiredAt
		}
		s.byID[k.ID] = e
		s.keys = append(s.keys, e)
	}
	slices.SortFunc(s.keys, func(a, b *Entry) int { return newestFirst(a.ActivatedAt, b.ActivatedAt, a.ID, b.ID) })
	slices.SortFunc(s.stored, func(a, b *Key) int { return newestFirst(a.ActivatedAt, b.ActivatedAt, a.ID, b.ID) })
	if bootstrap && s.Active(now) == nil {
		// Two instances starting together may both create a key here; both
		// keys verify, and the later one signs. That is harmless.
		if _, err := r.create(ctx, now, nil); err != nil {
			return nil, err
		}
		return r.load(ctx, false)
	}
	r.set.Store(s)
	return s, nil
}

func newestFirst(at, bt time.Time, aid, bid string) int {
	if c := bt.Compare(at); c != 0 {
		return c
	}
	return strings.Compare(bid, aid)
}

// create generates and stores a key that activates at the given time.
func (r *Ring) create(ctx context.Context, activatedAt time.Time, record func(kid string) backend.AuditRecord) (*Key, error) {
	const op = "keyring.create"
	buf := make([]byte, r.Format.IDBytes+ed25519.SeedSize)
	var kid string
	for {
		if err := r.Read(buf); err != nil {
			return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "no entropy for a new key", Err: err}
		}
		var ok bool
		if kid, ok = r.Format.NewID(buf[:r.Format.IDBytes]); ok {
			break
		}
	}
	key := &Key{
		ID:          kid,
		Algorithm:   r.Format.Algorithm,
		Seed:        buf[r.Format.IDBytes:],
		CreatedAt:   r.now(),
		ActivatedAt: activatedAt.UTC().Truncate(time.Millisecond),
	}
	if record != nil {
		key.Record(record(kid))
	}
	if err := r.Store.CreateSigningKey(ctx, key); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	return key, nil
}

func (r *Ring) now() time.Time { return r.Now().UTC().Truncate(time.Millisecond) }
