package app

import (
	"context"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/visit"
	"github.com/fieldcheck/fieldcheck/mobileapi"
	"github.com/fieldcheck/fieldcheck/qr"
)

// newAuth builds the two token services, back office and mobile, on one
// key ring: they differ in audience, so neither accepts the other's tokens.
func newAuth(ctx context.Context, m *Main) error {
	keys := auth.NewKeyring(&mongo.SigningKeyStore{DB: m.DB})
	keys.Now = m.Config.Now
	if err := keys.Load(ctx); err != nil {
		return err
	}
	m.TokenKeys = keys
	for _, a := range []struct {
		svc *(*auth.Service)
		cfg auth.Config
	}{
		{&m.Auth, auth.Config{}},
		{&m.Mobile, auth.Config{Audience: mobileapi.Audience, RequireDevice: true, Roles: mobileapi.Roles}},
	} {
		s, err := auth.NewService(a.cfg, keys, m.Stores.Users, m.Stores.Tokens, m.Stores.Throttle, m.Audit)
		if err != nil {
			return err
		}
		s.Now = m.Config.Now
		s.Log = m.Config.Logger
		s.Hashes = m.Hashes
		*a.svc = s
	}
	return nil
}

// enterpriseCodes lets the visit service verify scanned codes with the
// code-signing ring.
type enterpriseCodes struct{ k *qr.Keyring }

func (e enterpriseCodes) VerifyEnterpriseCode(ctx context.Context, raw string) (string, string, error) {
	c, err := e.k.VerifyEnterpriseCode(ctx, raw)
	if err != nil {
		return "", "", err
	}
	return c.USCC, c.KeyID, nil
}

// inspectionCodes lets the visit service sign and verify inspection codes
// with the code-signing ring.
type inspectionCodes struct{ k *qr.Keyring }

func issued(t *qr.InspectionToken) *visit.IssuedCode {
	return &visit.IssuedCode{TaskID: t.TaskID, Serial: t.Serial, URL: t.URL(), IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt}
}

func (c inspectionCodes) SignInspectionCode(ctx context.Context, taskID string, validity time.Duration) (*visit.IssuedCode, error) {
	t, err := c.k.SignInspectionToken(ctx, taskID, validity)
	if err != nil {
		return nil, err
	}
	return issued(t), nil
}

func (c inspectionCodes) VerifyInspectionCode(ctx context.Context, raw string) (*visit.IssuedCode, error) {
	t, err := c.k.VerifyInspectionToken(ctx, raw)
	if err != nil {
		return nil, err
	}
	return issued(t), nil
}
