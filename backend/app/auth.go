package app

import (
	"context"

	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

func newAuth(ctx context.Context, m *Main) (*auth.Service, error) {
	keys := auth.NewKeyring(&mongo.SigningKeyStore{DB: m.DB})
	keys.Now = m.Config.Now
	if err := keys.Load(ctx); err != nil {
		return nil, err
	}
	s, err := auth.NewService(auth.Config{}, keys, m.Stores.Users, m.Stores.Tokens, m.Stores.Throttle, m.Audit)
	if err != nil {
		return nil, err
	}
	s.Now = m.Config.Now
	s.Log = m.Config.Logger
	return s, nil
}
