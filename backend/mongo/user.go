package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

// UserStore implements backend.UserStore.
type UserStore struct{ DB *DB }

var _ backend.UserStore = (*UserStore)(nil)

func (s *UserStore) FindUserByID(ctx context.Context, id string) (*backend.User, error) {
	return readByID[backend.User](ctx, s.DB, colUsers, "FindUserByID", "user", id)
}

func (s *UserStore) FindUsers(ctx context.Context, p backend.PageRequest) (*backend.Page[*backend.User], error) {
	return findPage(ctx, s.DB, s.DB.c(colUsers), "FindUsers", bson.D{}, p, func(u *backend.User) string { return u.ID })
}

func (s *UserStore) CountUsers(ctx context.Context) (int64, error) {
	n, err := s.DB.c(colUsers).CountDocuments(ctx, bson.D{})
	return n, translate("CountUsers", err)
}

func (s *UserStore) CreateUser(ctx context.Context, u *backend.User) error {
	u.Version, u.CreatedAt, u.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.insertAudited(ctx, colUsers, "user", "CreateUser", u.ID, u)
}

func (s *UserStore) UpdateUser(ctx context.Context, u *backend.User) error {
	expected := u.Version
	u.Version, u.UpdatedAt = expected+1, s.DB.now()
	if err := s.DB.replaceAudited(ctx, colUsers, "user", "UpdateUser", u.ID, expected, u); err != nil {
		u.Version = expected
		return err
	}
	return nil
}
