package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
)

// AlgEdDSA is the only JWS algorithm fieldcheck signs or accepts, and the
// algorithm the ring's keys are stored under.
const AlgEdDSA = "EdDSA"

// SigningKey and SigningKeyStore are declared in backend with the other
// stores; these aliases keep this package's own names short.
type (
	SigningKey      = backend.SigningKey
	SigningKeyStore = backend.SigningKeyStore
)

// Keyring is the ring of access-token keys: backend/keyring's one ring
// type, with kids of 16 hex digits. Its cache timings are keyring's
// defaults: a rotation or a retirement reaches every instance within
// keyring.DefaultMaxAge.
type Keyring = keyring.Ring

// tokenKeys is the format of access-token keys. Any non-empty kid of the
// store is accepted, so that keys put in by hand (tests) work too.
var tokenKeys = keyring.Format{
	Algorithm: AlgEdDSA,
	IDBytes:   8,
	NewID:     func(b []byte) (string, bool) { return hex.EncodeToString(b), true },
	ValidID:   func(kid string) bool { return kid != "" },
}

// NewKeyring returns the access-token ring on store with the real clock and
// entropy.
func NewKeyring(store SigningKeyStore) *Keyring { return keyring.New(store, tokenKeys) }

// errUnknownKey and errRetiredKey refuse a token whose kid is not in the
// ring, even after a reload, or names a retired key.
var (
	errUnknownKey = errors.New("unknown signing key")
	errRetiredKey = errors.New("the signing key was retired")
)

// verificationKey returns the public key a token's kid names.
func (s *Service) verificationKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	e, _, err := s.Keys.Lookup(ctx, kid)
	switch {
	case err != nil:
		return nil, err
	case e == nil:
		return nil, errUnknownKey
	case e.Retired(s.Keys.Now()):
		return nil, errRetiredKey
	}
	return e.Public, nil
}
