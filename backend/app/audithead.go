package app

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// auditKeyFormat is the format of the keys that sign audit heads: a ring
// of its own (collection audit_keys), rotated like the codes' ring by
// `fieldcheck keys --ring audit`, with kids of 16 hex digits.
var auditKeyFormat = keyring.Format{
	Algorithm: backend.AuditHeadAlgorithm,
	IDBytes:   8,
	NewID:     func(b []byte) (string, bool) { return hex.EncodeToString(b), true },
	ValidID: func(kid string) bool {
		_, err := hex.DecodeString(kid)
		return len(kid) == 16 && err == nil
	},
}

// CheckpointInterval is how often the server makes sure today's audit
// checkpoint exists (the day's first request for a head makes it too).
const CheckpointInterval = time.Hour

// auditKeys signs audit heads with the audit ring.
type auditKeys struct{ r *keyring.Ring }

func (k auditKeys) AuditSigner(ctx context.Context) (string, ed25519.PrivateKey, error) {
	e, err := k.r.Signer(ctx)
	if err != nil {
		return "", nil, err
	}
	return e.ID, e.Private, nil
}

func (k auditKeys) AuditPublicKey(ctx context.Context, kid string, signedAt time.Time) (ed25519.PublicKey, error) {
	e, _, err := k.r.Lookup(ctx, kid)
	if err != nil || e == nil || e.Retired(signedAt) {
		return nil, err
	}
	return e.Public, nil
}

// newAuditHeads builds the audit ring and the signed heads on it; base
// names the log.
func newAuditHeads(ctx context.Context, m *Main, base string) error {
	m.AuditKeys = keyring.New(&mongo.AuditKeyStore{DB: m.DB}, auditKeyFormat)
	m.AuditKeys.Now = m.Config.Now
	if err := m.AuditKeys.Load(ctx); err != nil {
		return err
	}
	m.AuditHeads = &backend.AuditHeads{
		Log: m.Audit, Checkpoints: &mongo.AuditCheckpointStore{DB: m.DB}, Keys: auditKeys{m.AuditKeys},
		LogID: base, Now: m.Config.Now,
	}
	return nil
}
