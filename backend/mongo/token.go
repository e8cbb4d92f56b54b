package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TokenStore implements backend.TokenStore.
type TokenStore struct{ DB *DB }

var _ backend.TokenStore = (*TokenStore)(nil)

func (s *TokenStore) CreateTokenFamily(ctx context.Context, f *backend.TokenFamily) error {
	_, err := s.DB.c(colTokenFamilies).InsertOne(ctx, f)
	return translate("CreateTokenFamily", err)
}

func (s *TokenStore) FindTokenFamily(ctx context.Context, id string) (*backend.TokenFamily, error) {
	return readByID[backend.TokenFamily](ctx, s.DB, colTokenFamilies, "FindTokenFamily", "session", id)
}

func (s *TokenStore) RevokeTokenFamily(ctx context.Context, id string, at time.Time, reason string) error {
	_, err := s.DB.engine.updateIf(ctx, s.DB.c(colTokenFamilies), id, bson.D{{Key: "revokedAt", Value: nil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "revokedAt", Value: at.UTC()}, {Key: "reason", Value: reason}}}}, false)
	return translate("RevokeTokenFamily", err)
}

func (s *TokenStore) TouchTokenFamily(ctx context.Context, id string, at time.Time) error {
	_, err := s.DB.engine.updateIf(ctx, s.DB.c(colTokenFamilies), id, bson.D{{Key: "revokedAt", Value: nil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "lastSeenAt", Value: at.UTC()}}}}, false)
	return translate("TouchTokenFamily", err)
}

func (s *TokenStore) CreateRefreshToken(ctx context.Context, t *backend.RefreshToken) error {
	_, err := s.DB.c(colRefreshTokens).InsertOne(ctx, t)
	return translate("CreateRefreshToken", err)
}

func (s *TokenStore) FindRefreshToken(ctx context.Context, id string) (*backend.RefreshToken, error) {
	return findByID[backend.RefreshToken](ctx, s.DB.c(colRefreshTokens), "FindRefreshToken", "refresh token", id)
}

func (s *TokenStore) UseRefreshToken(ctx context.Context, id string, at time.Time, successor string) error {
	ok, err := s.DB.engine.updateIf(ctx, s.DB.c(colRefreshTokens), id, bson.D{{Key: "usedAt", Value: nil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "usedAt", Value: at.UTC()}, {Key: "successor", Value: successor}}}}, false)
	if err != nil {
		return translate("UseRefreshToken", err)
	}
	if !ok {
		return &backend.Error{Code: backend.ECONFLICT, Op: "UseRefreshToken", Message: "refresh token was already used"}
	}
	return nil
}

// RevokeDeviceTokenFamilies finds the device's sessions by user and device,
// which scans the collection on FerretDB; it runs only when an administrator
// revokes a device. Each is then revoked by _id.
func (s *TokenStore) RevokeDeviceTokenFamilies(ctx context.Context, userID, deviceID string, at time.Time, reason string) (int, error) {
	const op = "RevokeDeviceTokenFamilies"
	cur, err := s.DB.c(colTokenFamilies).Find(ctx, bson.D{{Key: "userId", Value: userID}, {Key: "deviceId", Value: deviceID}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "revokedAt", Value: 1}}))
	if err != nil {
		return 0, translate(op, err)
	}
	var open []string
	for cur.Next(ctx) {
		var f struct {
			ID        string     `bson:"_id"`
			RevokedAt *time.Time `bson:"revokedAt"`
		}
		if err := cur.Decode(&f); err != nil {
			_ = cur.Close(ctx)
			return 0, translate(op, err)
		}
		if f.RevokedAt == nil {
			open = append(open, f.ID)
		}
	}
	if err := cur.Err(); err != nil {
		_ = cur.Close(ctx)
		return 0, translate(op, err)
	}
	_ = cur.Close(ctx)
	n := 0
	for _, id := range open {
		ok, err := s.DB.engine.updateIf(ctx, s.DB.c(colTokenFamilies), id, bson.D{{Key: "revokedAt", Value: nil}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "revokedAt", Value: at.UTC()}, {Key: "reason", Value: reason}}}}, false)
		if err != nil {
			return n, translate(op, err)
		}
		if ok {
			n++
		}
	}
	return n, nil
}
