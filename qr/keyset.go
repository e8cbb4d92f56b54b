package qr

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
)

// KeySetPath is where the public key set is served.
const KeySetPath = "/.well-known/fieldcheck-keys.json"

// MaxKeySetLen bounds a key set a client will read.
const MaxKeySetLen = 1 << 20

// PublicKeySet is the document served at KeySetPath: every code-signing key
// the bureau has used, without secrets, so that the inspector app can
// verify codes offline. doc.go specifies it.
type PublicKeySet struct {
	Keys []PublicKey `json:"keys"`
}

// PublicKey is one key of a PublicKeySet (Algorithm AlgEd25519), as every
// ring of backend/keyring publishes its keys.
type PublicKey = keyring.PublicKey

// PublicKeySet returns the key set to publish, from the cached ring (at
// most MaxAge old, so the well-known route costs no store read).
func (k *Keyring) PublicKeySet(ctx context.Context) (*PublicKeySet, error) {
	r, err := k.Current(ctx)
	if err != nil {
		return nil, err
	}
	return &PublicKeySet{Keys: r.PublicKeys(AlgEd25519, k.now())}, nil
}

// ParsePublicKeySet reads a key set as published. Unknown fields, and keys
// of another algorithm, are ignored, so that an app keeps working when a
// later server adds to the document; a malformed key of ours is an error.
func ParsePublicKeySet(data []byte) (*PublicKeySet, error) {
	const op = "qr.ParsePublicKeySet"
	bad := func(format string, args ...any) error {
		return &backend.Error{Code: backend.EINVALID, Op: op, Message: "the key set is malformed: " + fmt.Sprintf(format, args...)}
	}
	if len(data) > MaxKeySetLen {
		return nil, bad("longer than %d bytes", MaxKeySetLen)
	}
	var in PublicKeySet
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&in); err != nil {
		return nil, &backend.Error{Code: backend.EINVALID, Op: op, Message: "the key set is not valid JSON", Err: err}
	}
	if dec.More() {
		return nil, bad("trailing data")
	}
	out := &PublicKeySet{Keys: make([]PublicKey, 0, len(in.Keys))}
	seen := make(map[string]bool, len(in.Keys))
	for _, pk := range in.Keys {
		if pk.Algorithm != AlgEd25519 {
			continue
		}
		raw, err := b64.DecodeString(pk.Key)
		switch {
		case !validKeyID(pk.ID):
			return nil, bad("key id %s", quote(pk.ID))
		case seen[pk.ID]:
			return nil, bad("key %s is listed twice", pk.ID)
		case !isB64(pk.Key) || err != nil || len(raw) != ed25519.PublicKeySize:
			return nil, bad("key %s is not a base64url Ed25519 public key", pk.ID)
		}
		switch pk.Status {
		case KeyNext, KeyCurrent, KeyValid, KeyRetired:
		default:
			return nil, bad("key %s has an unknown status %s", pk.ID, quote(string(pk.Status)))
		}
		seen[pk.ID] = true
		out.Keys = append(out.Keys, pk)
	}
	return out, nil
}

// VerifyEnterpriseCode parses a scanned enterprise code and verifies it
// against the set alone: what the inspector app does offline. now decides
// whether a key's NotAfter has passed.
func (s *PublicKeySet) VerifyEnterpriseCode(raw string, now time.Time) (*EnterpriseCode, error) {
	const op = "PublicKeySet.VerifyEnterpriseCode"
	c, err := ParseEnterpriseCode(raw)
	if err != nil {
		return nil, err
	}
	if err := verifyEnterprise(context.Background(), op, s.source(), c, now); err != nil {
		return nil, err
	}
	return c, nil
}

// VerifyInspectionToken parses an inspection code and verifies it against
// the set alone, with DefaultLeeway on its times. Revocation cannot be
// checked offline.
func (s *PublicKeySet) VerifyInspectionToken(raw string, now time.Time) (*InspectionToken, error) {
	const op = "PublicKeySet.VerifyInspectionToken"
	t, err := ParseInspectionToken(raw)
	if err != nil {
		return nil, err
	}
	if err := verifyInspection(context.Background(), op, s.source(), t, now, DefaultLeeway); err != nil {
		return nil, err
	}
	return t, nil
}

// Scanned is a verified code: exactly one field is set.
type Scanned struct {
	Enterprise *EnterpriseCode
	Inspection *InspectionToken
}

// VerifyOffline verifies any scanned code with nothing but the published
// key set (the bytes of KeySetPath): an enterprise code when the text has
// "/e/" in its path, an inspection code otherwise.
func VerifyOffline(keySetJSON []byte, raw string, now time.Time) (*Scanned, error) {
	set, err := ParsePublicKeySet(keySetJSON)
	if err != nil {
		return nil, err
	}
	path, _, _ := strings.Cut(raw, "?")
	if len(raw) <= MaxCodeLen && strings.LastIndex(path, "/e/") > strings.LastIndex(path, "/v/") {
		c, err := set.VerifyEnterpriseCode(raw, now)
		if err != nil {
			return nil, err
		}
		return &Scanned{Enterprise: c}, nil
	}
	t, err := set.VerifyInspectionToken(raw, now)
	if err != nil {
		return nil, err
	}
	return &Scanned{Inspection: t}, nil
}

// source turns the set into verification keys. A key refuses its codes
// when the set says it is retired (whatever this device's clock says) and
// from its NotAfter on.
func (s *PublicKeySet) source() keySource {
	src := setSource{}
	for _, pk := range s.Keys {
		raw, err := b64.DecodeString(pk.Key)
		if pk.Algorithm != AlgEd25519 || err != nil || len(raw) != ed25519.PublicKeySize {
			continue
		}
		k := &verifyKey{id: pk.ID, public: ed25519.PublicKey(raw), retiredFlag: pk.Status == KeyRetired}
		if pk.NotAfter != nil {
			k.notAfter = *pk.NotAfter
		}
		src = append(src, k)
	}
	return src
}

type setSource []*verifyKey

func (s setSource) key(_ context.Context, kid string) (*verifyKey, error) {
	for _, k := range s {
		if k.id == kid {
			return k, nil
		}
	}
	return nil, nil
}

func (s setSource) all() []*verifyKey { return s }
