package qr

import (
	"context"
	"crypto/ed25519"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
)

// AlgEd25519 is the only signature algorithm of both codes, and the
// algorithm the ring's keys are stored under.
const AlgEd25519 = "Ed25519"

// Key and KeyStore are the stored form of one code-signing key and the
// store of the ring, shared by every server instance: the same types as
// the access-token ring's (backend.SigningKey), kept in another collection.
// The seed is the whole secret: whoever reads it can print enterprise codes
// and mint inspection codes. The two rings are separate because enterprise
// codes live for years on paper, access tokens for minutes, and they rotate
// on different schedules.
type (
	Key      = backend.SigningKey
	KeyStore = backend.SigningKeyStore
)

// RevocationList tells whether an inspection code was revoked before its
// expiry (the task was cancelled, the phone was lost). The store layer
// implements it, keyed by InspectionToken.Serial.
type RevocationList interface {
	IsRevoked(ctx context.Context, serial string) (bool, error)
}

// KeyStatus is a key's place in its life, as operators and the public key
// set show it.
type KeyStatus = keyring.Status

const (
	KeyNext    = keyring.StatusNext    // published, verifies, signs from its activation on
	KeyCurrent = keyring.StatusCurrent // signs every new code
	KeyValid   = keyring.StatusValid   // superseded: no longer signs, still verifies
	KeyRetired = keyring.StatusRetired // its codes are refused
)

// KeyInfo describes a key without its secret, for operators.
type KeyInfo = keyring.Info

// Keyring signs and verifies both codes with the Ed25519 keys of a
// KeyStore. The ring itself (caching, rotation, retirement, reloads) is
// backend/keyring's, the type the access-token keys use too: a rotation or
// a retirement reaches every instance within MaxAge, and a kid this
// instance does not know is looked up at most once per MinReload. Retired
// keys stay in the ring: their codes are refused as retired, not as
// unknown.
type Keyring struct {
	*keyring.Ring
	// Base is the public base URL both codes open, e.g.
	// "https://fc.example.gov.cn" (doc.go says which URLs are allowed).
	Base string
	// Leeway is the clock skew tolerated on an inspection code's times.
	Leeway time.Duration
	// Revocations, when set, is asked about every inspection code that
	// passes all other checks.
	Revocations RevocationList
}

// codeKeys is the format of code-signing keys: kids of KeyIDLen base64url
// letters and digits.
var codeKeys = keyring.Format{
	Algorithm: AlgEd25519,
	IDBytes:   keyIDBytes,
	NewID: func(b []byte) (string, bool) {
		// Letters and digits only: an operator's command line takes a kid
		// that starts with '-' for a flag.
		kid := b64.EncodeToString(b)
		return kid, !strings.ContainsAny(kid, "-_")
	},
	ValidID: validKeyID,
}

// NewKeyring returns a keyring on store for codes that open base, with the
// real clock and entropy.
func NewKeyring(store KeyStore, base string) *Keyring {
	return &Keyring{Ring: keyring.New(store, codeKeys), Base: base, Leeway: DefaultLeeway}
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
	key, err := k.Signer(ctx)
	if err != nil {
		return nil, err
	}
	return &EnterpriseCode{
		Base:      k.Base,
		USCC:      uscc,
		KeyID:     key.ID,
		Signature: ed25519.Sign(key.Private, enterpriseMessage(uscc, key.ID)),
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
	key, err := k.Signer(ctx)
	if err != nil {
		return nil, err
	}
	serial := make([]byte, serialBytes)
	if err := k.Read(serial); err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "no entropy for a serial", Err: err}
	}
	return newInspectionToken(k.Base, key.ID, key.Private, serial, taskID, now, validity), nil
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
	s *keyring.Set
}

func verifyKeyOf(e *keyring.Entry) *verifyKey {
	return &verifyKey{id: e.ID, public: e.Public, notAfter: e.RetiredAt}
}

func (src *ringSource) key(ctx context.Context, kid string) (*verifyKey, error) {
	e, s, err := src.k.Lookup(ctx, kid)
	if err != nil {
		return nil, err
	}
	src.s = s
	if e == nil {
		return nil, nil
	}
	return verifyKeyOf(e), nil
}

func (src *ringSource) all() []*verifyKey {
	keys := src.s.Keys()
	out := make([]*verifyKey, len(keys))
	for i, e := range keys {
		out[i] = verifyKeyOf(e)
	}
	return out
}

func (k *Keyring) now() time.Time { return k.Now().UTC().Truncate(time.Millisecond) }
