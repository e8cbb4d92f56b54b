package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

const (
	colRounds       = "rounds"
	colRoundSecrets = "round_secrets"
)

// RoundStore implements backend.RoundStore.
type RoundStore struct{ DB *DB }

var _ backend.RoundStore = (*RoundStore)(nil)

func (s *RoundStore) CreateRound(ctx context.Context, r *backend.Round) error {
	r.Version, r.CreatedAt, r.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.insertAudited(ctx, colRounds, "round", "CreateRound", r.ID, r)
}

func (s *RoundStore) FindRoundByID(ctx context.Context, id string) (*backend.Round, error) {
	return findByID[backend.Round](ctx, s.DB.c(colRounds), "FindRoundByID", "round", id)
}

func (s *RoundStore) FindRounds(ctx context.Context, year int, p backend.PageRequest) (*backend.Page[*backend.Round], error) {
	q := bson.D{}
	if year != 0 {
		q = append(q, bson.E{Key: "year", Value: year})
	}
	return findPage(ctx, s.DB, s.DB.c(colRounds), "FindRounds", q, p, func(r *backend.Round) string { return r.ID })
}

func (s *RoundStore) UpdateRound(ctx context.Context, r *backend.Round) error {
	expected := r.Version
	r.Version, r.UpdatedAt = expected+1, s.DB.now()
	if err := s.DB.replaceAudited(ctx, colRounds, "round", "UpdateRound", r.ID, expected, r); err != nil {
		r.Version = expected
		return err
	}
	return nil
}

func (s *RoundStore) CreateRoundSecret(ctx context.Context, sec *backend.RoundSecret) error {
	_, err := s.DB.c(colRoundSecrets).InsertOne(ctx, sec)
	return translate("CreateRoundSecret", err)
}

func (s *RoundStore) FindRoundSecret(ctx context.Context, roundID string) (*backend.RoundSecret, error) {
	return findByID[backend.RoundSecret](ctx, s.DB.c(colRoundSecrets), "FindRoundSecret", "round secret", roundID)
}
