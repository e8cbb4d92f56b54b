package qr

import (
	"context"
	"crypto/ed25519"
	"time"
)

// DefaultLeeway is the clock skew tolerated between the phone that shows an
// inspection code and whoever checks it.
const DefaultLeeway = 2 * time.Minute

// verifyKey is a public key as a verifier sees it.
type verifyKey struct {
	id       string
	public   ed25519.PublicKey
	notAfter time.Time // when the key was (or will be) retired; zero: never
	// retiredFlag: retired whatever the time (a key set says so).
	retiredFlag bool
}

func (k *verifyKey) retired(now time.Time) bool {
	return k.retiredFlag || !k.notAfter.IsZero() && !now.Before(k.notAfter)
}

// keySource is where a verifier finds keys: the Keyring (from the store) or
// a PublicKeySet (offline).
type keySource interface {
	// key returns the key kid, or nil when it is unknown.
	key(ctx context.Context, kid string) (*verifyKey, error)
	// all returns every known key, retired ones included.
	all() []*verifyKey
}

// checkSignature verifies sig over msg(kid) with the key kid names and
// classifies a failure. A signature that verifies with another of our keys
// over the message that key would have signed proves the kid was edited
// (ReasonAltered); nothing else can separate a forgery from an edit.
func checkSignature(ctx context.Context, op, what string, src keySource, kid string, msg func(kid string) []byte, sig []byte, now time.Time) error {
	k, err := src.key(ctx, kid)
	if err != nil {
		return err
	}
	if k != nil && ed25519.Verify(k.public, msg(kid), sig) {
		if k.retired(now) {
			when := ""
			if !k.notAfter.IsZero() {
				when = " on " + k.notAfter.UTC().Format(time.DateOnly)
			}
			return refuse(op, ReasonRetiredKey, nil, "this %s is genuine, but its key was retired%s: ask the bureau for a new code", what, when)
		}
		return nil
	}
	for _, o := range src.all() {
		if o.id != kid && ed25519.Verify(o.public, msg(o.id), sig) {
			return refuse(op, ReasonAltered, nil, "this %s was altered: its signature is genuine, but its key id was changed", what)
		}
	}
	if k == nil {
		return refuse(op, ReasonUnknownKey, nil, "this %s is signed with an unknown key (%s): it is forged, or the list of keys is out of date", what, kid)
	}
	return refuse(op, ReasonForged, nil, "this %s's signature does not match its content: the code is forged or was changed", what)
}

// verifyEnterprise checks an enterprise code's signature.
func verifyEnterprise(ctx context.Context, op string, src keySource, c *EnterpriseCode, now time.Time) error {
	msg := func(kid string) []byte { return enterpriseMessage(c.USCC, kid) }
	return checkSignature(ctx, op, "enterprise code", src, c.KeyID, msg, c.Signature, now)
}

// verifyInspection checks an inspection token's signature, then its times:
// a forged token is called forged, whatever the dates it claims.
func verifyInspection(ctx context.Context, op string, src keySource, t *InspectionToken, now time.Time, leeway time.Duration) error {
	msg := func(kid string) []byte { return inspectionMessage(t.payload(kid)) }
	if err := checkSignature(ctx, op, "inspection code", src, t.KeyID, msg, t.Signature, now); err != nil {
		return err
	}
	if now.Add(leeway).Before(t.IssuedAt) {
		return refuse(op, ReasonNotYetValid, nil, "this inspection code is dated %s in the future: the clock of the phone or of this device is wrong", ago(t.IssuedAt.Sub(now)))
	}
	if !now.Before(t.ExpiresAt.Add(leeway)) {
		return refuse(op, ReasonExpired, nil, "this inspection code expired %s ago: ask the inspector to show a fresh one", ago(now.Sub(t.ExpiresAt)))
	}
	return nil
}
